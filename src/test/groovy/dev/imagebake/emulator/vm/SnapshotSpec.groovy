package dev.imagebake.emulator.vm

import com.azure.core.management.Region
import com.azure.resourcemanager.compute.ComputeManager
import com.azure.resourcemanager.compute.models.OperatingSystemStateTypes
import com.azure.resourcemanager.compute.models.Snapshot
import com.azure.resourcemanager.compute.models.VirtualMachine
import com.azure.resourcemanager.network.NetworkManager
import com.azure.resourcemanager.network.models.Network
import com.azure.resourcemanager.resources.fluentcore.utils.ResourceManagerUtils
import dev.imagebake.emulator.AzureSdkClients
import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.RawArm
import dev.imagebake.emulator.RestGolden
import dev.imagebake.emulator.arm.Operations
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise
import spock.lang.TempDir

import java.nio.file.Path
import java.time.Duration

/**
 * Snapshots of managed disks with the real Azure SDK against sandboxed machines: the snapshot keeps the disk's
 * content, and an image made from it, or a disk copied from it, boots machines that see the files the original VM
 * wrote.
 */
@Stepwise
class SnapshotSpec extends Specification {
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
    Network vnet

    @Shared
    MachineShell shell

    @Shared
    VirtualMachine vmA

    @Shared
    Snapshot snapshot

    @Shared
    RawArm arm

