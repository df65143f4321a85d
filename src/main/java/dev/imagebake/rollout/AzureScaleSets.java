package dev.imagebake.rollout;

import com.azure.resourcemanager.resources.fluentcore.arm.ResourceId;
import com.azure.core.management.exception.ManagementException;
import com.azure.resourcemanager.compute.fluent.ComputeManagementClient;
import com.azure.resourcemanager.compute.fluent.models.RollingUpgradeStatusInfoInner;
import com.azure.resourcemanager.compute.fluent.models.VirtualMachineScaleSetInner;
import com.azure.resourcemanager.compute.fluent.models.VirtualMachineScaleSetVMInner;
import com.azure.resourcemanager.compute.models.ImageReference;
import com.azure.resourcemanager.compute.models.InstanceViewStatus;
import com.azure.resourcemanager.compute.models.RollingUpgradePolicy;
import com.azure.resourcemanager.compute.models.UpgradeMode;
import com.azure.resourcemanager.compute.models.UpgradePolicy;
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetUpdate;
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetUpdateStorageProfile;
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetUpdateVMProfile;
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetVMInstanceRequiredIDs;
import com.azure.resourcemanager.network.fluent.NetworkManagementClient;
import com.azure.resourcemanager.network.fluent.models.NetworkInterfaceInner;
import com.azure.resourcemanager.network.fluent.models.NetworkInterfaceIpConfigurationInner;
import dev.imagebake.builder.azure.AzureClients;
import com.azure.core.exception.HttpResponseException;
import dev.imagebake.builder.azure.AzureErrors;
import dev.imagebake.builder.azure.Lro;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** {@link ScaleSets} with the Azure SDK's management clients. */
public final class AzureScaleSets implements ScaleSets {
    /** Tag the local emulator puts on a NIC whose machine's SSH server is not on port 22. */
    static final String EMULATOR_SSH_PORT_TAG = "imagebake-emulator-ssh-port";
    private static final Duration OPERATION_LIMIT = Duration.ofMinutes(60);

    private final ComputeManagementClient compute;
    private final NetworkManagementClient network;
    private final BooleanSupplier cancelled;

    public AzureScaleSets(AzureClients clients, BooleanSupplier cancelled) {
        this.compute = clients.compute();
        this.network = clients.network();
        this.cancelled = cancelled;
    }

    @Override
    public Model read(String resourceGroup, String name) throws Exception {
        VirtualMachineScaleSetInner scaleSet = call(() -> compute.getVirtualMachineScaleSets()
                .getByResourceGroup(resourceGroup, name), "reading scale set " + resourceGroup + "/" + name);
        ImageReference image = scaleSet.virtualMachineProfile() == null
                || scaleSet.virtualMachineProfile().storageProfile() == null ? null
                : scaleSet.virtualMachineProfile().storageProfile().imageReference();
        ImageRef ref = imageRef(image);
        String policy = scaleSet.upgradePolicy() == null || scaleSet.upgradePolicy().mode() == null ? "Manual"
                : scaleSet.upgradePolicy().mode().toString();
        int capacity = scaleSet.sku() == null || scaleSet.sku().capacity() == null ? 0
                : scaleSet.sku().capacity().intValue();
        String orchestration = scaleSet.orchestrationMode() == null ? "Uniform"
                : scaleSet.orchestrationMode().toString();
        RollingUpgradePolicy rolling = scaleSet.upgradePolicy() == null ? null
                : scaleSet.upgradePolicy().rollingUpgradePolicy();
        RollingPolicy current = rolling == null ? null : new RollingPolicy(
                rolling.maxBatchInstancePercent() == null ? 20 : rolling.maxBatchInstancePercent(),
                rolling.maxUnhealthyInstancePercent() == null ? 20 : rolling.maxUnhealthyInstancePercent(),
                rolling.maxUnhealthyUpgradedInstancePercent() == null ? 20
                        : rolling.maxUnhealthyUpgradedInstancePercent(),
                rolling.pauseTimeBetweenBatches() == null ? 0
                        : Duration.parse(rolling.pauseTimeBetweenBatches()).toSeconds());
        return new Model(scaleSet.id(), ref, policy, capacity, orchestration, current, scaleSet.location(),
                scaleSet.tags());
    }

    private static ImageRef imageRef(ImageReference image) {
        if (image == null) {
            return ImageRef.of(null);
        }
        // A gallery shared directly or through a community gallery is referenced by an ID of its own kind.
        String id = image.id() != null ? image.id() : image.sharedGalleryImageId() != null
                ? image.sharedGalleryImageId() : image.communityGalleryImageId();
        return new ImageRef(id, image.publisher(), image.offer(), image.sku(), image.version());
    }

