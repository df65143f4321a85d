package dev.imagebake.emulator

import com.azure.core.management.Region
import com.azure.resourcemanager.resources.fluentcore.utils.ResourceManagerUtils
import dev.imagebake.emulator.arm.Conditions
import dev.imagebake.emulator.arm.LatencyProfile
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration

import static dev.imagebake.emulator.RawArm.json

/** The realistic latency profile at a third of Azure's pace: a network PUT (3 s on Azure) takes 1 s. */
class RealisticLatencySpec extends Specification {
    static final String NET = 'api-version=2025-03-01'

    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    RawArm arm

    def setupSpec() {
        ResourceManagerUtils.InternalRuntimeContext.setDelayProvider({ Duration d -> Duration.ofMillis(50) })
        emulator = Emulator.start(new Emulator.Settings(dir, 0)
                .withConditions(Conditions.DEFAULT.withLatency(LatencyProfile.realistic(1 / 3d))))
        arm = new RawArm(emulator)
        arm.call('PUT', "${arm.sub()}/resourcegroups/rg-slow?api-version=1", [location: 'westeurope'])
    }

    def cleanupSpec() {
        emulator?.close()
    }

    def "should stay InProgress however often it is polled, until its time is up"() {
        given:
        long started = System.nanoTime()
        def put = arm.call('PUT', "${arm.sub()}/resourceGroups/rg-slow/providers/Microsoft.Network/networkSecurityGroups/nsg?$NET",
                [location: 'westeurope'])
        String status = put.headers().firstValue('Azure-AsyncOperation').get()

        when:
        def early = (1..3).collect { json(arm.call('GET', status)).status }
        def statuses = []
        while ((statuses ? statuses.last() : null) != 'Succeeded' && System.nanoTime() - started < 10_000_000_000L) {
            Thread.sleep(50)
            statuses << json(arm.call('GET', status)).status
        }
        long millis = (System.nanoTime() - started) / 1_000_000

        then:
        put.headers().firstValue('Retry-After').get() == '1'
        early == ['InProgress'] * 3
        statuses.last() == 'Succeeded'
        millis >= 1_000
        json(arm.call('GET', "${arm.sub()}/resourceGroups/rg-slow/providers/Microsoft.Network/networkSecurityGroups/nsg?$NET"))
                .get('properties').provisioningState == 'Succeeded'
    }

    def "should make the SDK poll several times before a VNet is created"() {
        given:
        def network = new AzureSdkClients(emulator.cloudFile()).networkManager()

        when:
        long started = System.nanoTime()
        def vnet = network.networks().define('vnet-slow').withRegion(Region.EUROPE_WEST).withExistingResourceGroup('rg-slow')
                .withAddressSpace('10.0.0.0/16').create()
        long millis = (System.nanoTime() - started) / 1_000_000

        then:
        vnet.innerModel().provisioningState().toString() == 'Succeeded'
        millis >= 1_000
        def log = Files.readAllLines(dir.resolve('requests.log')).collect { new JsonSlurper().parseText(it) as Map }
        log.count { it.path.toLowerCase().contains('/providers/microsoft.network/locations/westeurope/operations/') } > 3
    }
}
