package dev.imagebake.builder.azure

import dev.imagebake.dsl.TemplateHarness
import dev.imagebake.plan.AzureBuilderSpec
import dev.imagebake.testsupport.TemplateRun
import spock.lang.Specification
import spock.lang.TempDir
import spock.lang.Unroll

import java.nio.file.Files
import java.nio.file.Path

/**
 * {@code sshPrivateKeyFile}: the build logs in with the user's own key, the VM's admin user gets its public half, and
 * the key's text shows nowhere (the plan holds the path only).
 */
class AzureSshKeyFileSpec extends Specification {
    static final String SOURCE = "source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')"

    @TempDir
    Path folder

    @TempDir
    Path emulator

    @TempDir
    Path elsewhere

    @Unroll
    def "a build with the user's own #type key (#where path) should log in with it, give the VM its public key and never show it"() {
        given:
        Path key = (where == 'relative' ? folder.resolve('keys') : elsewhere).resolve("id_${type}")
        Files.createDirectories(key.parent)
        keygen(type, key)
        String given = where == 'relative' ? "keys/id_${type}" : key.toString()
        List<String> publicKey = Files.readString(Path.of(key.toString() + '.pub')).trim().split(' ').take(2)
        // The key file's base64 carries the public key too: lines that are only public key bytes may show.
        List<String> secretLines = Files.readAllLines(key).findAll { !it.startsWith('-----') && it.length() >= 8 }
                .findAll { !publicKey[1].contains(it) }

        when:
        def plan = TemplateRun.plan(folder, template(given))
        def run = TemplateRun.emulated(folder, template(given), emulator)
        List<String> authorized = run.out.readLines().findAll { it.startsWith('    azure: key: ') }
                .collect { it.substring('    azure: key: '.length()) }

        then:
        plan.code == 0
        plan.out.readLines().contains("  sshPrivateKeyFile       ${given}".toString())
        run.code == 0
        run.out.contains("the admin user imagebake gets the public key of ${given}")
        authorized.size() == 1
        authorized[0].split(' ').take(2) == publicKey
        secretLines.size() >= 3
        secretLines.every { !run.out.contains(it) && !run.err.contains(it) && !plan.out.contains(it) }
        !run.out.contains('PRIVATE KEY') && !plan.out.contains('PRIVATE KEY')

        where:
        type      | where
        'ed25519' | 'relative'
        'rsa'     | 'absolute'
    }

    def "the plan should hold the path of the key, not the key"() {
        given:
        keygen('ed25519', folder.resolve('id'))

        when:
        def result = TemplateHarness.evaluate(template('id'), [:], folder)
        def azure = result.plan().builds()[0].builder() as AzureBuilderSpec

        then:
        result.ok()
        azure.sshPrivateKeyFile() == 'id'
        !azure.toString().contains(Files.readAllLines(folder.resolve('id'))[1])
    }

    def "a key file that cannot be used should be refused at its line and column, saying what to do"() {
        given:
        keygen('ed25519', folder.resolve('locked'), 'secret phrase')
        keygen('ed25519', folder.resolve('id'))
        Files.writeString(folder.resolve('notes.txt'), 'hello\n')

        expect:
        errors("sshPrivateKeyFile '${path}'") == [expected]

        where:
        path        || expected
        'locked'    || "6:5: `sshPrivateKeyFile`: the private key 'locked' is encrypted (it has a passphrase), and imagebake cannot ask for it: use a copy without a passphrase (cp locked COPY && ssh-keygen -p -N '' -f COPY) and name the copy"
        'id.pub'    || "6:5: `sshPrivateKeyFile`: 'id.pub' is not an SSH private key; give an OpenSSH (ssh-keygen), PEM or PKCS#8 private key file, not the .pub file"
        'notes.txt' || "6:5: `sshPrivateKeyFile`: 'notes.txt' is not an SSH private key; give an OpenSSH (ssh-keygen), PEM or PKCS#8 private key file, not the .pub file"
        'missing'   || "6:5: `sshPrivateKeyFile`: no file 'missing' next to the template"
        '../id'     || "6:5: `sshPrivateKeyFile`: '../id' leads out of the template's folder; templates can only use files in their own folder and below (or below a folder given with --root)"
        '/nonexistent/id_ed25519' || "6:5: `sshPrivateKeyFile`: no file '/nonexistent/id_ed25519'"
    }

    private List<String> errors(String line) {
        TemplateHarness.evaluate("""builder azure {
    location 'westeurope'
    ${SOURCE}
    managedImage 'own-key', resourceGroup: 'images'

    ${line}
}
""", [:], folder).diagnostics().collect { "${it.at().line()}:${it.at().column()}: ${it.message()}".toString() }
    }

    private static String template(String key) {
        """
builder azure {
    location 'westeurope'
    ${SOURCE}
    managedImage 'own-key', resourceGroup: 'images'
    sshPrivateKeyFile '${key}'
}
provision shell { inline 'sed "s/^/key: /" ~/.ssh/authorized_keys' }
"""
    }

    private static void keygen(String type, Path file, String passphrase = '') {
        Process p = new ProcessBuilder(['ssh-keygen', '-q', '-t', type] + (type == 'rsa' ? ['-b', '2048'] : []) +
                ['-N', passphrase, '-C', 'spec-key', '-f', file.toString()]).redirectErrorStream(true).start()
        String out = p.inputStream.text
        assert p.waitFor() == 0, out
    }
}
