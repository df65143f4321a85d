package dev.imagebake.emulator.vm

import com.azure.core.management.Region
import com.azure.resourcemanager.compute.ComputeManager
import com.azure.resourcemanager.compute.models.HyperVGeneration
import com.azure.resourcemanager.compute.models.ImageReference
import com.azure.resourcemanager.compute.models.RollingUpgradeStatusCode
import com.azure.resourcemanager.compute.models.UpgradeMode
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSet
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetSkuTypes
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetUpdate
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetUpdateStorageProfile
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetUpdateVMProfile
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetVM
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetVMInstanceRequiredIDs
import com.azure.resourcemanager.network.NetworkManager
import com.azure.resourcemanager.network.models.Network
import com.azure.resourcemanager.resources.fluentcore.utils.ResourceManagerUtils
import dev.imagebake.emulator.AzureSdkClients
import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.arm.Operations
import net.schmizz.sshj.SSHClient
import net.schmizz.sshj.common.IOUtils
import net.schmizz.sshj.transport.verification.PromiscuousVerifier
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise
import spock.lang.TempDir

import java.nio.charset.StandardCharsets
import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration
import java.util.concurrent.TimeUnit

/**
 * Scale set instances as sandboxed Linux machines: built from a captured managed image or gallery version, found
 * over the SDK's {@code listNetworkInterfaces()}, used over real SSH, reimaged by a manual upgrade, powered off and
 * on, deleted, and booted again after an emulator restart.
 */
@Stepwise
class ScaleSetMachinesSpec extends Specification {
    static final String RG = 'rg'
    static final List<String> JAMMY = ['Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2']
    static final String CLOUD_CONFIG = '''#cloud-config
write_files:
  - path: /etc/imagebake/from-custom-data
    content: |
      custom
'''

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
    String imageA

    @Shared
    String versionB

    @Shared
    VirtualMachineScaleSet scaleSet

    @Shared
    Map<String, List> endpoints = [:]

    def setupSpec() {
        ResourceManagerUtils.InternalRuntimeContext.setDelayProvider({ Duration d -> Duration.ofMillis(10) })
        emulator = start()
        keygen('user')
        keygen('builder')
    }

    def cleanupSpec() {
        emulator?.close()
    }

    def "should capture two provisioned, deprovisioned VMs into a managed image and a gallery version"() {
        when:
        imageA = capture('a', 'A').id()
        def imageB = capture('b', 'B').id()
        compute.galleries().define('gallery').withRegion(Region.EUROPE_WEST).withExistingResourceGroup(RG).create()
        compute.galleryImages().define('linux').withExistingGallery(RG, 'gallery').withLocation(Region.EUROPE_WEST)
                .withIdentifier('imagebake', 'vmss', 'test').withGeneralizedLinux()
                .withHyperVGeneration(HyperVGeneration.V2).create()
        versionB = compute.galleryImageVersions().define('1.0.0').withExistingImage(RG, 'gallery', 'linux')
                .withLocation(Region.EUROPE_WEST).withSourceCustomImage(imageB).create().id()

        then:
        imageA.endsWith('/images/img-a')
        versionB.endsWith('/versions/1.0.0')
    }

    def "should run each instance of a scale set from the managed image as a machine reachable over SSH"() {
        when:
        scaleSet = define('vmss').withGeneralizedLinuxCustomImage(imageA)
                .withRootUsername('azureuser').withSsh(publicKey('user'))
                .withCustomData(Base64.encoder.encodeToString(CLOUD_CONFIG.getBytes(StandardCharsets.UTF_8)))
                .withCapacity(3).withUpgradeMode(UpgradeMode.MANUAL).create()
        def instances = scaleSet.virtualMachines().list().toList()
        instances.each { endpoints[it.instanceId()] = endpoint(it) }
        def outputs = instances.collect {
            awaitSsh(endpoints[it.instanceId()], 'sudo cat /opt/imagebake/release /etc/imagebake/release.conf'
                    + ' /etc/imagebake/from-custom-data; hostname')
        }

        then:
        instances*.instanceId() == ['0', '1', '2']
        endpoints.values()*.get(0).unique().size() == 3
        endpoints.values().every { it[0] ==~ /127\.\d+\.\d+\.\d+/ }
        outputs == instances.collect { "A\nA\ncustom\n${it.computerName()}\n".toString() }
    }

