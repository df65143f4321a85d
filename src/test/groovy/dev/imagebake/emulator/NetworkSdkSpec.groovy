package dev.imagebake.emulator

import com.azure.core.management.Region
import com.azure.core.management.exception.ManagementException
import com.azure.resourcemanager.network.NetworkManager
import com.azure.resourcemanager.network.models.PublicIPSkuType
import com.azure.resourcemanager.network.models.IpAllocationMethod
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

/** The real Azure SDK's NetworkManager creating, reading and deleting the bake's network in the emulator. */
@Stepwise
class NetworkSdkSpec extends Specification {
    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    NetworkManager network

    @Shared
    String rg = 'rg-net'

    def setupSpec() {
        // Retry-After 0 makes the SDK fall back to its default poll interval, which the delay provider shortens;
        // one InProgress answer per operation still exercises the polling.
        ResourceManagerUtils.InternalRuntimeContext.setDelayProvider({ Duration d -> Duration.ofMillis(10) })
        emulator = Emulator.start(new Emulator.Settings(dir, 0, new Operations.Settings(0, 1, Duration.ofSeconds(10))))
        network = new AzureSdkClients(emulator.cloudFile()).networkManager()
        network.resourceManager().resourceGroups().define(rg).withRegion(Region.EUROPE_WEST).create()
    }

    def cleanupSpec() {
        emulator?.close()
    }

    def "should create the bake's NSG, VNet, public IP and NIC"() {
        when:
        def nsg = network.networkSecurityGroups().define('nsg-bake').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup(rg)
                .defineRule('ssh').allowInbound().fromAddress('203.0.113.7/32').fromAnyPort().toAnyAddress()
                .toPort(22).withProtocol(SecurityRuleProtocol.TCP).withPriority(100).attach()
                .withTag('purpose', 'bake')
                .create()
        def vnet = network.networks().define('vnet-bake').withRegion(Region.EUROPE_WEST).withExistingResourceGroup(rg)
                .withAddressSpace('10.0.0.0/16').withSubnet('default', '10.0.0.0/24').create()
        def pip = network.publicIpAddresses().define('pip-bake').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup(rg).withSku(PublicIPSkuType.STANDARD).withStaticIP().create()
        def nic = network.networkInterfaces().define('nic-bake').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup(rg).withExistingPrimaryNetwork(vnet).withSubnet('default')
                .withPrimaryPrivateIPAddressDynamic().withExistingPrimaryPublicIPAddress(pip)
                .withExistingNetworkSecurityGroup(nsg).create()

        then:
        nsg.securityRules().ssh.sourceAddressPrefix() == '203.0.113.7/32'
        nsg.securityRules().ssh.destinationPortRange() == '22'
        nsg.tags() == [purpose: 'bake']
        vnet.subnets().keySet() == ['default'] as Set
        vnet.addressSpaces() == ['10.0.0.0/16']
        pip.sku() == PublicIPSkuType.STANDARD
        pip.ipAllocationMethod() == IpAllocationMethod.STATIC
        pip.ipAddress() ==~ /20\.\d+\.\d+\.\d+/
        nic.primaryPrivateIP() == '10.0.0.4'
        nic.primaryIPConfiguration().publicIpAddressId().equalsIgnoreCase(pip.id())
        nic.networkSecurityGroupId().equalsIgnoreCase(nsg.id())
        [nsg, vnet, pip, nic].every { it.innerModel().provisioningState().toString() == 'Succeeded' }

        and: 'PUTs answered 201 with an Azure-AsyncOperation that was polled to Succeeded'
        def log = requests()
        def puts = log.findAll { it.method == 'PUT' && it.path.contains('/Microsoft.Network/') }
        puts*.status.every { it == 201 }
        log.any { it.path.toLowerCase().contains('/providers/microsoft.network/locations/westeurope/operations/') }
    }

