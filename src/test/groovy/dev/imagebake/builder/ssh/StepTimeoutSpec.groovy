package dev.imagebake.builder.ssh

import dev.imagebake.testsupport.LoopbackSshd
import spock.lang.Shared
import spock.lang.Specification

import java.nio.file.Path

import static dev.imagebake.testsupport.TemplateRun.build
import static dev.imagebake.testsupport.TemplateRun.folderWithKey
import static dev.imagebake.testsupport.TemplateRun.sshBuilder

/**
 * A step's timeout against a real OpenSSH sshd: it ends the timed-out attempt (its remote processes included) and
 * nothing else; the retry, the onError steps and the steps after really run.
 */
class StepTimeoutSpec extends Specification {
    @Shared
    LoopbackSshd sshd = new LoopbackSshd()

    def cleanupSpec() {
        sshd.close()
    }

    Path folder
    String marker = "/tmp/ib-timeout-${System.nanoTime()}"
    String sleep = "sleep 30.${System.nanoTime() % 100000}" // unique, so that pgrep finds only this one

    def setup() {
        folder = folderWithKey(sshd)
    }

    def cleanup() {
        folder.toFile().deleteDir()
        sshd.asUser("rm -f ${marker}")
    }

    private String sleeping() {
        sshd.asUser("pgrep -u ${LoopbackSshd.USER} -f '[${sleep[0]}]${sleep.substring(1)}' || true").trim()
    }

    def "the retry of a timed-out step really runs, after the timed-out command is gone"() {
        when:
        def run = build(folder, sshBuilder(sshd) + """
provision shell {
    inline 'if [ -e ${marker} ]; then echo "retry ran; sleepers: \$(pgrep -c -f "[${sleep[0]}]${sleep.substring(1)}")"; exit 0; fi', 'touch ${marker}', '${sleep}'
    timeout '2s'
    retries 1
}
provision shell { inline 'echo next step ran' }
""")

        then:
        run.code == 0
        run.out.contains('timed out after 2.0 s')
        run.out.contains('trying again in 1 s (attempt 2 of 2)')
        run.out.contains('box: retry ran; sleepers: 0')
        run.out.contains('box: next step ran')
        sleeping() == ''
    }

    def "a retry that times out as well fails the build, and leaves nothing running"() {
        when:
        def run = build(folder, sshBuilder(sshd) + """
provision shell { inline 'echo "attempt started"', '${sleep}'; timeout '2s'; retries 1 }
provision shell { inline 'echo never' }
""")

        then:
        run.code == 1
        run.out.readLines().count { it.trim() == 'box: attempt started' } == 2
        run.out.readLines().count { it.contains('failed after') && it.endsWith('timed out after 2.0 s') } == 2
        !run.out.contains('box: never')
        run.out =~ /box\s+failed/
        sleeping() == ''
    }

    def "an onError step after a timeout really runs"() {
        when:
        def run = build(folder, sshBuilder(sshd) + """
provision shell { inline '${sleep}'; timeout '2s' }
onError { provision shell { inline 'echo "collecting logs; sleepers: \$(pgrep -c -f "[${sleep[0]}]${sleep.substring(1)}")"', 'touch ${marker}' } }
""")

        then:
        run.code == 1
        run.out.contains('timed out after 2.0 s')
        run.out.contains('provisioning failed; running the 1 onError step')
        run.out.contains('box: collecting logs; sleepers: 0')
        sshd.asUser("test -e ${marker} && echo yes || echo no").trim() == 'yes'
        sleeping() == ''
    }

    def "a timeout ends a local command that prints nothing, with what it started"() {
        given:
        File localMarker = folder.resolve('finished').toFile()

        when:
        def run = build(folder, sshBuilder(sshd) + """
provision shellLocal { inline 'echo local started', '${sleep}', 'touch finished'; timeout '2s' }
onError { provision shell { inline 'echo collecting logs' } }
""")

        then:
        run.code == 1
        run.out.contains('box: local started')
        run.out.contains('timed out after 2.0 s')
        run.out.contains('box: collecting logs')
        !localMarker.exists()
        LoopbackSshd.run(['pgrep', '-f', "[${sleep[0]}]${sleep.substring(1)}".toString()], true) == null
    }

    def "a timeout ends an upload that cannot finish, and the next step runs"() {
        given: 'a destination that blocks whoever writes to it'
        String fifo = "/tmp/ib-fifo-${System.nanoTime()}"
        sshd.asUser("mkfifo ${fifo}")
        java.nio.file.Files.writeString(folder.resolve('a.txt'), 'alpha\n')

        when:
        def run = build(folder, sshBuilder(sshd) + """
provision file { source 'a.txt'; destination '${fifo}'; timeout '2s' }
onError { provision shell { inline 'echo collecting logs' } }
""")

        then:
        run.code == 1
        run.out.contains('timed out after 2.0 s')
        run.out.contains('box: collecting logs')
        remoteGone(fifo)

        cleanup:
        sshd.asUser("timeout 5 cat ${fifo} >/dev/null; rm -f ${fifo}")
    }

    /** Whether every remote process whose command line names {@code marker} ends within 15 s. */
    static boolean remoteGone(String marker) {
        long deadline = System.nanoTime() + 15_000_000_000L
        while (LoopbackSshd.run(['pgrep', '-u', LoopbackSshd.USER, '-f', marker], true) != null) {
            if (System.nanoTime() > deadline) {
                return false
            }
            Thread.onSpinWait()
        }
        true
    }
}