    def "should describe an instance's network interface like Azure, with the machine's address on the primary IP"() {
        when:
        def instance = scaleSet.virtualMachines().getInstance('0')
        def nics = instance.listNetworkInterfaces().toList()
        def single = network.networkInterfaces().getByVirtualMachineScaleSetInstanceId(RG, 'vmss', '0',
                nics[0].name())

        then:
        nics.size() == 1
        nics[0].virtualMachineId() == instance.id()
        nics[0].primaryIPConfiguration().subnetName() == 'default'
        nics[0].primaryIPConfiguration().networkId() == vnet.id()
        single.primaryPrivateIP() == endpoints['0'][0]
        instance.primaryNetworkInterfaceId() == nics[0].id()
    }

    def "should let the OpenSSH client log in to an instance at the published address and port"() {
        when:
        def ssh = new ProcessBuilder('ssh', '-i', dir.resolve('user').toString(), '-p', endpoints['1'][1] as String,
                '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
                '-o', 'IdentitiesOnly=yes', '-o', 'LogLevel=ERROR', "azureuser@${endpoints['1'][0]}".toString(),
                'cat /opt/imagebake/release; id -un').redirectErrorStream(true).start()
        def output = new String(ssh.inputStream.readAllBytes(), StandardCharsets.UTF_8)

        then:
        [ssh.waitFor(), output] == [0, 'A\nazureuser\n']
    }

    def "should not show the captured files on an instance of a marketplace scale set"() {
        when:
        def fresh = define('vmss-fresh').withLatestLinuxImage(JAMMY[0], JAMMY[1], JAMMY[2])
                .withRootUsername('freshuser').withSsh(publicKey('user')).withCapacity(1).create()
        def instance = fresh.virtualMachines().list().first()
        def output = awaitSsh(endpoint(instance), 'test -e /opt/imagebake || echo clean; id -un', 'freshuser')

        then:
        output == 'clean\nfreshuser\n'
    }

    def "should reimage only the instance a manual upgrade names, to the new model's image"() {
        given:
        endpoints.values().each { sshj(it, 'touch /var/tmp/before-upgrade') }
        compute.serviceClient().virtualMachineScaleSets.update(RG, 'vmss', new VirtualMachineScaleSetUpdate()
                .withVirtualMachineProfile(new VirtualMachineScaleSetUpdateVMProfile().withStorageProfile(
                        new VirtualMachineScaleSetUpdateStorageProfile().withImageReference(
                                new ImageReference().withId(versionB)))))

        when:
        compute.serviceClient().virtualMachineScaleSets.updateInstances(RG, 'vmss',
                new VirtualMachineScaleSetVMInstanceRequiredIDs().withInstanceIds(['1']))
        def instances = scaleSet.virtualMachines().list().collectEntries { [it.instanceId(), it] }
        endpoints['1'] = endpoint(instances['1'])
        def release = ['0', '1', '2'].collectEntries { [it, awaitSsh(endpoints[it],
                'cat /opt/imagebake/release; ls /var/tmp/before-upgrade 2>/dev/null || echo reimaged')] }

        then:
        instances.collectEntries { id, vm -> [id, vm.isLatestScaleSetUpdateApplied()] } ==
                ['0': false, '1': true, '2': false]
        release == ['0': 'A\n/var/tmp/before-upgrade\n', '1': 'B\nreimaged\n', '2': 'A\n/var/tmp/before-upgrade\n']
    }

    def "should end an instance's machine on deallocate and boot it again on start, disk kept"() {
        given:
        def instance = scaleSet.virtualMachines().getInstance('0')
        sshj(endpoints['0'], 'echo kept | sudo tee /opt/kept >/dev/null')

        when:
        instance.deallocate()
        def refused = !tryConnect(endpoints['0'])
        instance.start()
        def after = awaitSsh(endpoints['0'], 'cat /opt/kept /opt/imagebake/release')

        then:
        refused
        endpoint(scaleSet.virtualMachines().getInstance('0')) == endpoints['0']
        after == 'kept\nA\n'
    }

