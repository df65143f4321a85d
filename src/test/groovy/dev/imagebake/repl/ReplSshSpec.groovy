package dev.imagebake.repl

import dev.imagebake.testsupport.ChildImagebake
import dev.imagebake.cli.Main
import dev.imagebake.testsupport.LoopbackSshd
import dev.imagebake.testsupport.Poll
import spock.lang.Shared
import spock.lang.Specification

import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit

import static dev.imagebake.testsupport.ReplRun.repl
import static dev.imagebake.testsupport.TemplateRun.folderWithKey
import static dev.imagebake.testsupport.TemplateRun.sshBuilder

/** The REPL with a live machine: `builder ssh` on a real OpenSSH sshd on loopback, driven through piped streams. */
class ReplSshSpec extends Specification {
    @Shared
    LoopbackSshd sshd = new LoopbackSshd()

    def cleanupSpec() {
        sshd.close()
    }

    Path folder
    String marker = "/tmp/imagebake-repl-${UUID.randomUUID()}"

    def setup() {
        folder = folderWithKey(sshd)
    }

    def cleanup() {
        sshd.asUser("rm -rf ${marker}*")
        folder.toFile().deleteDir()
    }

    def "a session starts the machine, runs steps at once, and saves only what worked, which validates and builds"() {
        when:
        def run = repl(folder, sshBuilder(sshd).trim() + """
def line(word) { "echo \$word >> ${marker}" }
:start
provision shell { inline line('one'), 'echo ran-one' }
provision shell { inline 'echo about-to-fail', 'exit 7' }
!cat ${marker}; echo shell-done
provision shell { inline line('two'); useEnvVarFile true; inlineShebang '/bin/bash -e' }
:history
:save saved.imagebake.groovy
:stop
""")

        then: 'steps run at once with live output, and a failed one is reported'
        run.out.contains('started box: provision statements now run on it')
        run.out.contains('box: ran-one')
        run.out.contains('box: about-to-fail')
        run.out.contains('the script exited with status 7')
        run.lines().containsAll(['one', 'shell-done'])
        sshd.asUser("cat ${marker}") == 'one\ntwo\n'

        and: ':history lists every attempt in order with how it ended'
        def history = run.lines().findAll { it =~ /^\s+\d+  (ok|FAILED)/ }
        history.size() == 4
        history[0] =~ /^\s+1  ok .*provision shell \{ inline line\('one'\), 'echo ran-one' \}$/
        history[1] =~ /^\s+2  FAILED .*provision shell \{ inline 'echo about-to-fail', 'exit 7' \}  -- the script exited with status 7 \(one of its 2 inline commands failed; the shell did not say which\)$/
        history[2] =~ /^\s+3  ok .*!cat ${marker}; echo shell-done$/
        history[3] =~ /^\s+4  ok .*provision shell \{ inline line\('two'\); useEnvVarFile true; inlineShe/

        and: 'the saved template holds the builder, the function and the steps that succeeded, in order'
        run.out.contains('saved saved.imagebake.groovy: 4 statements, 2 steps; it validates')
        run.out.contains('stopped box: cleaned up, nothing left behind')
        def saved = Files.readString(folder.resolve('saved.imagebake.groovy'))
        saved.contains("builder ssh('box')")
        saved.indexOf("inline line('one')") < saved.indexOf("inline line('two')")
        saved.contains("inline line('two'); useEnvVarFile true; inlineShebang '/bin/bash -e'")
        !saved.contains('exit 7')
        !saved.contains('shell-done')

        when: 'the saved template is validated and built like any other'
        sshd.asUser("rm -f ${marker}")
        int validated = Main.run(new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream()),
                [:], 'validate', folder.resolve('saved.imagebake.groovy').toString())
        def buildOut = new ByteArrayOutputStream()
        int built = Main.run(new PrintStream(buildOut, true), new PrintStream(new ByteArrayOutputStream()), [:],
                'build', folder.resolve('saved.imagebake.groovy').toString())

        then: 'it reproduces the machine'
        validated == 0
        built == 0
        buildOut.toString().contains('box: ran-one')
        sshd.asUser("cat ${marker}") == 'one\ntwo\n'
    }

