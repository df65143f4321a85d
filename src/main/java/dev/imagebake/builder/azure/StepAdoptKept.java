package dev.imagebake.builder.azure;

import com.azure.resourcemanager.compute.fluent.models.VirtualMachineInner;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.BuildStep;
import dev.imagebake.engine.KeptMachineGoneException;
import dev.imagebake.engine.ResumeRecord;
import dev.imagebake.engine.StepFailedException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * {@code build --resume}: takes over what an earlier run of this build kept, instead of creating it: the temporary
 * resource group (or the VM, NIC, address, security group and network in a {@code buildResourceGroup}), each checked
 * to be there and tagged with that run's build id. From then on this build owns them: its cleanup deletes all of
 * them, and the kept key copy's folder with them. Until every check passes and the kept VM answered over SSH with
 * its pinned host key ({@link #own}), it owns nothing, and deletes nothing: what cannot be resumed stays held.
 */
final class StepAdoptKept implements BuildStep {
    private final AzureBuild build;
    private final ResumeRecord.Entry kept;
    /** What this build now owns and deletes at the end, in deletion order; empty until adopted. */
    private final List<String> owned = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean adopted;

    StepAdoptKept(AzureBuild build, ResumeRecord.Entry kept) {
        this.build = build;
        this.kept = kept;
    }

    @Override
    public String name() {
        return "adopt the kept VM";
    }

    @Override
    public void run(BuildContext context) throws Exception {
        Map<String, String> d = kept.details();
        String id = d.get("buildId");
        String where = "resource group " + d.get("resourceGroup") + " of subscription " + d.get("subscription");
        if (id == null || !id.equals(build.id)) {
            throw new KeptMachineGoneException("the resume record names build id " + id + ", not " + build.id);
        }
        if (!build.clients.cloud().subscription().equals(d.get("subscription"))
                || !build.resourceGroup.equalsIgnoreCase(d.get("resourceGroup"))
                || build.temporaryGroup != Boolean.parseBoolean(d.get("temporaryGroup"))) {
            throw new KeptMachineGoneException("the build kept its VM in " + where + ", and the template now builds "
                    + "in resource group " + build.resourceGroup + " of subscription "
                    + build.clients.cloud().subscription());
        }
        var groups = build.clients.resources().getResourceGroups();
        if (!Lro.read("resource group " + build.resourceGroup, () -> groups.checkExistence(build.resourceGroup))) {
            throw new KeptMachineGoneException(where + " no longer exists");
        }
        if (build.temporaryGroup) {
            requireTag("resource group " + build.resourceGroup, groups.get(build.resourceGroup).tags());
        }
        VirtualMachineInner vm;
        try {
            vm = build.clients.compute().getVirtualMachines().getByResourceGroup(build.resourceGroup, build.vmName());
        } catch (RuntimeException e) {
            if (AzureErrors.notFound(e)) {
                throw new KeptMachineGoneException("the VM " + build.vmName() + " is no longer in " + where, e);
            }
            throw e;
        }
        requireTag("VM " + build.vmName(), vm.tags());
        var network = build.clients.network();
        String nicName = build.name("nic");
        try {
            requireTag("network interface " + nicName,
                    network.getNetworkInterfaces().getByResourceGroup(build.resourceGroup, nicName).tags());
            if (d.get("publicIpId") != null) {
                requireTag("public IP address " + build.name("pip"), network.getPublicIpAddresses()
                        .getByResourceGroup(build.resourceGroup, build.name("pip")).tags());
            }
        } catch (RuntimeException e) {
            if (AzureErrors.notFound(e)) {
                throw new KeptMachineGoneException("the VM's network is no longer complete in " + where + " ("
                        + AzureErrors.describe(e) + ")", e);
            }
            throw e;
        }
        build.location = vm.location();
        build.vmId = vm.id();
        build.nicId = d.get("nicId");
        build.publicIpId = d.get("publicIpId");
        build.subnetId = d.get("subnetId");
        build.osDiskId = d.get("osDiskId");
        build.sourceDescription = d.get("source");
        build.sourceExactVersion = d.get("sourceExactVersion");
        String keyFile = d.get("keyFile");
        context.keptResources(new AzureKept(build, keyFile == null ? null : Path.of(keyFile)));
        context.info("adopted the kept VM " + build.vmName() + " in " + where + " (build " + build.id + ")");
    }

    /** Called once the kept VM answered as the same machine: from now on this build deletes what was kept. */
    void own() {
        owned.addAll(kept.resources());
        adopted = true;
    }

    private void requireTag(String what, Map<String, String> tags) throws KeptMachineGoneException {
        String tagged = tags == null ? null : tags.get(AzureBuild.TAG_BUILD);
        if (!build.id.equals(tagged)) {
            throw new KeptMachineGoneException(what + " is not the kept one: it is tagged "
                    + AzureBuild.TAG_BUILD + "=" + tagged + ", not " + build.id);
        }
    }

    @Override
    public void cleanup(BuildContext context) throws Exception {
        if (!adopted) {
            return;
        }
        if (build.temporaryGroup) {
            context.info("deleting resource group " + build.resourceGroup + " and everything in it");
        }
        for (String id : List.copyOf(owned)) {
            if (build.temporaryGroup) {
                try {
                    Lro.await(context::cleanupSkipped, "deleting resource group " + build.resourceGroup,
                            build.operationLimit(), () -> build.clients.resources().getResourceGroups()
                                    .beginDelete(build.resourceGroup), null);
                } catch (StepFailedException e) {
                    if (!AzureErrors.notFound(e.getCause())) {
                        throw e;
                    }
                }
            } else {
                Resources.delete(context, build, id);
            }
            owned.remove(id);
        }
        if (build.osDiskId != null && build.spec.keepOsDisk()) {
            context.info("keeping the OS disk " + build.osDiskId + " (keepOsDisk)");
        }
        AzureKept.removeKeyFolders(context, build); // the key copy, and known_hosts kept with the template's own key
        adopted = false;
    }

    @Override
    public List<String> leftovers(BuildContext context) {
        if (!adopted) {
            return List.of();
        }
        List<String> left = new ArrayList<>();
        for (String id : List.copyOf(owned)) {
            left.add(build.temporaryGroup ? id + "  (remove with: az group delete --yes -n " + build.resourceGroup
                    + ")" : id);
        }
        return left;
    }
}
