package dev.imagebake.builder.azure

import dev.imagebake.cli.Main
import dev.imagebake.emulator.AzureSdkClients
import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.arm.Operations
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path

/**
 * When the build VM never answers SSH, the failure shows the end of its serial console log (managed boot
 * diagnostics, which the builder enables on the VM), with the template's secrets masked.
 */
class AzureSshBootLogSpec extends Specification {
    @TempDir
    Path dir

    static final String SECRET = 'S3cr3t-Token-4242'

    // Writing a file where the first entry made a folder makes the machine's first boot fail: no SSH, ever. The
    // shell's error names the path, which holds the secret.
    static final String TEMPLATE = '''
variable 'token', default: '%s', sensitive: true
builder azure {
    location 'westeurope'
    vmSize 'Standard_B1s'
    source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
    managedImage 'web', resourceGroup: 'images'
    sshTimeout '12s'
    customData "#cloud-config\\nwrite_files:\\n  - path: /etc/${var.token}/x.conf\\n    content: x\\n" +
            "  - path: /etc/${var.token}\\n    content: y\\n"
}
provision shell { inline 'true' }
'''.formatted(SECRET)

    def "should show the tail of the serial console log, secrets masked, when SSH never comes up"() {
        given:
        Emulator emulator = Emulator.start(new Emulator.Settings(dir.resolve('emulator'), 0, Operations.Settings.DEFAULT,
                Emulator.Machines.SANDBOX))
        AzureBuildFaultsSpec.seed(new AzureSdkClients(emulator.cloudFile()))
        Path template = dir.resolve('t.imagebake.groovy')
        Files.writeString(template, TEMPLATE)
        def out = new ByteArrayOutputStream()

        when:
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(out, true, 'UTF-8'), [:],
                ['build', '--cloud', emulator.cloudFile().toString(), template.toString()] as String[])
        String text = out.toString('UTF-8')
        List<String> tail = text.readLines().dropWhile { !it.contains('serial console log (last ') }
                .takeWhile { it.contains('serial console log (last ') || it.startsWith('    | ') }

        then: 'the message names the SSH wait, then the log: the failed write and the failed boot'
        code == 1
        text.contains('cannot log in over SSH within 12.0 s')
        tail.size() >= 3
        tail.size() <= 21
        tail[0] ==~ /.*serial console log \(last \d+ of \d+ lines\):/
        tail.any { it.contains('/etc/<sensitive>') && it.contains('Is a directory') }
        tail.last().contains('boot failed: the machine\'s boot script failed with status')

        and: 'the secret in the path is masked there as everywhere'
        !text.contains(SECRET)

        cleanup:
        emulator?.close()
    }
}
