package dev.imagebake.emulator

import com.azure.core.management.Region
import com.azure.core.management.exception.ManagementException
import com.azure.resourcemanager.resources.ResourceManager
import com.azure.resourcemanager.resources.fluentcore.utils.ResourceManagerUtils
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration

/** The real Azure SDK, over HTTPS, managing resource groups in the emulator. */
class ResourceGroupsSdkSpec extends Specification {
    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    ResourceManager azure

    def setupSpec() {
        // The fluent managers wait 30 s between polls unless the server says otherwise.
        ResourceManagerUtils.InternalRuntimeContext.setDelayProvider({ Duration d -> Duration.ofMillis(10) })
        emulator = Emulator.start(new Emulator.Settings(dir, 0))
        azure = new AzureSdkClients(emulator.cloudFile()).resourceManager()
    }

    def cleanupSpec() {
        emulator?.close()
    }

    def "should create a resource group and read it back"() {
        when:
        def created = azure.resourceGroups().define('rg-create').withRegion(Region.EUROPE_WEST)
                .withTag('purpose', 'bake').create()
        def read = azure.resourceGroups().getByName('RG-CREATE')

        then:
        created.name() == 'rg-create'
        created.regionName() == 'westeurope'
        created.provisioningState() == 'Succeeded'
        read.id() == "/subscriptions/${emulator.identity().subscriptionId()}/resourceGroups/rg-create"
        read.tags() == [purpose: 'bake']
        azure.resourceGroups().contain('rg-create')
        !azure.resourceGroups().contain('rg-absent')
    }

    def "should list the resource groups"() {
        given:
        azure.resourceGroups().define('rg-list-a').withRegion('westeurope').create()
        azure.resourceGroups().define('rg-list-b').withRegion('northeurope').create()

        expect:
        azure.resourceGroups().list().collect { it.name() }.containsAll(['rg-list-a', 'rg-list-b'])
    }

    def "should update the tags of a resource group"() {
        given:
        def group = azure.resourceGroups().define('rg-tags').withRegion('westeurope').withTag('a', '1').create()

        when:
        group.update().withTag('b', '2').withoutTag('a').apply()

        then:
        azure.resourceGroups().getByName('rg-tags').tags() == [b: '2']
    }

    def "should delete a resource group, polling until it is gone"() {
        given:
        azure.resourceGroups().define('rg-delete').withRegion('westeurope').create()

        when:
        azure.resourceGroups().deleteByName('rg-delete')

        then:
        !azure.resourceGroups().contain('rg-delete')

        and: 'the SDK polled the Location until it answered 200'
        def log = Files.readAllLines(dir.resolve('requests.log')).collect { new JsonSlurper().parseText(it) }
        def deletion = log.findAll { it.path.toLowerCase().endsWith('/rg-delete') && it.method == 'DELETE' }
        def polls = log.findAll { it.path.contains('/operationresults/') }
        deletion*.status == [202]
        polls*.status == [202, 200]
    }

    def "should report a missing resource group as ResourceGroupNotFound"() {
        when:
        azure.resourceGroups().getByName('rg-never')

        then:
        def e = thrown(ManagementException)
        e.response.statusCode == 404
        e.value.code == 'ResourceGroupNotFound'
        e.value.message == "Resource group 'rg-never' could not be found."
    }
}