    @Override
    public void setImage(String resourceGroup, String name, ImageRef image, RollingPolicy rolling) throws Exception {
        ImageReference reference = image.id() == null ? new ImageReference().withPublisher(image.publisher())
                .withOffer(image.offer()).withSku(image.sku()).withVersion(image.version())
                : startsWithIgnoreCase(image.id(), "/SharedGalleries/")
                ? new ImageReference().withSharedGalleryImageId(image.id())
                : startsWithIgnoreCase(image.id(), "/CommunityGalleries/")
                ? new ImageReference().withCommunityGalleryImageId(image.id())
                : new ImageReference().withId(image.id());
        VirtualMachineScaleSetUpdate update = new VirtualMachineScaleSetUpdate().withVirtualMachineProfile(
                new VirtualMachineScaleSetUpdateVMProfile().withStorageProfile(
                        new VirtualMachineScaleSetUpdateStorageProfile().withImageReference(reference)));
        if (rolling != null) {
            update.withUpgradePolicy(upgradePolicy(rolling));
        }
        Lro.await(cancelled, "Updating the model of scale set " + name, OPERATION_LIMIT,
                () -> compute.getVirtualMachineScaleSets().beginUpdate(resourceGroup, name, update), null);
    }

    @Override
    public void update(String resourceGroup, String name, Map<String, String> tags, RollingPolicy rolling)
            throws Exception {
        // A PATCH without virtualMachineProfile leaves the model as it is: no instance falls behind it.
        VirtualMachineScaleSetUpdate update = new VirtualMachineScaleSetUpdate().withTags(tags);
        if (rolling != null) {
            update.withUpgradePolicy(upgradePolicy(rolling));
        }
        Lro.await(cancelled, "Updating scale set " + name, OPERATION_LIMIT,
                () -> compute.getVirtualMachineScaleSets().beginUpdate(resourceGroup, name, update), null);
    }

    /** The policy as given: the values were checked, or read from the scale set, before. */
    private static UpgradePolicy upgradePolicy(RollingPolicy rolling) {
        return new UpgradePolicy().withMode(UpgradeMode.ROLLING).withRollingUpgradePolicy(
                new RollingUpgradePolicy().withMaxBatchInstancePercent(rolling.maxBatchPercent())
                        .withMaxUnhealthyInstancePercent(rolling.maxUnhealthyPercent())
                        .withMaxUnhealthyUpgradedInstancePercent(rolling.maxUnhealthyUpgradedPercent())
                        .withPauseTimeBetweenBatches("PT" + rolling.pauseSeconds() + "S"));
    }

    @Override
    public String missing(ImageRef image, String location) {
        try {
            if (image.id() == null) {
                var images = compute.getVirtualMachineImages();
                if (image.version().equalsIgnoreCase("latest")) {
                    return images.list(location, image.publisher(), image.offer(), image.sku()).isEmpty()
                            ? "no version of " + image.describe() + " is offered in " + location : null;
                }
                images.get(location, image.publisher(), image.offer(), image.sku(), image.version());
                return null;
            }
            if (startsWithIgnoreCase(image.id(), "/SharedGalleries/")
                    || startsWithIgnoreCase(image.id(), "/CommunityGalleries/")) {
                return null; // readable only through the gallery's sharing; Azure checks it when the model changes
            }
            ResourceId id = ResourceId.fromString(image.id());
            if (!id.subscriptionId().equalsIgnoreCase(compute.getSubscriptionId())) {
                return null; // another subscription's clients would be needed; Azure checks it when the model changes
            }
            String rg = id.resourceGroupName();
            switch (id.resourceType().toLowerCase(Locale.ROOT)) {
                case "images" -> {
                    if (id.parent() != null && id.parent().resourceType().equalsIgnoreCase("galleries")) {
                        compute.getGalleryImages().get(rg, id.parent().name(), id.name());
                    } else {
                        compute.getImages().getByResourceGroup(rg, id.name());
                    }
                }
                case "versions" -> compute.getGalleryImageVersions().get(rg, id.parent().parent().name(),
                        id.parent().name(), id.name());
                default -> {
                    return "it is not a managed image, a gallery image or a gallery image version";
                }
            }
            return null;
        } catch (ManagementException e) {
            return AzureErrors.describe(e);
        } catch (IllegalArgumentException e) {
            return "it is not a resource ID: " + e.getMessage();
        }
    }