    def "should reboot an instance's machine on restart: /tmp emptied, disk kept"() {
        given:
        sshj(endpoints['0'], 'touch /tmp/before-restart')

        when:
        scaleSet.virtualMachines().getInstance('0').restart()
        def after = awaitSsh(endpoints['0'], 'ls /tmp/before-restart 2>/dev/null || echo rebooted; cat /opt/kept')

        then:
        after == 'rebooted\nkept\n'
    }

    def "should remove a deleted instance's machine and its disk"() {
        given:
        def vmId = scaleSet.virtualMachines().getInstance('2').innerModel().vmId()
        def disk = dir.resolve("data/vm/machines/$vmId")
        assert Files.isDirectory(disk)

        when:
        scaleSet.virtualMachines().deleteInstances('2')

        then:
        !tryConnect(endpoints['2'])
        !Files.exists(disk)
        scaleSet.virtualMachines().list()*.instanceId() == ['0', '1']
    }

    def "should boot the running instances again, on the same addresses, when the emulator restarts"() {
        when:
        emulator.close()
        def down = !tryConnect(endpoints['0'])
        emulator = start()
        def outputs = ['0', '1'].collect { awaitSsh(endpoints[it], 'cat /opt/imagebake/release') }

        then:
        down
        outputs == ['A\n', 'B\n']
        endpoint(compute.virtualMachineScaleSets().getByResourceGroup(RG, 'vmss').virtualMachines()
                .getInstance('1')) == endpoints['1']
    }

    def "should roll a new model image onto every machine of a Rolling scale set"() {
        given:
        def rolling = define('vmss-roll').withGeneralizedLinuxCustomImage(imageA).withRootUsername('azureuser')
                .withSsh(publicKey('user')).withCapacity(2).withUpgradeMode(UpgradeMode.ROLLING).create()
        def before = rolling.virtualMachines().list().collect { awaitSsh(endpoint(it), 'cat /opt/imagebake/release') }

        when:
        compute.serviceClient().virtualMachineScaleSets.update(RG, 'vmss-roll', new VirtualMachineScaleSetUpdate()
                .withVirtualMachineProfile(new VirtualMachineScaleSetUpdateVMProfile().withStorageProfile(
                        new VirtualMachineScaleSetUpdateStorageProfile().withImageReference(
                                new ImageReference().withId(versionB)))))
        long deadline = System.currentTimeMillis() + 30_000
        while (compute.serviceClient().virtualMachineScaleSetRollingUpgrades.getLatest(RG, 'vmss-roll')
                .runningStatus().code() == RollingUpgradeStatusCode.ROLLING_FORWARD
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(100)
        }
        def after = rolling.virtualMachines().list().collect { awaitSsh(endpoint(it), 'cat /opt/imagebake/release') }

        then:
        before == ['A\n', 'A\n']
        after == ['B\n', 'B\n']
    }

    // ---- helpers ----

