package dev.imagebake.repl

import dev.imagebake.testsupport.LoopbackSshd
import dev.imagebake.testsupport.Poll
import spock.lang.Shared
import spock.lang.Specification

import java.nio.file.Files
import java.nio.file.Path

import static dev.imagebake.testsupport.TemplateRun.folderWithKey
import static dev.imagebake.testsupport.TemplateRun.sshBuilder

/**
 * The REPL in a real terminal: `imagebake repl` runs in a tmux pane; the spec types keys into it and reads the
 * screen, so the line editor, tab completion and Ctrl-C are those a person gets.
 */
class ReplTerminalSpec extends Specification {
    @Shared
    LoopbackSshd sshd = new LoopbackSshd()

    def cleanupSpec() {
        sshd.close()
    }

    String session = "imagebake-repl-${UUID.randomUUID().toString().take(8)}"
    Path folder

    def setup() {
        folder = folderWithKey(sshd)
        Files.writeString(folder.resolve('t.imagebake.groovy'), sshBuilder(sshd))
    }

    def cleanup() {
        tmux(['kill-server'], true)
        folder.toFile().deleteDir()
    }

    def "in a terminal, tab completes commands and settings, and Ctrl-C stops the running command, not the REPL"() {
        given: 'the REPL in a 150x50 terminal, with the template loaded'
        startRepl()

        when: 'a command name is completed with Tab'
        keys(':sta', 'Tab')
        waitFor(~/imagebake> :start $/)
        keys('Enter')

        then:
        waitFor(~/started box: provision statements now run on it/)

        when: 'a setting of the shell block is completed with Tab, inside the open block'
        keys('provision shell { inl', 'Tab')
        waitFor(~/provision shell \{ inline\s+inline\s+inlineShebang/)
        keys(" 'echo long-started; sleep 60; echo never' }", 'Enter')
        waitFor(~/box: long-started/)

        and: 'Ctrl-C arrives while the command runs'
        keys('C-c')

        then: 'the step ends at once, failed, and the REPL takes the next line'
        waitFor(~/shell \(input line 2\) failed after/, 15)
        waitFor(~/imagebake> $/)
        keys('!echo still-$((40+2))', 'Enter')
        waitFor(~/(?m)^still-42$/)
        !(screen() =~ /box: never/)
        screen().contains('Ctrl-C: stopping what runs on the machine')

        when: 'Ctrl-D leaves, offering to clean up the machine'
        waitFor(~/imagebake> $/) // Ctrl-D sent before the prompt is back would reach no line reader
        keys('C-d')
        waitFor(~/The machine of box is still running\. Clean it up\? \[Y\/n\] $/)
        keys('y', 'Enter')

        then:
        waitFor(~/stopped box: cleaned up, nothing left behind[\s\S]*REPL-EXITED 0/)
    }

    def "in a terminal, Ctrl-C during #what stops its processes on the machine, says so, and the session goes on"() {
        given: 'the REPL in a terminal, connected to the machine'
        startRepl(term)
        keys(':start', 'Enter')
        waitFor(~/started box: provision statements now run on it[\s\S]*imagebake> $/)

        and: 'a command that sleeps on the machine, under a name no other process has'
        String nap = "sleep ${40 + new Random().nextInt(50)}.${System.nanoTime() % 100000}"
        keys(input.replace('NAP', nap), 'Enter')
        waitFor(~/(?m)^(    box: )?long-started *$/)
        Poll.until("`${nap}` starting on the machine") { sshd.runs(nap) }

        when: 'Ctrl-C arrives while it runs'
        keys('C-c')

        then: 'the REPL says it stopped the command on the machine, and it is gone from there'
        waitFor(~/interrupted: stopped `[^`]*${java.util.regex.Pattern.quote(nap)}[^`]*` on the machine/, 30)
        Poll.until("`${nap}` ending on the machine") { !sshd.runs(nap) }
        waitFor(~/imagebake> $/)
        !screen().contains('expectDisconnect')
        !screen().contains('dropped')

        when: 'the session goes on, on the same machine'
        keys('!echo still-$((40+2))', 'Enter')

        then:
        waitFor(~/(?m)^still-42$/)
        !screen().contains('REPL-EXITED')

        when: 'Ctrl-D leaves, offering to clean up the machine'
        waitFor(~/imagebake> $/) // Ctrl-D sent before the prompt is back would reach no line reader
        keys('C-d')
        waitFor(~/The machine of box is still running\. Clean it up\? \[Y\/n\] $/)
        keys('y', 'Enter')

        then: 'with TERM=dumb, as with piped input, the exit code says that an input failed'
        waitFor(~/stopped box: cleaned up, nothing left behind[\s\S]*REPL-EXITED ${term ? 1 : 0}/)

        where:
        what                                  | term    | input
        'a provision step'                    | null    | "provision shell { inline 'echo long-started; NAP; echo never' }"
        'a !command'                          | null    | '!echo long-started; NAP; echo never'
        'a provision step, with TERM=dumb'    | 'dumb'  | "provision shell { inline 'echo long-started; NAP; echo never' }"
        'a !command, with TERM=dumb'          | 'dumb'  | '!echo long-started; NAP; echo never'
    }

    def "in a terminal, with --emulator, Ctrl-C during #what really ends it on the emulated VM"() {
        given: 'the REPL with an emulator in its own process, as in a terminal, on an azure build machine'
        Files.writeString(folder.resolve('t.imagebake.groovy'), "builder azure { location 'westeurope'; " +
                "source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2'); " +
                "managedImage 'ctrl-c', resourceGroup: 'images'; sshTimeout '60s' }\n")
        startRepl(null, '--emulator')
        keys(':start', 'Enter')
        waitFor(~/started azure: provision statements now run on it[\s\S]*imagebake> $/, 240)

        and: 'a command that sleeps on the VM, under a name no other process has'
        String nap = "sleep ${40 + new Random().nextInt(50)}.${System.nanoTime() % 100000}"
        String pattern = "[${nap[0]}]${nap.substring(1)}"
        keys(input.replace('NAP', nap), 'Enter')
        waitFor(~/(?m)^(    azure: )?long-started *$/, 60)
        Poll.until("`${nap}` starting on the VM") { LoopbackSshd.run(['pgrep', '-f', pattern], true) != null }

        when: 'Ctrl-C arrives while it runs'
        keys('C-c')

        then: 'the REPL says that it stopped the command'
        waitFor(~/interrupted: stopped `[^`]*${java.util.regex.Pattern.quote(nap)}[^`]*` on the machine/, 60)
        waitFor(~/imagebake> $/)
        !screen().contains('dropped')

        when: 'the VM is asked, in the same session, whether the command still runs (for up to 30 s)'
        keys("!n=0; while pgrep -f '${pattern}' >/dev/null && [ \$n -lt 300 ]; do sleep 0.1; n=\$((n+1)); done; " +
                "echo \"sleepers-left: \$(pgrep -c -f '${pattern}')\"", 'Enter')

        then: 'it is gone, and the session goes on over the same connection'
        waitFor(~/(?m)^sleepers-left: \d+ *$/, 60) =~ /(?m)^sleepers-left: 0 *$/
        !screen().contains('dropped')

        when: 'Ctrl-D leaves, cleaning up the machine'
        waitFor(~/imagebake> $/) // Ctrl-D sent before the prompt is back would reach no line reader
        keys('C-d')
        waitFor(~/The machine of azure is still running\. Clean it up\? \[Y\/n\] $/)
        keys('y', 'Enter')

        then:
        waitFor(~/REPL-EXITED 0/, 180)
        LoopbackSshd.run(['pgrep', '-f', pattern], true) == null

        where:
        what               | input
        'a provision step' | "provision shell { inline 'echo long-started; NAP; echo never' }"
        'a !command'       | '!echo long-started; NAP; echo never'
    }

    def "with TERM=dumb, Ctrl-C at the prompt drops the line and the session goes on"() {
        given:
        startRepl('dumb')
        waitFor(~/imagebake> $/)

        when: 'a line is begun, then Ctrl-C'
        keys('println "dropped-" + 1')
        waitFor(~/"dropped-" \+ 1 $/)
        keys('C-c')

        then: 'a new prompt, the machine-less session still there'
        waitFor(~/"dropped-" \+ 1[\s\S]*\nimagebake> $/)
        keys('println "kept-" + (40 + 2)', 'Enter')
        waitFor(~/(?m)^kept-42$/)
        !screen().contains('dropped-1')
        !screen().contains('REPL-EXITED')
    }

    /**
     * Runs `imagebake repl t.imagebake.groovy` in a 150x50 tmux pane; {@code term} overrides TERM, {@code options}
     * go before the template.
     */
    private void startRepl(String term = null, String options = '') {
        String java = Path.of(System.getProperty('java.home'), 'bin', 'java')
        String command = "env ${term ? "TERM=${term} " : ''}IMAGEBAKE_REPL_HISTORY=${folder.resolve('history')} " +
                "${java} -cp ${System.getProperty('java.class.path')} dev.imagebake.cli.Main repl ${options} t.imagebake.groovy; " +
                'echo "REPL-EXITED $?"; sleep 60'
        tmux(['new-session', '-d', '-s', session, '-x', '150', '-y', '50', '-c', folder.toString(), command])
        waitFor(~/loaded t\.imagebake\.groovy: 1 statements[\s\S]*imagebake> $/)
    }

    private void keys(String... keys) {
        tmux(['send-keys', '-t', session] + (keys as List<String>))
    }

    private String screen() {
        tmux(['capture-pane', '-p', '-J', '-t', session, '-S', '-200']).replaceAll(/\s+$/, '') + ' '
    }

    /** Waits until the screen (trailing blanks trimmed, then one space: where the cursor waits) matches. */
    private String waitFor(java.util.regex.Pattern pattern, int seconds = 30) {
        long deadline = System.currentTimeMillis() + seconds * 1000L
        String text = ''
        while (System.currentTimeMillis() < deadline) {
            text = screen()
            if (pattern.matcher(text).find()) {
                return text
            }
            Thread.sleep(100)
        }
        throw new AssertionError("the screen did not show ${pattern} within ${seconds} s:\n${text}")
    }

    private String tmux(List<String> args, boolean tolerate = false) {
        // A tmux server of this feature's own, its socket in the feature's folder: other specs' servers (and their
        // exits) cannot disturb it, and nothing is left behind.
        Process p = new ProcessBuilder(['tmux', '-S', folder.resolve('tmux.sock').toString()] + args)
                .redirectErrorStream(true).start()
        String out = p.inputStream.text
        if (p.waitFor() != 0 && !tolerate) {
            throw new IllegalStateException("tmux ${args.join(' ')} failed: ${out}")
        }
        out
    }
}
