package dev.imagebake.emulator.vm

import com.azure.core.management.Region
import com.azure.core.management.exception.ManagementException
import com.azure.resourcemanager.compute.ComputeManager
import com.azure.resourcemanager.compute.models.OperatingSystemStateTypes
import com.azure.resourcemanager.compute.models.VirtualMachineCustomImage
import com.azure.resourcemanager.network.NetworkManager
import com.azure.resourcemanager.network.models.Network
import com.azure.resourcemanager.resources.fluentcore.utils.ResourceManagerUtils
import dev.imagebake.emulator.AzureSdkClients
import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.arm.Operations
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.LinkOption
import java.nio.file.Path
import java.time.Duration

/**
 * Managed images "from a VHD" whose blobUri names a local folder or tarball: created with the real Azure SDK,
 * imported into a layer, and seen over real SSH (sshj) in VMs booted from them.
 */
class ImageImportSpec extends Specification {
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

    def setupSpec() {
        ResourceManagerUtils.InternalRuntimeContext.setDelayProvider({ Duration d -> Duration.ofMillis(10) })
        emulator = start(dir.resolve('data'), Emulator.Machines.SANDBOX)
        compute = new AzureSdkClients(emulator.cloudFile()).computeManager()
        network = compute.networkManager()
        compute.resourceManager().resourceGroups().define('rg').withRegion(Region.EUROPE_WEST).create()
        vnet = network.networks().define('vnet').withRegion(Region.EUROPE_WEST).withExistingResourceGroup('rg')
                .withAddressSpace('10.0.0.0/16').withSubnet('default', '10.0.0.0/24').create()
        shell = new MachineShell(dir, 'user')
    }

    def cleanupSpec() {
        emulator?.close()
    }

    def "should boot a VM from a folder's image with the folder's files over the host's root, owners kept"() {
        given:
        def folder = content('folder')
        def before = snapshot(folder)
        def uri = folder.toUri().toString()

        when:
        def image = imageFrom('from-folder', uri)
        def seen = shell.await(createVm('vm-folder', image.id()), 'azureuser', INSPECT)
        def market = shell.await(createVm('vm-market', null), 'azureuser', INSPECT)

        then:
        uri.startsWith('file:///')
        image.osDiskImage().blobUri() == uri
        seen == [0, 'hello from the folder\nsetting=1\n4321:4321 644\n0:0 640\nhost root below\n']
        market == [1, 'no /opt/app\nno /etc/app.conf\nhost root below\n']
        hostUntouched()
        snapshot(folder) == before
    }

    def "should boot a VM from a #compression tarball's image named by its absolute path"() {
        given:
        def tarball = dir.resolve("content-${compression}${suffix}")
        tar('--create', "--${compression}", '--file', tarball.toString(), '--directory',
                content("for-${compression}").toString(), '.')
        def bytes = Files.readAllBytes(tarball)

        when:
        def image = imageFrom("from-${compression}", tarball.toString())
        def seen = shell.await(createVm("vm-${compression}", image.id()), 'azureuser', INSPECT)

        then:
        seen == [0, 'hello from the folder\nsetting=1\n4321:4321 644\n0:0 640\nhost root below\n']
        hostUntouched()
        Files.readAllBytes(tarball) == bytes

        where:
        compression | suffix
        'gzip'      | '.tar.gz'
        'xz'        | '.txz'
        'bzip2'     | '.tar.bz2'
        'zstd'      | '.tar.zst'
    }

    def "should refuse a tarball that would write outside its layer and leave no trace: #what"() {
        given:
        def build = Files.createDirectories(dir.resolve("bad-$name/build"))
        Files.createDirectories(build.resolve('opt/app'))
        Files.writeString(build.resolve('opt/app/hello.txt'), 'hello\n')
        def victim = dir.resolve("bad-$name/victim")
        Files.createDirectories(victim)
        def tarball = dir.resolve("bad-$name/bad.tar")
        def entries = make(build, victim, tarball)
        def layers = dir.resolve('data/vm/layers')
        def layersBefore = Files.list(layers).withCloseable { it.toList().collect { it.fileName.toString() }.sort() }

        when:
        imageFrom("bad-$name", tarball.toUri().toString())

        then:
        def e = thrown(ManagementException)
        e.response.statusCode == 400
        e.value.code == 'InvalidParameter'
        e.value.message == "The tarball $tarball $message.".toString()
        Files.list(victim).withCloseable { it.toList() } == []
        Files.list(layers).withCloseable { it.toList().collect { it.fileName.toString() }.sort() } == layersBefore
        entries.size() > 1
        compute.virtualMachineCustomImages().listByResourceGroup('rg').collect { it.name() }
                .every { !it.startsWith('bad-') }

        where:
        what                          | name       | make                                  || message
        "a '..' entry"                | 'dotdot'   | ImageImportSpec.&dotDotTarball        || "has a path '../victim/escape' with '..'; entries must stay inside the image's root"
        'an absolute path'            | 'absolute' | ImageImportSpec.&absoluteTarball      || "has an absolute path '${dir}/bad-absolute/victim/escape'; entries must be relative to the image's root"
        'a file through its own link' | 'symlink'  | ImageImportSpec.&symlinkTarball       || "has an entry 'opt/app/link/escape' at or below the symbolic link 'opt/app/link' of the same archive"
    }