    @Override
    public void upgrade(String resourceGroup, String name, List<String> instanceIds) throws Exception {
        Lro.await(cancelled, "Upgrading instance(s) " + String.join(", ", instanceIds) + " of scale set " + name,
                OPERATION_LIMIT,
                () -> compute.getVirtualMachineScaleSets().beginUpdateInstances(resourceGroup, name,
                        new VirtualMachineScaleSetVMInstanceRequiredIDs().withInstanceIds(instanceIds)), null);
    }

    @Override
    public List<Instance> instances(String resourceGroup, String name) throws Exception {
        List<VirtualMachineScaleSetVMInner> vms = call(() -> compute.getVirtualMachineScaleSetVMs()
                .list(resourceGroup, name, null, null, "instanceView", com.azure.core.util.Context.NONE)
                .stream().toList(), "listing the instances of scale set " + name);
        return vms.stream().map(AzureScaleSets::instance)
                .sorted(Comparator.comparingLong(i -> numeric(i.instanceId()))).toList();
    }

    @Override
    public RollingStatus rollingStatus(String resourceGroup, String name) throws Exception {
        RollingUpgradeStatusInfoInner latest;
        try {
            latest = compute.getVirtualMachineScaleSetRollingUpgrades().getLatest(resourceGroup, name);
        } catch (ManagementException e) {
            if (e.getResponse() != null && e.getResponse().getStatusCode() == 404) {
                return null; // no rolling upgrade yet
            }
            throw new IllegalStateException("reading the rolling upgrade of " + name + ": "
                    + AzureErrors.describe(e), e);
        }
        if (latest == null || latest.runningStatus() == null) {
            return null;
        }
        var progress = latest.progress();
        return new RollingStatus(String.valueOf(latest.runningStatus().code()),
                String.valueOf(latest.runningStatus().startTime()),
                count(progress == null ? null : progress.successfulInstanceCount()),
                count(progress == null ? null : progress.failedInstanceCount()),
                count(progress == null ? null : progress.inProgressInstanceCount()),
                count(progress == null ? null : progress.pendingInstanceCount()),
                latest.error() == null ? null : latest.error().getCode() + ": " + latest.error().getMessage());
    }

    @Override
    public Address address(String resourceGroup, String name, String instanceId) throws Exception {
        List<NetworkInterfaceInner> nics = call(() -> network.getNetworkInterfaces()
                .listVirtualMachineScaleSetVMNetworkInterfaces(resourceGroup, name, instanceId).stream().toList(),
                "listing the network interfaces of instance " + instanceId);
        for (NetworkInterfaceInner nic : nics) {
            if (nics.size() > 1 && !Boolean.TRUE.equals(nic.primary())) {
                continue;
            }
            List<NetworkInterfaceIpConfigurationInner> configs = nic.ipConfigurations() == null ? List.of()
                    : nic.ipConfigurations();
            for (NetworkInterfaceIpConfigurationInner config : configs) {
                if (config.privateIpAddress() != null) {
                    Map<String, String> tags = nic.tags() == null ? Map.of() : nic.tags();
                    String port = tags.get(EMULATOR_SSH_PORT_TAG);
                    return new Address(config.privateIpAddress(), port == null ? null : Integer.valueOf(port));
                }
            }
        }
        return null;
    }

    private static Instance instance(VirtualMachineScaleSetVMInner vm) {
        String power = null;
        if (vm.instanceView() != null && vm.instanceView().statuses() != null) {
            for (InstanceViewStatus status : vm.instanceView().statuses()) {
                if (status.code() != null && status.code().startsWith("PowerState/")) {
                    power = status.code().substring("PowerState/".length());
                }
            }
        }
        return new Instance(vm.instanceId(), vm.name(), Boolean.TRUE.equals(vm.latestModelApplied()),
                vm.provisioningState(), power, imageRef(vm.storageProfile() == null ? null
                : vm.storageProfile().imageReference()));
    }

    private static long numeric(String id) {
        try {
            return Long.parseLong(id);
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    private static int count(Integer value) {
        return value == null ? 0 : value;
    }

    private interface Call<T> {
        T get();
    }

    private static <T> T call(Call<T> call, String what) {
        try {
            return call.get();
        } catch (HttpResponseException e) { // Azure's refusal (ManagementException), or a reply the SDK cannot read
            throw new IllegalStateException(what + " failed: " + AzureErrors.describe(e), e);
        }
    }

    private static boolean startsWithIgnoreCase(String text, String prefix) {
        return text.regionMatches(true, 0, prefix, 0, prefix.length());
    }
}
