package dev.imagebake.emulator.vm

import com.azure.core.management.Region
import com.azure.resourcemanager.compute.ComputeManager
import com.azure.resourcemanager.compute.models.HyperVGeneration
import com.azure.resourcemanager.compute.models.VirtualMachine
import com.azure.resourcemanager.network.NetworkManager
import com.azure.resourcemanager.network.models.Network
import com.azure.resourcemanager.resources.fluentcore.utils.ResourceManagerUtils
import dev.imagebake.emulator.AzureSdkClients
import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.arm.Operations
import net.schmizz.sshj.SSHClient
import net.schmizz.sshj.common.IOUtils
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
 * Emulated VMs as sandboxed Linux machines: created with the real Azure SDK, used over real SSH (sshj and the
 * OpenSSH client), provisioned, deprovisioned, rebooted, deallocated, captured into an image and booted from it.
 */
@Stepwise
class SandboxVmSpec extends Specification {
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
    VirtualMachine vm

    @Shared
    String address

    @Shared
    long readyMillis

    @Shared
    String hostEtcPasswd

    def setupSpec() {
        ResourceManagerUtils.InternalRuntimeContext.setDelayProvider({ Duration d -> Duration.ofMillis(10) })
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('data'), 0, new Operations.Settings(0, 1,
                Duration.ofSeconds(10)), Emulator.Machines.SANDBOX))
        compute = new AzureSdkClients(emulator.cloudFile()).computeManager()
        network = compute.networkManager()
        compute.resourceManager().resourceGroups().define('rg').withRegion(Region.EUROPE_WEST).create()
        vnet = network.networks().define('vnet').withRegion(Region.EUROPE_WEST).withExistingResourceGroup('rg')
                .withAddressSpace('10.0.0.0/16').withSubnet('default', '10.0.0.0/24').create()
        keygen('user', 'ed25519')
        keygen('other', 'ed25519')
        keygen('host', 'ed25519')
        hostEtcPasswd = Files.readString(Path.of('/etc/passwd'))
    }

    def cleanupSpec() {
        emulator?.close()
    }

    def "should answer over SSH within a second of the VM's create operation, with the cloud-config applied"() {
        given:
        def cloudConfig = """#cloud-config
ssh_keys:
  ed25519_private: |
${Files.readString(dir.resolve('host')).readLines().collect { '    ' + it }.join('\n')}
  ed25519_public: ${Files.readString(dir.resolve('host.pub')).strip()}
users:
  - default
  - name: deployer
    ssh_authorized_keys:
      - ${Files.readString(dir.resolve('other.pub')).strip()}
write_files:
  - path: /etc/imagebake/from-cloud-init.conf
    content: |
      written=yes
    permissions: '0640'
runcmd:
  - echo ran > /var/tmp/runcmd-marker
  - [touch, /var/tmp/runcmd-list]
"""

        when:
        vm = createVm('vm-build', 'azureuser', cloudConfig)
        long created = System.nanoTime()
        String output = awaitOpenssh(address, 'azureuser', 'user', 'echo ready')
        readyMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - created)
        println "SSH ready ${readyMillis} ms after the VM's create operation finished"
        println Files.readString(dir.resolve("data/vm/machines/${vm.vmId()}/boot.log"))

        then:
        output == 'ready\n'
        address ==~ /127\.\d+\.\d+\.\d+/
        // The goal is one second (met on an idle machine); the bound leaves room for a shared, loaded CI host.
        readyMillis < 5000
        network.publicIpAddresses().getByResourceGroup('rg', 'pip-vm-build').ipAddress() == address
        vm.tags().get('imagebake-emulator-ssh-port') == null

        and: 'cloud-init wrote its file and ran its commands; the extra user has its key'
        sshj(address, 'azureuser', 'user', 'sudo cat /etc/imagebake/from-cloud-init.conf; stat -c %a /etc/imagebake/from-cloud-init.conf; for i in 1 2 3 4 5 6 7 8 9 10; do [ -f /var/lib/cloud/instance/boot-finished ] && break; sleep 0.5; done; cat /var/tmp/runcmd-marker; ls /var/tmp/runcmd-list') ==
                [0, 'written=yes\n640\nran\n/var/tmp/runcmd-list\n']
        sshj(address, 'deployer', 'other', 'id -un') == [0, 'deployer\n']
    }

    def "should pin the host key from cloud-init for the OpenSSH client and run commands as the admin user"() {
        given:
        def knownHosts = dir.resolve('known_hosts')
        Files.writeString(knownHosts, address + ' ' + Files.readString(dir.resolve('host.pub')).strip() + '\n')

        when:
        def result = openssh(address, 'azureuser', 'user', knownHosts, 'id -un; test "$(id -u)" = "$(getent passwd azureuser | cut -d: -f3)" && test "$(id -u)" != 0 && echo uid-ok; sudo -n id -u; hostname')

        then:
        result[0] == 0
        result[1] == 'azureuser\nuid-ok\n0\nvm-build\n'
    }

    def "should keep provisioning writes under /etc and /opt in the VM and leave the host untouched"() {
        when:
        def result = sshj(address, 'azureuser', 'user', '''set -e
sudo mkdir -p /opt/app /etc/app
echo config | sudo tee /etc/app/app.conf >/dev/null
echo payload > /tmp/payload
sudo install -m 755 /tmp/payload /opt/app/run.sh
echo hello | sudo tee -a /etc/motd-imagebake >/dev/null
sudo sh -c 'echo "127.0.0.9 imagebake-test" >> /etc/hosts'
cat /etc/app/app.conf /opt/app/run.sh; stat -c '%U %a' /opt/app/run.sh''')

        then:
        result == [0, 'config\npayload\nroot 755\n']
        !Files.exists(Path.of('/etc/app/app.conf'))
        !Files.exists(Path.of('/opt/app/run.sh'))
        !Files.exists(Path.of('/etc/motd-imagebake'))
        !Files.readString(Path.of('/etc/hosts')).contains('imagebake-test')
        Files.readString(Path.of('/etc/passwd')) == hostEtcPasswd
    }

    def "should install a Debian package with sudo dpkg into the VM's layer, the host's package database untouched"() {
        given:
        def hostStatus = Files.readString(Path.of('/var/lib/dpkg/status'))

        when:
        def result = sshj(address, 'azureuser', 'user', '''set -e
mkdir -p pkg/DEBIAN pkg/usr/share/imagebake-probe
printf 'Package: imagebake-probe\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@example.com>\nDescription: probe\n' > pkg/DEBIAN/control
echo probe > pkg/usr/share/imagebake-probe/file
dpkg-deb --root-owner-group -b pkg probe.deb >/dev/null
sudo dpkg -i probe.deb >/dev/null
dpkg-query -W -f '${Status}\n' imagebake-probe; stat -c %U /usr/share/imagebake-probe/file''')

        then:
        result == [0, 'install ok installed\nroot\n']
        Files.readString(Path.of('/var/lib/dpkg/status')) == hostStatus
        !Files.exists(Path.of('/usr/share/imagebake-probe'))
    }

    def "should serve SFTP and scp to sshj and OpenSSH"() {
        given:
        def knownHosts = dir.resolve('known_hosts')
        def local = dir.resolve('upload.txt')
        Files.writeString(local, 'uploaded\n')

        when:
        def downloaded = new SSHClient().withCloseable { ssh ->
            ssh.addHostKeyVerifier(new net.schmizz.sshj.transport.verification.PromiscuousVerifier())
            ssh.connect(address, 22)
            ssh.authPublickey('azureuser', ssh.loadKeys(dir.resolve('user').toString()))
            ssh.newSFTPClient().withCloseable { sftp ->
                sftp.get('/etc/hostname', dir.resolve('hostname').toString())
            }
            Files.readString(dir.resolve('hostname'))
        }
        def scp = new ProcessBuilder('scp', '-O', '-i', dir.resolve('user').toString(), '-o', 'BatchMode=yes',
                '-o', "UserKnownHostsFile=$knownHosts".toString(), local.toString(),
                "azureuser@$address:upload.txt".toString()).redirectErrorStream(true).start()
        def scpOut = new String(scp.inputStream.readAllBytes())
        def scpStatus = scp.waitFor()

        then:
        downloaded == 'vm-build\n'
        [scpStatus, scpOut] == [0, '']
        sshj(address, 'azureuser', 'user', 'cat ~/upload.txt') == [0, 'uploaded\n']
    }

    def "should serve imagebake's own SSH communicator: pinned host key, folder upload, command, download"() {
        given:
        def fingerprint = new ProcessBuilder('ssh-keygen', '-l', '-E', 'sha256', '-f', dir.resolve('host.pub').toString())
                .start().inputStream.text.split(' ')[1]
        def endpoint = new dev.imagebake.communicator.SshEndpoint(address, 22, 'azureuser',
                Files.readString(dir.resolve('user')), null, null, false, [fingerprint], null, false, null)
        def folder = Files.createDirectories(dir.resolve('bundle/conf'))
        Files.writeString(folder.resolve('app.ini'), 'ini\n')
        def lines = []

        when:
        def result = dev.imagebake.communicator.SshCommunicator.connect(endpoint, Duration.ofSeconds(30), { } as
                java.util.function.Consumer).withCloseable { ssh ->
            ssh.upload(dir.resolve('bundle'), '/tmp/bundle')
            def run = ssh.run(dev.imagebake.communicator.RemoteCommand.of(
                    'sudo cp -r /tmp/bundle /opt/bundle && cat /opt/bundle/conf/app.ini'), { stream, line -> lines << line })
            ssh.download('/opt/bundle/conf/app.ini', dir.resolve('downloaded.ini'))
            run
        }

        then:
        result.exitStatus() == 0
        lines == ['ini']
        Files.readString(dir.resolve('downloaded.ini')) == 'ini\n'
    }

    def "should hide the host's processes and the emulator's data folder and refuse writes outside the layers"() {
        when:
        def processes = sshj(address, 'azureuser', 'user', 'ls /proc | grep -c "^[0-9]"')
        def data = sshj(address, 'azureuser', 'user', "test -e ${dir.resolve('data')} && echo visible || echo hidden")
        def sysctl = sshj(address, 'azureuser', 'user', 'echo 1 | sudo tee /proc/sys/vm/drop_caches')
        def mount = sshj(address, 'azureuser', 'user', 'sudo mount -t tmpfs none /mnt')
        def unmount = sshj(address, 'azureuser', 'user', 'sudo umount /proc/sys')
        def sysrq = sshj(address, 'azureuser', 'user', 'echo h | sudo tee /proc/sysrq-trigger')

        then:
        (processes[1].strip() as int) < 15
        ProcessHandle.allProcesses().count() > (processes[1].strip() as int)
        data == [0, 'hidden\n']
        sysctl[0] != 0
        sysctl[1].contains('Read-only file system')
        mount[0] != 0
        unmount[0] != 0
        sysrq[0] != 0
    }

    def "should drop the SSH connection on reboot and come back with the disk kept and /tmp empty"() {
        given:
        sshj(address, 'azureuser', 'user', 'touch /tmp/before-reboot')

        when:
        def dropped = false
        try {
            sshj(address, 'azureuser', 'user', 'sudo reboot; sleep 30; echo not-rebooted')
        } catch (IOException e) {
            dropped = true
        }
        def after = awaitSsh(address, 'azureuser', 'user', 'ls /tmp; cat /etc/app/app.conf')

        then:
        dropped
        after == 'config\n'
    }

    def "should end the VM's processes on deallocate and bring them back on start"() {
        given:
        sshj(address, 'azureuser', 'user', 'setsid sleep 1000 </dev/null >/dev/null 2>&1 &')

        when:
        vm.deallocate()
        def refused = tryConnect(address)
        vm.start()
        def after = awaitSsh(address, 'azureuser', 'user', 'pgrep -c sleep || true; cat /opt/app/run.sh')

        then:
        !refused
        after == '0\npayload\n'
    }

    def "should deprovision like the Azure agent: the user, its keys and the host keys go"() {
        when:
        def result = sshj(address, 'azureuser', 'user', 'sudo /usr/sbin/waagent -force -deprovision+user')
        def login = tryLogin(address, 'azureuser', 'user')

        then:
        result[0] == 0
        result[1].contains('azureuser account and entire home directory will be deleted')
        !login
    }

    def "should capture the generalized VM into an image whose VMs show its files, unlike a marketplace VM"() {
        given:
        vm.deallocate()
        vm.generalize()
        def image = compute.virtualMachineCustomImages().define('img').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('rg').fromVirtualMachine(vm).create()

        when:
        def fromImage = createVmFromImage('vm-from-image', image.id())
        def fromImageAddress = address
        def files = awaitSsh(fromImageAddress, 'builder', 'other',
                'sudo cat /etc/app/app.conf /opt/app/run.sh /etc/imagebake/from-cloud-init.conf 2>&1; getent passwd azureuser || echo no-azureuser; ls /etc/ssh/ssh_host_ed25519_key.pub')
        def hostKey = sshj(fromImageAddress, 'builder', 'other', 'cat /etc/ssh/ssh_host_ed25519_key.pub')[1]
        def fresh = createVm('vm-fresh', 'freshuser', null)
        def freshFiles = awaitSsh(address, 'freshuser', 'user', 'ls /etc/app /opt/app 2>&1 | wc -l; test -e /etc/imagebake || echo clean')

        then:
        fromImageAddress != address
        files.startsWith('config\npayload\nwritten=yes\nno-azureuser\n/etc/ssh/ssh_host_ed25519_key.pub\n')
        hostKey.split(' ')[1] != Files.readString(dir.resolve('host.pub')).split(' ')[1]
        freshFiles == '2\nclean\n'
    }

    def "should publish the image as a gallery version whose VMs start with the image's content"() {
        given:
        def imageId = compute.virtualMachineCustomImages().getByResourceGroup('rg', 'img').id()
        compute.galleries().define('gallery').withRegion(Region.EUROPE_WEST).withExistingResourceGroup('rg').create()
        compute.galleryImages().define('linux').withExistingGallery('rg', 'gallery').withLocation(Region.EUROPE_WEST)
                .withIdentifier('imagebake', 'sandbox', 'test').withGeneralizedLinux()
                .withHyperVGeneration(HyperVGeneration.V2).create()
        def version = compute.galleryImageVersions().define('1.0.0').withExistingImage('rg', 'gallery', 'linux')
                .withLocation(Region.EUROPE_WEST).withSourceCustomImage(imageId).create()

        when:
        createVmFromImage('vm-from-gallery', version.id(), true)
        def files = awaitSsh(address, 'builder', 'other', 'sudo cat /etc/app/app.conf /opt/app/run.sh; hostname')

        then:
        files == 'config\npayload\nvm-from-gallery\n'
    }

    def "should end every machine process when the emulator closes"() {
        when:
        emulator.close()
        emulator = null

        then:
        ProcessHandle.current().descendants().filter { it.info().command().orElse('').contains('unshare') }.count() == 0
        !tryConnect(address)
    }

    def "should boot the running VMs again when the emulator starts again on the same data folder"() {
        when:
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('data'), 0, new Operations.Settings(0, 1,
                Duration.ofSeconds(10)), Emulator.Machines.SANDBOX))
        def output = awaitSsh(address, 'builder', 'other', 'hostname; sudo cat /opt/app/run.sh')

        then:
        output == 'vm-from-gallery\npayload\n'
    }

    // ---- helpers ----

    private VirtualMachine createVm(String name, String user, String customData) {
        def pip = network.publicIpAddresses().define("pip-$name").withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('rg').withStaticIP().create()
        def nic = network.networkInterfaces().define("nic-$name").withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('rg').withExistingPrimaryNetwork(vnet).withSubnet('default')
                .withPrimaryPrivateIPAddressDynamic().withExistingPrimaryPublicIPAddress(pip).create()
        def definition = compute.virtualMachines().define(name).withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('rg').withExistingPrimaryNetworkInterface(nic)
                .withLatestLinuxImage('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
                .withRootUsername(user).withSsh(Files.readString(dir.resolve('user.pub')).strip())
        def created = (customData == null ? definition : definition.withCustomData(
                Base64.encoder.encodeToString(customData.getBytes(StandardCharsets.UTF_8)))).create()
        address = network.publicIpAddresses().getByResourceGroup('rg', "pip-$name").ipAddress()
        assert network.networkInterfaces().getByResourceGroup('rg', "nic-$name").primaryPrivateIP() == address
        created
    }

    private VirtualMachine createVmFromImage(String name, String imageId, boolean gallery = false) {
        def pip = network.publicIpAddresses().define("pip-$name").withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('rg').withStaticIP().create()
        def nic = network.networkInterfaces().define("nic-$name").withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('rg').withExistingPrimaryNetwork(vnet).withSubnet('default')
                .withPrimaryPrivateIPAddressDynamic().withExistingPrimaryPublicIPAddress(pip).create()
        def created = compute.virtualMachines().define(name).withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('rg').withExistingPrimaryNetworkInterface(nic)
                .with { gallery ? it.withGeneralizedLinuxGalleryImageVersion(imageId)
                        : it.withGeneralizedLinuxCustomImage(imageId) }
                .withRootUsername('builder').withSsh(Files.readString(dir.resolve('other.pub')).strip()).create()
        address = network.publicIpAddresses().getByResourceGroup('rg', "pip-$name").ipAddress()
        created
    }

    private void keygen(String name, String type) {
        def p = new ProcessBuilder('ssh-keygen', '-q', '-t', type, '-N', '', '-C', name, '-f',
                dir.resolve(name).toString()).redirectErrorStream(true).start()
        assert p.waitFor() == 0
    }

    /** [exit status, stdout+stderr] of a command over sshj. */
    private List sshj(String host, String user, String key, String command) {
        new SSHClient().withCloseable { ssh ->
            ssh.addHostKeyVerifier(new net.schmizz.sshj.transport.verification.PromiscuousVerifier())
            ssh.connect(host, 22)
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

    private List openssh(String host, String user, String key, Path knownHosts, String command) {
        def p = new ProcessBuilder('ssh', '-i', dir.resolve(key).toString(), '-o', 'BatchMode=yes',
                '-o', 'StrictHostKeyChecking=yes', '-o', "UserKnownHostsFile=$knownHosts".toString(),
                '-o', 'IdentitiesOnly=yes', "$user@$host".toString(), command).redirectErrorStream(true).start()
        def out = new String(p.inputStream.readAllBytes(), StandardCharsets.UTF_8)
        [p.waitFor(), out]
    }

    private String awaitSsh(String host, String user, String key, String command) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60)
        while (true) {
            try {
                def result = sshj(host, user, key, command)
                if (result[0] == 0) {
                    return result[1]
                }
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw e
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no SSH on $host")
            }
            Thread.sleep(20)
        }
    }

    /** Polls with the OpenSSH client (no JVM warm-up in the measured time), host key pinned as cloud-init set it. */
    private String awaitOpenssh(String host, String user, String key, String command) {
        def knownHosts = dir.resolve('known_hosts')
        Files.writeString(knownHosts, host + ' ' + Files.readString(dir.resolve('host.pub')).strip() + '\n')
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60)
        while (true) {
            def result = openssh(host, user, key, knownHosts, command)
            if (result[0] == 0 || System.nanoTime() > deadline) {
                return result[1]
            }
            Thread.sleep(20)
        }
    }

    private boolean tryLogin(String host, String user, String key) {
        try {
            sshj(host, user, key, 'true')
            return true
        } catch (IOException e) {
            return false
        }
    }

    private static boolean tryConnect(String host) {
        try {
            new SSHClient().withCloseable { ssh ->
                ssh.addHostKeyVerifier(new net.schmizz.sshj.transport.verification.PromiscuousVerifier())
                ssh.connectTimeout = 3000
                ssh.connect(host, 22)
            }
            return true
        } catch (IOException e) {
            return false
        }
    }
}
