package dev.imagebake.builder.azure;

import com.azure.core.management.SubResource;
import com.azure.resourcemanager.network.fluent.NetworkManagementClient;
import com.azure.resourcemanager.network.fluent.models.NetworkInterfaceInner;
import com.azure.resourcemanager.network.fluent.models.NetworkInterfaceIpConfigurationInner;
import com.azure.resourcemanager.network.fluent.models.NetworkSecurityGroupInner;
import com.azure.resourcemanager.network.fluent.models.PublicIpAddressInner;
import com.azure.resourcemanager.network.fluent.models.SecurityRuleInner;
import com.azure.resourcemanager.network.fluent.models.SubnetInner;
import com.azure.resourcemanager.network.fluent.models.VirtualNetworkInner;
import com.azure.resourcemanager.network.models.AddressSpace;
import com.azure.resourcemanager.network.models.IpAllocationMethod;
import com.azure.resourcemanager.network.models.PublicIpAddressSku;
import com.azure.resourcemanager.network.models.PublicIpAddressSkuName;
import com.azure.resourcemanager.network.models.SecurityRuleAccess;
import com.azure.resourcemanager.network.models.SecurityRuleDirection;
import com.azure.resourcemanager.network.models.SecurityRuleProtocol;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.BuildStep;
import dev.imagebake.engine.StepFailedException;
import dev.imagebake.plan.AzureBuilderSpec;
import dev.imagebake.util.DaemonThreads;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The build machine's network: a security group that admits SSH only from the caller, a virtual network (or the
 * user's existing subnet), a static public address unless {@code privateIp}, and the network interface. The first
 * three do not depend on each other and are created in parallel.
 */
final class StepCreateNetwork implements BuildStep {
    private final AzureBuild build;
    /**
     * Resource ids this step created or asked for, in order; cleanup deletes them in reverse. Each is recorded before
     * its create request: a request that Ctrl-C or a timeout cuts short may still have made the resource.
     */
    private final List<String> created = Collections.synchronizedList(new ArrayList<>());

    StepCreateNetwork(AzureBuild build) {
        this.build = build;
    }

    @Override
    public String name() {
        return "create network";
    }

