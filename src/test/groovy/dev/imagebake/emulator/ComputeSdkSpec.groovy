package dev.imagebake.emulator

import com.azure.core.management.Region
import com.azure.core.management.exception.ManagementException
import com.azure.resourcemanager.compute.ComputeManager
import com.azure.resourcemanager.compute.models.DeleteOptions
import com.azure.resourcemanager.compute.models.HyperVGenerationTypes
import com.azure.resourcemanager.compute.models.OperatingSystemStateTypes
import com.azure.resourcemanager.compute.models.PowerState
import com.azure.resourcemanager.compute.models.VirtualMachine
import com.azure.resourcemanager.compute.models.VirtualMachineSizeTypes
import com.azure.resourcemanager.network.NetworkManager
import com.azure.resourcemanager.network.models.NetworkInterface
import com.azure.resourcemanager.network.models.PublicIPSkuType
import com.azure.resourcemanager.network.models.SecurityRuleProtocol
import com.azure.resourcemanager.resources.fluentcore.utils.ResourceManagerUtils
import dev.imagebake.emulator.arm.Operations
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration

/** The bake's compute sequence with the real Azure SDK's ComputeManager against the emulator. */
@Stepwise
class ComputeSdkSpec extends Specification {
    static final String SSH_KEY = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7emulatortestkeyonly imagebake@test'

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
    String rg = 'rg-bake'

    @Shared
    VirtualMachine vm

    @Shared
    NetworkInterface nic

    @Shared
    String imageId

    def setupSpec() {
        ResourceManagerUtils.InternalRuntimeContext.setDelayProvider({ Duration d -> Duration.ofMillis(10) })
        emulator = Emulator.start(new Emulator.Settings(dir, 0, new Operations.Settings(0, 1, Duration.ofSeconds(10))))
        compute = new AzureSdkClients(emulator.cloudFile()).computeManager()
        network = compute.networkManager()
        compute.resourceManager().resourceGroups().define(rg).withRegion(Region.EUROPE_WEST).create()
    }

    def cleanupSpec() {
        emulator?.close()
    }

