package dev.imagebake.builder.azure

import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.Inventory
import dev.imagebake.emulator.arm.Conditions
import dev.imagebake.emulator.arm.LatencyProfile
import dev.imagebake.emulator.arm.Operations
import dev.imagebake.testsupport.ChildImagebake
import dev.imagebake.testsupport.SeededEmulators
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.time.Instant
import java.util.concurrent.TimeUnit

/**
 * The temporary resource group is deleted while the gallery version replicates from the managed image, not after:
 * bakes in processes of their own against emulators on the realistic latency profile (at 4 % of Azure's pace: the
 * version replicates for about 10 s, the group takes about 7 s to delete), judged by the emulator's request log and
 * by what is left in it. The cleanup guarantees still hold: a failure or a Ctrl-C while the version replicates
 * leaves nothing but the captured managed image, which is reported; {@code --on-error=abort} deletes nothing early.
 */
class GroupDeletionOverlapSpec extends Specification {
    static final double SCALE = 0.04

    @TempDir
    @Shared
    Path dir

    @Shared
    Path seeded

    @Shared
    Set<String> seededIds

    def setupSpec() {
        seeded = SeededEmulators.seed(dir.resolve('seeded'))
        seededIds = Inventory.read(seeded).entries()*.id*.toLowerCase() as Set
    }