    @Override
    public void run(BuildContext context) throws Exception {
        AzureBuilderSpec.Network net = build.spec.network() != null ? build.spec.network()
                : new AzureBuilderSpec.Network(null, null, null, false, List.of());
        List<String> sources = sshSources(context, net);
        NetworkManagementClient client = build.clients.network();
        String rg = build.resourceGroup;
        boolean existingNetwork = net.virtualNetwork() != null;
        boolean publicIp = !net.privateIp();

        CompletableFuture<String> nsg = DaemonThreads.start("imagebake-azure-create", () -> {
            NetworkSecurityGroupInner group = new NetworkSecurityGroupInner();
            group.withLocation(build.location).withTags(build.tags);
            group.withSecurityRules(List.of(new SecurityRuleInner().withName("ssh-from-builder")
                    .withProtocol(SecurityRuleProtocol.TCP).withAccess(SecurityRuleAccess.ALLOW)
                    .withDirection(SecurityRuleDirection.INBOUND).withPriority(100)
                    .withSourceAddressPrefixes(sources).withSourcePortRange("*")
                    .withDestinationAddressPrefix("*").withDestinationPortRange("22")));
            created.add(build.resourceId("Microsoft.Network", "networkSecurityGroups", build.name("nsg")));
            Lro.await(context, "creating network security group", build.operationLimit(),
                    () -> client.getNetworkSecurityGroups().beginCreateOrUpdate(rg, build.name("nsg"), group));
            String id = Lro.read("network security group " + build.name("nsg"),
                    () -> client.getNetworkSecurityGroups().getByResourceGroup(rg, build.name("nsg"))).id();
            return requireId(id, "network security group " + build.name("nsg"));
        });
        CompletableFuture<String> subnet = DaemonThreads.start("imagebake-azure-create", () -> {
            if (existingNetwork) {
                try {
                    return client.getSubnets().get(net.resourceGroup(), net.virtualNetwork(), net.subnet()).id();
                } catch (RuntimeException e) {
                    throw new StepFailedException("cannot use subnet " + net.subnet() + " of virtual network "
                            + net.virtualNetwork() + " in " + net.resourceGroup() + ": " + AzureErrors.describe(e), e);
                }
            }
            VirtualNetworkInner vnet = new VirtualNetworkInner();
            vnet.withLocation(build.location).withTags(build.tags);
            vnet.withAddressSpace(new AddressSpace().withAddressPrefixes(List.of("10.0.0.0/16")))
                    .withSubnets(List.of(new SubnetInner().withName("build").withAddressPrefix("10.0.0.0/24")));
            created.add(build.resourceId("Microsoft.Network", "virtualNetworks", build.name("vnet")));
            Lro.await(context, "creating virtual network", build.operationLimit(),
                    () -> client.getVirtualNetworks().beginCreateOrUpdate(rg, build.name("vnet"), vnet));
            VirtualNetworkInner made = Lro.read("virtual network " + build.name("vnet"),
                    () -> client.getVirtualNetworks().getByResourceGroup(rg, build.name("vnet")));
            if (made.subnets() == null || made.subnets().isEmpty()) {
                throw new StepFailedException("reading virtual network " + build.name("vnet")
                        + " failed: Azure reports it without its subnet");
            }
            return requireId(made.subnets().get(0).id(), "the subnet of virtual network " + build.name("vnet"));
        });
        CompletableFuture<String> pip = DaemonThreads.start("imagebake-azure-create", () -> {
            if (!publicIp) {
                return null;
            }
            PublicIpAddressInner address = new PublicIpAddressInner();
            address.withLocation(build.location).withTags(build.tags);
            address.withSku(new PublicIpAddressSku().withName(PublicIpAddressSkuName.STANDARD))
                    .withPublicIpAllocationMethod(IpAllocationMethod.STATIC);
            created.add(build.resourceId("Microsoft.Network", "publicIPAddresses", build.name("pip")));
            Lro.await(context, "creating public IP address", build.operationLimit(),
                    () -> client.getPublicIpAddresses().beginCreateOrUpdate(rg, build.name("pip"), address));
            String id = Lro.read("public IP address " + build.name("pip"),
                    () -> client.getPublicIpAddresses().getByResourceGroup(rg, build.name("pip"))).id();
            return requireId(id, "public IP address " + build.name("pip"));
        });
        // Wait for all three before failing, so that cleanup sees everything that was made.
        try {
            CompletableFuture.allOf(nsg, subnet, pip).exceptionally(failure -> null).get();
        } catch (InterruptedException e) {
            // Ctrl-C: stop the three where they are; the resource group's cleanup removes whatever they made.
            nsg.cancel(true);
            subnet.cancel(true);
            pip.cancel(true);
            throw e;
        }
        String nsgId = join(nsg);
        build.subnetId = join(subnet);
        build.publicIpId = join(pip);

        NetworkInterfaceIpConfigurationInner ip = new NetworkInterfaceIpConfigurationInner().withName("ipconfig")
                .withPrivateIpAllocationMethod(IpAllocationMethod.DYNAMIC)
                .withSubnet(new SubnetInner().withId(build.subnetId));
        if (build.publicIpId != null) {
            ip.withPublicIpAddress(new PublicIpAddressInner().withId(build.publicIpId));
        }
        NetworkInterfaceInner nic = new NetworkInterfaceInner()
                .withNetworkSecurityGroup(new NetworkSecurityGroupInner().withId(nsgId))
                .withIpConfigurations(List.of(ip));
        nic.withLocation(build.location).withTags(build.tags);
        created.add(build.resourceId("Microsoft.Network", "networkInterfaces", build.name("nic")));
        Lro.await(context, "creating network interface", build.operationLimit(),
                () -> client.getNetworkInterfaces().beginCreateOrUpdate(rg, build.name("nic"), nic));
        build.nicId = requireId(Lro.read("network interface " + build.name("nic"),
                () -> client.getNetworkInterfaces().getByResourceGroup(rg, build.name("nic"))).id(),
                "network interface " + build.name("nic"));
        context.info("network ready: SSH allowed from " + String.join(", ", sources)
                + (existingNetwork ? " into subnet " + net.subnet() : ""));
    }

    private List<String> sshSources(BuildContext context, AzureBuilderSpec.Network net) throws StepFailedException {
        if (!net.allowedSshFrom().isEmpty()) {
            return net.allowedSshFrom();
        }
        if (build.clients.cloud().loopback()) {
            return List.of("127.0.0.0/8");
        }
        if (net.privateIp()) {
            return List.of("VirtualNetwork");
        }
        try {
            java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> reply = http.send(HttpRequest.newBuilder(URI.create("https://api.ipify.org"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            String address = reply.body().trim();
            if (reply.statusCode() == 200 && address.matches("[0-9a-fA-F:.]+")) {
                context.info("this host's public address is " + address);
                return List.of(address);
            }
        } catch (java.io.IOException | InterruptedException e) {
            // fall through to the message below
        }
        throw new StepFailedException("cannot detect this host's public address to restrict SSH to it; "
                + "set it in the builder: allowSshFrom '203.0.113.7/32'");
    }

    @Override
    public void cleanup(BuildContext context) throws Exception {
        if (build.temporaryGroup) {
            return; // the resource group's deletion takes all of it
        }
        List<String> ids = new ArrayList<>(created);
        Collections.reverse(ids);
        // The NIC must go before the address, group and network it uses.
        ids.sort((a, b) -> Boolean.compare(!a.contains("/networkInterfaces/"), !b.contains("/networkInterfaces/")));
        for (String id : ids) {
            Resources.delete(context, build, id);
            created.remove(id);
        }
    }

    @Override
    public List<String> leftovers(BuildContext context) {
        return build.temporaryGroup ? List.of() : List.copyOf(created);
    }

    private static String requireId(String id, String what) throws StepFailedException {
        if (id == null || id.isEmpty()) {
            throw new StepFailedException("reading " + what + " failed: Azure reports it without an id");
        }
        return id;
    }

    private static <T> T join(CompletableFuture<T> future) throws Exception {
        try {
            return future.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception ex) {
                throw ex;
            }
            throw e;
        }
    }
}
