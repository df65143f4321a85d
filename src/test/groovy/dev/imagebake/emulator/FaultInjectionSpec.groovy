package dev.imagebake.emulator

import com.azure.core.management.Region
import com.azure.core.management.exception.ManagementException
import com.azure.resourcemanager.network.NetworkManager
import com.azure.resourcemanager.resources.fluentcore.utils.ResourceManagerUtils
import dev.imagebake.emulator.arm.Conditions
import dev.imagebake.emulator.arm.Operations
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration

import static dev.imagebake.emulator.RawArm.json

/**
 * Injected failures, set through {@link Emulator.Settings} as {@code --fault} sets them, seen by the real SDK and on
 * the wire. Operations are overdue at once here, so only a hanging one can still be InProgress later.
 */
class FaultInjectionSpec extends Specification {
    static final String NET = 'api-version=2025-03-01'

    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    RawArm arm

    @Shared
    NetworkManager network

    def setupSpec() {
        ResourceManagerUtils.InternalRuntimeContext.setDelayProvider({ Duration d -> Duration.ofMillis(10) })
        emulator = Emulator.start(new Emulator.Settings(dir, 0, new Operations.Settings(1, 1, Duration.ZERO))
                .withConditions(Conditions.DEFAULT.withFaults(
                        'PUT resourceGroups:500',
                        'PUT */networkSecurityGroups/nsg-busy:429x2,retry-after=1',
                        'PUT virtualNetworks:lro-failed=InternalExecutionError',
                        'DELETE publicIPAddresses:hang',
                        'POST */virtualMachines/*/deallocate:409,code=OperationNotAllowed')))
        arm = new RawArm(emulator)
        network = new AzureSdkClients(emulator.cloudFile()).networkManager()
    }

    def cleanupSpec() {
        emulator?.close()
    }

    List<Map> requests() {
        Files.readAllLines(dir.resolve('requests.log')).collect { new JsonSlurper().parseText(it) as Map }
    }

    def "should fail the first resource group PUT with 500, which the SDK retries transparently"() {
        when:
        def group = network.resourceManager().resourceGroups().define('rg-faults').withRegion(Region.EUROPE_WEST).create()

        then:
        group.name() == 'rg-faults'
        def puts = requests().findAll { it.method == 'PUT' && it.path.endsWith('/rg-faults') }
        puts*.status == [500, 201]
        puts[0].error == 'InternalServerError'
        puts[0].fault == 'PUT resourceGroups:500'
        puts[1].fault == null

        when: 'the fault was used up'
        def again = arm.call('PUT', "${arm.sub()}/resourcegroups/rg-later?api-version=1", [location: 'westeurope'])

        then:
        again.statusCode() == 201
    }

    def "should answer 429 with Retry-After twice, then let the request through"() {
        when:
        def replies = (1..3).collect {
            arm.call('PUT', "${arm.sub()}/resourceGroups/rg-faults/providers/Microsoft.Network/networkSecurityGroups/nsg-busy?$NET",
                    [location: 'westeurope'])
        }

        then:
        replies*.statusCode() == [429, 429, 201]
        replies[0..1].every { it.headers().firstValue('Retry-After').get() == '1' }
        json(replies[0]).error == [code   : 'SubscriptionRequestsThrottled',
                                   message: "Injected fault 'PUT */networkSecurityGroups/nsg-busy:429x2,retry-after=1' (imagebake emulator)."]
        replies[0].headers().firstValue('x-imagebake-fault').get() == 'PUT */networkSecurityGroups/nsg-busy:429x2,retry-after=1'
        replies[0].headers().firstValue('x-ms-request-id').isPresent()
    }

    def "should end a VNet creation Failed with the code, which the SDK raises as a ManagementException"() {
        when:
        network.networks().define('vnet-doomed').withRegion(Region.EUROPE_WEST).withExistingResourceGroup('rg-faults')
                .withAddressSpace('10.1.0.0/16').create()

        then:
        def e = thrown(ManagementException)
        e.value.code == 'InternalExecutionError'
        e.value.message == 'The operation failed (fault injected by the emulator).'

        and: 'the VNet is left behind Failed, as Azure leaves it'
        def vnet = json(arm.call('GET', "${arm.sub()}/resourceGroups/rg-faults/providers/Microsoft.Network/virtualNetworks/vnet-doomed?$NET"))
        vnet.get('properties').provisioningState == 'Failed'

        when: 'the fault was used up'
        def second = network.networks().define('vnet-fine').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('rg-faults').withAddressSpace('10.2.0.0/16').create()

        then:
        second.innerModel().provisioningState().toString() == 'Succeeded'
    }

    def "should keep a hanging deletion InProgress however often and late it is polled"() {
        given:
        String pip = "${arm.sub()}/resourceGroups/rg-faults/providers/Microsoft.Network/publicIPAddresses/pip-stuck?$NET"
        def created = arm.call('PUT', pip, [location: 'westeurope', sku: [name: 'Standard'],
                properties: [publicIPAllocationMethod: 'Static']])
        assert json(arm.call('GET', created.headers().firstValue('Azure-AsyncOperation').get())).status == 'Succeeded'

        when:
        def deletion = arm.call('DELETE', pip)
        String status = deletion.headers().firstValue('Azure-AsyncOperation').get()
        String result = deletion.headers().firstValue('Location').get()
        def polls = (1..4).collect { Thread.sleep(50); json(arm.call('GET', status)).status }

        then:
        deletion.statusCode() == 202
        deletion.headers().firstValue('x-imagebake-fault').get() == 'DELETE publicIPAddresses:hang'
        polls == ['InProgress'] * 4
        arm.call('GET', result).statusCode() == 202
        json(arm.call('GET', pip)).get('properties').provisioningState == 'Deleting'
    }

    def "should answer a POST action with the injected status and code"() {
        when:
        def reply = arm.call('POST', "${arm.sub()}/resourceGroups/rg-faults/providers/Microsoft.Compute/virtualMachines/vm-1/deallocate?api-version=2025-04-01")

        then:
        reply.statusCode() == 409
        json(reply).error.code == 'OperationNotAllowed'
    }
}