    def "with piped input, a failed step makes the session exit 1; steps are labelled by their input's line"() {
        given: 'the builder takes the first lines of the input'
        String builder = sshBuilder(sshd).trim()
        int start = builder.readLines().size() + 1

        when:
        def run = repl(folder, builder + '''
:start
provision shell { inline 'echo first-ran' }
provision shell {
    inline 'echo second-ran', 'false', 'echo never'
}
:history
''')

        then:
        run.code == 1
        run.lines().contains("==> box: shell (input line ${start + 1})".toString())
        run.lines().contains('    box: first-ran')
        run.lines().contains("==> box: shell (input line ${start + 2})".toString())
        run.lines().any { it.startsWith("==> box: shell (input line ${start + 2}) failed after") }
        !run.lines().contains('    box: never')
        !run.out.contains('(line 1)')
        run.lines().findAll { it =~ /^\s+\d+  (ok|FAILED)/ }.size() == 2
        run.lines()[-1] == '1 input failed'
    }

    def ":load plans a template's steps and :run runs them on the machine; :bake prints the artifact"() {
        given:
        Files.writeString(folder.resolve('t.imagebake.groovy'), sshBuilder(sshd) + """

provision shell { inline 'echo loaded-one > ${marker}' }

provision shell {
    inline 'echo loaded-two >> ${marker}'
}
""")

        List<String> lines = Files.readAllLines(folder.resolve('t.imagebake.groovy'))
        int one = lines.findIndexOf { it.contains('loaded-one') } + 1
        int two = lines.findIndexOf { it == 'provision shell {' } + 1

        when: 'typed after a first input, its steps are still labelled by their lines in the file'
        def run = repl(folder, """\
first = 1
:load t.imagebake.groovy
:plan
:start
:run
:bake
""")

        then:
        run.out.contains('loaded t.imagebake.groovy: 3 statements, 2 steps planned (:run runs them on the machine)')
        run.lines().contains("==> box: shell (t.imagebake.groovy line ${one})".toString())
        run.lines().contains("==> box: shell (t.imagebake.groovy line ${two})".toString())
        run.out.contains('steps run on a machine so far: 0 of 2')
        run.out.contains('started box: provision statements now run on it; 2 planned statements have not run yet (:run runs them)')
        run.out.contains('every planned step has run on box')
        run.out.contains("artifact: ${LoopbackSshd.USER}@127.0.0.1:${sshd.port}")
        run.out.contains('stopped box: cleaned up, nothing left behind')
        sshd.asUser("cat ${marker}") == 'loaded-one\nloaded-two\n'
    }

    def "after :stop and :start, the fresh machine has run nothing: :plan says so, :bake refuses, :run replays the steps"() {
        when: 'a step runs on a first machine, then a fresh one is started'
        def run = repl(folder, sshBuilder(sshd).trim() + """
:start
provision shell { inline 'echo ran >> ${marker}' }
:plan
:stop
:plan
:start
:plan
:bake
:run
:plan
:save saved.imagebake.groovy
:bake
""")
        def lines = run.lines()

        then: 'the first machine ran the step'
        lines.findAll { it.startsWith('steps run on') || it.startsWith('no machine is running') } == [
                'steps run on this machine (box): 1 of 1',
                'no machine is running (:start boots a fresh one); steps run on the last one: 1 of 1',
                'steps run on this machine (box): 0 of 1; 1 more ran on an earlier machine (:run replays it)',
                'steps run on this machine (box): 1 of 1']

        and: 'the fresh machine offers to replay it, and :bake refuses until :run has'
        lines.contains('1 step ran on a previous machine, not on this one; :run replays it here (:bake waits for that)')
        lines.contains('error: not baking: this machine has not run 1 step of the session (it ran on an earlier '
                + 'machine), and the image would lack it; :run runs it here, then :bake')
        lines.findAll { it.startsWith('artifact: ') } == ["artifact: ${LoopbackSshd.USER}@127.0.0.1:${sshd.port}".toString()]
        run.out.indexOf('every planned step has run on box') < run.out.indexOf('\nartifact: ')

        and: ':run ran it again on the machine, and :save still writes it'
        sshd.asUser("cat ${marker}") == 'ran\nran\n'
        run.out.contains('saved saved.imagebake.groovy: 2 statements, 1 step; it validates')
        run.code == 1
        run.out.contains('1 input failed')
    }

