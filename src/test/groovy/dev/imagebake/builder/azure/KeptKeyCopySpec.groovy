package dev.imagebake.builder.azure

import dev.imagebake.cli.Main
import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.Inventory
import dev.imagebake.testsupport.Poll
import dev.imagebake.testsupport.SeededEmulators
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.time.Instant

/**
 * `--on-error=abort` keeps the build machine and writes a copy of its key (0600, in an owner-only folder) so that a
 * person can log in; the copy is recorded with the machine's resources, and `gc` removes it with them.
 */
class KeptKeyCopySpec extends Specification {
    @TempDir
    Path dir

    def "gc removes the key copy that --on-error=abort kept, with the machine it belongs to"() {
        given:
        Emulator emulator = SeededEmulators.start(SeededEmulators.seed(dir.resolve('seeded')), dir.resolve('emulator'))
        Path template = dir.resolve('t.imagebake.groovy')
        Files.writeString(template, """
builder azure {
    location 'westeurope'
    vmSize 'Standard_B1s'
    source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
    managedImage 'web', resourceGroup: 'images'
    sshTimeout '60s'
}
provision shell { inline 'exit 3' }
""")
        def out = new ByteArrayOutputStream()
        def gcOut = new ByteArrayOutputStream()

        when:
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(out, true, 'UTF-8'), [:],
                ['build', '--on-error=abort', '--resume-lease', '1s', '--cloud', emulator.cloudFile().toString(), template.toString()] as String[])
        String text = out.toString('UTF-8')
        def kept = (text =~ /(\/\S*imagebake-kept-[^\/\s]+)\/id\b/)
        Path folder = kept.find() ? Path.of(kept.group(1)) : null

        then: 'the machine and its key copy are kept'
        code == 1
        folder != null
        Files.isRegularFile(folder.resolve('id'))

        when: 'the build is over (this process is alive, so by its age), and so is its hold for a resume'
        Instant held = Instant.parse(new groovy.json.JsonSlurper().parse(dir.resolve('.t.imagebake.resume.json'))
                .builds.azure.details.heldUntil as String)
        Poll.until('the end of the resume lease', 30) { Instant.now().isAfter(held) }
        int gc = Main.run(new PrintStream(gcOut, true, 'UTF-8'), new PrintStream(gcOut, true, 'UTF-8'), [:],
                ['gc', '--older-than', '0s', '--cloud', emulator.cloudFile().toString()] as String[])

        then:
        gc == 0
        gcOut.toString('UTF-8').contains("deleting the key copy kept for the machine: ${folder}")
        !Files.exists(folder)
        !Inventory.read(dir.resolve('emulator')).entries().any { it.id =~ /(?i)resourcegroups\/imagebake-/ }

        cleanup:
        emulator?.close()
        if (folder != null && Files.exists(folder)) {
            folder.toFile().deleteDir()
        }
    }
}
