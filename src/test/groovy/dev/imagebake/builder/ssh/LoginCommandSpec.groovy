package dev.imagebake.builder.ssh

import dev.imagebake.builder.Builders
import dev.imagebake.engine.Engine
import dev.imagebake.engine.OnError
import dev.imagebake.engine.Reporter
import dev.imagebake.engine.Secrets
import dev.imagebake.plan.BreakpointStep
import dev.imagebake.plan.Build
import dev.imagebake.plan.Plan
import dev.imagebake.plan.ShellStep
import dev.imagebake.plan.SourcePosition
import dev.imagebake.plan.SshBuilderSpec
import dev.imagebake.plan.Step
import dev.imagebake.plan.StepOptions
import dev.imagebake.testsupport.LoopbackSshd
import spock.lang.Shared
import spock.lang.Specification

import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.attribute.PosixFilePermissions
import java.time.Duration

import static dev.imagebake.testsupport.TemplateRun.build
import static dev.imagebake.testsupport.TemplateRun.folderWithKey
import static dev.imagebake.testsupport.TemplateRun.sshBuilder

/**
 * The ssh commands printed by --on-error=abort and by a breakpoint are run as printed, by the real OpenSSH client
 * in batch mode (no prompt may be answered), against a real sshd.
 */
class LoginCommandSpec extends Specification {
    @Shared
    LoopbackSshd sshd = new LoopbackSshd()

    def cleanupSpec() {
        sshd.close()
    }

    Path folder

    def setup() {
        folder = folderWithKey(sshd)
        Files.setPosixFilePermissions(folder.resolve('id_ed25519'), PosixFilePermissions.fromString('rw-------'))
    }

    def cleanup() {
        folder.toFile().deleteDir()
    }

    /** Runs the printed command through a shell, as pasted, in batch mode, with {@code remote} as its command. */
    static Map login(String printed, String remote) {
        assert printed.startsWith('ssh ')
        def process = new ProcessBuilder('sh', '-c', '/usr/bin/ssh -o BatchMode=yes ' + printed.substring(4) + ' '
                + remote).start()
        String out = process.inputStream.getText('UTF-8')
        String err = process.errorStream.getText('UTF-8')
        [code: process.waitFor(), out: out, err: err]
    }

    def "--on-error=abort prints an ssh command that logs in as printed, with the template's own key file"() {
        when:
        def run = build(folder, sshBuilder(sshd) + "provision shell { inline 'exit 1' }\n", ['--on-error=abort'])
        def printed = run.out =~ /(?m)kept for inspection; log in with: (ssh .*)$/
        printed.find()
        String command = printed.group(1)
        def shape = command =~ /^ssh -i (\S+) -o UserKnownHostsFile=(\S+) -p (\d+) (\S+)$/

        then:
        run.code == 1
        shape.matches()
        shape.group(1) == folder.resolve('id_ed25519').toAbsolutePath().toString()
        shape.group(3) == "${sshd.port}"
        shape.group(4) == "${LoopbackSshd.USER}@127.0.0.1"

        and: 'the known_hosts file holds the host key the build verified, in an owner-only folder of its own'
        Path knownHosts = Path.of(shape.group(2))
        knownHosts.fileName.toString() == 'known_hosts'
        knownHosts.parent.fileName.toString().startsWith('imagebake-kept-')
        Files.getPosixFilePermissions(knownHosts.parent) == PosixFilePermissions.fromString('rwx------')
        Files.list(knownHosts.parent).withCloseable { it.toList()*.fileName*.toString() } == ['known_hosts']

        and: 'it runs commands there, with no prompt'
        login(command, 'true').code == 0
        def hostname = login(command, 'hostname')
        hostname.code == 0
        hostname.out.trim() == InetAddress.localHost.hostName

        cleanup:
        knownHosts?.parent?.toFile()?.deleteDir()
    }

    def "a key file others can read is named with the chmod that makes ssh accept it"() {
        given:
        Path key = folder.resolve('id_ed25519').toAbsolutePath()
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString('rw-r--r--'))

        when:
        def run = build(folder, sshBuilder(sshd) + "provision shell { inline 'exit 1' }\n", ['--on-error=abort'])
        def printed = run.out =~ /(?m)--on-error=abort: .*$/
        printed.find()

        then:
        printed.group() ==~ "--on-error=abort: nothing was cleaned up; the build machine is kept for inspection " +
                "\\(ssh ignores a key others can read: chmod 600 ${key} first\\); log in with: ssh -i ${key} " +
                "-o UserKnownHostsFile=\\S+ -p ${sshd.port} ${LoopbackSshd.USER}@127\\.0\\.0\\.1"