    def "piped input: SIGINT while a step runs stops it on the machine, cleans up and ends the script with 130"() {
        given: 'imagebake repl in a process of its own, reading a script that has more to do after a long step'
        Files.writeString(folder.resolve('t.imagebake.groovy'), sshBuilder(sshd))
        String nap = "sleep ${40 + new Random().nextInt(50)}.${System.nanoTime() % 100000}"
        def builder = new ProcessBuilder(ChildImagebake.command(['repl', 't.imagebake.groovy']))
                .directory(folder.toFile()).redirectErrorStream(true)
        builder.environment().put('IMAGEBAKE_REPL_HISTORY', folder.resolve('history').toString())
        Process process = builder.start()
        StringBuffer out = new StringBuffer()
        Thread reader = Thread.start { process.inputStream.eachLine('UTF-8') { out.append(it).append('\n') } }
        process.outputStream.write(""":start
provision shell { inline 'echo long-started; ${nap}' }
!echo after-the-step
""".getBytes('UTF-8'))
        process.outputStream.flush()
        Poll.until("`${nap}` starting on the machine") { out.toString().contains('box: long-started') && sshd.runs(nap) }

        when:
        new ProcessBuilder('kill', '-INT', process.pid().toString()).start().waitFor()

        then: 'what ran on the machine is stopped, the machine cleaned up, and the rest of the script is not run'
        process.waitFor(60, TimeUnit.SECONDS)
        reader.join(10_000)
        process.exitValue() == 130
        out.toString().contains("interrupted: stopped `echo long-started; ${nap}` on the machine")
        out.toString().contains('stopped box: cleaned up, nothing left behind')
        !out.toString().contains('after-the-step')
        Poll.until("`${nap}` ending on the machine") { !sshd.runs(nap) }

        cleanup:
        process?.destroyForcibly()
    }

    def ":upload and :download move files and folders"() {
        given:
        Files.writeString(folder.resolve('up.txt'), 'uploaded text\n')

        when:
        def run = repl(folder, sshBuilder(sshd).trim() + """
:start
:upload up.txt ${marker}-up.txt
!cat ${marker}-up.txt
!echo remote text > ${marker}-down.txt
:download ${marker}-down.txt down.txt
:stop
""")

        then:
        run.out.contains("uploaded up.txt to ${marker}-up.txt (SHA-256 verified)")
        run.lines().contains('uploaded text')
        run.out.contains("downloaded ${marker}-down.txt to down.txt (SHA-256 verified)")
        Files.readString(folder.resolve('down.txt')) == 'remote text\n'
    }

    def "leaving with a running machine cleans it up and says so"() {
        when:
        def run = repl(folder, sshBuilder(sshd).trim() + '\n:start\n')

        then:
        run.code == 0
        run.out.contains('The machine of box is still running. Clean it up? [Y/n]')
        run.out.contains('stopped box: cleaned up, nothing left behind')
    }

    def "secrets never enter the history file nor the saved template, and output shows them masked"() {
        when:
        def run = repl(folder, sshBuilder(sshd).trim() + '''
variable 'token', default: 'tok-literal-8d2f', sensitive: true
variable 'apiKey', sensitive: true
:start
provision shell { inline "echo token=${var.token} key=${var.apiKey}" }
!echo api-key-from-var-77
:save saved.imagebake.groovy
:stop
''', [apiKey: 'api-key-from-var-77'])
        def history = Files.readString(folder.resolve('history'))
        def saved = Files.readString(folder.resolve('saved.imagebake.groovy'))

        then:
        run.out.contains('box: token=<sensitive> key=<sensitive>')
        run.lines().contains('<sensitive>')
        !run.out.contains('tok-literal-8d2f')
        !run.out.contains('api-key-from-var-77')
        history.contains(':start')
        history.contains('provision shell { inline "echo token=${var.token} key=${var.apiKey}" }')
        !history.contains('tok-literal-8d2f')
        !history.contains('api-key-from-var-77')
        !history.contains("variable 'token'")
        !saved.contains('tok-literal-8d2f')
        saved.contains("variable 'token', default: env('IMAGEBAKE_VAR_token'), sensitive: true")
        saved.contains("variable 'apiKey', sensitive: true")
    }
}