    def "should send the group's DELETE while the version replicates, wait for both, and leave only the images"() {
        when:
        Map r = bake('overlap')
        List<Map> log = r.requests
        int delete = groupDeletes(log).first()
        int lastVersionPoll = log.findLastIndexOf { it.path =~ /(?i)\/capsOperations\// }
        Instant versionDone = Instant.parse(log[lastVersionPoll].time)
        def left = r.inventory.findAll { !(it.id.toLowerCase() in seededIds) }

        then: 'one DELETE of the group, sent while the version was still replicating'
        r.code == 0
        groupDeletes(log).size() == 1
        delete < lastVersionPoll
        Instant.parse(log[delete].time).isBefore(versionDone)
        log.subList(delete, lastVersionPoll).any { it.path =~ /(?i)\/capsOperations\// }

        and: 'the build said so, waited for the deletion at the end, and recorded the version as before'
        r.out.contains("removal of resource group ${r.group} started: it goes on while the version replicates")
        r.out.contains("deleting resource group ${r.group} and everything in it (started while the gallery version replicated)")
        r.out.indexOf('removal of resource group') < r.out.indexOf('==> azure: publish gallery image version done')
        r.manifest.builds*.artifact_id == [left.find { it.type == 'Microsoft.Compute/galleries/images/versions' }.id]
        r.manifest.builds[0].status == 'succeeded'

        and: 'the group is gone; the managed image and the version are all that is left, both finished'
        left*.type.sort() == ['Microsoft.Compute/galleries/images/versions', 'Microsoft.Compute/images']
        left*.provisioningState == ['Succeeded', 'Succeeded']
    }

    def "a version that fails while the group is being deleted: the failure is reported and nothing but the image is left"() {
        when:
        Map r = bake('failed', ['PUT versions:lro-failed=GalleryImageVersionFailed'])
        int delete = groupDeletes(r.requests).first()
        int versionFailed = r.requests.findLastIndexOf { it.path =~ /(?i)\/capsOperations\// }
        def image = r.inventory.find { it.type == 'Microsoft.Compute/images' }

        then:
        r.code == 1
        r.out.contains('publishing gallery image version 1.0.0 failed: GalleryImageVersionFailed')
        delete < versionFailed
        groupDeletes(r.requests).size() == 1
        !r.out.contains('left behind')
        r.out.contains('its managed image was captured: it is kept and reported')
        r.inventory.findAll { !(it.id.toLowerCase() in seededIds) }*.id == [image.id]
        image.provisioningState == 'Succeeded'
        r.manifest.builds*.artifact_id == [image.id]
    }

    def "Ctrl-C while the version replicates and the group is being deleted: the build waits for the deletion and leaves only the image"() {
        when:
        Map r = bake('interrupted', [], 'removal of resource group')
        def image = r.inventory.find { it.type == 'Microsoft.Compute/images' }

        then: 'the deletion started before the Ctrl-C is the one the cleanup waited for'
        r.code == 130
        r.out.contains('Interrupted: stopping and cleaning up')
        r.out.contains('removing the gallery image version whose publishing did not finish')
        groupDeletes(r.requests).size() == 1
        !r.out.contains('left behind')
        r.out =~ /azure\s+cancelled\s+[^\n]*${java.util.regex.Pattern.quote(image.id)}\n/
        r.inventory.findAll { !(it.id.toLowerCase() in seededIds) }*.id == [image.id]
        image.provisioningState == 'Succeeded'
    }

    def "with --on-error=abort nothing is deleted early: a failed version leaves the group for a look"() {
        when:
        Map r = bake('abort', ['PUT versions:lro-failed=GalleryImageVersionFailed'], null, ['--on-error=abort'])

        then:
        r.code == 1
        r.out.contains('publishing gallery image version 1.0.0 failed: GalleryImageVersionFailed')
        !r.out.contains('removal of resource group')
        groupDeletes(r.requests).isEmpty()
        r.inventory.any { it.id.toLowerCase().endsWith("/resourcegroups/${r.group}".toLowerCase()) }
        r.inventory.any { it.type == 'Microsoft.Compute/virtualMachines' }
        r.out.toLowerCase().contains("/resourcegroups/${r.group}  (remove with: az group delete".toLowerCase())

        cleanup: 'the key copy the abort kept: its machine ended with the emulator'
        keptFolders(r?.group).each { it.toFile().deleteDir() }
    }

    /** The folders where --on-error=abort kept the machine's key for the build of this temporary group. */
    static List<Path> keptFolders(String group) {
        if (group == null) {
            return []
        }
        String prefix = 'imagebake-kept-' + group.replaceFirst(/^imagebake-/, '') + '-'
        java.nio.file.Files.list(Path.of(System.getProperty('java.io.tmpdir'))).withCloseable { entries ->
            entries.filter { it.fileName.toString().startsWith(prefix) }.toList()
        }
    }

    /**
     * One bake of a managed image and a one-region gallery version in a child JVM; with {@code marker}, SIGINT when
     * a line holds it. Returns its exit code, output, the emulator's request log and inventory, and the manifest.
     */
    Map bake(String name, List<String> faults = [], String marker = null, List<String> extra = []) {
        Path data = dir.resolve(name)
        Files.createDirectories(data)
        Files.list(seeded).withCloseable { files ->
            files.filter { Files.isRegularFile(it) && !it.fileName.toString().endsWith('.lock') }
                    .forEach { Files.copy(it, data.resolve(it.fileName)) }
        }
        Emulator emulator = Emulator.start(new Emulator.Settings(data, 0, Operations.Settings.DEFAULT,
                Emulator.Machines.SANDBOX).withConditions(Conditions.DEFAULT
                .withLatency(LatencyProfile.realistic(SCALE)).withFaults(faults as String[])))
        Path manifest = data.resolve('manifest.json')
        Path template = data.resolve('t.imagebake.groovy')
        Files.writeString(template, """
builder azure {
    location 'westeurope'
    vmSize 'Standard_B1s'
    source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
    managedImage 'web', resourceGroup: 'images'
    gallery 'corp', resourceGroup: 'images', image: 'web', version: '1.0.0', regions: [westeurope: 1]
    sshTimeout '120s'
}
provision shell { inline 'echo provisioned' }
post manifest { output '${manifest}' }
""")
        Process p = new ProcessBuilder(ChildImagebake.command(['build', '--cloud', emulator.cloudFile().toString()]
                + extra + [template.toString()])).redirectErrorStream(true).start()
        def reader = new BufferedReader(new InputStreamReader(p.inputStream, 'UTF-8'))
        StringBuilder out = new StringBuilder()
        int code
        try {
            String line
            while ((line = reader.readLine()) != null) {
                out.append(line).append('\n')
                if (marker != null && line.contains(marker)) {
                    assert new ProcessBuilder('kill', '-INT', p.pid().toString()).start().waitFor() == 0
                    marker = null
                }
            }
            assert p.waitFor(5, TimeUnit.MINUTES): "the child did not end:\n${out}"
            code = p.exitValue()
        } finally {
            p.destroyForcibly()
            emulator.close()
        }
        assert marker == null: "the child never printed the marker:\n${out}"
        String group = (out =~ /created resource group (imagebake-[a-z0-9-]+)/)[0][1]
        [code     : code, out: out.toString(), group: group,
         requests : Files.readAllLines(data.resolve('requests.log')).collect { new JsonSlurper().parseText(it) as Map },
         inventory: Inventory.read(data).entries(),
         manifest : Files.exists(manifest) ? new JsonSlurper().parse(manifest.toFile()) : null]
    }

    /** The indexes in the request log of the DELETE requests for a temporary group (the group itself). */
    static List<Integer> groupDeletes(List<Map> log) {
        (0..<log.size()).findAll { log[it].method == 'DELETE' && log[it].path =~ /(?i)\/resourcegroups\/imagebake-[^\/]+$/ }
    }
}
