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
        context.info("deleting resource group " + build.resourceGroup + " and everything in it");
        try {
            // Goes on after a first Ctrl-C (cleanup is what it asked for); a second one stops the wait.
            Lro.await(context::cleanupSkipped, "deleting resource group " + build.resourceGroup,
                    build.operationLimit(), () -> build.clients.resources().getResourceGroups()
                            .beginDelete(build.resourceGroup), null);
        } catch (StepFailedException e) {
            if (!AzureErrors.notFound(e.getCause())) {
                throw e;
            }
        }
        created = false;
    }

    @Override
    public List<String> leftovers(BuildContext context) {
        return created ? List.of(build.subscriptionPath() + "/resourceGroups/" + build.resourceGroup
                + "  (remove with: az group delete --yes -n " + build.resourceGroup + ")") : List.of();
    }
}
