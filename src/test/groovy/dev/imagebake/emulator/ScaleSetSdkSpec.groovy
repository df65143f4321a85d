package dev.imagebake.emulator

import com.azure.core.management.Region
import com.azure.core.management.exception.ManagementException
import com.azure.resourcemanager.compute.ComputeManager
import com.azure.resourcemanager.compute.models.HyperVGeneration
import com.azure.resourcemanager.compute.models.HyperVGenerationTypes
import com.azure.resourcemanager.compute.models.ImageReference
import com.azure.resourcemanager.compute.models.OrchestrationMode
import com.azure.resourcemanager.compute.models.PowerState
import com.azure.resourcemanager.compute.models.RollingUpgradeActionType
import com.azure.resourcemanager.compute.models.RollingUpgradePolicy
import com.azure.resourcemanager.compute.models.RollingUpgradeStatusCode
import com.azure.resourcemanager.compute.models.UpgradeMode
import com.azure.resourcemanager.compute.models.UpgradePolicy
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSet
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetSkuTypes
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetUpdate
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetUpdateStorageProfile
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetUpdateVMProfile
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetVMInstanceRequiredIDs
import com.azure.resourcemanager.compute.models.VirtualMachineSizeTypes
import com.azure.resourcemanager.network.NetworkManager
import com.azure.resourcemanager.network.models.Network
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

/**
 * Virtual machine scale sets with the real ComputeManager against the emulator: created from a managed image and
 * from a gallery version, a new image rolled out by hand (Manual) and in batches (Rolling), scaled, powered,
 * trimmed and deleted.
 */
@Stepwise
class ScaleSetSdkSpec extends Specification {
    static final String SSH_KEY = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7emulatortestkeyonly imagebake@test'
    static final String GALLERY = 'gal_vmss'
    static final String DEFINITION = 'ubuntu-vmss'

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
    String rg = 'rg-vmss'

    @Shared
    Network vnet

    @Shared
    String imageA

    @Shared
    String imageB

    @Shared
    String versionId

    @Shared
    VirtualMachineScaleSet manual

    def setupSpec() {
        ResourceManagerUtils.InternalRuntimeContext.setDelayProvider({ Duration d -> Duration.ofMillis(10) })
        // Retry-After 0 keeps the SDK's polls fast; a rolling-upgrade batch then lasts the minimum, one second.
        emulator = Emulator.start(new Emulator.Settings(dir, 0, new Operations.Settings(0, 1, Duration.ofSeconds(10))))
        compute = new AzureSdkClients(emulator.cloudFile()).computeManager()
        network = compute.networkManager()
        compute.resourceManager().resourceGroups().define(rg).withRegion(Region.EUROPE_WEST).create()
        vnet = network.networks().define('vnet-vmss').withRegion(Region.EUROPE_WEST).withExistingResourceGroup(rg)
                .withAddressSpace('10.0.0.0/16').withSubnet('default', '10.0.0.0/24').create()
    }

    def cleanupSpec() {
        emulator?.close()
    }

    private VirtualMachineScaleSet.DefinitionStages.WithLinuxRootUsernameManaged defineFrom(String name, String image) {
        compute.virtualMachineScaleSets().define(name).withRegion(Region.EUROPE_WEST).withExistingResourceGroup(rg)
                .withSku(VirtualMachineScaleSetSkuTypes.STANDARD_A0)
                .withExistingPrimaryNetworkSubnet(vnet, 'default')
                .withoutPrimaryInternetFacingLoadBalancer()
                .withoutPrimaryInternalLoadBalancer()
                .withGeneralizedLinuxCustomImage(image)
    }

    private void patchImage(String name, String imageId, UpgradePolicy policy = null) {
        def update = new VirtualMachineScaleSetUpdate().withVirtualMachineProfile(new VirtualMachineScaleSetUpdateVMProfile()
                .withStorageProfile(new VirtualMachineScaleSetUpdateStorageProfile()
                        .withImageReference(new ImageReference().withId(imageId))))
        if (policy != null) {
            update.withUpgradePolicy(policy)
        }
        compute.serviceClient().virtualMachineScaleSets.update(rg, name, update)
    }

