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
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * {@code build --emulator} with {@code post scaleSet}: the scale set to roll out to, made when it does not exist yet
 * (three instances of the build's marketplace source, policy Manual), so that the roll-out has a fleet to act on.
 * Its admin user logs in with the key the {@code health} block names, when that file exists, so the health check
 * works without knowing where the emulator keeps its data; otherwise with a key made for it and kept in the
 * emulator's data folder, readable only by its owner. Either way the path is printed.
 */
final class EmulatedFleet {
    static final int INSTANCES = 3;

    private EmulatedFleet() {
    }

    /** @param templateFolder what the health block's key path is relative to, or null */
    static void ensure(AzureClients clients, ScaleSetPost target, String location, AzureBuilderSpec.ImageSource source,
                       Path dataFolder, Path templateFolder, PrintStream err) throws IOException {
        String rg = target.resourceGroup();
        Path madeKey = dataFolder.resolve("fleet-keys").resolve(rg + "_" + target.name());
        Path healthKey = healthKey(target, templateFolder);
        try {
            clients.compute().getVirtualMachineScaleSets().getByResourceGroup(rg, target.name());
            err.println("Scale set " + rg + "/" + target.name() + " exists" + (Files.exists(madeKey)
                    ? "; its admin user azureuser logs in with " + madeKey : healthKey != null
                    ? "; its admin user azureuser logs in with " + healthKey : ""));
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
        String key = healthKey == null ? null : publicKeyOf(healthKey);
        Path keyFile = healthKey;
        if (key == null) {
            OpenSshKeys keys = OpenSshKeys.generate("emulated-fleet");
            keyFile = madeKey;
            Files.createDirectories(keyFile.getParent());
            Files.writeString(keyFile, keys.privateKeyText());
            Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
            key = keys.publicLine();
        }
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
                + keyFile + (keyFile.equals(healthKey) ? " (the health block's key)" : healthKey != null
                ? " (the health block's key " + healthKey + " is not an OpenSSH key and has no .pub file beside it)"
                : ""));
    }

    /** The SSH key file the health block names, when it exists. */
    private static Path healthKey(ScaleSetPost target, Path templateFolder) {
        if (templateFolder == null || target.health() == null || target.health().privateKeyFile() == null) {
            return null;
        }
        String path = target.health().privateKeyFile();
        Path file = templateFolder.resolve(path.startsWith("~/") ? System.getProperty("user.home")
                + path.substring(1) : path).normalize();
        return Files.isReadable(file) ? file : null;
    }

    /**
     * The public key line of a private key file: from KEY.pub beside it, else from the OpenSSH format's unencrypted
     * header (also of a key with a passphrase); null for another format.
     */
    static String publicKeyOf(Path privateKey) throws IOException {
        Path pub = privateKey.resolveSibling(privateKey.getFileName() + ".pub");
        if (Files.isReadable(pub)) {
            return Files.readString(pub).trim();
        }
        String text = Files.readString(privateKey);
        String begin = "-----BEGIN OPENSSH PRIVATE KEY-----";
        int from = text.indexOf(begin);
        int to = text.indexOf("-----END OPENSSH PRIVATE KEY-----");
        if (from < 0 || to < from) {
            return null;
        }
        try {
            ByteBuffer in = ByteBuffer.wrap(Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to)));
            byte[] magic = "openssh-key-v1\0".getBytes(StandardCharsets.US_ASCII);
            byte[] head = new byte[magic.length];
            in.get(head);
            if (!Arrays.equals(head, magic)) {
                return null;
            }
            for (int skipped = 0; skipped < 3; skipped++) {
                string(in); // cipher, key derivation and its options
            }
            if (in.getInt() < 1) {
                return null;
            }
            byte[] blob = string(in);
            String type = new String(string(ByteBuffer.wrap(blob)), StandardCharsets.US_ASCII);
            return type + " " + Base64.getEncoder().encodeToString(blob);
        } catch (BufferUnderflowException | IllegalArgumentException | NegativeArraySizeException e) {
            return null;
        }
    }

    private static byte[] string(ByteBuffer in) {
        byte[] bytes = new byte[in.getInt()];
        in.get(bytes);
        return bytes;
    }
}