    def "should read them back"() {
        when:
        def nsg = network.networkSecurityGroups().getByResourceGroup(rg, 'nsg-bake')
        def vnet = network.networks().getByResourceGroup(rg, 'VNET-BAKE')
        def pip = network.publicIpAddresses().getByResourceGroup(rg, 'pip-bake')
        def nic = network.networkInterfaces().getByResourceGroup(rg, 'nic-bake')

        then:
        nsg.id() == "/subscriptions/${emulator.identity().subscriptionId()}/resourceGroups/$rg/providers/Microsoft.Network/networkSecurityGroups/nsg-bake"
        nsg.securityRules().keySet() == ['ssh'] as Set
        nsg.networkInterfaceIds()*.toLowerCase() == [nic.id().toLowerCase()]
        vnet.name() == 'vnet-bake'
        vnet.subnets().default.addressPrefix() == '10.0.0.0/24'
        vnet.subnets().default.networkInterfaceIPConfigurationCount() == 1
        pip.hasAssignedNetworkInterface()
        pip.getAssignedNetworkInterfaceIPConfiguration().parent().name() == 'nic-bake'
        nic.primaryIPConfiguration().subnetName() == 'default'
        network.networkInterfaces().listByResourceGroup(rg).collect { it.name() } == ['nic-bake']
        network.publicIpAddresses().listByResourceGroup(rg).collect { it.name() } == ['pip-bake']
    }

    def "should refuse to delete what the NIC still uses, with Azure's codes"() {
        when:
        network.publicIpAddresses().deleteByResourceGroup(rg, 'pip-bake')

        then:
        def e = thrown(ManagementException)
        e.response.statusCode == 400
        e.value.code == 'PublicIPAddressInUse'

        when:
        network.networks().deleteByResourceGroup(rg, 'vnet-bake')

        then:
        def subnetInUse = thrown(ManagementException)
        subnetInUse.value.code == 'InUseSubnetCannotBeDeleted'

        when: 'through the generated client: the fluent one detaches the NSG from its NICs before deleting it'
        network.serviceClient().networkSecurityGroups.delete(rg, 'nsg-bake')

        then:
        def nsgInUse = thrown(ManagementException)
        nsgInUse.value.code == 'InUseNetworkSecurityGroupCannotBeDeleted'

        and: 'nothing was deleted'
        network.publicIpAddresses().getByResourceGroup(rg, 'pip-bake').innerModel().provisioningState().toString() == 'Succeeded'
    }

    def "should delete the NIC first, then the public IP, NSG and VNet"() {
        when:
        network.networkInterfaces().deleteByResourceGroup(rg, 'nic-bake')
        network.publicIpAddresses().deleteByResourceGroup(rg, 'pip-bake')
        network.networkSecurityGroups().deleteByResourceGroup(rg, 'nsg-bake')
        network.networks().deleteByResourceGroup(rg, 'vnet-bake')

        then:
        network.networkInterfaces().listByResourceGroup(rg).isEmpty()
        network.publicIpAddresses().listByResourceGroup(rg).isEmpty()
        network.networkSecurityGroups().listByResourceGroup(rg).isEmpty()
        network.networks().listByResourceGroup(rg).isEmpty()

        and: 'the deletions answered 202 with both headers, and the SDK read the Location at the end'
        def log = requests()
        log.findAll { it.method == 'DELETE' && it.path.contains('/Microsoft.Network/') && it.status != 400 }*.status
                .every { it == 202 }
        log.any { it.path.toLowerCase().contains('/operationresults/') && it.status == 200 }

        when:
        network.publicIpAddresses().getByResourceGroup(rg, 'pip-bake')

        then:
        def gone = thrown(ManagementException)
        gone.response.statusCode == 404
        gone.value.code == 'ResourceNotFound'
    }

    private List<Map> requests() {
        Files.readAllLines(dir.resolve('requests.log')).collect { new JsonSlurper().parseText(it) as Map }
    }
}
