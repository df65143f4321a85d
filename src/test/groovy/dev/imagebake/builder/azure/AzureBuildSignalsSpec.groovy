package dev.imagebake.builder.azure

import dev.imagebake.testsupport.ChildImagebake
import dev.imagebake.cli.Main
import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.Inventory
import dev.imagebake.testsupport.SeededEmulators
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.Callable
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

/**
 * Bakes in processes of their own, stopped by real signals: SIGINT and SIGTERM (the build cleans up, reports what it
 * made and what is left, and exits 130) and SIGKILL (nothing can run; `gc` must then find everything by its tags).
 * The step boundaries are not listed here: a bake runs first and its output says which steps a bake has. Each stop
 * waits for the child to print the step's start line, never for a fixed time.
 *
 * What is judged is what is left: after each case the emulator's inventory may hold only the seeded gallery and what
 * the build (or gc) reported, as an artifact, as kept, or as left behind.
 */
class AzureBuildSignalsSpec extends Specification {
    @TempDir
    @Shared
    Path dir

    @Shared
    Path seeded

    @Shared
    Set<String> seededIds

    @Shared
    List<String> boundaries

    static final int PARALLEL = Integer.getInteger('signals.parallel', 4)

    def setupSpec() {
        seeded = SeededEmulators.seed(dir.resolve('seeded'))
        seededIds = Inventory.read(seeded).entries()*.id*.toLowerCase() as Set
        Map recording = run('recording', null, null)
        assert recording.code == 0: recording.out
        boundaries = recording.out.readLines().collect { (it =~ /^==> azure: (.+)$/) }.findAll { it.matches() }
                .collect { it.group(1) }
                .findAll { !(it =~ /done in |^artifact: |^starting |^finished in |FAILED|failed/) }.unique()
        println "A bake has ${boundaries.size()} steps: ${boundaries}"
        assert boundaries.size() >= 10
    }

    def "SIGINT, SIGTERM and SIGKILL then gc at the start of every step leave nothing unreported"() {
        given:
        List<Map> cases = []
        boundaries.each { b -> ['INT', 'TERM', 'KILL'].each { s -> cases << [boundary: b, signal: s] } }
        cases.eachWithIndex { c, i -> c.name = "case${i}" }

        when:
        long started = System.nanoTime()
        def pool = Executors.newFixedThreadPool(PARALLEL)
        def futures = cases.collect { c -> pool.submit({ run(c.name, c.boundary, c.signal) } as Callable<Map>) }
        List<Map> results = futures.collect { it.get(15, TimeUnit.MINUTES) }
        pool.shutdown()
        List<String> problems = []
        [cases, results].transpose().each { Map c, Map r ->
            String why = judge(r)
            println String.format('%-4s SIG%-4s at %-32s %s', r.code, c.signal, c.boundary, why ? '<== ' + why : 'ok')
            if (why) {
                problems << "SIG${c.signal} at '${c.boundary}': ${why}\n" + (r.out + (r.gcOut ?: '')).readLines()
                        .takeRight(14).collect { '      ' + it }.join('\n')
            }
        }
        println "${cases.size()} cases in ${(System.nanoTime() - started).intdiv(1_000_000_000L)} s, ${PARALLEL} at a time"

        then:
        problems.join('\n') == ''
    }

    def "a second Ctrl-C during the cleanup of a finished build: manifest written, 'succeeded, cleanup interrupted', what is left listed"() {
        when: 'the temporary group takes for ever to delete'
        Map r = run('cleanup', 'deleting resource group', 'INT', ['DELETE resourcegroups:hang'], true)
        def manifest = new JsonSlurper().parse(r.manifest.toFile())
        String group = r.inventory.find { it.id =~ /(?i)resourcegroups\/imagebake-[^\/]+$/ }?.id

        then:
        r.code == 130
        r.out.contains('Skipping the cleanup')
        r.out =~ /azure\s+succeeded, cleanup interrupted\s/
        group != null
        r.out.toLowerCase().contains("left behind by azure:\n  ${group.toLowerCase()}  (remove with: az group delete")
        manifest.builds.size() == 1
        manifest.builds[0].artifact_id.endsWith('/versions/1.0.0')
        manifest.builds[0].status == 'succeeded, cleanup interrupted'
        manifest.builds[0].leftovers.any { it.toLowerCase().startsWith(group.toLowerCase()) }
        r.inventory.findAll { it.type == 'Microsoft.Compute/galleries/images/versions' }*.provisioningState == ['Succeeded']
    }

    def "Ctrl-C while the gallery version is published: the captured managed image is the reported artifact, the unfinished version is removed"() {
        when:
        Map r = run('publish-int', 'publishing web 1.0.0', 'INT', ['PUT versions:hang'])
        def manifest = new JsonSlurper().parse(r.manifest.toFile())
        def image = r.inventory.find { it.type == 'Microsoft.Compute/images' }

        then:
        r.code == 130
        image.provisioningState == 'Succeeded'
        r.out =~ /azure\s+cancelled\s+[^\n]*${java.util.regex.Pattern.quote(image.id)}\n/
        manifest.builds*.artifact_id == [image.id]
        r.inventory.findAll { !(it.id.toLowerCase() in seededIds) }*.id == [image.id]
    }