    def "should create the network and a Linux VM from the marketplace image's latest version"() {
        given:
        def nsg = network.networkSecurityGroups().define('nsg-bake').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup(rg)
                .defineRule('ssh').allowInbound().fromAddress('203.0.113.7/32').fromAnyPort().toAnyAddress()
                .toPort(22).withProtocol(SecurityRuleProtocol.TCP).withPriority(100).attach()
                .create()
        def vnet = network.networks().define('vnet-bake').withRegion(Region.EUROPE_WEST).withExistingResourceGroup(rg)
                .withAddressSpace('10.0.0.0/16').withSubnet('default', '10.0.0.0/24').create()
        def pip = network.publicIpAddresses().define('pip-bake').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup(rg).withSku(PublicIPSkuType.STANDARD).withStaticIP().create()
        nic = network.networkInterfaces().define('nic-bake').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup(rg).withExistingPrimaryNetwork(vnet).withSubnet('default')
                .withPrimaryPrivateIPAddressDynamic().withExistingPrimaryPublicIPAddress(pip)
                .withExistingNetworkSecurityGroup(nsg).create()

        when:
        vm = compute.virtualMachines().define('vm-bake').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup(rg)
                .withExistingPrimaryNetworkInterface(nic)
                .withLatestLinuxImage('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
                .withRootUsername('azureuser')
                .withSsh(SSH_KEY)
                .withSize(VirtualMachineSizeTypes.STANDARD_B2S)
                .create()

        then:
        vm.provisioningState() == 'Succeeded'
        def image = vm.storageProfile().imageReference()
        image.version() == 'latest'
        image.exactVersion() == '22.04.202502060'
        vm.osDiskId() ==~ /(?i).*\/resourceGroups\/rg-bake\/providers\/Microsoft.Compute\/disks\/vm-bake_OsDisk_1_[0-9a-f]{32}/
        vm.primaryNetworkInterfaceId().equalsIgnoreCase(nic.id())
        vm.refreshInstanceView().statuses()*.code().containsAll(['ProvisioningState/succeeded', 'PowerState/running'])
        vm.powerState() == PowerState.RUNNING

        and: 'the NIC is attached and the OS disk exists, managed by the VM'
        network.networkInterfaces().getById(nic.id()).virtualMachineId().equalsIgnoreCase(vm.id())
        def disk = compute.disks().getById(vm.osDiskId())
        disk.isAttachedToVirtualMachine()
        disk.virtualMachineId().equalsIgnoreCase(vm.id())
        compute.disks().listByResourceGroup(rg).collect { it.name() } == [disk.name()]

        and: 'the PUT answered 201 with an Azure-AsyncOperation that was polled'
        def put = requests().find { it.method == 'PUT' && it.path.contains('/virtualMachines/vm-bake') }
        put.status == 201
        requests().any { it.path.toLowerCase().contains('/providers/microsoft.compute/locations/westeurope/operations/') }
    }

    def "should refuse to delete the NIC while the VM uses it"() {
        when:
        network.networkInterfaces().deleteById(nic.id())

        then:
        def e = thrown(ManagementException)
        e.value.code == 'NicInUse'
    }

    def "should refuse to generalize a running VM"() {
        when:
        vm.generalize()

        then:
        def e = thrown(ManagementException)
        e.response.statusCode == 409
        e.value.code == 'OperationNotAllowed'
        e.value.message.contains('since the VM is running')
    }

    def "should power off and deallocate the VM"() {
        when:
        vm.powerOff()
        vm.refreshInstanceView()

        then:
        vm.powerState() == PowerState.STOPPED

        when:
        vm.deallocate()
        vm.refreshInstanceView()

        then:
        vm.powerState() == PowerState.DEALLOCATED

        and: 'the actions answered 202, the SDK sent /powerOff as written'
        def posts = requests().findAll { it.method == 'POST' && it.path.contains('/virtualMachines/vm-bake/') }
        posts.find { it.path.endsWith('/powerOff') }.status == 202
        posts.find { it.path.endsWith('/deallocate') }.status == 202
    }

    def "should generalize the deallocated VM and then refuse to start it"() {
        when:
        vm.generalize()

        then:
        vm.refreshInstanceView().statuses()*.code().contains('OSState/generalized')
        requests().find { it.method == 'POST' && it.path.endsWith('/generalize') && it.status == 200 }

        when:
        vm.start()

        then:
        def e = thrown(ManagementException)
        e.value.code == 'OperationNotAllowed'
        e.value.message.contains('generalized')
    }

    def "should capture a managed image from the generalized VM"() {
        when:
        def image = compute.virtualMachineCustomImages().define('img-bake').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup(rg).withHyperVGeneration(HyperVGenerationTypes.V2).fromVirtualMachine(vm)
                .create()
        imageId = image.id()

        then:
        image.innerModel().provisioningState() == 'Succeeded'
        image.isCreatedFromVirtualMachine()
        image.sourceVirtualMachineId().equalsIgnoreCase(vm.id())
        image.osDiskImage().osState() == OperatingSystemStateTypes.GENERALIZED
        image.hyperVGeneration() == HyperVGenerationTypes.V2
        compute.virtualMachineCustomImages().listByResourceGroup(rg).collect { it.name() } == ['img-bake']
    }

    def "should delete the VM, then the NIC, public IP, NSG, VNet and the left-over disk"() {
        given:
        def diskId = vm.osDiskId()

        when:
        compute.virtualMachines().deleteById(vm.id())

        then: 'the NIC is detached and the OS disk (deleteOption Detach) is left behind, unattached'
        compute.virtualMachines().listByResourceGroup(rg).isEmpty()
        network.networkInterfaces().getById(nic.id()).virtualMachineId() == null
        !compute.disks().getById(diskId).isAttachedToVirtualMachine()

        when:
        network.networkInterfaces().deleteByResourceGroup(rg, 'nic-bake')
        network.publicIpAddresses().deleteByResourceGroup(rg, 'pip-bake')
        network.networkSecurityGroups().deleteByResourceGroup(rg, 'nsg-bake')
        network.networks().deleteByResourceGroup(rg, 'vnet-bake')
        compute.disks().deleteById(diskId)

        then:
        network.networkInterfaces().listByResourceGroup(rg).isEmpty()
        network.publicIpAddresses().listByResourceGroup(rg).isEmpty()
        network.networkSecurityGroups().listByResourceGroup(rg).isEmpty()
        network.networks().listByResourceGroup(rg).isEmpty()
        compute.disks().listByResourceGroup(rg).isEmpty()

        and: 'the managed image outlives its source'
        compute.virtualMachineCustomImages().getById(imageId).name() == 'img-bake'

        when:
        compute.virtualMachines().getByResourceGroup(rg, 'vm-bake')

        then:
        def gone = thrown(ManagementException)
        gone.response.statusCode == 404
    }

    def "should create a VM from the managed image whose OS disk goes with it"() {
        given:
        def vnet = network.networks().define('vnet-2').withRegion(Region.EUROPE_WEST).withExistingResourceGroup(rg)
                .withAddressSpace('10.1.0.0/16').withSubnet('default', '10.1.0.0/24').create()
        def nic2 = network.networkInterfaces().define('nic-2').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup(rg).withExistingPrimaryNetwork(vnet).withSubnet('default')
                .withPrimaryPrivateIPAddressDynamic().create()

        when:
        def vm2 = compute.virtualMachines().define('vm-2').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup(rg)
                .withExistingPrimaryNetworkInterface(nic2)
                .withGeneralizedLinuxCustomImage(imageId)
                .withRootUsername('azureuser')
                .withSsh(SSH_KEY)
                .withOSDiskDeleteOptions(DeleteOptions.DELETE)
                .withSize(VirtualMachineSizeTypes.STANDARD_B2S)
                .create()

        then:
        vm2.storageProfile().imageReference().id().equalsIgnoreCase(imageId)
        vm2.osDiskDeleteOptions() == DeleteOptions.DELETE
        compute.disks().listByResourceGroup(rg).size() == 1

        when:
        compute.virtualMachines().deleteById(vm2.id())
        compute.virtualMachineCustomImages().deleteById(imageId)
        network.networkInterfaces().deleteById(nic2.id())
        network.networks().deleteById(vnet.id())

        then:
        compute.disks().listByResourceGroup(rg).isEmpty()
        compute.virtualMachineCustomImages().listByResourceGroup(rg).isEmpty()
        compute.virtualMachines().listByResourceGroup(rg).isEmpty()
        network.networkInterfaces().listByResourceGroup(rg).isEmpty()
    }

    def "should have served every call the SDK made, refusing only what the spec provoked"() {
        expect:
        def failed = requests().findAll { (it.status as int) >= 400 }
        failed.every { (it.status as int) < 500 }
        failed.collect { "${it.method} ${it.status}" as String } as Set == ['DELETE 400', 'POST 409', 'GET 404'] as Set
    }

    private List<Map> requests() {
        Files.readAllLines(dir.resolve('requests.log')).collect { new JsonSlurper().parseText(it) as Map }
    }
}