    def setupSpec() {
        ResourceManagerUtils.InternalRuntimeContext.setDelayProvider({ Duration d -> Duration.ofMillis(10) })
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('data'), 0, new Operations.Settings(0, 1,
                Duration.ofSeconds(10)), Emulator.Machines.SANDBOX))
        compute = new AzureSdkClients(emulator.cloudFile()).computeManager()
        network = compute.networkManager()
        arm = new RawArm(emulator)
        compute.resourceManager().resourceGroups().define('rg').withRegion(Region.EUROPE_WEST).create()
        vnet = network.networks().define('vnet').withRegion(Region.EUROPE_WEST).withExistingResourceGroup('rg')
                .withAddressSpace('10.0.0.0/16').withSubnet('default', '10.0.0.0/24').create()
        shell = new MachineShell(dir, 'user')
    }

    def cleanupSpec() {
        emulator?.close()
    }

    def "should snapshot the OS disk of a stopped VM with the file it wrote"() {
        given: 'VM A writes a file and is stopped'
        vmA = createVm('vm-a') { it.withLatestLinuxImage('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2') }
        String address = address('vm-a')
        assert shell.await(address, 'azureuser', 'sudo mkdir -p /opt/snap && echo written-by-a | sudo tee /opt/snap/marker') ==
                [0, 'written-by-a\n']
        vmA.powerOff()

        when:
        snapshot = compute.snapshots().define('snap-a').withRegion(Region.EUROPE_WEST).withExistingResourceGroup('rg')
                .withLinuxFromDisk(vmA.osDiskId()).withTag('purpose', 'test').create()

        then:
        snapshot.innerModel().provisioningState() == 'Succeeded'
        snapshot.source().sourceId().equalsIgnoreCase(vmA.osDiskId())
        snapshot.osType().toString() == 'Linux'
        snapshot.sizeInGB() == 30
        compute.snapshots().listByResourceGroup('rg')*.name() == ['snap-a']
        compute.snapshots().list()*.name() == ['snap-a']
    }

    def "should boot VM B from an image made from the snapshot, showing VM A's file"() {
        when:
        def image = compute.virtualMachineCustomImages().define('img-from-snap').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('rg').withLinuxFromSnapshot(snapshot, OperatingSystemStateTypes.GENERALIZED)
                .create()
        createVm('vm-b') { it.withGeneralizedLinuxCustomImage(image.id()) }
        def output = shell.await(address('vm-b'), 'azureuser', 'cat /opt/snap/marker; hostname')

        then:
        image.osDiskImage().snapshot().id().equalsIgnoreCase(snapshot.id())
        output == [0, 'written-by-a\nvm-b\n']
    }

    def "should copy the snapshot into a managed disk that keeps the content, for an image and a VM C"() {
        when:
        def disk = compute.disks().define('disk-from-snap').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('rg').withLinuxFromSnapshot(snapshot).create()
        def image = compute.virtualMachineCustomImages().define('img-from-disk').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('rg').withLinuxFromDisk(disk, OperatingSystemStateTypes.GENERALIZED).create()
        createVm('vm-c') { it.withGeneralizedLinuxCustomImage(image.id()) }
        def output = shell.await(address('vm-c'), 'azureuser', 'cat /opt/snap/marker')

        then:
        disk.source().sourceId().equalsIgnoreCase(snapshot.id())
        !disk.isAttachedToVirtualMachine()
        output == [0, 'written-by-a\n']
    }

    def "should keep a snapshot at the moment it was taken while the VM writes on"() {
        given:
        vmA.start()
        String addressA = address('vm-a')
        assert shell.await(addressA, 'azureuser', 'echo before | sudo tee /opt/snap/moment')[0] == 0

        when: 'a snapshot of the running VM, then a change'
        def running = compute.snapshots().define('snap-running').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('rg').withLinuxFromDisk(vmA.osDiskId()).create()
        assert shell.run(addressA, 'azureuser', 'echo after | sudo tee /opt/snap/moment')[0] == 0
        def image = compute.virtualMachineCustomImages().define('img-running').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('rg').withLinuxFromSnapshot(running, OperatingSystemStateTypes.GENERALIZED)
                .create()
        createVm('vm-d') { it.withGeneralizedLinuxCustomImage(image.id()) }

        then: 'VM A kept running; VM D sees the content of the moment of the snapshot'
        shell.run(addressA, 'azureuser', 'cat /opt/snap/moment') == [0, 'after\n']
        shell.await(address('vm-d'), 'azureuser', 'cat /opt/snap/moment') == [0, 'before\n']
    }

    def "should answer snapshot PUT and GET in the shape of Azure's examples"() {
        given:
        def base = "${arm.sub()}/resourceGroups/rg/providers/Microsoft.Compute"
        def diskId = compute.disks().getByResourceGroup('rg', 'disk-from-snap').id()

        when:
        def put = arm.call('PUT', "$base/snapshots/snap-raw?api-version=2025-01-02",
                [location: 'West Europe', properties: [creationData: [createOption: 'Copy', sourceResourceId: diskId]]])
        def putJson = RawArm.json(put)
        def get = arm.call('GET', "$base/snapshots/snap-raw?api-version=2025-01-02")
        def getJson = RawArm.json(get)

        then: 'PUT answers 202 with the asynchronous operation (Snapshot_Create_FromAnExistingSnapshot.json)'
        put.statusCode() == 202
        put.headers().firstValue('Azure-AsyncOperation').present
        RestGolden.missingFrom(putJson, OFFICIAL_PUT_202) == []
        RestGolden.compare('compute', 'snapshot-put', putJson) == null

        and: 'GET has the fields of Snapshot_Get.json that apply to a Linux snapshot of a managed disk'
        get.statusCode() == 200
        RestGolden.missingFrom(getJson, OFFICIAL_GET) == []
        RestGolden.compare('compute', 'snapshot-get', getJson) == null
    }

    def "should refuse a snapshot of a disk that does not exist, as Azure does"() {
        when:
        def put = arm.call('PUT', "${arm.sub()}/resourceGroups/rg/providers/Microsoft.Compute/snapshots/nope?api-version=2025-01-02",
                [location: 'westeurope', properties: [creationData: [createOption: 'Copy',
                        sourceResourceId: "${arm.sub()}/resourceGroups/rg/providers/Microsoft.Compute/disks/missing".toString()]]])

        then:
        put.statusCode() == 404
        RawArm.json(put).error.code == 'NotFound'
    }

    def "should show snapshots, disks, images and VMs in the generic resource listing of the SDK"() {
        when:
        def listed = compute.resourceManager().genericResources().listByResourceGroup('rg').collect { "${it.resourceType()}/${it.name()}".toString() }
        def snapshots = compute.resourceManager().genericResources().list().findAll { it.resourceType() == 'snapshots' }*.name()

        then:
        listed.containsAll(['snapshots/snap-a', 'snapshots/snap-running', 'disks/disk-from-snap', 'images/img-from-snap',
                            'virtualMachines/vm-b', 'networkInterfaces/nic-vm-b', 'virtualNetworks/vnet'])
        !listed.any { it.startsWith('subnets/') }
        snapshots as Set == ['snap-a', 'snap-running', 'snap-raw'] as Set
    }

    // Official examples (Azure/azure-rest-api-specs, Microsoft.Compute/DiskRP/stable/2024-03-02/examples/
    // snapshotExamples), reduced to the fields a Linux snapshot copied from a managed disk has: purchase plans,
    // Azure Disk Encryption settings and capabilities of Windows marketplace disks do not apply.
    static final Map OFFICIAL_PUT_202 = [
            id        : '/subscriptions/{subscription-id}/resourceGroups/myResourceGroup/providers/Microsoft.Compute/snapshots/mySnapshot2',
            name      : 'mySnapshot2',
            location  : 'West US',
            properties: [provisioningState: 'Updating',
                         creationData     : [createOption: 'Copy', sourceResourceId: 'subscriptions/...']]]
    static final Map OFFICIAL_GET = [
            properties: [osType          : 'Windows', hyperVGeneration: 'V1',
                         creationData    : [createOption: 'Copy', sourceResourceId: '/subscriptions/...', sourceUniqueId: 'd633885d-d102-4481-901e-5b2413d1a7be'],
                         diskSizeGB      : 100, encryption: [type: 'EncryptionAtRestWithPlatformKey'],
                         timeCreated     : '2016-12-28T04:41:35.079872+00:00', provisioningState: 'Succeeded'],
            type      : 'Microsoft.Compute/snapshots', location: 'westus',
            id        : '/subscriptions/{subscriptionId}/resourceGroups/myResourceGroup/providers/Microsoft.Compute/snapshots/mySnapshot',
            name      : 'mySnapshot']

    // ---- helpers ----

    private VirtualMachine createVm(String name, Closure<?> image) {
        def pip = network.publicIpAddresses().define("pip-$name").withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('rg').withStaticIP().create()
        def nic = network.networkInterfaces().define("nic-$name").withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('rg').withExistingPrimaryNetwork(vnet).withSubnet('default')
                .withPrimaryPrivateIPAddressDynamic().withExistingPrimaryPublicIPAddress(pip).create()
        def stage = compute.virtualMachines().define(name).withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('rg').withExistingPrimaryNetworkInterface(nic)
        image(stage).withRootUsername('azureuser').withSsh(shell.publicKey()).create()
    }

    private String address(String vm) {
        network.publicIpAddresses().getByResourceGroup('rg', "pip-$vm").ipAddress()
    }
}
