package dev.imagebake.emulator.vm

import com.azure.core.management.Region
import com.azure.core.management.SubResource
import com.azure.core.management.exception.ManagementException
import com.azure.resourcemanager.compute.ComputeManager
import com.azure.resourcemanager.compute.fluent.models.DiskInner
import com.azure.resourcemanager.compute.fluent.models.ImageInner
import com.azure.resourcemanager.compute.fluent.models.SnapshotInner
import com.azure.resourcemanager.compute.fluent.models.VirtualMachineInner
import com.azure.resourcemanager.compute.models.BootDiagnostics
import com.azure.resourcemanager.compute.models.CreationData
import com.azure.resourcemanager.compute.models.DiagnosticsProfile
import com.azure.resourcemanager.compute.models.DiskCreateOption
import com.azure.resourcemanager.compute.models.DiskCreateOptionTypes
import com.azure.resourcemanager.compute.models.DiskDeleteOptionTypes
import com.azure.resourcemanager.compute.models.HardwareProfile
import com.azure.resourcemanager.compute.models.ImageReference
import com.azure.resourcemanager.compute.models.LinuxConfiguration
import com.azure.resourcemanager.compute.models.ManagedDiskParameters
import com.azure.resourcemanager.compute.models.NetworkInterfaceReference
import com.azure.resourcemanager.compute.models.NetworkProfile
import com.azure.resourcemanager.compute.models.OSDisk
import com.azure.resourcemanager.compute.models.OSProfile
import com.azure.resourcemanager.compute.models.OperatingSystemTypes
import com.azure.resourcemanager.compute.models.RunCommandInput
import com.azure.resourcemanager.compute.models.StorageProfile
import com.azure.resourcemanager.compute.models.VirtualMachine
import com.azure.resourcemanager.compute.models.VirtualMachineSizeTypes
import com.azure.resourcemanager.network.NetworkManager
import com.azure.resourcemanager.network.models.NetworkInterface
import com.azure.resourcemanager.resources.fluentcore.utils.ResourceManagerUtils
import dev.imagebake.emulator.AzureSdkClients
import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.RawArm
import dev.imagebake.emulator.RestGolden
import dev.imagebake.emulator.arm.Operations
import dev.imagebake.testsupport.Poll
import net.schmizz.sshj.SSHClient
import net.schmizz.sshj.common.Buffer
import net.schmizz.sshj.common.KeyType
import net.schmizz.sshj.transport.verification.HostKeyVerifier
import net.schmizz.sshj.userauth.UserAuthException
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise
import spock.lang.TempDir

import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Path
import java.security.PublicKey
import java.time.Duration

/**
 * A VM on an existing, specialized managed OS disk ({@code osDisk.createOption: Attach}), the way the step cache
 * uses it, all with the real SDK's inner models against sandboxed machines: an incremental snapshot of a running
 * build VM's disk, a disk copied from it in another resource group, a VM on that disk (not provisioned: it keeps the
 * first VM's host keys, users, authorized_keys and host name), run command to replace the admin's key, SSH with the
 * new key, and at the end deprovision, generalize and an image whose VMs have the files.
 */
@Stepwise
class AttachOsDiskSpec extends Specification {
    static final String BUILD = 'build'
    static final String CACHE = 'cache'

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
    RawArm arm

    @Shared
    MachineShell oldKey

    @Shared
    MachineShell newKey

    /** VM A's host public keys, {@code type base64} each. */
    @Shared
    Set<String> hostKeysA

    @Shared
    VirtualMachine vmA

    @Shared
    SnapshotInner snapshotA

    @Shared
    DiskInner diskB