    private List<List> instances(String name) {
        compute.virtualMachineScaleSets().getByResourceGroup(rg, name).virtualMachines().list()
                .collect { [it.instanceId(), it.isLatestScaleSetUpdateApplied()] }
    }

    private Map latest(String name) {
        def status = compute.serviceClient().virtualMachineScaleSetRollingUpgrades.getLatest(rg, name)
        def p = status.progress()
        [code      : status.runningStatus().code(), lastAction: status.runningStatus().lastAction(),
         successful: p.successfulInstanceCount(), inProgress: p.inProgressInstanceCount(),
         pending   : p.pendingInstanceCount(), failed: p.failedInstanceCount()]
    }

    /** Polls the latest rolling upgrade every 50 ms until it leaves RollingForward; returns each distinct state. */
    private List<Map> watchRoll(String name) {
        List<Map> seen = []
        long deadline = System.currentTimeMillis() + 30_000
        while (System.currentTimeMillis() < deadline) {
            def state = latest(name)
            if (seen.isEmpty() || seen.last() != state) {
                seen << state
            }
            if (state.code != RollingUpgradeStatusCode.ROLLING_FORWARD) {
                return seen
            }
            Thread.sleep(50)
        }
        throw new AssertionError("the roll never finished: $seen")
    }

    def "should make two managed images and a gallery version to build scale sets from"() {
        given:
        def nsg = network.networkSecurityGroups().define('nsg-vmss').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup(rg)
                .defineRule('ssh').allowInbound().fromAddress('203.0.113.7/32').fromAnyPort().toAnyAddress()
                .toPort(22).withProtocol(SecurityRuleProtocol.TCP).withPriority(100).attach().create()
        def pip = network.publicIpAddresses().define('pip-vmss').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup(rg).withSku(PublicIPSkuType.STANDARD).withStaticIP().create()
        def nic = network.networkInterfaces().define('nic-vmss').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup(rg).withExistingPrimaryNetwork(vnet).withSubnet('default')
                .withPrimaryPrivateIPAddressDynamic().withExistingPrimaryPublicIPAddress(pip)
                .withExistingNetworkSecurityGroup(nsg).create()
        def vm = compute.virtualMachines().define('vm-src').withRegion(Region.EUROPE_WEST).withExistingResourceGroup(rg)
                .withExistingPrimaryNetworkInterface(nic)
                .withLatestLinuxImage('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
                .withRootUsername('azureuser').withSsh(SSH_KEY).withSize(VirtualMachineSizeTypes.STANDARD_B2S).create()
        vm.deallocate()
        vm.generalize()

        when:
        imageA = compute.virtualMachineCustomImages().define('img-a').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup(rg).withHyperVGeneration(HyperVGenerationTypes.V2).fromVirtualMachine(vm)
                .create().id()
        imageB = compute.virtualMachineCustomImages().define('img-b').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup(rg).withHyperVGeneration(HyperVGenerationTypes.V2).fromVirtualMachine(vm)
                .create().id()
        compute.galleries().define(GALLERY).withRegion(Region.EUROPE_WEST).withExistingResourceGroup(rg).create()
        compute.galleryImages().define(DEFINITION).withExistingGallery(rg, GALLERY).withLocation(Region.EUROPE_WEST)
                .withIdentifier('imagebake', 'ubuntu', 'vmss').withGeneralizedLinux()
                .withHyperVGeneration(HyperVGeneration.V2).create()
        versionId = compute.galleryImageVersions().define('1.0.0').withExistingImage(rg, GALLERY, DEFINITION)
                .withLocation(Region.EUROPE_WEST).withSourceCustomImage(imageA).create().id()

        then:
        imageA.endsWith('/images/img-a')
        imageB.endsWith('/images/img-b')
        versionId.endsWith("/galleries/$GALLERY/images/$DEFINITION/versions/1.0.0")
    }

    def "should create a 3-instance Manual scale set from a managed image"() {
        when:
        manual = defineFrom('vmss-manual', imageA)
                .withRootUsername('azureuser').withSsh(SSH_KEY)
                .withCapacity(3).withUpgradeMode(UpgradeMode.MANUAL).create()

        then:
        manual.innerModel().provisioningState() == 'Succeeded'
        manual.capacity() == 3
        manual.upgradeModel() == UpgradeMode.MANUAL
        manual.storageProfile().imageReference().id().equalsIgnoreCase(imageA)
        manual.computerNamePrefix() == 'vmss-manual-vm'

        and: 'three instances, numbered from 0, running the model'
        def vms = manual.virtualMachines().list().toList()
        vms*.instanceId() == ['0', '1', '2']
        vms.every { it.isLatestScaleSetUpdateApplied() }
        vms.every { it.storageProfile().imageReference().id().equalsIgnoreCase(imageA) }
        vms.every { it.powerState() == PowerState.RUNNING }
        vms*.computerName() == ['vmss-manual-vm000000', 'vmss-manual-vm000001', 'vmss-manual-vm000002']

        and: 'the PUT answered 201 with an Azure-AsyncOperation'
        requests().find { it.method == 'PUT' && it.path.endsWith('/virtualMachineScaleSets/vmss-manual') }.status == 201
    }

    def "should list an instance's network interface from its model, without an address when no machine runs"() {
        when:
        def instance = manual.virtualMachines().getInstance('1')
        def nics = instance.listNetworkInterfaces().toList()
        def all = network.networkInterfaces().listByVirtualMachineScaleSet(rg, 'vmss-manual').toList()

        then:
        nics*.name() == [manual.innerModel().virtualMachineProfile().networkProfile()
                                 .networkInterfaceConfigurations()[0].name()]
        nics[0].id() == instance.id() + '/networkInterfaces/' + nics[0].name()
        nics[0].virtualMachineId() == instance.id()
        nics[0].primaryIPConfiguration().subnetName() == 'default'
        nics[0].primaryPrivateIP() == null
        nics[0].tags().isEmpty()
        all*.virtualMachineId() == manual.virtualMachines().list()*.id()
    }

    def "should leave Manual instances behind a new image until they are upgraded by hand"() {
        when:
        patchImage('vmss-manual', imageB)

        then:
        compute.virtualMachineScaleSets().getByResourceGroup(rg, 'vmss-manual').storageProfile().imageReference().id()
                .equalsIgnoreCase(imageB)
        instances('vmss-manual') == [['0', false], ['1', false], ['2', false]]
        requests().find { it.method == 'PATCH' && it.path.endsWith('/virtualMachineScaleSets/vmss-manual') }.status == 200

        when:
        compute.serviceClient().virtualMachineScaleSets.updateInstances(rg, 'vmss-manual',
                new VirtualMachineScaleSetVMInstanceRequiredIDs().withInstanceIds(['0', '2']))

        then:
        instances('vmss-manual') == [['0', true], ['1', false], ['2', true]]
        def images = manual.virtualMachines().list().collectEntries { [(it.instanceId()): it.storageProfile().imageReference().id()] }
        images['0'].equalsIgnoreCase(imageB)
        images['1'].equalsIgnoreCase(imageA)
        requests().find { it.method == 'POST' && it.path.endsWith('/vmss-manual/manualupgrade') }.status == 202
    }

    def "should say there is no rolling upgrade on a scale set that never rolled"() {
        when:
        compute.serviceClient().virtualMachineScaleSetRollingUpgrades.getLatest(rg, 'vmss-manual')

        then:
        def e = thrown(ManagementException)
        e.response.statusCode == 404
        e.value.code == 'NotFound'
    }

    def "should roll a new image over a Rolling scale set from a gallery version, batch by batch"() {
        given:
        defineFrom('vmss-roll', versionId).withRootUsername('azureuser').withSsh(SSH_KEY)
                .withCapacity(3).withUpgradeMode(UpgradeMode.ROLLING).create()
        def policy = new UpgradePolicy().withMode(UpgradeMode.ROLLING).withRollingUpgradePolicy(new RollingUpgradePolicy()
                .withMaxBatchInstancePercent(33).withMaxUnhealthyInstancePercent(100).withPauseTimeBetweenBatches('PT0S'))

        expect:
        instances('vmss-roll') == [['0', true], ['1', true], ['2', true]]
        compute.virtualMachineScaleSets().getByResourceGroup(rg, 'vmss-roll').storageProfile().imageReference().id()
                .equalsIgnoreCase(versionId)

        when:
        patchImage('vmss-roll', imageB, policy)
        def seen = watchRoll('vmss-roll')

        then: 'one instance per batch, the successful count climbing to all three'
        seen.first().code == RollingUpgradeStatusCode.ROLLING_FORWARD
        seen.last() == [code: RollingUpgradeStatusCode.COMPLETED, lastAction: RollingUpgradeActionType.START,
                        successful: 3, inProgress: 0, pending: 0, failed: 0]
        seen.every { it.inProgress <= 1 && it.successful + it.inProgress + it.pending == 3 }
        seen*.successful == seen*.successful.sort(false)
        seen.any { it.code == RollingUpgradeStatusCode.ROLLING_FORWARD && it.successful in [1, 2] }

        and:
        instances('vmss-roll') == [['0', true], ['1', true], ['2', true]]
        def status = compute.serviceClient().virtualMachineScaleSetRollingUpgrades.getLatest(rg, 'vmss-roll')
        status.policy().maxBatchInstancePercent() == 33
        status.runningStatus().startTime() != null
        status.runningStatus().lastActionTime() == status.runningStatus().startTime()
    }

    def "should cancel a roll between batches and finish it with osRollingUpgrade"() {
        given: 'a long pause after each batch'
        def slow = new UpgradePolicy().withMode(UpgradeMode.ROLLING).withRollingUpgradePolicy(new RollingUpgradePolicy()
                .withMaxBatchInstancePercent(33).withPauseTimeBetweenBatches('PT1M'))
        patchImage('vmss-roll', versionId, slow)

        when:
        long deadline = System.currentTimeMillis() + 20_000
        while (latest('vmss-roll').successful == 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(50)
        }
        compute.serviceClient().virtualMachineScaleSetRollingUpgrades.cancel(rg, 'vmss-roll')

        then:
        latest('vmss-roll') == [code: RollingUpgradeStatusCode.CANCELLED, lastAction: RollingUpgradeActionType.CANCEL,
                                successful: 1, inProgress: 0, pending: 2, failed: 0]
        instances('vmss-roll') == [['0', true], ['1', false], ['2', false]]

        when: 'nothing left to cancel'
        compute.serviceClient().virtualMachineScaleSetRollingUpgrades.cancel(rg, 'vmss-roll')

        then:
        def e = thrown(ManagementException)
        e.response.statusCode == 409
        e.value.code == 'OperationNotAllowed'

        when:
        compute.serviceClient().virtualMachineScaleSets.update(rg, 'vmss-roll', new VirtualMachineScaleSetUpdate()
                .withUpgradePolicy(new UpgradePolicy().withMode(UpgradeMode.ROLLING)
                        .withRollingUpgradePolicy(new RollingUpgradePolicy().withMaxBatchInstancePercent(50)
                                .withPauseTimeBetweenBatches('PT0S'))))
        compute.serviceClient().virtualMachineScaleSetRollingUpgrades.startOSUpgrade(rg, 'vmss-roll')
        def seen = watchRoll('vmss-roll')

        then: 'a policy change is no model change; the explicit roll takes the two behind'
        seen.last() == [code: RollingUpgradeStatusCode.COMPLETED, lastAction: RollingUpgradeActionType.START,
                        successful: 2, inProgress: 0, pending: 0, failed: 0]
        instances('vmss-roll') == [['0', true], ['1', true], ['2', true]]
    }

    def "should scale out with up-to-date instances and scale in from the highest instance ID"() {
        when:
        compute.virtualMachineScaleSets().getByResourceGroup(rg, 'vmss-manual').update().withCapacity(5).apply()

        then:
        instances('vmss-manual') == [['0', true], ['1', false], ['2', true], ['3', true], ['4', true]]
        compute.virtualMachineScaleSets().getByResourceGroup(rg, 'vmss-manual').capacity() == 5

        when:
        compute.virtualMachineScaleSets().getByResourceGroup(rg, 'vmss-manual').update().withCapacity(2).apply()

        then:
        instances('vmss-manual') == [['0', true], ['1', false]]
    }

    def "should power off and start the instances, and delete one, lowering the capacity"() {
        given:
        def scaleSet = compute.virtualMachineScaleSets().getByResourceGroup(rg, 'vmss-manual')

        when:
        scaleSet.powerOff()

        then:
        scaleSet.virtualMachines().list()*.powerState() == [PowerState.STOPPED, PowerState.STOPPED]
        requests().find { it.method == 'POST' && it.path.endsWith('/vmss-manual/poweroff') }.status == 202

        when:
        scaleSet.start()
        scaleSet.virtualMachines().deleteInstances('1')

        then:
        scaleSet.virtualMachines().list().collect { [it.instanceId(), it.powerState()] } == [['0', PowerState.RUNNING]]
        compute.virtualMachineScaleSets().getByResourceGroup(rg, 'vmss-manual').capacity() == 1
    }

    def "should refuse images that do not exist, with Azure's error codes, and create nothing"() {
        when:
        defineFrom('vmss-bad', imageA.replace('img-a', 'img-missing')).withRootUsername('azureuser').withSsh(SSH_KEY)
                .withCapacity(1).create()

        then:
        def missingImage = thrown(ManagementException)
        missingImage.response.statusCode == 404
        missingImage.value.code == 'NotFound'

        when:
        defineFrom('vmss-bad', versionId.replace('1.0.0', '9.9.9')).withRootUsername('azureuser').withSsh(SSH_KEY)
                .withCapacity(1).create()

        then:
        def missingVersion = thrown(ManagementException)
        missingVersion.response.statusCode == 404
        missingVersion.value.code == 'GalleryImageNotFound'

        when: 'a Flexible scale set with instances, whose virtual machines the emulator does not make'
        def flexible = compute.serviceClient().virtualMachineScaleSets.getByResourceGroup(rg, 'vmss-manual')
                .withOrchestrationMode(OrchestrationMode.FLEXIBLE)
                .withPlatformFaultDomainCount(1)
        compute.serviceClient().virtualMachineScaleSets.createOrUpdate(rg, 'vmss-bad', flexible)

        then:
        def notEmulated = thrown(ManagementException)
        notEmulated.response.statusCode == 400
        notEmulated.value.code == 'NotSupportedByEmulator'
        compute.virtualMachineScaleSets().listByResourceGroup(rg)*.name() as Set == ['vmss-manual', 'vmss-roll'] as Set
    }

    def "should list every kind of resource across the subscription, as list() without a group does"() {
        given: 'a second group with a network of its own'
        compute.resourceManager().resourceGroups().define('rg-other').withRegion(Region.EUROPE_NORTH).create()
        network.networks().define('vnet-other').withRegion(Region.EUROPE_NORTH).withExistingResourceGroup('rg-other')
                .withAddressSpace('10.9.0.0/16').create()

        expect:
        compute.virtualMachineScaleSets().list()*.name() as Set == ['vmss-manual', 'vmss-roll'] as Set
        compute.virtualMachines().list()*.name() == ['vm-src']
        compute.virtualMachineCustomImages().list()*.name() as Set == ['img-a', 'img-b'] as Set
        compute.galleries().list()*.name() == [GALLERY]
        compute.disks().list().size() == 1
        network.networks().list()*.name() as Set == ['vnet-vmss', 'vnet-other'] as Set
        network.networkSecurityGroups().list()*.name() == ['nsg-vmss']
        network.publicIpAddresses().list()*.name() == ['pip-vmss']
        network.networkInterfaces().list()*.name() == ['nic-vmss']
    }

    def "should delete the scale sets with their instances"() {
        when:
        compute.virtualMachineScaleSets().deleteByResourceGroup(rg, 'vmss-manual')
        compute.virtualMachineScaleSets().deleteByResourceGroup(rg, 'vmss-roll')

        then:
        compute.virtualMachineScaleSets().listByResourceGroup(rg).isEmpty()
        requests().findAll { it.method == 'DELETE' && it.path.contains('/virtualMachineScaleSets/') }*.status == [202, 202]

        when:
        compute.serviceClient().virtualMachineScaleSetVMs.list(rg, 'vmss-roll').toList()

        then:
        def e = thrown(ManagementException)
        e.response.statusCode == 404
    }

    def "should have served every call without a server error"() {
        expect:
        requests().every { (it.status as int) < 500 }
    }

    private List<Map> requests() {
        Files.readAllLines(dir.resolve('requests.log')).collect { new JsonSlurper().parseText(it) as Map }
    }
}
