package dev.imagebake.builder.ssh

import dev.imagebake.dsl.TemplateHarness
import dev.imagebake.plan.AzureBuilderSpec
import dev.imagebake.plan.SshBuilderSpec
import dev.imagebake.testsupport.LoopbackSshd
import dev.imagebake.testsupport.Poll
import dev.imagebake.testsupport.TemplateRun
import spock.lang.Shared
import spock.lang.Specification

import java.nio.file.Path
import java.time.Duration

import static dev.imagebake.testsupport.TemplateRun.folderWithKey
import static dev.imagebake.testsupport.TemplateRun.sshBuilder

/**
 * The read/write timeout (Packer's ssh_read_write_timeout; {@code readWriteTimeout} in builder ssh,
 * {@code sshReadWriteTimeout} in builder azure) against a real OpenSSH sshd on loopback: a machine that stops
 * answering without closing the connection fails the step within the timeout, and a quiet live one does not.
 */
class ReadWriteTimeoutSpec extends Specification {
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

    def "a connection that stalls while a script runs should fail the step within the timeout, naming it"() {
        given: "a script that runs for long, so that only the timeout can end the step"
        String marker = "sleep 1${System.nanoTime() % 1000}.5"
        TemplateRun run = null
        Thread build = Thread.start {
            run = TemplateRun.build(folder, sshBuilder(sshd, 'box', "readWriteTimeout '5s'") + """
provision shell { inline 'echo started', '${marker}', 'echo never' }
""")
        }
        List<String> frozen = []

        when: "the machine stops answering (its sshd frozen) while the script runs"
        Poll.until('the script running on the machine', 60) { sshd.runs(marker) }
        frozen = sshd.freezeConnections()
        long frozenAt = System.nanoTime()
        build.join(90_000)
        double seconds = (System.nanoTime() - frozenAt) / 1e9

        then:
        !build.alive
        run.code == 1
        run.out.contains('box: started')
        !run.out.contains('never')
        run.out.contains("the connection to ${LoopbackSshd.USER}@127.0.0.1:${sshd.port} stalled while the inline " +
                "commands ran: the machine sent nothing for 5s (readWriteTimeout), so the connection is taken as dead " +
                "(if the script reboots or restarts the network, set expectDisconnect true)")
        // Nothing arrived for the timeout (keep-alive answers came up to a second before the freeze), and the step
        // ended then, not at the end of the script; generous bounds for a loaded machine.
        seconds >= 3.5
        seconds < 45

        cleanup:
        sshd.thawConnections(frozen)
        build?.join(30_000)
        killLeft(marker)
    }

    def "a live machine running a command quieter than the timeout should not trip it"() {
        when:
        def run = TemplateRun.build(folder, sshBuilder(sshd, 'box', "readWriteTimeout '5s'") + '''
provision shell { inline 'sleep 12', 'echo done after a quiet while' }
''')

        then:
        run.code == 0
        run.out.contains('box: done after a quiet while')
    }

    def "the timeout should be in the plan, 0s should mean none, and a timeout under 5s should be refused"() {
        expect:
        ssh("readWriteTimeout '5m'").readWriteTimeout() == Duration.ofMinutes(5)
        ssh("readWriteTimeout '0s'").readWriteTimeout() == null
        ssh('').readWriteTimeout() == null
        azure("sshReadWriteTimeout '2m'").sshReadWriteTimeout() == Duration.ofMinutes(2)
        azure('').sshReadWriteTimeout() == null
        TemplateRun.plan(folder, sshBuilder(sshd, 'box', "readWriteTimeout '5m'")).out
                .readLines().any { it ==~ / +readWriteTimeout +5m/ }
        TemplateHarness.errors("builder ssh {\n    host 'h'\n    user 'u'\n    password 'p'\n    readWriteTimeout '2s'\n}\n") ==
                ["5:5: `readWriteTimeout` is '0s' (no timeout) or at least '5s': imagebake asks the machine to answer every third of it, and a shorter one would cut connections that are only slow"]
    }

    private static SshBuilderSpec ssh(String line) {
        TemplateHarness.evaluate("builder ssh {\n    host 'h'\n    user 'u'\n    password 'p'\n    ${line}\n}\n")
                .plan().builds()[0].builder() as SshBuilderSpec
    }

    private static AzureBuilderSpec azure(String line) {
        TemplateHarness.evaluate("""builder azure {
    location 'westeurope'
    source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
    managedImage 'x', resourceGroup: 'images'
    ${line}
}
""").plan().builds()[0].builder() as AzureBuilderSpec
    }

    /** Ends the script's sleep if it outlived its connection, by process id. */
    private static void killLeft(String marker) {
        String pids = LoopbackSshd.run(['pgrep', '-u', LoopbackSshd.USER, '-f', marker], true)
        if (pids) {
            LoopbackSshd.run(['kill', '-9'] + pids.readLines()*.trim().findAll { it }, true)
        }
    }
}
