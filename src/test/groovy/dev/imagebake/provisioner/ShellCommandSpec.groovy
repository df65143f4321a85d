package dev.imagebake.provisioner

import dev.imagebake.communicator.RemoteCommand
import dev.imagebake.dsl.TemplateHarness
import dev.imagebake.plan.ShellStep
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.charset.StandardCharsets
import java.nio.file.Files
import java.nio.file.Path

/**
 * The one-session command the shell provisioner sends, run here by a real /bin/sh with the standard input a
 * connection would deliver, whole or cut short (as a connection that loses the end of its input would).
 */
class ShellCommandSpec extends Specification {
    @TempDir
    Path dir

    static ShellStep step(String settings) {
        def result = TemplateHarness.evaluate("""
builder ssh { host '127.0.0.1'; user 'u'; password 'pw-1234'; insecureHostKey true }
provision shell { ${settings} }
""")
        assert result.diagnostics().isEmpty(): result.diagnostics()
        result.plan().builds()[0].steps()[0].spec() as ShellStep
    }

    /** Runs the command as sshd would (sh -c), with {@code stdin} as its input; [exit status, stderr]. */
    static List run(RemoteCommand command, String stdin) {
        Process p = new ProcessBuilder('sh', '-c', command.command()).start()
        Thread input = Thread.start {
            p.outputStream.withStream { it.write((stdin ?: '').getBytes(StandardCharsets.UTF_8)) }
        }
        String err = p.errorStream.getText('UTF-8')
        p.inputStream.text
        input.join()
        [p.waitFor(), err]
    }

    def "a script that arrives whole runs; one that arrives short never runs and says so"() {
        given: 'a script whose first line alone would already do something'
        Path ran = dir.resolve('ran')
        ShellStep spec = step("inline 'touch ${ran}', 'echo padding padding padding'; remotePath '${dir}/s.sh'")
        def provisioner = new ShellProvisioner(spec, 'shell')
        def remote = ShellProvisioner.remote(spec, [V: 'x'], 1, 2)
        def script = new ShellProvisioner.Script('the inline commands',
                "#!/bin/sh -e\ntouch ${ran}\necho padding padding padding\n".getBytes(StandardCharsets.UTF_8))
        RemoteCommand command = provisioner.command(script, remote, 'started-marker')

        when: 'the end of the script is lost on the way'
        def (int shortStatus, String shortErr) = run(command, command.stdin().substring(0, command.stdin().length() - 12))

        then:
        shortStatus == 1
        shortErr.contains("imagebake: only ${script.content().length - 12} of ${script.content().length} bytes of the script arrived at ${dir}/s.sh; it was not run")
        !shortErr.contains('started-marker')
        !Files.exists(ran)
        !Files.exists(dir.resolve('s.sh'))

        when: 'it arrives whole'
        def (int status, String err) = run(command, command.stdin())

        then:
        status == 0
        err.readLines() == ['started-marker']
        Files.exists(ran)
        !Files.exists(dir.resolve('s.sh'))
    }

    def "a variables file that arrives short stops the script from running"() {
        given:
        Path ran = dir.resolve('ran')
        ShellStep spec = step("inline 'touch ${ran}'; remoteFolder '${dir}'; remoteFile 's.sh'; useEnvVarFile true")
        def remote = ShellProvisioner.remote(spec, [A: 'one', B: 'two'], 1, 2)
        def script = new ShellProvisioner.Script('x', "#!/bin/sh\ntouch ${ran}\n".getBytes(StandardCharsets.UTF_8))
        RemoteCommand command = new ShellProvisioner(spec, 'shell').command(script, remote, 'started-marker')

        expect: 'the variables, then the script, travel on standard input; the command line holds neither value'
        command.stdin().startsWith("export A='one'\nexport B='two'\n")
        !command.command().contains("'one'")

        when:
        def (int status, String err) = run(command, command.stdin().substring(0, command.stdin().indexOf('two')))

        then:
        status == 1
        err.contains('imagebake: the variables file arrived incomplete; the script was not run')
        !Files.exists(ran)
        Files.list(dir).count() == 0
    }

    def "a file left by an earlier run is replaced"() {
        given:
        Path ran = dir.resolve('ran')
        Files.writeString(dir.resolve('s.sh'), 'an old, longer script that must not survive\n' * 3)
        ShellStep spec = step("inline 'touch ${ran}'; remotePath '${dir}/s.sh'; skipClean true")
        def remote = ShellProvisioner.remote(spec, [:], 1, 2)
        String text = "#!/bin/sh\ntouch ${ran}\n"
        def script = new ShellProvisioner.Script('x', text.getBytes(StandardCharsets.UTF_8))
        RemoteCommand command = new ShellProvisioner(spec, 'shell').command(script, remote, 'started-marker')

        when:
        def (int status, String err) = run(command, command.stdin())

        then:
        status == 0
        Files.exists(ran)
        Files.readString(dir.resolve('s.sh')) == text
    }

    def "a file that is in the way and cannot be removed is not written through, and nothing runs"() {
        given: 'the remote path is a folder, so it can be neither removed with rm -f nor written'
        Path ran = dir.resolve('ran')
        Files.createDirectories(dir.resolve('s.sh'))
        ShellStep spec = step("inline 'touch ${ran}'; remotePath '${dir}/s.sh'")
        def remote = ShellProvisioner.remote(spec, [:], 1, 2)
        def script = new ShellProvisioner.Script('x', "#!/bin/sh\ntouch ${ran}\n".getBytes(StandardCharsets.UTF_8))
        RemoteCommand command = new ShellProvisioner(spec, 'shell').command(script, remote, 'started-marker')

        when:
        def (int status, String err) = run(command, command.stdin())

        then:
        status == 1
        err.contains("imagebake: cannot write the script to ${dir}/s.sh")
        !Files.exists(ran)
    }

    def "an exit in the execute command does not skip the clean-up"() {
        given:
        ShellStep spec = step("inline 'exit 3'; remotePath '${dir}/s.sh'; executeCommand 'cat; sh {{.Path}}; exit \$?'")
        def remote = ShellProvisioner.remote(spec, [:], 1, 2)
        def script = new ShellProvisioner.Script('x', "#!/bin/sh\nexit 3\n".getBytes(StandardCharsets.UTF_8))
        RemoteCommand command = new ShellProvisioner(spec, 'shell').command(script, remote, 'started-marker')

        when:
        def (int status, String err) = run(command, command.stdin())

        then:
        status == 3
        !Files.exists(dir.resolve('s.sh'))
    }

    def "Packer's line endings: CRLF becomes LF and the last line gets its newline"() {
        expect:
        new String(ShellProvisioner.unixLines(input.getBytes('UTF-8')), 'UTF-8') == output

        where:
        input                 || output
        ''                    || ''
        'a'                   || 'a\n'
        'a\r\nb\r\n'          || 'a\nb\n'
        'a\nb'                || 'a\nb\n'
        'a\r\r\nb\r'          || 'a\r\nb\n'
        '\n\n'                || '\n\n'
    }

    def "builder types are named as Packer names them"() {
        expect:
        ShellProvisioner.packerBuilderType('ssh') == 'null'
        ShellProvisioner.packerBuilderType('azure') == 'azure-arm'
    }
}