    def "should answer 400 for a compressed tarball its compressor cannot read"() {
        given: 'xz magic bytes followed by garbage'
        def broken = dir.resolve('broken.tar.xz')
        Files.write(broken, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2, 3, 4, 5, 6, 7, 8] as byte[])

        when:
        def answer = refusal('broken-xz', broken.toString())

        then:
        answer[0] == 400
        answer[2].startsWith("cannot decompress the tarball ${broken} with xz: ")
    }

    def "should answer 400 for a real VHD, a missing path, a top-level directory not overlaid and a top-level link"() {
        given:
        def stray = Files.createDirectories(dir.resolve('stray/data'))
        def linked = Files.createDirectories(dir.resolve('linked'))
        Files.createSymbolicLink(linked.resolve('etc'), dir.resolve('data'))

        when:
        def vhd = refusal('vhd', 'https://account.blob.core.windows.net/vhds/disk.vhd')
        def missing = refusal('missing', 'file:///nonexistent/imagebake/disk')
        def outside = refusal('outside', stray.parent.toUri().toString())
        def link = refusal('link', linked.toUri().toString())

        then:
        vhd == [400, 'InvalidParameter', 'The emulator cannot read the VHD at'
                + " 'https://account.blob.core.windows.net/vhds/disk.vhd' (properties.storageProfile.osDisk.blobUri)."
                + ' The emulator imports only local files: give a file:// URI or an absolute path naming a folder'
                + " or a .tar, .tar.gz, .tgz, .tar.xz, .txz, .tar.bz2, .tbz2, .tar.zst or .tzst file, whose content is"
                + " laid over the host's root."]
        missing == [400, 'InvalidParameter', 'properties.storageProfile.osDisk.blobUri names'
                + " /nonexistent/imagebake/disk, which does not exist on the emulator's host."]
        link == [400, 'InvalidParameter', "'etc' at the top of the image content must be a directory, not a link or"
                + ' file.']
        outside[0] == 400
        outside[2].startsWith("'data' at the top of the image content is not a directory the emulator's machines take"
                + ' from images on this host; use only etc, usr, var, opt,')
    }

    def "should keep an imported image a document without layers when the emulator runs no machines"() {
        given:
        def documents = start(dir.resolve('documents'), Emulator.Machines.NONE)
        def client = new AzureSdkClients(documents.cloudFile()).computeManager()
        client.resourceManager().resourceGroups().define('rg').withRegion(Region.EUROPE_WEST).create()
        def folder = content('for-documents')

        when:
        def image = client.virtualMachineCustomImages().define('docs').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('rg').withLinuxFromVhd(folder.toUri().toString(),
                OperatingSystemStateTypes.GENERALIZED).create()

        then:
        image.osDiskImage().blobUri() == folder.toUri().toString()
        !Files.exists(dir.resolve('documents/vm/layers'))

        cleanup:
        documents?.close()
    }

    // ---- helpers ----

    private static final String INSPECT = '''set -e
        for f in /opt/app/hello.txt /etc/app.conf; do test -e $f || { echo "no ${f%/hello.txt}"; st=1; }; done
        if [ -z "$st" ]; then sudo cat /opt/app/hello.txt /etc/app.conf; stat -c '%u:%g %a' /opt/app/hello.txt /etc/app.conf; fi
        test -x /usr/bin/ssh && echo host root below
        exit ${st:-0}'''

    private static Emulator start(Path data, Emulator.Machines machines) {
        Emulator.start(new Emulator.Settings(data, 0, new Operations.Settings(0, 1, Duration.ofSeconds(10)), machines))
    }

    /** opt/app/hello.txt (owner 4321, mode 644) and etc/app.conf (root, mode 640). */
    private Path content(String name) {
        def folder = Files.createDirectories(dir.resolve(name))
        Files.createDirectories(folder.resolve('opt/app'))
        Files.createDirectories(folder.resolve('etc'))
        Files.writeString(folder.resolve('opt/app/hello.txt'), 'hello from the folder\n')
        Files.writeString(folder.resolve('etc/app.conf'), 'setting=1\n')
        Files.setAttribute(folder.resolve('opt/app/hello.txt'), 'unix:uid', 4321)
        Files.setAttribute(folder.resolve('opt/app/hello.txt'), 'unix:gid', 4321)
        Files.setPosixFilePermissions(folder.resolve('opt/app/hello.txt'),
                java.nio.file.attribute.PosixFilePermissions.fromString('rw-r--r--'))
        Files.setPosixFilePermissions(folder.resolve('etc/app.conf'),
                java.nio.file.attribute.PosixFilePermissions.fromString('rw-r-----'))
        folder
    }

    /** Every path with its type, owner, mode, time and content. */
    private static Map<String, List> snapshot(Path folder) {
        Files.walk(folder).withCloseable { walk ->
            walk.toList().collectEntries { path ->
                def a = Files.readAttributes(path, 'unix:mode,uid,gid,lastModifiedTime', LinkOption.NOFOLLOW_LINKS)
                def body = Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS) ? Files.readString(path) : null
                [(folder.relativize(path).toString()): [a.mode, a.uid, a.gid, a.lastModifiedTime.toString(), body]]
            }
        }
    }

    private static boolean hostUntouched() {
        !Files.exists(Path.of('/opt/app'), LinkOption.NOFOLLOW_LINKS)
                && !Files.exists(Path.of('/etc/app.conf'), LinkOption.NOFOLLOW_LINKS)
    }

    private VirtualMachineCustomImage imageFrom(String name, String blobUri) {
        compute.virtualMachineCustomImages().define(name).withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('rg').withLinuxFromVhd(blobUri, OperatingSystemStateTypes.GENERALIZED)
                .create()
    }

    /** [status, code, message] of a refused image creation. */
    private List refusal(String name, String blobUri) {
        try {
            imageFrom(name, blobUri)
            return [201]
        } catch (ManagementException e) {
            return [e.response.statusCode, e.value.code, e.value.message]
        }
    }

    /** A VM from the image, or from the marketplace when {@code imageId} is null; returns its address. */
    private String createVm(String name, String imageId) {
        def pip = network.publicIpAddresses().define("pip-$name").withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('rg').withStaticIP().create()
        def nic = network.networkInterfaces().define("nic-$name").withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('rg').withExistingPrimaryNetwork(vnet).withSubnet('default')
                .withPrimaryPrivateIPAddressDynamic().withExistingPrimaryPublicIPAddress(pip).create()
        compute.virtualMachines().define(name).withRegion(Region.EUROPE_WEST).withExistingResourceGroup('rg')
                .withExistingPrimaryNetworkInterface(nic)
                .with { imageId == null ? it.withLatestLinuxImage('Canonical', '0001-com-ubuntu-server-jammy',
                        '22_04-lts-gen2') : it.withGeneralizedLinuxCustomImage(imageId) }
                .withRootUsername('azureuser').withSsh(shell.publicKey()).create()
        network.publicIpAddresses().getByResourceGroup('rg', "pip-$name").ipAddress()
    }

    private static List<String> tar(String... args) {
        def p = new ProcessBuilder(['tar'] + args.toList()).redirectErrorStream(true).start()
        def out = new String(p.inputStream.readAllBytes())
        assert p.waitFor() == 0: out
        out.readLines()
    }

    /** GNU tar keeps '..' and leading '/' only with --absolute-names. */
    private static List<String> dotDotTarball(Path build, Path victim, Path tarball) {
        Files.writeString(victim.resolve('escape'), 'out\n')
        def entries = tar('--create', '--verbose', '--absolute-names', '--file', tarball.toString(), '--directory',
                build.toString(), 'opt', '../victim/escape')
        Files.delete(victim.resolve('escape'))
        entries
    }

    private static List<String> absoluteTarball(Path build, Path victim, Path tarball) {
        Files.writeString(victim.resolve('escape'), 'out\n')
        def entries = tar('--create', '--verbose', '--absolute-names', '--file', tarball.toString(), '--directory',
                build.toString(), 'opt', victim.resolve('escape').toString())
        Files.delete(victim.resolve('escape'))
        entries
    }

    /** opt/app/link pointing at the victim folder, then a file opt/app/link/escape meant to land through it. */
    private static List<String> symlinkTarball(Path build, Path victim, Path tarball) {
        Files.createSymbolicLink(build.resolve('opt/app/link'), victim)
        def other = Files.createDirectories(build.resolveSibling('other/opt/app/link'))
        Files.writeString(other.resolve('escape'), 'out\n')
        tar('--create', '--verbose', '--file', tarball.toString(), '--directory', build.toString(), 'opt',
                '--directory', build.resolveSibling('other').toString(), 'opt/app/link/escape')
    }
}
