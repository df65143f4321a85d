package dev.imagebake.cli

import dev.imagebake.testsupport.ChildImagebake
import dev.imagebake.testsupport.LoopbackSshd
import spock.lang.Shared
import spock.lang.Specification

import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit

import static dev.imagebake.testsupport.TemplateRun.folderWithKey
import static dev.imagebake.testsupport.TemplateRun.sshBuilder

/**
 * `--emulator` keeps the emulator's CA key and a cloud file holding its client secret in a temporary folder: however
 * the command ends (end of input, Ctrl-C, SIGTERM), the folder goes with it. Each command runs in a JVM of its own,
 * whose temporary folder is private to the feature, so what is left there is what that command left.
 */
class EmulatorFolderSpec extends Specification {
    @Shared
    LoopbackSshd sshd = new LoopbackSshd()

    def cleanupSpec() {
        sshd.close()
    }

    Path folder
    Path tmp
    Process process
    StringBuffer output = new StringBuffer()

    def setup() {
        folder = folderWithKey(sshd)
        tmp = Files.createTempDirectory('imagebake-tmpdir-')
    }

    def cleanup() {
        process?.destroyForcibly()
        folder.toFile().deleteDir()
        tmp.toFile().deleteDir()
    }

    def "repl --emulator with piped input: #signal between commands cleans up the machine and removes the emulator's folder"() {
        given: 'a piped REPL on the emulator, with a machine started'
        Files.writeString(folder.resolve('t.imagebake.groovy'), sshBuilder(sshd))
        start('repl', '--emulator', 't.imagebake.groovy')
        waitFor(~/Started a local Azure emulator at \S+ \(data in \S+imagebake-emulator-\S+\)/)
        type(':start')
        waitFor(~/started box: provision statements now run on it[\s\S]*imagebake> $/)
        assert emulatorFolders().size() == 1

        when:
        new ProcessBuilder('kill', "-${signal}", process.pid().toString()).start().waitFor()

        then:
        process.waitFor(60, TimeUnit.SECONDS)
        process.exitValue() == 130
        output.toString().contains('cleaning up before leaving')
        output.toString().contains('stopped box: cleaned up, nothing left behind')
        emulatorFolders() == []

        where:
        signal << ['INT', 'TERM']
    }

    def "repl --emulator: the end of the input removes the emulator's folder"() {
        when:
        start('repl', '--emulator')
        waitFor(~/imagebake> $/)
        assert emulatorFolders().size() == 1
        process.outputStream.close()

        then:
        process.waitFor(60, TimeUnit.SECONDS)
        process.exitValue() == 0
        emulatorFolders() == []
    }

    def "build --emulator: Ctrl-C during a step stops, cleans up and removes the emulator's folder"() {
        given:
        Files.writeString(folder.resolve('t.imagebake.groovy'), sshBuilder(sshd) + '''
provision shell { inline 'echo long-started', 'sleep 60' }
''')
        start('build', '--emulator', 't.imagebake.groovy')
        waitFor(~/long-started/)
        assert emulatorFolders().size() == 1

        when:
        new ProcessBuilder('kill', '-INT', process.pid().toString()).start().waitFor()

        then:
        process.waitFor(60, TimeUnit.SECONDS)
        process.exitValue() == 130
        emulatorFolders() == []
    }

    def "repl --emulator in a terminal: SIGTERM removes the emulator's folder"() {
        given: 'the REPL in a tmux pane (a real terminal), its java process the pane itself, with a machine started'
        Files.writeString(folder.resolve('t.imagebake.groovy'), sshBuilder(sshd))
        String session = "imagebake-emu-${UUID.randomUUID().toString().take(8)}"
        String java = Path.of(System.getProperty('java.home'), 'bin', 'java')
        tmux('new-session', '-d', '-s', session, '-x', '150', '-y', '50', '-c', folder.toString(),
                "exec env IMAGEBAKE_REPL_HISTORY=${folder.resolve('history')} ${java} -Djava.io.tmpdir=${tmp} " +
                        "-cp ${System.getProperty('java.class.path')} dev.imagebake.cli.Main repl --emulator " +
                        't.imagebake.groovy')
        long pid = tmux('display-message', '-p', '-t', session, '#{pane_pid}').trim() as long
        waitForScreen(session, ~/imagebake> $/)
        tmux('send-keys', '-t', session, ':start', 'Enter')
        waitForScreen(session, ~/started box: provision statements now run on it[\s\S]*imagebake> $/)
        assert emulatorFolders().size() == 1

        when:
        new ProcessBuilder('kill', '-TERM', pid.toString()).start().waitFor()
        ProcessHandle handle = ProcessHandle.of(pid).orElse(null)
        handle?.onExit()?.get(60, TimeUnit.SECONDS)

        then:
        emulatorFolders() == []

        cleanup:
        tmux('kill-session', '-t', session)
    }

    private static String tmux(String... args) {
        Process p = new ProcessBuilder(['tmux'] + (args as List)).redirectErrorStream(true).start()
        String out = p.inputStream.text
        p.waitFor()
        out
    }

    private static void waitForScreen(String session, java.util.regex.Pattern pattern, int seconds = 60) {
        long deadline = System.currentTimeMillis() + seconds * 1000L
        String screen = ''
        while (System.currentTimeMillis() < deadline) {
            screen = tmux('capture-pane', '-p', '-J', '-t', session, '-S', '-200').replaceAll(/\s+$/, '') + ' '
            if (pattern.matcher(screen).find()) {
                return
            }
            Thread.sleep(100)
        }
        throw new AssertionError("the screen did not show ${pattern} within ${seconds} s:\n${screen}")
    }

    private void start(String... args) {
        def builder = new ProcessBuilder(ChildImagebake.command(["-Djava.io.tmpdir=${tmp}".toString()], args as List))
                .directory(folder.toFile()).redirectErrorStream(true)
        builder.environment().put('IMAGEBAKE_REPL_HISTORY', folder.resolve('history').toString())
        builder.environment().remove('IMAGEBAKE_CLOUD')
        process = builder.start()
        Thread.startDaemon {
            def reader = new InputStreamReader(process.inputStream, 'UTF-8')
            int c
            while ((c = reader.read()) >= 0) {
                output.append((char) c)
            }
        }
    }

    private void type(String line) {
        process.outputStream.write((line + '\n').getBytes('UTF-8'))
        process.outputStream.flush()
    }

    private List<Path> emulatorFolders() {
        Files.list(tmp).withCloseable { s -> s.filter { it.fileName.toString().startsWith('imagebake-emulator-') }.toList() }
    }

    /** Waits (with a deadline) until what the command printed matches. */
    private void waitFor(java.util.regex.Pattern pattern, int seconds = 60) {
        long deadline = System.currentTimeMillis() + seconds * 1000L
        while (!pattern.matcher(output.toString()).find()) {
            if (System.currentTimeMillis() > deadline || !process.alive && !pattern.matcher(output.toString()).find()) {
                throw new AssertionError("the command did not print ${pattern} within ${seconds} s:\n${output}")
            }
            Thread.sleep(50)
        }
    }
}