    def "kill -9 while the gallery version is published: gc lists the captured image as kept and removes the rest; --include-artifacts removes it too"() {
        when:
        Map r = run('publish-kill', 'publishing web 1.0.0', 'KILL', ['PUT versions:hang'])
        def image = r.inventory.find { it.type == 'Microsoft.Compute/images' }

        then: 'gc found the image by its tags; it keeps it, and removed the unfinished version and the group'
        r.gcCode == 0
        r.gcOut =~ /Kept 1 finished image\(s\) of builds that did not end \(delete them too with --include-artifacts\):\n  ${java.util.regex.Pattern.quote(image.id)}/
        r.inventory.findAll { !(it.id.toLowerCase() in seededIds) }*.id == [image.id]

        when:
        Emulator emulator = SeededEmulators.start(dir.resolve('publish-kill'), dir.resolve('publish-kill-again'))
        def out = new ByteArrayOutputStream()
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(out, true, 'UTF-8'), [:],
                ['gc', '--include-artifacts', '--cloud', emulator.cloudFile().toString()] as String[])
        def left = Inventory.read(dir.resolve('publish-kill-again')).entries()
        emulator.close()

        then:
        code == 0
        out.toString('UTF-8').contains("deleting ${image.id}")
        left*.id*.toLowerCase() as Set == seededIds
    }

    /**
     * One bake in a child JVM against an emulator of its own; when {@code marker} shows in its output, the child gets
     * {@code signal} (with {@code twice}, a second one once the first is acknowledged); after
     * SIGKILL, {@code gc} runs as a person would.
     */
    Map run(String name, String marker, String signal, List<String> faults = [], boolean twice = false) {
        Path data = dir.resolve(name)
        Emulator emulator = SeededEmulators.start(seeded, data, faults as String[])
        Path manifest = data.resolve('manifest.json')
        Path template = data.resolve('t.imagebake.groovy')
        Files.writeString(template, """
builder azure {
    location 'westeurope'
    vmSize 'Standard_B1s'
    source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
    managedImage 'web', resourceGroup: 'images'
    gallery 'corp', resourceGroup: 'images', image: 'web', version: '1.0.0', regions: [westeurope: 1]
    sshTimeout '60s'
    operationTimeout '60s'
}
provision shell { inline 'echo provisioned' }
post manifest { output '${manifest}' }
""")
        Process p = new ProcessBuilder(ChildImagebake.command(['build', '--cloud', emulator.cloudFile().toString(),
                template.toString()])).redirectErrorStream(true).start()
        def reader = new BufferedReader(new InputStreamReader(p.inputStream, 'UTF-8'))
        StringBuilder out = new StringBuilder()
        Map result = [:]
        try {
            if (marker != null) {
                boolean exact = marker in (boundaries ?: [])
                if (!readUntil(reader, out) { exact ? it == "==> azure: ${marker}".toString() : it.contains(marker) }) {
                    result.missed = "the child never printed '${marker}'"
                }
                kill(p, signal)
                if (twice) {
                    readUntil(reader, out) { it.contains('Interrupted: stopping') }
                    kill(p, signal)
                }
            }
            readUntil(reader, out) { false }
            assert p.waitFor(5, TimeUnit.MINUTES): "the child did not end:\n${out}"
            result.code = p.exitValue()
            if (signal == 'KILL') {
                def gc = new ByteArrayOutputStream()
                result.gcCode = Main.run(new PrintStream(gc, true, 'UTF-8'), new PrintStream(gc, true, 'UTF-8'), [:],
                        ['gc', '--cloud', emulator.cloudFile().toString()] as String[])
                result.gcOut = gc.toString('UTF-8')
            }
        } finally {
            p.destroyForcibly()
            emulator.close()
        }
        result + [out: out.toString(), inventory: Inventory.read(data).entries(), manifest: manifest,
                  signal: signal]
    }

    static boolean readUntil(BufferedReader reader, StringBuilder out, Closure<Boolean> done) {
        String line
        while ((line = reader.readLine()) != null) {
            out.append(line).append('\n')
            if (done(line)) {
                return true
            }
        }
        false
    }

    static void kill(Process p, String signal) {
        assert new ProcessBuilder('kill', "-${signal}", p.pid().toString()).start().waitFor() == 0
    }

    /** Null when the case ended as it must; otherwise what is wrong. */
    String judge(Map r) {
        if (r.missed) {
            return r.missed
        }
        String reported = (r.out + (r.gcOut ?: '')).toLowerCase()
        if (r.signal == 'KILL') {
            if (r.gcCode != 0) {
                return "gc exit ${r.gcCode}"
            }
        } else if (r.code != 130) {
            return "exit ${r.code}"
        }
        if (r.out =~ /Exception|\bat dev\.imagebake\./) {
            return 'a Java exception reached the output'
        }
        def left = r.inventory.findAll { !(it.id.toLowerCase() in seededIds) }
        def groups = left.findAll { it.id =~ /(?i)resourcegroups\/imagebake-/ }
        if (groups && r.signal == 'KILL') {
            return "gc left ${groups*.id}"
        }
        def unreported = left.findAll { e ->
            String id = e.id.toLowerCase()
            String group = id.replaceFirst('(/subscriptions/[^/]+/resourcegroups/[^/]+).*', '$1')
            !reported.contains(id) && !reported.contains(group + '  ')
        }
        if (unreported) {
            return "left without being reported: ${unreported.collect { "${it.id} (${it.provisioningState})" }}"
        }
        def unfinished = left.findAll { it.provisioningState != 'Succeeded' }
        if (unfinished) {
            return "unfinished resources left: ${unfinished*.id}"
        }
        if (Files.exists(r.manifest)) {
            def ids = r.inventory*.id
            def missing = new JsonSlurper().parse(r.manifest.toFile()).builds*.artifact_id.findAll { !(it in ids) }
            if (missing) {
                return "the manifest names what does not exist: ${missing}"
            }
        }
        null
    }
}