    private Emulator start() {
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('data'), 0, new Operations.Settings(0, 1,
                Duration.ofSeconds(10)), Emulator.Machines.SANDBOX))
        compute = new AzureSdkClients(emulator.cloudFile()).computeManager()
        network = compute.networkManager()
        if (!compute.resourceManager().resourceGroups().contain(RG)) {
            compute.resourceManager().resourceGroups().define(RG).withRegion(Region.EUROPE_WEST).create()
            vnet = network.networks().define('vnet').withRegion(Region.EUROPE_WEST).withExistingResourceGroup(RG)
                    .withAddressSpace('10.0.0.0/16').withSubnet('default', '10.0.0.0/24').create()
        }
        emulator
    }

    /** A VM from the marketplace, given files under /opt and /etc with sudo, deprovisioned and captured. */
    private capture(String name, String release) {
        def nic = network.networkInterfaces().define("nic-$name").withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup(RG).withExistingPrimaryNetwork(vnet).withSubnet('default')
                .withPrimaryPrivateIPAddressDynamic().create()
        def vm = compute.virtualMachines().define("vm-$name").withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup(RG).withExistingPrimaryNetworkInterface(nic)
                .withLatestLinuxImage(JAMMY[0], JAMMY[1], JAMMY[2])
                .withRootUsername('builder').withSsh(publicKey('builder')).create()
        def address = [network.networkInterfaces().getByResourceGroup(RG, "nic-$name").primaryPrivateIP(), 22]
        awaitSsh(address, """set -e
sudo mkdir -p /opt/imagebake /etc/imagebake
echo $release | sudo tee /opt/imagebake/release >/dev/null
echo $release | sudo tee /etc/imagebake/release.conf >/dev/null
sudo /usr/sbin/waagent -force -deprovision+user >/dev/null""", 'builder', 'builder')
        vm.deallocate()
        vm.generalize()
        compute.virtualMachineCustomImages().define("img-$name").withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup(RG).fromVirtualMachine(vm).create()
    }

    private VirtualMachineScaleSet.DefinitionStages.WithOS define(String name) {
        compute.virtualMachineScaleSets().define(name).withRegion(Region.EUROPE_WEST).withExistingResourceGroup(RG)
                .withSku(VirtualMachineScaleSetSkuTypes.STANDARD_A0)
                .withExistingPrimaryNetworkSubnet(vnet, 'default')
                .withoutPrimaryInternetFacingLoadBalancer()
                .withoutPrimaryInternalLoadBalancer()
    }

    /** [address, port] as a client finds them: the primary private IP and the port tag of the instance's NIC. */
    private static List endpoint(VirtualMachineScaleSetVM instance) {
        def nic = instance.listNetworkInterfaces().first()
        [nic.primaryPrivateIP(), (nic.tags()?.get('imagebake-emulator-ssh-port') ?: '22') as int]
    }

    private String publicKey(String name) {
        Files.readString(dir.resolve("${name}.pub")).strip()
    }

    private void keygen(String name) {
        def p = new ProcessBuilder('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', name, '-f',
                dir.resolve(name).toString()).redirectErrorStream(true).start()
        assert p.waitFor() == 0
    }

    /** [exit status, stdout+stderr] of a command over sshj. */
    private List sshj(List endpoint, String command, String user = 'azureuser', String key = 'user') {
        new SSHClient().withCloseable { ssh ->
            ssh.addHostKeyVerifier(new PromiscuousVerifier())
            ssh.connect(endpoint[0] as String, endpoint[1] as int)
            ssh.authPublickey(user, ssh.loadKeys(dir.resolve(key).toString()))
            ssh.startSession().withCloseable { session ->
                def cmd = session.exec(command)
                def out = IOUtils.readFully(cmd.inputStream).toString(StandardCharsets.UTF_8) +
                        IOUtils.readFully(cmd.errorStream).toString(StandardCharsets.UTF_8)
                cmd.join(60, TimeUnit.SECONDS)
                [cmd.exitStatus == null ? -1 : cmd.exitStatus, out]
            }
        }
    }

    /** The output of a command that succeeds once the machine is up (within a minute). */
    private String awaitSsh(List endpoint, String command, String user = 'azureuser', String key = 'user') {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60)
        def last = null
        while (System.nanoTime() < deadline) {
            try {
                last = sshj(endpoint, command, user, key)
                if (last[0] == 0) {
                    return last[1]
                }
            } catch (IOException e) {
                last = e.message
            }
            Thread.sleep(50)
        }
        throw new AssertionError("no successful SSH command on $endpoint: $last")
    }

    private static boolean tryConnect(List endpoint) {
        try {
            new SSHClient().withCloseable { ssh ->
                ssh.addHostKeyVerifier(new PromiscuousVerifier())
                ssh.connectTimeout = 3000
                ssh.connect(endpoint[0] as String, endpoint[1] as int)
            }
            return true
        } catch (IOException e) {
            return false
        }
    }
}
