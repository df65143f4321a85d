package dev.imagebake.builder.azure;

import com.azure.resourcemanager.compute.fluent.models.VirtualMachineInner;
import com.azure.resourcemanager.compute.models.BillingProfile;
import com.azure.resourcemanager.compute.models.BootDiagnostics;
import com.azure.resourcemanager.compute.models.DataDisk;
import com.azure.resourcemanager.compute.models.DeleteOptions;
import com.azure.resourcemanager.compute.models.DiagnosticsProfile;
import com.azure.resourcemanager.compute.models.DiskCreateOptionTypes;
import com.azure.resourcemanager.compute.models.DiskDeleteOptionTypes;
import com.azure.resourcemanager.compute.models.HardwareProfile;
import com.azure.resourcemanager.compute.models.ImageReference;
import com.azure.resourcemanager.compute.models.LinuxConfiguration;
import com.azure.resourcemanager.compute.models.ManagedDiskParameters;
import com.azure.resourcemanager.compute.models.NetworkInterfaceReference;
import com.azure.resourcemanager.compute.models.NetworkProfile;
import com.azure.resourcemanager.compute.models.OSDisk;
import com.azure.resourcemanager.compute.models.OSProfile;
import com.azure.resourcemanager.compute.models.Plan;
import com.azure.resourcemanager.compute.models.ResourceIdentityType;
import com.azure.resourcemanager.compute.models.SecurityProfile;
import com.azure.resourcemanager.compute.models.SecurityTypes;
import com.azure.resourcemanager.compute.models.SshConfiguration;
import com.azure.resourcemanager.compute.models.SshPublicKey;
import com.azure.resourcemanager.compute.models.StorageAccountTypes;
import com.azure.resourcemanager.compute.models.StorageProfile;
import com.azure.resourcemanager.compute.models.UefiSettings;
import com.azure.resourcemanager.compute.models.VirtualMachineEvictionPolicyTypes;
import com.azure.resourcemanager.compute.models.VirtualMachineIdentity;
import com.azure.resourcemanager.compute.models.VirtualMachineIdentityUserAssignedIdentities;
import com.azure.resourcemanager.compute.models.VirtualMachinePriorityTypes;
import com.azure.resourcemanager.compute.models.VirtualMachineSizeTypes;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.BuildStep;
import dev.imagebake.plan.AzureBuilderSpec;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The build VM: the source image, a size, an OS disk that is deleted with the VM, the generated ed25519 key (or the
 * public half of the template's {@code sshPrivateKeyFile}) for the admin user, and custom data that installs the
 * generated host key.
 */
final class StepCreateVm implements BuildStep {
    private final AzureBuild build;
    private volatile String created;

    StepCreateVm(AzureBuild build) {
        this.build = build;
    }

    @Override
    public String name() {
        return "create VM";
    }

    @Override
    public void run(BuildContext context) throws Exception {
        AzureBuilderSpec spec = build.spec;
        String user = spec.sshUser();
        String hostKeyText = build.hostKey.privateKeyText();
        context.secrets().add(hostKeyText);
        if (spec.sshPrivateKeyFile() != null) {
            build.ownKey = OwnSshKey.read(context.templateFolder(), spec.sshPrivateKeyFile(), "imagebake-" + build.id);
            context.secrets().add(build.ownKey.privateKeyText(), build.ownKey.publicLine());
            context.info("the admin user " + user + " gets the public key of " + spec.sshPrivateKeyFile());
        }
        VirtualMachineInner vm = new VirtualMachineInner()
                .withHardwareProfile(new HardwareProfile().withVmSize(VirtualMachineSizeTypes.fromString(spec.vmSize())))
                .withStorageProfile(new StorageProfile().withImageReference(imageReference(spec.source()))
                        .withOsDisk(osDisk(spec)).withDataDisks(dataDisks(spec)))
                .withOsProfile(new OSProfile().withComputerName(build.vmName()).withAdminUsername(user)
                        .withCustomData(CloudInit.customData(build.hostKey, spec.customDataFile() != null
                                ? readDataFile(context, spec.customDataFile(), "customDataFile") : spec.customData()))
                        .withLinuxConfiguration(new LinuxConfiguration().withDisablePasswordAuthentication(true)
                                .withSsh(new SshConfiguration().withPublicKeys(List.of(new SshPublicKey()
                                        .withPath("/home/" + user + "/.ssh/authorized_keys")
                                        .withKeyData(build.clientPublicLine()))))))
                .withNetworkProfile(new NetworkProfile().withNetworkInterfaces(List.of(new NetworkInterfaceReference()
                        .withId(build.nicId).withPrimary(true).withDeleteOption(DeleteOptions.DELETE))));
        vm.withLocation(build.location).withTags(build.tags);
        // Managed boot diagnostics (no storage account of ours): when SSH never comes up, the serial log says why.
        vm.withDiagnosticsProfile(new DiagnosticsProfile().withBootDiagnostics(new BootDiagnostics().withEnabled(true)));
        String userData = spec.userDataFile() != null ? readDataFile(context, spec.userDataFile(), "userDataFile")
                : spec.userData();
        if (userData != null) {
            vm.withUserData(Base64.getEncoder().encodeToString(userData.getBytes(StandardCharsets.UTF_8)));
        }
        if (spec.purchasePlan() != null) {
            AzureBuilderSpec.PurchasePlan plan = spec.purchasePlan();
            vm.withPlan(new Plan().withName(plan.name()).withProduct(plan.product()).withPublisher(plan.publisher()));
        }
        if (spec.spot() != null) {
            vm.withPriority(VirtualMachinePriorityTypes.SPOT)
                    .withEvictionPolicy(VirtualMachineEvictionPolicyTypes.fromString(spec.spot().evictionPolicy()))
                    .withBillingProfile(new BillingProfile().withMaxPrice(spec.spot().maxPrice()));
        }
        if (spec.trustedLaunch()) {
            vm.withSecurityProfile(new SecurityProfile().withSecurityType(SecurityTypes.TRUSTED_LAUNCH)
                    .withUefiSettings(new UefiSettings().withSecureBootEnabled(true).withVTpmEnabled(true)));
        }
        if (!spec.userAssignedIdentities().isEmpty()) {
            Map<String, VirtualMachineIdentityUserAssignedIdentities> ids = new LinkedHashMap<>();
            spec.userAssignedIdentities().forEach(id -> ids.put(id, new VirtualMachineIdentityUserAssignedIdentities()));
            vm.withIdentity(new VirtualMachineIdentity().withType(ResourceIdentityType.USER_ASSIGNED)
                    .withUserAssignedIdentities(ids));
        }
        build.sourceDescription = describe(spec.source());
        // Recorded before the call: a create that fails halfway can still leave a VM behind.
        created = build.resourceId("Microsoft.Compute", "virtualMachines", build.vmName());
        StepCache.Hit hit = build.cache == null ? null : build.cache.hit();
        if (hit != null) {
            // A specialized disk: the machine is already provisioned, so no osProfile (Azure refuses one).
            vm.withOsProfile(null).withStorageProfile(new StorageProfile().withOsDisk(cachedOsDisk(context, hit)));
            context.info("creating VM " + build.vmName() + " (" + spec.vmSize() + ") from a copy of the cache "
                    + "snapshot " + hit.snapshotName() + " (" + build.sourceDescription + " after " + (hit.steps() == 1
                    ? "step 1" : "steps 1-" + hit.steps()) + ")");
        } else {
            context.info("creating VM " + build.vmName() + " (" + spec.vmSize() + ") from " + build.sourceDescription);
        }
        Lro.await(context, "creating VM " + build.vmName(), build.operationLimit(),
                () -> build.clients.compute().getVirtualMachines().beginCreateOrUpdate(build.resourceGroup,
                        build.vmName(), vm));
        VirtualMachineInner made = Lro.read("VM " + build.vmName(), () -> build.clients.compute()
                .getVirtualMachines().getByResourceGroup(build.resourceGroup, build.vmName()));
        if (made.id() == null) {
            throw new dev.imagebake.engine.StepFailedException("reading VM " + build.vmName()
                    + " failed: Azure reports it without an id");
        }
        build.vmId = made.id();
        if (made.storageProfile() != null && made.storageProfile().imageReference() != null) {
            build.sourceExactVersion = made.storageProfile().imageReference().exactVersion();
        }
        if (made.storageProfile() != null && made.storageProfile().osDisk() != null
                && made.storageProfile().osDisk().managedDisk() != null) {
            build.osDiskId = made.storageProfile().osDisk().managedDisk().id();
        }
        if (hit != null) {
            build.sourceExactVersion = build.cache.sourceVersion();
        }
        if (build.sourceExactVersion != null) {
            context.info("source image version: " + build.sourceExactVersion);
        }
    }

    /**
     * The OS disk of a VM that starts from the step cache: a managed disk copied from the snapshot, attached. It is
     * recorded as the build's OS disk before it is made, so that the cleanup deletes it whatever happens next.
     */
    private OSDisk cachedOsDisk(BuildContext context, StepCache.Hit hit) throws Exception {
        AzureBuilderSpec spec = build.spec;
        String name = build.name("osdisk");
        build.osDiskId = build.resourceId("Microsoft.Compute", "disks", name);
        var snapshot = build.clients.compute().getSnapshots().getByResourceGroup(build.spec.cache().resourceGroup(),
                hit.snapshotName());
        com.azure.resourcemanager.compute.fluent.models.DiskInner disk =
                new com.azure.resourcemanager.compute.fluent.models.DiskInner()
                        .withOsType(com.azure.resourcemanager.compute.models.OperatingSystemTypes.LINUX)
                        .withHyperVGeneration(snapshot.hyperVGeneration())
                        .withDiskSizeGB(spec.osDiskSizeGb())
                        .withCreationData(new com.azure.resourcemanager.compute.models.CreationData()
                                .withCreateOption(com.azure.resourcemanager.compute.models.DiskCreateOption.COPY)
                                .withSourceResourceId(hit.snapshotId()));
        if (spec.osDiskType() != null) {
            disk.withSku(new com.azure.resourcemanager.compute.models.DiskSku().withName(
                    com.azure.resourcemanager.compute.models.DiskStorageAccountTypes.fromString(spec.osDiskType())));
        }
        disk.withLocation(build.location).withTags(build.tags);
        Lro.await(context, "creating disk " + name + " from snapshot " + hit.snapshotName(), build.operationLimit(),
                () -> build.clients.compute().getDisks().beginCreateOrUpdate(build.resourceGroup, name, disk));
        ManagedDiskParameters managed = managedDisk(spec, spec.osDiskType());
        return new OSDisk().withOsType(com.azure.resourcemanager.compute.models.OperatingSystemTypes.LINUX)
                .withCreateOption(DiskCreateOptionTypes.ATTACH)
                .withDeleteOption(spec.keepOsDisk() ? DiskDeleteOptionTypes.DETACH : DiskDeleteOptionTypes.DELETE)
                .withManagedDisk((managed == null ? new ManagedDiskParameters() : managed).withId(build.osDiskId));
    }

    /** The text of a {@code customDataFile} or {@code userDataFile}, relative to the template's folder. */
    private static String readDataFile(BuildContext context, String path, String keyword)
            throws dev.imagebake.engine.StepFailedException {
        java.nio.file.Path file = context.templateFolder() == null ? java.nio.file.Path.of(path)
                : context.templateFolder().resolve(path);
        try {
            return java.nio.file.Files.readString(file, StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new dev.imagebake.engine.StepFailedException(keyword + ": " + dev.imagebake.util.IoErrors.cannot(
                    "read", file, e));
        }
    }

    private ImageReference imageReference(AzureBuilderSpec.ImageSource source) {
        if (source instanceof AzureBuilderSpec.Marketplace m) {
            return new ImageReference().withPublisher(m.publisher()).withOffer(m.offer()).withSku(m.sku())
                    .withVersion(m.version() == null ? "latest" : m.version());
        }
        if (source instanceof AzureBuilderSpec.ManagedImage i) {
            return new ImageReference().withId(i.id());
        }
        if (source instanceof AzureBuilderSpec.CommunityGalleryImage c) {
            return new ImageReference().withCommunityGalleryImageId(c.id());
        }
        if (source instanceof AzureBuilderSpec.SharedGalleryImage d) {
            return new ImageReference().withSharedGalleryImageId(d.id());
        }
        AzureBuilderSpec.GalleryImage g = (AzureBuilderSpec.GalleryImage) source;
        return new ImageReference().withId(galleryImageId(g));
    }

    /** A version's id, or the definition's id for {@code latest} (Azure then picks the newest version). */
    private String galleryImageId(AzureBuilderSpec.GalleryImage g) {
        return (g.subscription() != null ? "/subscriptions/" + g.subscription() : build.subscriptionPath())
                + "/resourceGroups/" + g.resourceGroup() + "/providers/Microsoft.Compute/galleries/"
                + g.gallery() + "/images/" + g.image()
                + (g.version() == null || g.version().equals("latest") ? "" : "/versions/" + g.version());
    }

    private String describe(AzureBuilderSpec.ImageSource source) {
        if (source instanceof AzureBuilderSpec.Marketplace m) {
            return m.publisher() + ":" + m.offer() + ":" + m.sku() + ":" + (m.version() == null ? "latest" : m.version());
        }
        if (source instanceof AzureBuilderSpec.ManagedImage i) {
            return i.id();
        }
        if (source instanceof AzureBuilderSpec.CommunityGalleryImage c) {
            return c.id();
        }
        if (source instanceof AzureBuilderSpec.SharedGalleryImage d) {
            return d.id();
        }
        return galleryImageId((AzureBuilderSpec.GalleryImage) source);
    }

    private OSDisk osDisk(AzureBuilderSpec spec) {
        // A kept disk is detached when the VM is deleted, and stays.
        OSDisk disk = new OSDisk().withName(build.name("osdisk")).withCreateOption(DiskCreateOptionTypes.FROM_IMAGE)
                .withDeleteOption(spec.keepOsDisk() ? DiskDeleteOptionTypes.DETACH : DiskDeleteOptionTypes.DELETE)
                .withDiskSizeGB(spec.osDiskSizeGb());
        disk.withManagedDisk(managedDisk(spec, spec.osDiskType()));
        return disk;
    }

    /** The managed disk settings of one disk: its storage type and the template's disk encryption set. */
    private static ManagedDiskParameters managedDisk(AzureBuilderSpec spec, String type) {
        if (type == null && spec.diskEncryptionSetId() == null) {
            return null;
        }
        ManagedDiskParameters managed = new ManagedDiskParameters();
        if (type != null) {
            managed.withStorageAccountType(StorageAccountTypes.fromString(type));
        }
        if (spec.diskEncryptionSetId() != null) {
            managed.withDiskEncryptionSet(new com.azure.resourcemanager.compute.models.DiskEncryptionSetParameters()
                    .withId(spec.diskEncryptionSetId()));
        }
        return managed;
    }

    private List<DataDisk> dataDisks(AzureBuilderSpec spec) {
        List<DataDisk> disks = new ArrayList<>();
        for (AzureBuilderSpec.DataDisk d : spec.dataDisks()) {
            DataDisk disk = new DataDisk().withLun(d.lun()).withName(build.name("data" + d.lun()))
                    .withCreateOption(DiskCreateOptionTypes.EMPTY).withDiskSizeGB(d.sizeGb())
                    .withDeleteOption(DiskDeleteOptionTypes.DELETE);
            disk.withManagedDisk(managedDisk(spec, d.type()));
            disks.add(disk);
        }
        return disks;
    }

    @Override
    public void cleanup(BuildContext context) throws Exception {
        if (created == null || build.temporaryGroup) {
            return;
        }
        Resources.delete(context, build, created);
        created = null;
        if (build.osDiskId != null && build.spec.keepOsDisk()) {
            context.info("keeping the OS disk " + build.osDiskId + " (keepOsDisk)");
        } else if (build.osDiskId != null) {
            Resources.delete(context, build, build.osDiskId); // gone already when its delete option worked
        }
    }

    @Override
    public List<String> leftovers(BuildContext context) {
        if (created == null || build.temporaryGroup) {
            return List.of();
        }
        return build.osDiskId == null || build.spec.keepOsDisk() ? List.of(created) : List.of(created, build.osDiskId);
    }
}
