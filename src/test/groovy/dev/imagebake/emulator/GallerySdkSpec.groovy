package dev.imagebake.emulator

import com.azure.core.management.Region
import com.azure.core.management.exception.ManagementException
import com.azure.core.util.Context
import com.azure.resourcemanager.compute.ComputeManager
import com.azure.resourcemanager.compute.fluent.models.GalleryImageVersionInner
import com.azure.resourcemanager.compute.models.AggregatedReplicationState
import com.azure.resourcemanager.compute.models.HyperVGeneration
import com.azure.resourcemanager.compute.models.HyperVGenerationTypes
import com.azure.resourcemanager.compute.models.OperatingSystemStateTypes
import com.azure.resourcemanager.compute.models.OperatingSystemTypes
import com.azure.resourcemanager.compute.models.ReplicationState
import com.azure.resourcemanager.compute.models.ReplicationStatusTypes
import com.azure.resourcemanager.compute.models.StorageAccountType
import com.azure.resourcemanager.compute.models.TargetRegion
import com.azure.resourcemanager.compute.models.VirtualMachine
import com.azure.resourcemanager.compute.models.VirtualMachineSizeTypes
import com.azure.resourcemanager.network.NetworkManager
import com.azure.resourcemanager.network.models.Network
import com.azure.resourcemanager.resources.fluentcore.utils.ResourceManagerUtils
import dev.imagebake.emulator.arm.Operations
import dev.imagebake.emulator.compute.GalleryProvider
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration
import java.time.OffsetDateTime
import java.time.ZoneOffset

/** Azure Compute Gallery (galleries, image definitions, versions) with the real ComputeManager against the emulator. */
@Stepwise
class GallerySdkSpec extends Specification {
    static final String SSH_KEY = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7emulatortestkeyonly imagebake@test'
    static final String GALLERY = 'gal_bake'
    static final String DEFINITION = 'ubuntu-2204'

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
    RawArm raw

    @Shared
    String rg = 'rg-gallery'

    @Shared
    Network vnet

    @Shared
    VirtualMachine generalizedVm

    @Shared
    String imageId

    def setupSpec() {
        ResourceManagerUtils.InternalRuntimeContext.setDelayProvider({ Duration d -> Duration.ofMillis(10) })
        emulator = Emulator.start(new Emulator.Settings(dir, 0, new Operations.Settings(0, 1, Duration.ofSeconds(10))))
        compute = new AzureSdkClients(emulator.cloudFile()).computeManager()
        network = compute.networkManager()
        raw = new RawArm(emulator)
        compute.resourceManager().resourceGroups().define(rg).withRegion(Region.EUROPE_WEST).create()
        vnet = network.networks().define('vnet-gal').withRegion(Region.EUROPE_WEST).withExistingResourceGroup(rg)
                .withAddressSpace('10.0.0.0/16').withSubnet('default', '10.0.0.0/24').create()
    }

    def cleanupSpec() {
        emulator?.close()
    }

