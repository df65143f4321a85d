package dev.imagebake.emulator.vm

import com.azure.core.management.Region
import com.azure.resourcemanager.compute.ComputeManager
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetSkuTypes
import com.azure.resourcemanager.network.NetworkManager
import com.azure.resourcemanager.resources.fluentcore.utils.ResourceManagerUtils
import dev.imagebake.emulator.AzureSdkClients
import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.arm.Operations
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration

/**
 * Deleting a resource group ends the machines behind its VMs and scale set instances, as deleting each VM does:
 * nothing keeps answering SSH for resources that are gone.
 */
class ResourceGroupMachinesSpec extends Specification {
    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    ComputeManager compute

    @Shared
    NetworkManager network

    @Shared
    MachineShell shell

    def setupSpec() {
        ResourceManagerUtils.InternalRuntimeContext.setDelayProvider({ Duration d -> Duration.ofMillis(10) })
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('data'), 0, new Operations.Settings(0, 1,
                Duration.ofSeconds(10)), Emulator.Machines.SANDBOX))
        compute = new AzureSdkClients(emulator.cloudFile()).computeManager()
        network = compute.networkManager()
        shell = new MachineShell(dir, 'user')
    }

    def cleanupSpec() {
        emulator?.close()
    }

    def "should stop and remove the machines of a deleted resource group's VM and scale set instances"() {
        given: 'a VM and a two-instance scale set, all answering SSH'
        compute.resourceManager().resourceGroups().define('doomed').withRegion(Region.EUROPE_WEST).create()
        def vnet = network.networks().define('vnet').withRegion(Region.EUROPE_WEST).withExistingResourceGroup('doomed')
                .withAddressSpace('10.0.0.0/16').withSubnet('default', '10.0.0.0/24').create()
        def pip = network.publicIpAddresses().define('pip').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('doomed').withStaticIP().create()
        def nic = network.networkInterfaces().define('nic').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('doomed').withExistingPrimaryNetwork(vnet).withSubnet('default')
                .withPrimaryPrivateIPAddressDynamic().withExistingPrimaryPublicIPAddress(pip).create()
        def vm = compute.virtualMachines().define('vm').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('doomed').withExistingPrimaryNetworkInterface(nic)
                .withLatestLinuxImage('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
                .withRootUsername('azureuser').withSsh(shell.publicKey()).create()
        def scaleSet = compute.virtualMachineScaleSets().define('vmss').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('doomed').withSku(VirtualMachineScaleSetSkuTypes.STANDARD_A0)
                .withExistingPrimaryNetworkSubnet(vnet, 'default').withoutPrimaryInternetFacingLoadBalancer()
                .withoutPrimaryInternalLoadBalancer()
                .withLatestLinuxImage('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
                .withRootUsername('azureuser').withSsh(shell.publicKey()).withCapacity(2).create()
        List<String> addresses = [network.publicIpAddresses().getByResourceGroup('doomed', 'pip').ipAddress()] +
                scaleSet.virtualMachines().list().collect { it.listNetworkInterfaces().first().primaryPrivateIP() }
        Path machines = dir.resolve('data/vm/machines')
        assert addresses.every { shell.await(it, 'azureuser', 'hostname')[0] == 0 }
        assert Files.list(machines).withCloseable { it.count() } == 3
        assert Files.isDirectory(machines.resolve(vm.vmId()))

        when: 'the group is deleted, as az group delete and Packer do'
        compute.resourceManager().resourceGroups().deleteByName('doomed')

        then: 'no machine is left, and nothing answers on their addresses'
        !compute.resourceManager().resourceGroups().contain('doomed')
        Files.list(machines).withCloseable { it.count() } == 0
        addresses.every { refused(it) }
    }

    /** True when a TCP connection to the address's SSH port is refused: no machine listens there any more. */
    private static boolean refused(String address) {
        try {
            new Socket().withCloseable { it.connect(new InetSocketAddress(address, 22), 10_000) }
            false
        } catch (ConnectException e) {
            true
        }
    }
}