        cleanup:
        def kept = printed ? printed.group() =~ /UserKnownHostsFile=(\S+)/ : null
        if (kept?.find()) {
            Path.of(kept.group(1)).parent.toFile().deleteDir()
        }
    }

    def "with a bastion, the printed command goes through it with its own key and known host key"() {
        given:
        String bastion = """
    bastion {
        host '127.0.0.1'
        port ${sshd.port}
        user '${LoopbackSshd.USER}'
        privateKey file('id_ed25519')
        hostKey '${sshd.hostKeyFingerprint}'
    }"""

        when:
        def run = build(folder, sshBuilder(sshd, 'box', bastion) + "provision shell { inline 'exit 1' }\n",
                ['--on-error=abort'])
        def printed = run.out =~ /(?m)kept for inspection; log in with: (ssh .*)$/
        printed.find()
        String command = printed.group(1)
        String key = folder.resolve('id_ed25519').toAbsolutePath()
        def shape = command =~ ("^ssh -i ${key} -o UserKnownHostsFile=(\\S+) -p ${sshd.port} -o 'ProxyCommand=ssh " +
                "-i ${key} -o UserKnownHostsFile=(\\S+) -p ${sshd.port} -W %h:%p ${LoopbackSshd.USER}@127\\.0\\.0\\.1' " +
                "${LoopbackSshd.USER}@127\\.0\\.0\\.1\$")

        then:
        run.code == 1
        shape.matches()
        shape.group(1) == shape.group(2)

        and: 'it runs commands there, with no prompt'
        def reached = login(command, 'echo through-the-jump')
        reached.out == 'through-the-jump\n'
        reached.code == 0

        cleanup:
        if (shape?.matches()) {
            Path.of(shape.group(1)).parent.toFile().deleteDir()
        }
    }

    def "a key that lives only in memory is kept owner-only next to the known_hosts file"() {
        given: 'a build whose key was not read from a file, as the azure builder generates one'
        def spec = new SshBuilderSpec('127.0.0.1', sshd.port, LoopbackSshd.USER, sshd.clientKeyText, null, false,
                sshd.hostKeyFingerprint, null, false, null, Duration.ofSeconds(10))
        def failing = new Step(new ShellStep(['exit 1'], [], [:], false, ShellStep.defaultExecuteCommand(false, false),
                ShellStep.defaultEnvVarFormat(false), false, ShellStep.DEFAULT_INLINE_SHEBANG,
                ShellStep.DEFAULT_REMOTE_FOLDER, null, null, false, false, ShellStep.DEFAULT_START_RETRY_TIMEOUT, [0],
                false, false),
                StepOptions.DEFAULT, new SourcePosition('t', 2, 1))
        List<String> warnings = Collections.synchronizedList([])

        when:
        engine(OnError.ABORT, warnings, null).run(null, [new Build('box', spec, [failing], [], [], null)],
                new Secrets([]))
        def printed = warnings.find { it.contains('kept for inspection') } =~ /kept for inspection; log in with: (ssh .*)$/
        printed.find()
        String command = printed.group(1)
        def shape = command =~ /^ssh -i (\S+)\/id -o UserKnownHostsFile=(\S+)\/known_hosts -p (\d+) (\S+)$/

        then:
        shape.matches()
        shape.group(1) == shape.group(2)
        Files.getPosixFilePermissions(Path.of(shape.group(1))) == PosixFilePermissions.fromString('rwx------')
        Files.getPosixFilePermissions(Path.of(shape.group(1), 'id')) == PosixFilePermissions.fromString('rw-------')
        login(command, 'echo reached').out == 'reached\n'

        cleanup:
        if (shape?.matches()) {
            Path.of(shape.group(1)).toFile().deleteDir()
        }
    }

    def "a breakpoint prints an ssh command that logs in as printed while the build waits"() {
        given:
        def spec = new SshBuilderSpec('127.0.0.1', sshd.port, LoopbackSshd.USER, sshd.clientKeyText, 'id_ed25519',
                null, false, sshd.hostKeyFingerprint, null, false, null, Duration.ofSeconds(10))
        def pause = new Step(new BreakpointStep('look', false), StepOptions.DEFAULT, new SourcePosition('t', 2, 1))
        String prompt = null
        Map reached = null
        def person = { String asked ->
            prompt = asked
            def command = asked =~ /Log in with: (ssh .*)\n/
            reached = command.find() ? login(command.group(1), 'echo at-breakpoint') : null
            ''
        }

        when:
        engine(OnError.CLEANUP, [], person).run(null, [new Build('box', spec, [pause], [], [], null)], new Secrets([]))

        then:
        prompt ==~ /Breakpoint: look\. Log in with: ssh -i ${folder.toAbsolutePath()}\/id_ed25519 -o UserKnownHostsFile=\S+\/known_hosts -p ${sshd.port} ${LoopbackSshd.USER}@127\.0\.0\.1\nPress Enter to continue\. /
        reached.out == 'at-breakpoint\n'
        reached.code == 0
    }

    Engine engine(OnError policy, List<String> warnings, Closure person) {
        def reporter = new Reporter() {
            void message(String build, Reporter.Level level, String text) { warnings << text }
        }
        new Engine(new Builders('run', null), reporter, policy, 1, person as dev.imagebake.engine.Interaction, folder,
                false)
    }
}