    private VirtualMachine newVm(String name) {
        def nic = network.networkInterfaces().define("nic-$name").withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup(rg).withExistingPrimaryNetwork(vnet).withSubnet('default')
                .withPrimaryPrivateIPAddressDynamic().create()
        compute.virtualMachines().define(name).withRegion(Region.EUROPE_WEST).withExistingResourceGroup(rg)
                .withExistingPrimaryNetworkInterface(nic)
                .withLatestLinuxImage('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
                .withRootUsername('azureuser').withSsh(SSH_KEY).withSize(VirtualMachineSizeTypes.STANDARD_B2S)
                .create()
    }

    private String galleryPath() {
        "${raw.sub()}/resourceGroups/$rg/providers/Microsoft.Compute/galleries/$GALLERY"
    }

    private GalleryImageVersionInner withReplicationStatus(String version) {
        compute.serviceClient().galleryImageVersions.getWithResponse(rg, GALLERY, DEFINITION, version,
                ReplicationStatusTypes.REPLICATION_STATUS, Context.NONE).value
    }

    def "should make a generalized VM and a managed image to publish"() {
        when:
        generalizedVm = newVm('vm-src')
        generalizedVm.deallocate()
        generalizedVm.generalize()
        imageId = compute.virtualMachineCustomImages().define('img-src').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup(rg).withHyperVGeneration(HyperVGenerationTypes.V2)
                .fromVirtualMachine(generalizedVm).create().id()

        then:
        generalizedVm.refreshInstanceView().statuses()*.code().contains('OSState/generalized')
        imageId.endsWith('/images/img-src')
    }

    def "should create a gallery and a generalized Linux image definition"() {
        when:
        def gallery = compute.galleries().define(GALLERY).withRegion(Region.EUROPE_WEST).withExistingResourceGroup(rg)
                .withDescription('imagebake images').create()
        def definition = compute.galleryImages().define(DEFINITION).withExistingGallery(rg, GALLERY)
                .withLocation(Region.EUROPE_WEST).withIdentifier('imagebake', 'ubuntu', '22_04-gen2')
                .withGeneralizedLinux().withHyperVGeneration(HyperVGeneration.V2).create()

        then:
        gallery.provisioningState() == 'Succeeded'
        gallery.description() == 'imagebake images'
        gallery.uniqueName().endsWith('-GAL_BAKE')
        compute.galleries().listByResourceGroup(rg).collect { it.name() } == [GALLERY]
        compute.galleries().list().collect { it.name() } == [GALLERY]

        definition.provisioningState() == 'Succeeded'
        definition.osType() == OperatingSystemTypes.LINUX
        definition.osState() == OperatingSystemStateTypes.GENERALIZED
        definition.hyperVGeneration() == HyperVGeneration.V2
        definition.identifier().publisher() == 'imagebake'
        definition.identifier().offer() == 'ubuntu'
        definition.identifier().sku() == '22_04-gen2'
        compute.galleryImages().listByGallery(rg, GALLERY).collect { it.name() } == [DEFINITION]
        compute.galleries().getByResourceGroup(rg, GALLERY).getImage(DEFINITION).name() == DEFINITION

        and: 'the PUTs were answered through capsOperations status URLs'
        requests().findAll { it.method == 'PUT' && it.path.contains('/galleries/') }*.status.every { it == 201 }
        requests().any { it.path.toLowerCase().contains('/providers/microsoft.compute/locations/westeurope/capsoperations/') }
    }

    def "should publish a version from the managed image to two regions with replica counts"() {
        given:
        def endOfLife = OffsetDateTime.of(2030, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC)

        when:
        def version = compute.galleryImageVersions().define('1.0.0').withExistingImage(rg, GALLERY, DEFINITION)
                .withLocation(Region.EUROPE_WEST).withSourceCustomImage(imageId)
                .withRegionAvailability([
                        new TargetRegion().withName(Region.EUROPE_WEST.name()).withRegionalReplicaCount(2)
                                .withStorageAccountType(StorageAccountType.STANDARD_ZRS),
                        new TargetRegion().withName(Region.EUROPE_NORTH.name()).withRegionalReplicaCount(1)
                                .withStorageAccountType(StorageAccountType.STANDARD_LRS)])
                .withEndOfLifeDate(endOfLife)
                .create()

        then:
        version.provisioningState() == 'Succeeded'
        version.storageProfile().source().id().equalsIgnoreCase(imageId)
        version.endOfLifeDate() == endOfLife
        !version.isExcludedFromLatest()
        def regions = version.publishingProfile().targetRegions().collectEntries { [(it.name()): it] }
        regions.keySet() == ['westeurope', 'northeurope'] as Set
        version.availableRegions()*.name() as Set == regions.keySet()
        regions.westeurope.regionalReplicaCount() == 2
        regions.westeurope.storageAccountType() == StorageAccountType.STANDARD_ZRS
        regions.northeurope.regionalReplicaCount() == 1

        and: 'replication finished in every region'
        def status = withReplicationStatus('1.0.0').replicationStatus()
        status.aggregatedState() == AggregatedReplicationState.COMPLETED
        status.summary().collect { [it.region(), it.state(), it.progress()] } as Set == [
                ['westeurope', ReplicationState.COMPLETED, 100],
                ['northeurope', ReplicationState.COMPLETED, 100]] as Set

        and: 'a plain GET carries no replication status'
        compute.galleryImageVersions().getByGalleryImage(rg, GALLERY, DEFINITION, '1.0.0').replicationStatus() == null

        and: 'the status URL was polled while the regions replicated'
        def put = requests().find { it.method == 'PUT' && it.path.endsWith('/versions/1.0.0') }
        put.status == 201
        requests().findAll { it.path.toLowerCase().contains('/capsoperations/') }.size() >= 2
    }

    def "should keep a version's operation InProgress until every target region is replicated"() {
        when:
        def put = raw.call('PUT', "${galleryPath()}/images/$DEFINITION/versions/1.0.1?api-version=2024-03-03", [
                location  : 'West Europe',
                properties: [
                        publishingProfile: [
                                targetRegions    : [[name: 'westeurope', regionalReplicaCount: 1],
                                                    [name: 'northeurope', regionalReplicaCount: 3,
                                                     storageAccountType: 'Premium_LRS']],
                                excludeFromLatest: true,
                                replicationMode  : 'Shallow'],
                        storageProfile   : [source: [id: imageId]]]])
        def statusUrl = put.headers().firstValue('Azure-AsyncOperation').get()

        then:
        put.statusCode() == 201
        statusUrl ==~ /https:\/\/.*\/subscriptions\/[^\/]+\/providers\/Microsoft\.Compute\/locations\/westeurope\/capsOperations\/[-0-9a-f]{36}\?api-version=2024-03-03/
        (RawArm.json(put) as Map).get('properties').provisioningState == 'Creating'
        expanded('1.0.1').aggregatedState == 'InProgress'

        when:
        def first = RawArm.json(raw.call('GET', statusUrl))
        def midway = expanded('1.0.1')

        then:
        first.status == 'InProgress'
        midway.aggregatedState == 'InProgress'
        midway.summary.find { it.region == 'westeurope' }.state == 'Completed'
        midway.summary.find { it.region == 'northeurope' }.state == 'Replicating'

        when:
        def second = RawArm.json(raw.call('GET', statusUrl))
        def done = RawArm.json(raw.call('GET',
                "${galleryPath()}/images/$DEFINITION/versions/1.0.1?api-version=2024-03-03&\$expand=ReplicationStatus"))

        then:
        second.status == 'Succeeded'
        done.get('properties').provisioningState == 'Succeeded'
        done.get('properties').replicationStatus.aggregatedState == 'Completed'
        done.get('properties').publishingProfile.excludeFromLatest == true
        done.get('properties').publishingProfile.replicationMode == 'Shallow'
        done.get('properties').publishingProfile.targetRegions.find { it.name == 'northeurope' }.storageAccountType == 'Premium_LRS'
    }

    private Map expanded(String version) {
        RawArm.json(raw.call('GET', "${galleryPath()}/images/$DEFINITION/versions/$version" +
                '?api-version=2024-03-03&$expand=ReplicationStatus')).get('properties').replicationStatus as Map
    }

    def "should refuse version names that are not MAJOR.MINOR.PATCH"() {
        when:
        compute.galleryImageVersions().define(name).withExistingImage(rg, GALLERY, DEFINITION)
                .withLocation(Region.EUROPE_WEST).withSourceCustomImage(imageId).create()

        then:
        def e = thrown(ManagementException)
        e.response.statusCode == 400
        e.value.code == 'InvalidParameter'

        where:
        name << ['1.0', 'v1.0.0', '1.0.0.0', '1.0.99999999999']
    }

    def "should publish a version directly from the generalized VM"() {
        when:
        def version = compute.galleryImageVersions().define('1.1.0').withExistingImage(rg, GALLERY, DEFINITION)
                .withLocation(Region.EUROPE_WEST).withSourceVirtualMachine(generalizedVm)
                .withRegionAvailability(Region.EUROPE_WEST, 1).create()

        then:
        version.provisioningState() == 'Succeeded'
        def source = version.storageProfile().source()
        (source.virtualMachineId() ?: source.id()).equalsIgnoreCase(generalizedVm.id())
        withReplicationStatus('1.1.0').replicationStatus().aggregatedState() == AggregatedReplicationState.COMPLETED
    }

    def "should refuse a version from a VM that is not generalized"() {
        given:
        def running = newVm('vm-running')

        when:
        compute.galleryImageVersions().define('1.2.0').withExistingImage(rg, GALLERY, DEFINITION)
                .withLocation(Region.EUROPE_WEST).withSourceVirtualMachine(running)
                .withRegionAvailability(Region.EUROPE_WEST, 1).create()

        then:
        def e = thrown(ManagementException)
        e.response.statusCode == 400
        e.value.code == 'InvalidParameter'
        e.value.message.contains('not generalized')
        compute.galleryImageVersions().listByGalleryImage(rg, GALLERY, DEFINITION).collect { it.name() }
                .every { it != '1.2.0' }
    }

    def "should keep a failed version, which blocks a retry with the same number until deleted"() {
        when: 'the hidden test hook makes replication fail'
        compute.galleryImageVersions().define('2.0.0').withExistingImage(rg, GALLERY, DEFINITION)
                .withLocation(Region.EUROPE_WEST).withSourceCustomImage(imageId)
                .withRegionAvailability(Region.EUROPE_NORTH, 1)
                .withTags([(GalleryProvider.FAIL_TAG): 'ReplicationFailed']).create()

        then:
        def failed = thrown(ManagementException)
        failed.value.code == 'ReplicationFailed'

        and: 'the version stays behind, Failed'
        compute.galleryImageVersions().getByGalleryImage(rg, GALLERY, DEFINITION, '2.0.0').provisioningState() == 'Failed'
        withReplicationStatus('2.0.0').replicationStatus().aggregatedState() == AggregatedReplicationState.FAILED

        when: 'a retry with the same number'
        compute.galleryImageVersions().define('2.0.0').withExistingImage(rg, GALLERY, DEFINITION)
                .withLocation(Region.EUROPE_WEST).withSourceCustomImage(imageId)
                .withRegionAvailability(Region.EUROPE_NORTH, 1).create()

        then:
        def blocked = thrown(ManagementException)
        blocked.response.statusCode == 409
        blocked.value.message.contains('Failed')

        when: 'deleted first, the retry works'
        compute.galleryImageVersions().deleteByGalleryImage(rg, GALLERY, DEFINITION, '2.0.0')
        def retried = compute.galleryImageVersions().define('2.0.0').withExistingImage(rg, GALLERY, DEFINITION)
                .withLocation(Region.EUROPE_WEST).withSourceCustomImage(imageId)
                .withRegionAvailability(Region.EUROPE_NORTH, 1).create()

        then:
        retried.provisioningState() == 'Succeeded'
    }

    def "should refuse to delete a gallery with definitions or a definition with versions"() {
        when:
        compute.galleries().deleteByResourceGroup(rg, GALLERY)

        then:
        def e = thrown(ManagementException)
        e.response.statusCode == 409
        e.value.code == 'CannotDeleteResource'

        when:
        compute.galleryImages().deleteByGallery(rg, GALLERY, DEFINITION)

        then:
        def e2 = thrown(ManagementException)
        e2.response.statusCode == 409
        e2.value.code == 'CannotDeleteResource'
        compute.galleryImages().listByGallery(rg, GALLERY).collect { it.name() } == [DEFINITION]
    }

    def "should delete versions, then the definition, then the gallery"() {
        given:
        def versions = compute.galleryImageVersions().listByGalleryImage(rg, GALLERY, DEFINITION).collect { it.name() }

        expect:
        versions as Set == ['1.0.0', '1.0.1', '1.1.0', '2.0.0'] as Set

        when:
        versions.each { compute.galleryImageVersions().deleteByGalleryImage(rg, GALLERY, DEFINITION, it) }
        compute.galleryImages().deleteByGallery(rg, GALLERY, DEFINITION)
        compute.galleries().deleteByResourceGroup(rg, GALLERY)

        then:
        compute.galleries().listByResourceGroup(rg).isEmpty()
        compute.galleries().list().isEmpty()

        when:
        compute.galleries().getByResourceGroup(rg, GALLERY)

        then:
        def gone = thrown(ManagementException)
        gone.response.statusCode == 404

        and: 'every deletion, the failed version\'s earlier one included, answered 202'
        requests().findAll { it.method == 'DELETE' && it.path.contains('/galleries/') && it.status == 202 }.size() == 7
    }

    def "should have served every call without a server error"() {
        expect:
        requests().every { (it.status as int) < 500 }
        !requests().any { it.status == 400 && it.path.contains('/galleries') && !it.path.contains('/versions/') }
    }

    private List<Map> requests() {
        Files.readAllLines(dir.resolve('requests.log')).collect { new JsonSlurper().parseText(it) as Map }
    }
}