    def setupSpec() {
        ResourceManagerUtils.InternalRuntimeContext.setDelayProvider({ Duration d -> Duration.ofMillis(10) })
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('data'), 0, new Operations.Settings(0, 1,
                Duration.ofSeconds(10)), Emulator.Machines.SANDBOX))
        compute = new AzureSdkClients(emulator.cloudFile()).computeManager()
        network = compute.networkManager()
        arm = new RawArm(emulator)
        [BUILD, CACHE].each { rg ->
            compute.resourceManager().resourceGroups().define(rg).withRegion(Region.EUROPE_WEST).create()
            network.networks().define("vnet-$rg").withRegion(Region.EUROPE_WEST).withExistingResourceGroup(rg)
                    .withAddressSpace('10.0.0.0/16').withSubnet('default', '10.0.0.0/24').create()
        }
        oldKey = new MachineShell(dir, 'old-key')
        newKey = new MachineShell(dir, 'new-key')
    }

    def cleanupSpec() {
        emulator?.close()
    }

    def "should take an incremental snapshot of a running build VM's OS disk, shown as Azure shows one"() {
        given: 'build VM A wrote a file'
        def nic = nic(BUILD, 'vm-a')
        vmA = compute.virtualMachines().define('vm-a').withRegion(Region.EUROPE_WEST).withExistingResourceGroup(BUILD)
                .withExistingPrimaryNetworkInterface(nic)
                .withLatestLinuxImage('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
                .withRootUsername('azureuser').withSsh(oldKey.publicKey()).create()
        String host = address(BUILD, 'vm-a')
        assert oldKey.await(host, 'azureuser', 'sudo mkdir -p /opt/cache && echo from-a | sudo tee /opt/cache/marker') ==
                [0, 'from-a\n']
        hostKeysA = hostKeys(oldKey.run(host, 'azureuser', 'cat /etc/ssh/ssh_host_*_key.pub')[1] as String)
        assert hostKeysA.size() >= 2

        when: 'the machine keeps running'
        snapshotA = compute.serviceClient().snapshots.createOrUpdate(BUILD, 'snap-a', new SnapshotInner()
                .withLocation('westeurope').withTags([purpose: 'step-cache'])
                .withCreationData(new CreationData().withCreateOption(DiskCreateOption.COPY)
                        .withSourceResourceId(vmA.osDiskId()))
                .withIncremental(true))
        def shown = RawArm.json(arm.call('GET', "${arm.sub()}/resourceGroups/$BUILD/providers/Microsoft.Compute/" +
                'snapshots/snap-a?api-version=2025-01-02'))

        then:
        snapshotA.provisioningState() == 'Succeeded'
        snapshotA.incremental()
        snapshotA.incrementalSnapshotFamilyId() ==~ /[0-9a-f-]{36}/
        snapshotA.osType() == OperatingSystemTypes.LINUX
        snapshotA.creationData().sourceResourceId().equalsIgnoreCase(vmA.osDiskId())
        shown.get('properties').incremental == true
        RestGolden.missingFrom(shown, OFFICIAL_INCREMENTAL_SNAPSHOT) == []
        oldKey.run(host, 'azureuser', 'cat /opt/cache/marker') == [0, 'from-a\n']
    }

    def "should copy the snapshot into an unattached managed disk in another resource group"() {
        when:
        diskB = compute.serviceClient().disks.createOrUpdate(CACHE, 'disk-b', new DiskInner().withLocation('westeurope')
                .withCreationData(new CreationData().withCreateOption(DiskCreateOption.COPY)
                        .withSourceResourceId(snapshotA.id())))

        then:
        diskB.provisioningState() == 'Succeeded'
        diskB.diskState().toString() == 'Unattached'
        diskB.managedBy() == null
        diskB.osType() == OperatingSystemTypes.LINUX
        diskB.hyperVGeneration() == compute.disks().getById(vmA.osDiskId()).innerModel().hyperVGeneration()
    }

    def "should create a VM on the disk as its specialized OS disk: no image, no osProfile, no new disk"() {
        given:
        def nic = nic(CACHE, 'vm-b')

        when:
        def created = compute.serviceClient().virtualMachines.createOrUpdate(CACHE, 'vm-b', attachedVm(nic.id(),
                diskB.id(), DiskDeleteOptionTypes.DELETE).withTags([cache: 'hit']))
        def vm = compute.serviceClient().virtualMachines.getByResourceGroup(CACHE, 'vm-b')
        def disk = compute.serviceClient().disks.getByResourceGroup(CACHE, 'disk-b')
        def view = compute.serviceClient().virtualMachines.instanceView(CACHE, 'vm-b')

        then: 'the VM shows the disk as Azure shows an attached OS disk'
        created.provisioningState() == 'Succeeded'
        vm.storageProfile().imageReference() == null
        vm.osProfile() == null
        vm.storageProfile().osDisk().createOption() == DiskCreateOptionTypes.ATTACH
        vm.storageProfile().osDisk().osType() == OperatingSystemTypes.LINUX
        vm.storageProfile().osDisk().name() == 'disk-b'
        vm.storageProfile().osDisk().managedDisk().id() == diskB.id()
        vm.storageProfile().osDisk().deleteOption() == DiskDeleteOptionTypes.DELETE
        vm.storageProfile().osDisk().diskSizeGB() == diskB.diskSizeGB()
        vm.tags() == [cache: 'hit']
        view.hyperVGeneration().toString() == diskB.hyperVGeneration().toString()
        view.statuses()*.code().contains('PowerState/running')

        and: 'the disk itself is the VM\'s: attached, managed by it, and no other disk appeared'
        disk.managedBy() == vm.id()
        disk.diskState().toString() == 'Attached'
        compute.serviceClient().disks.listByResourceGroup(CACHE).collect { it.name() } == ['disk-b']
    }

    def "should answer the attached VM's GET in the shape of Azure's, and as the golden file holds"() {
        when:
        def shown = RawArm.json(arm.call('GET', "${arm.sub()}/resourceGroups/$CACHE/providers/Microsoft.Compute/" +
                'virtualMachines/vm-b?api-version=2025-04-01'))

        then: 'the fields of the VM Azure returned for an attached managed OS disk (SDK session record)'
        RestGolden.missingFrom(shown, OFFICIAL_ATTACHED_VM) == []
        !shown.get('properties').containsKey('osProfile')
        !shown.get('properties').storageProfile.containsKey('imageReference')
        RestGolden.compare('compute', 'virtualMachines-get-attach', shown) == null
    }

    def "should boot the disk's content unprovisioned: VM A's file, host keys, host name and authorized key"() {
        when: 'the old key still opens it: nobody rewrote authorized_keys'
        String host = address(CACHE, 'vm-b')
        def output = oldKey.await(host, 'azureuser', 'hostname; cat /opt/cache/marker; id -un')
        String seenByClient = offeredHostKey(host, oldKey)
        String console = serialConsole('vm-b')

        then:
        output == [0, 'vm-a\nfrom-a\nazureuser\n']
        seenByClient in hostKeysA

        and: 'the serial console shows the boot with the disk\'s host name and host keys'
        console.contains('SSH host key fingerprints of vm-a:')
        console.contains('vm-a login:')
        !console.contains('vm-b login:')
    }

    def "should replace the admin's authorized_keys with run command as root and print the host keys"() {
        when:
        def result = compute.serviceClient().virtualMachines.runCommand(CACHE, 'vm-b', new RunCommandInput()
                .withCommandId('RunShellScript').withScript([
                "printf '%s\\n' '${newKey.publicKey()}' > /home/azureuser/.ssh/authorized_keys".toString(),
                'cat /etc/ssh/ssh_host_*_key.pub']))
        String message = result.value()[0].message()
        String stdout = message.substring(message.indexOf('[stdout]\n') + 9, message.indexOf('\n[stderr]'))
        String host = address(CACHE, 'vm-b')

        then: 'the keys it prints are VM A\'s, and SSH offers one of them'
        result.value()[0].code() == 'ProvisioningState/succeeded'
        hostKeys(stdout) == hostKeysA
        offeredHostKey(host, newKey) in hostKeysA

        and: 'the new key opens the VM, the old one no longer does'
        newKey.run(host, 'azureuser', 'cat /opt/cache/marker; hostname') == [0, 'from-a\nvm-a\n']

        when:
        oldKey.run(host, 'azureuser', 'true')

        then:
        thrown(UserAuthException)
    }

    def "should keep its own writes, host name and host keys through restart, deallocate and start"() {
        given:
        String host = address(CACHE, 'vm-b')
        assert newKey.run(host, 'azureuser', 'echo from-b | sudo tee /opt/cache/second') == [0, 'from-b\n']
        def vm = compute.virtualMachines().getByResourceGroup(CACHE, 'vm-b')

        when:
        vm.restart()
        def afterRestart = newKey.await(address(CACHE, 'vm-b'), 'azureuser', 'cat /opt/cache/marker /opt/cache/second; hostname')
        vm.deallocate()
        vm.start()
        String again = address(CACHE, 'vm-b')
        def afterStart = newKey.await(again, 'azureuser', 'cat /opt/cache/marker /opt/cache/second; hostname')

        then:
        afterRestart == [0, 'from-a\nfrom-b\nvm-a\n']
        afterStart == [0, 'from-a\nfrom-b\nvm-a\n']
        offeredHostKey(again, newKey) in hostKeysA
    }

    def "should boot it again unprovisioned when the emulator restarts on its data folder"() {
        given:
        emulator.close()

        when:
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('data'), 0, new Operations.Settings(0, 1,
                Duration.ofSeconds(10)), Emulator.Machines.SANDBOX))
        compute = new AzureSdkClients(emulator.cloudFile()).computeManager()
        network = compute.networkManager()
        arm = new RawArm(emulator)
        String host = address(CACHE, 'vm-b')

        then: 'the new key, the files, the disk\'s host name and host keys: nothing was provisioned anew'
        newKey.await(host, 'azureuser', 'cat /opt/cache/marker /opt/cache/second; hostname') ==
                [0, 'from-a\nfrom-b\nvm-a\n']
        offeredHostKey(host, newKey) in hostKeysA
    }

    def "should snapshot the attached VM's disk with both layers, and keep a detached disk's content for the next VM"() {
        given: 'a snapshot of the running VM B, copied into disk C'
        def snapshotB = compute.serviceClient().snapshots.createOrUpdate(CACHE, 'snap-b', new SnapshotInner()
                .withLocation('westeurope').withIncremental(true)
                .withCreationData(new CreationData().withCreateOption(DiskCreateOption.COPY).withSourceResourceId(diskB.id())))
        def diskC = compute.serviceClient().disks.createOrUpdate(CACHE, 'disk-c', new DiskInner().withLocation('westeurope')
                .withCreationData(new CreationData().withCreateOption(DiskCreateOption.COPY)
                        .withSourceResourceId(snapshotB.id())))

        when: 'VM C on disk C (deleteOption Detach) writes a file and is deleted'
        compute.serviceClient().virtualMachines.createOrUpdate(CACHE, 'vm-c', attachedVm(nic(CACHE, 'vm-c').id(),
                diskC.id(), DiskDeleteOptionTypes.DETACH))
        def seenByC = newKey.await(address(CACHE, 'vm-c'), 'azureuser',
                'cat /opt/cache/marker /opt/cache/second; hostname; echo from-c | sudo tee /opt/cache/third >/dev/null')
        compute.serviceClient().virtualMachines.delete(CACHE, 'vm-c')
        def detached = compute.serviceClient().disks.getByResourceGroup(CACHE, 'disk-c')

        and: 'VM D attaches the detached disk (deleteOption Delete)'
        compute.serviceClient().virtualMachines.createOrUpdate(CACHE, 'vm-d', attachedVm(nic(CACHE, 'vm-d').id(),
                diskC.id(), DiskDeleteOptionTypes.DELETE))
        def seenByD = newKey.await(address(CACHE, 'vm-d'), 'azureuser', 'cat /opt/cache/marker /opt/cache/second /opt/cache/third')
        compute.serviceClient().virtualMachines.delete(CACHE, 'vm-d')

        then:
        snapshotB.incrementalSnapshotFamilyId() != snapshotA.incrementalSnapshotFamilyId()
        seenByC == [0, 'from-a\nfrom-b\nvm-a\n']
        detached.diskState().toString() == 'Unattached'
        detached.managedBy() == null
        seenByD == [0, 'from-a\nfrom-b\nfrom-c\n']

        and: 'deleting VM D deleted its disk (deleteOption Delete)'
        !compute.serviceClient().disks.listByResourceGroup(CACHE).collect { it.name() }.contains('disk-c')
    }

    def "should refuse an osProfile, an image reference, a disk in use and a missing disk, with Azure's codes"() {
        given:
        String nicId = nic(CACHE, 'vm-x').id()
        String missing = "${arm.sub()}/resourceGroups/$CACHE/providers/Microsoft.Compute/disks/nope".toString()

        when:
        def withOsProfile = refusal(attachedVm(nicId, diskB.id(), DiskDeleteOptionTypes.DELETE).withOsProfile(
                new OSProfile().withComputerName('vm-x').withAdminUsername('azureuser')
                        .withLinuxConfiguration(new LinuxConfiguration().withDisablePasswordAuthentication(true))))
        def withImage = refusal(attachedVm(nicId, diskB.id(), DiskDeleteOptionTypes.DELETE).tap {
            it.storageProfile().withImageReference(new ImageReference().withPublisher('Canonical')
                    .withOffer('0001-com-ubuntu-server-jammy').withSku('22_04-lts-gen2').withVersion('latest'))
        })
        def inUse = refusal(attachedVm(nicId, diskB.id(), DiskDeleteOptionTypes.DELETE))
        def notThere = refusal(attachedVm(nicId, missing, DiskDeleteOptionTypes.DELETE))

        then:
        withOsProfile == [400, 'InvalidParameter', "Parameter 'osProfile' is not allowed."]
        withImage == [400, 'InvalidParameter', 'Cannot attach an existing OS disk if the VM is created from a ' +
                'platform, user or a shared gallery image.']
        inUse[0..1] == [409, 'ConflictingUserInput']
        inUse[2] == "Cannot attach the disk disk-b to VM ${arm.sub()}/resourceGroups/$CACHE/providers/" +
                "Microsoft.Compute/virtualMachines/vm-x because it is already attached to VM " +
                "${compute.virtualMachines().getByResourceGroup(CACHE, 'vm-b').id()}. A disk can be attached to only one VM at a time."
        notThere == [404, 'NotFound', "Disk $missing is not found."]

        and: 'nothing was created, and disk B stays VM B\'s'
        !compute.serviceClient().virtualMachines.listByResourceGroup(CACHE).collect { it.name() }.contains('vm-x')
        compute.serviceClient().disks.getByResourceGroup(CACHE, 'disk-b').managedBy().endsWith('/virtualMachines/vm-b')
    }

    def "should deprovision, generalize and capture the attached VM into an image whose VMs have the files"() {
        given:
        def vmB = compute.virtualMachines().getByResourceGroup(CACHE, 'vm-b')
        assert newKey.run(address(CACHE, 'vm-b'), 'azureuser', 'sudo waagent -force -deprovision+user >/dev/null; echo done') ==
                [0, 'done\n']

        when:
        vmB.deallocate()
        vmB.generalize()
        def image = compute.serviceClient().images.createOrUpdate(CACHE, 'img-b', new ImageInner()
                .withLocation('westeurope').withSourceVirtualMachine(new SubResource().withId(vmB.id())))
        def builder = new MachineShell(dir, 'builder-key')
        compute.virtualMachines().define('vm-e').withRegion(Region.EUROPE_WEST).withExistingResourceGroup(CACHE)
                .withExistingPrimaryNetworkInterface(nic(CACHE, 'vm-e')).withGeneralizedLinuxCustomImage(image.id())
                .withRootUsername('builder').withSsh(builder.publicKey()).create()
        String host = address(CACHE, 'vm-e')
        def output = builder.await(host, 'builder', 'cat /opt/cache/marker /opt/cache/second; hostname; ' +
                'getent passwd azureuser || echo no-azureuser')

        then: 'a VM from the image is provisioned anew: its own name, user and host keys'
        image.provisioningState() == 'Succeeded'
        output == [0, 'from-a\nfrom-b\nvm-e\nno-azureuser\n']
        !(offeredHostKey(host, builder, 'builder') in hostKeysA)

        when: 'VM B goes, with its disk (deleteOption Delete)'
        compute.serviceClient().virtualMachines.delete(CACHE, 'vm-b')

        then:
        !compute.serviceClient().disks.listByResourceGroup(CACHE).collect { it.name() }.contains('disk-b')
    }

    // From Azure/azure-sdk-for-java's session record VirtualMachineManagedDiskOperationsTests
    // .canCreateVirtualMachineByAttachingManagedOsDisk.json (the VM GET after creation), reduced to what a VM on an
    // attached managed Linux disk has; and ManagedDiskOperationsTests.canCopyStartIncrementalSnapshot.json (the
    // incremental snapshot's GET), reduced to a snapshot of a managed disk.
    static final Map OFFICIAL_ATTACHED_VM = [
            name      : 'myvm6', id: '/subscriptions/.../virtualMachines/myvm6', type: 'Microsoft.Compute/virtualMachines',
            location  : 'eastus', tags: [:],
            properties: [vmId             : 'f81a6fb5-a0cf-4acf-a71f-93eaa8f78e74',
                         hardwareProfile  : [vmSize: 'Standard_D2a_v4'],
                         storageProfile   : [osDisk   : [osType      : 'Linux', name: 'dsk-2845419e', createOption: 'Attach',
                                                         caching     : 'ReadWrite',
                                                         managedDisk : [storageAccountType: 'Standard_LRS', id: '/subscriptions/...'],
                                                         deleteOption: 'Detach', diskSizeGB: 30],
                                             dataDisks: []],
                         networkProfile   : [networkInterfaces: [[id: '/subscriptions/...', properties: [primary: true]]]],
                         provisioningState: 'Succeeded', timeCreated: '2022-01-21T07:27:43.7471394+00:00']]
    static final Map OFFICIAL_INCREMENTAL_SNAPSHOT = [
            name      : 'snp-767121e334', id: '/subscriptions/.../snapshots/snp-767121e334',
            type      : 'Microsoft.Compute/snapshots', location: 'westcentralus', tags: [:],
            sku       : [name: 'Standard_LRS', tier: 'Standard'],
            properties: [creationData     : [createOption: 'Copy', sourceResourceId: '/subscriptions/...',
                                             sourceUniqueId: 'f9d6fdb0-d11a-44be-bfca-82a3b6e131a2'],
                         diskSizeGB       : 100, encryption: [type: 'EncryptionAtRestWithPlatformKey'],
                         incremental      : true, timeCreated: '2023-04-19T03:57:08.4425239+00:00',
                         provisioningState: 'Succeeded', diskSizeBytes: 107374182400,
                         uniqueId         : '0c8e05e5-e8fb-4689-ac82-e0ecbaf11b21',
                         incrementalSnapshotFamilyId: '0142c9e9-c295-404a-913c-71fb12946bb5']]

    // ---- helpers ----

    /** What the step cache sends: the disk attached as OS disk, a NIC, managed boot diagnostics; no image, no osProfile. */
    private static VirtualMachineInner attachedVm(String nicId, String diskId, DiskDeleteOptionTypes deleteOption) {
        new VirtualMachineInner().withLocation('westeurope')
                .withHardwareProfile(new HardwareProfile().withVmSize(VirtualMachineSizeTypes.fromString('Standard_B2s')))
                .withStorageProfile(new StorageProfile().withOsDisk(new OSDisk().withOsType(OperatingSystemTypes.LINUX)
                        .withCreateOption(DiskCreateOptionTypes.ATTACH).withDeleteOption(deleteOption)
                        .withManagedDisk(new ManagedDiskParameters().withId(diskId))))
                .withNetworkProfile(new NetworkProfile().withNetworkInterfaces([new NetworkInterfaceReference()
                        .withId(nicId).withPrimary(true)]))
                .withDiagnosticsProfile(new DiagnosticsProfile().withBootDiagnostics(new BootDiagnostics().withEnabled(true)))
    }

    /** [status, code, message] of a VM PUT the SDK saw refused. */
    private List refusal(VirtualMachineInner vm) {
        try {
            compute.serviceClient().virtualMachines.createOrUpdate(CACHE, 'vm-x', vm)
            return ['created']
        } catch (ManagementException e) {
            return [e.response.statusCode, e.value.code, e.value.message]
        }
    }

    private NetworkInterface nic(String rg, String vm) {
        def pip = network.publicIpAddresses().define("pip-$vm").withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup(rg).withStaticIP().create()
        network.networkInterfaces().define("nic-$vm").withRegion(Region.EUROPE_WEST).withExistingResourceGroup(rg)
                .withExistingPrimaryNetwork(network.networks().getByResourceGroup(rg, "vnet-$rg")).withSubnet('default')
                .withPrimaryPrivateIPAddressDynamic().withExistingPrimaryPublicIPAddress(pip).create()
    }

    private String address(String rg, String vm) {
        network.publicIpAddresses().getByResourceGroup(rg, "pip-$vm").ipAddress()
    }

    /** {@code type base64} of each OpenSSH public key line. */
    private static Set<String> hostKeys(String text) {
        text.readLines().findAll { it.trim() }.collect { it.split(' ')[0..1].join(' ') } as Set
    }

    /** The host key the machine's SSH server offers (after logging in, so that the connection is a whole one). */
    private static String offeredHostKey(String address, MachineShell shell, String user = 'azureuser') {
        String seen = null
        new SSHClient().withCloseable { ssh ->
            ssh.addHostKeyVerifier(new HostKeyVerifier() {
                boolean verify(String host, int port, PublicKey key) {
                    seen = KeyType.fromKey(key).toString() + ' ' +
                            Base64.encoder.encodeToString(new Buffer.PlainBuffer().putPublicKey(key).compactData)
                    true
                }

                List<String> findExistingAlgorithms(String host, int port) {
                    []
                }
            })
            ssh.connect(address, 22)
            ssh.authPublickey(user, ssh.loadKeys(shell.key.toString()))
        }
        seen
    }

    /** The VM's serial console log, through retrieveBootDiagnosticsData, once its boot has shown the login prompt. */
    private String serialConsole(String vm) {
        def http = HttpClient.newBuilder().sslContext(AzureSdkClients.trusting(emulator.caCertificate())).build()
        def reply = RawArm.json(arm.call('POST', "${arm.sub()}/resourceGroups/$CACHE/providers/Microsoft.Compute/" +
                "virtualMachines/$vm/retrieveBootDiagnosticsData?api-version=2025-04-01"))
        String log = null
        Poll.until("the login prompt in $vm's serial console", 60) {
            log = http.send(HttpRequest.newBuilder(URI.create(reply.serialConsoleLogBlobUri as String)).build(),
                    HttpResponse.BodyHandlers.ofString()).body()
            log.contains(' login:')
        }
        log
    }
}
