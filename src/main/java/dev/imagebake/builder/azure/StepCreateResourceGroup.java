package dev.imagebake.builder.azure;

import com.azure.resourcemanager.resources.fluent.models.ResourceGroupInner;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.BuildStep;
import dev.imagebake.engine.StepFailedException;

import java.util.List;

/**
 * The temporary resource group that holds everything the build creates; deleting it at the end removes all of it
 * in one operation. With {@code buildResourceGroup}, the group must exist and is kept (the other steps then delete
 * their own resources one by one).
 */
final class StepCreateResourceGroup implements BuildStep {
    private final AzureBuild build;
    private volatile boolean created;

    StepCreateResourceGroup(AzureBuild build) {
        this.build = build;
    }

    @Override
    public String name() {
        return build.temporaryGroup ? "create resource group" : "check resource group";
    }

    @Override
    public void run(BuildContext context) throws Exception {
        var groups = build.clients.resources().getResourceGroups();
        if (!build.temporaryGroup) {
            if (!Lro.read("resource group " + build.resourceGroup, () -> groups.checkExistence(build.resourceGroup))) {
                throw new StepFailedException("the build resource group " + build.resourceGroup
                        + " does not exist in subscription " + build.clients.cloud().subscription()
                        + "; create it or leave out buildResourceGroup");
            }
            build.location = build.location != null ? build.location
                    : groups.get(build.resourceGroup).location();
            context.info("building in the existing resource group " + build.resourceGroup);
            return;
        }
        if (Lro.read("resource group " + build.resourceGroup, () -> groups.checkExistence(build.resourceGroup))) {
            throw new StepFailedException("resource group " + build.resourceGroup + " already exists");
        }
        // Recorded before the request: one that Ctrl-C cuts short may still have made the group (deleting a group
        // that does not exist counts as deleted).
        created = true;
        java.util.Map<String, String> tags = new java.util.LinkedHashMap<>(build.tags);
        tags.put(AzureBuild.TAG_TEMPORARY_GROUP, "true");
        groups.createOrUpdate(build.resourceGroup, new ResourceGroupInner().withLocation(build.location).withTags(tags));
        context.info("created resource group " + build.resourceGroup + " in " + build.location);
    }

    @Override
    public void cleanup(BuildContext context) throws Exception {
        if (!created) {
            return;
        }
        var begun = build.groupDeletion;
        context.info("deleting resource group " + build.resourceGroup + " and everything in it"
                + (begun == null ? "" : " (started while the gallery version replicated)"));
        try {
            // Goes on after a first Ctrl-C (cleanup is what it asked for); a second one stops the wait.
            Lro.await(context::cleanupSkipped, "deleting resource group " + build.resourceGroup,
                    build.operationLimit(), begun != null ? () -> begun : () -> build.clients.resources()
                            .getResourceGroups().beginDelete(build.resourceGroup), null);
        } catch (StepFailedException e) {
            if (!AzureErrors.notFound(e.getCause())) {
                throw e;
            }
        }
        created = false;
    }

    /**
     * Starts deleting the temporary group without waiting for it, once nothing the build still does needs what is
     * in it: the gallery version is being made from the managed image, which lives in its own resource group and is
     * a copy of the VM's disks, and the VM was generalized and can never run again. The deletion (minutes on Azure)
     * then runs while the version replicates (minutes per region), and the group's cleanup waits for it.
     *
     * <p>Only for a temporary group (with {@code buildResourceGroup} the resources go one by one at the end), only
     * under the on-error policy {@code cleanup} ({@code abort} and {@code ask} may keep everything for a look after
     * a failure), and at most once. Best effort: a deletion that cannot be started now is started by the cleanup,
     * as always; whatever happens, the group stays this step's to delete, or to report as left behind, until its
     * deletion has been seen to finish.
     */
    static void deleteWhileReplicating(BuildContext context, AzureBuild build) {
        if (!build.temporaryGroup || !context.cleansUpAfterFailure() || context.cancelled()
                || build.groupDeletion != null) {
            return;
        }
        try {
            build.groupDeletion = build.clients.resources().getResourceGroups().beginDelete(build.resourceGroup);
            context.info("removal of resource group " + build.resourceGroup + " started: it goes on while the "
                    + "version replicates (nothing in it is needed any more), and the build waits for both");
        } catch (RuntimeException e) {
            if (!Thread.currentThread().isInterrupted()) {
                context.info("could not start removing resource group " + build.resourceGroup + " now ("
                        + AzureErrors.describe(e) + "); it is deleted at the end");
            }
        }
    }

    @Override
    public List<String> leftovers(BuildContext context) {
        return created ? List.of(build.subscriptionPath() + "/resourceGroups/" + build.resourceGroup
                + "  (remove with: az group delete --yes -n " + build.resourceGroup + ")") : List.of();
    }
}
