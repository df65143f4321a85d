package dev.imagebake.communicator

import dev.imagebake.testsupport.LoopbackSshd
import spock.lang.Shared
import spock.lang.Specification

import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration

import static dev.imagebake.testsupport.TemplateRun.build
import static dev.imagebake.testsupport.TemplateRun.folderWithKey
import static dev.imagebake.testsupport.TemplateRun.sshBuilder

/** Logging in fails with a message that says what is wrong and what to write instead, against a real sshd. */
class LoginErrorsSpec extends Specification {
    static final String ADVICE = "imagebake has no passphrase setting: use a copy of the key without a passphrase " +
            "(cp KEY COPY && ssh-keygen -p -N '' -f COPY), or add the key to ssh-agent (ssh-add KEY) and log in " +
            "with `agent true` instead of `privateKey`"

    @Shared
    LoopbackSshd sshd = new LoopbackSshd()

    def cleanupSpec() {
        sshd.close()
    }

    Path folder

    def setup() {
        folder = folderWithKey(sshd)
    }

    def cleanup() {
        folder.toFile().deleteDir()
    }

    String encryptedKey(List<String> format) {
        Path key = folder.resolve('id_enc')
        LoopbackSshd.run((['ssh-keygen', '-q', '-N', 'secret-passphrase', '-f', key.toString()] + format) as String[])
        Files.readString(key)
    }

    def "an encrypted key file in a template is refused at its line, saying how to proceed (#format)"() {
        given:
        encryptedKey(format)

        when:
        def run = build(folder, sshBuilder(sshd).replace("file('id_ed25519')", "file('id_enc')"))

        then:
        run.code == 2
        run.err.readLines()[0] == "${folder.resolve('t.imagebake.groovy')}:6:5: the private key 'id_enc' is encrypted " +
                "(it has a passphrase); " + ADVICE.replace('KEY', 'id_enc')
        !run.out.contains('connect')

        where:
        format << [['-t', 'ed25519'], ['-t', 'ecdsa', '-m', 'PEM'], ['-t', 'ecdsa', '-m', 'PKCS8']]
    }

    def "an encrypted key that reaches the login says so, and the login is not retried"() {
        given:
        def endpoint = new SshEndpoint('127.0.0.1', sshd.port, LoopbackSshd.USER, encryptedKey(['-t', 'ed25519']), null,
                null, false, [sshd.hostKeyFingerprint], null, false, null)

        when:
        SshCommunicator.connect(endpoint, Duration.ofSeconds(20), {}).close()

        then:
        def e = thrown(ConnectionFailedException)
        e.message == "login to ${LoopbackSshd.USER}@127.0.0.1:${sshd.port} failed: the private key is encrypted " +
                "(it has a passphrase); " + ADVICE
        !e.retryable()
    }

    def "a host missing from known_hosts is refused with its fingerprint and the three ways to trust it"() {
        given:
        Path knownHosts = folder.resolve('known_hosts')
        Files.writeString(knownHosts, '')

        when:
        def run = build(folder, sshBuilder(sshd).replace("hostKey '${sshd.hostKeyFingerprint}'",
                "knownHosts 'known_hosts'") + "provision shell { inline 'echo no' }\n")

        then:
        run.code == 1
        run.out.contains("the host key of 127.0.0.1:${sshd.port} is unknown: ${knownHosts} does not list it: " +
                "refusing to connect. The machine presented ${sshd.hostKeyFingerprint}; once you have checked that it " +
                "is the machine's (on the machine: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), trust it with " +
                "hostKey '${sshd.hostKeyFingerprint}', or with knownHosts 'FILE' naming a known_hosts file that lists " +
                "the host, or turn the check off with insecureHostKey true")
        !run.out.contains('box: no')
    }

    def "a host listed in known_hosts with another key is refused as changed"() {
        given:
        Path other = folder.resolve('other_host')
        LoopbackSshd.run('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', other.toString())
        Path knownHosts = folder.resolve('known_hosts')
        Files.writeString(knownHosts, "[127.0.0.1]:${sshd.port} " +
                Files.readString(Path.of("${other}.pub")).split(' ')[0..1].join(' ') + '\n')

        when:
        def run = build(folder, sshBuilder(sshd).replace("hostKey '${sshd.hostKeyFingerprint}'",
                "knownHosts 'known_hosts'") + "provision shell { inline 'echo no' }\n")

        then:
        run.code == 1
        run.out.contains("the host key of 127.0.0.1:${sshd.port} has changed: ${knownHosts} lists another key for " +
                "it, and the machine presented ${sshd.hostKeyFingerprint}: refusing to connect (another machine " +
                "answers there, or its keys were made anew; once you trust the new key, write hostKey " +
                "'${sshd.hostKeyFingerprint}', or remove the old line with ssh-keygen -R '[127.0.0.1]:${sshd.port}' " +
                "-f ${knownHosts})")
    }
}
