package dev.imagebake.cli;

import com.azure.core.management.exception.ManagementException;
import com.azure.resourcemanager.compute.fluent.models.VirtualMachineScaleSetInner;
import com.azure.resourcemanager.compute.models.ApiEntityReference;
import com.azure.resourcemanager.compute.models.ImageReference;
import com.azure.resourcemanager.compute.models.LinuxConfiguration;
import com.azure.resourcemanager.compute.models.Sku;
import com.azure.resourcemanager.compute.models.SshConfiguration;
import com.azure.resourcemanager.compute.models.SshPublicKey;
import com.azure.resourcemanager.compute.models.UpgradeMode;
import com.azure.resourcemanager.compute.models.UpgradePolicy;
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetIpConfiguration;
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetNetworkConfiguration;
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetNetworkProfile;
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetOSProfile;
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetStorageProfile;
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetVMProfile;
import com.azure.resourcemanager.network.fluent.models.SubnetInner;
import com.azure.resourcemanager.network.fluent.models.VirtualNetworkInner;
import com.azure.resourcemanager.network.models.AddressSpace;
import com.azure.resourcemanager.resources.fluent.models.ResourceGroupInner;
import dev.imagebake.builder.azure.AzureClients;
import dev.imagebake.builder.azure.OpenSshKeys;
import dev.imagebake.plan.AzureBuilderSpec;
import dev.imagebake.plan.ScaleSetPost;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * {@code build --emulator} with {@code post scaleSet}: the scale set to roll out to, made when it does not exist yet
 * (three instances of the build's marketplace source, policy Manual), so that the roll-out has a fleet to act on.
 * The admin user's private key is kept in the emulator's data folder, readable only by its owner, for health
 * checks and for looking at the instances.
 */
final class EmulatedFleet {
    static final int INSTANCES = 3;

    private EmulatedFleet() {
    }

    static void ensure(AzureClients clients, ScaleSetPost target, String location, AzureBuilderSpec.ImageSource source,
                       Path dataFolder, PrintStream err) throws IOException {
        String rg = target.resourceGroup();
        try {
            clients.compute().getVirtualMachineScaleSets().getByResourceGroup(rg, target.name());
            return;
        } catch (ManagementException e) {
            if (e.getResponse() == null || e.getResponse().getStatusCode() != 404) {
                throw e;
            }
        }
        clients.resources().getResourceGroups().createOrUpdate(rg, new ResourceGroupInner().withLocation(location));
        String vnetName = target.name() + "-vnet";
        VirtualNetworkInner vnet = clients.network().getVirtualNetworks().createOrUpdate(rg, vnetName,
                new VirtualNetworkInner().withLocation(location)
                        .withAddressSpace(new AddressSpace().withAddressPrefixes(List.of("10.20.0.0/16")))
                        .withSubnets(List.of(new SubnetInner().withName("default").withAddressPrefix("10.20.0.0/24"))));
        ImageReference image = source instanceof AzureBuilderSpec.Marketplace m
                ? new ImageReference().withPublisher(m.publisher()).withOffer(m.offer()).withSku(m.sku())
                .withVersion(m.version() == null ? "latest" : m.version())
                : new ImageReference().withPublisher("Canonical").withOffer("0001-com-ubuntu-server-jammy")
                .withSku("22_04-lts-gen2").withVersion("latest");
        OpenSshKeys keys = OpenSshKeys.generate("emulated-fleet");
        Path keyFile = dataFolder.resolve("fleet-keys").resolve(rg + "_" + target.name());
        Files.createDirectories(keyFile.getParent());
        Files.writeString(keyFile, keys.privateKeyText());
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        String key = keys.publicLine();
        VirtualMachineScaleSetInner scaleSet = new VirtualMachineScaleSetInner().withLocation(location)
                .withSku(new Sku().withName("Standard_B1s").withTier("Standard").withCapacity((long) INSTANCES))
                .withUpgradePolicy(new UpgradePolicy().withMode(UpgradeMode.MANUAL))
                .withVirtualMachineProfile(new VirtualMachineScaleSetVMProfile()
                        .withOsProfile(new VirtualMachineScaleSetOSProfile().withComputerNamePrefix(target.name())
                                .withAdminUsername("azureuser").withLinuxConfiguration(new LinuxConfiguration()
                                        .withDisablePasswordAuthentication(true).withSsh(new SshConfiguration()
                                                .withPublicKeys(List.of(new SshPublicKey().withKeyData(key)
                                                        .withPath("/home/azureuser/.ssh/authorized_keys"))))))
                        .withStorageProfile(new VirtualMachineScaleSetStorageProfile().withImageReference(image))
                        .withNetworkProfile(new VirtualMachineScaleSetNetworkProfile().withNetworkInterfaceConfigurations(
                                List.of(new VirtualMachineScaleSetNetworkConfiguration().withName("nic").withPrimary(true)
                                        .withIpConfigurations(List.of(new VirtualMachineScaleSetIpConfiguration()
                                                .withName("ip").withSubnet(new ApiEntityReference()
                                                        .withId(vnet.subnets().get(0).id()))))))));
        clients.compute().getVirtualMachineScaleSets().createOrUpdate(rg, target.name(), scaleSet);
        err.println("Created scale set " + rg + "/" + target.name() + " (" + INSTANCES + " instances of the source"
                + " image, policy Manual) for post scaleSet to roll out to; its admin user azureuser logs in with "
                + keyFile);
    }
}
