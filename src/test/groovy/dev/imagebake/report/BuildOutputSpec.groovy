package dev.imagebake.report

import dev.imagebake.cli.Main
import dev.imagebake.testsupport.LoopbackSshd
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification

import java.nio.file.Files
import java.nio.file.Path

import static dev.imagebake.testsupport.TemplateRun.build
import static dev.imagebake.testsupport.TemplateRun.folderWithKey
import static dev.imagebake.testsupport.TemplateRun.sshBuilder

/** What a build prints (console, --log-file, --json), from a whole build against a real sshd. */
class BuildOutputSpec extends Specification {
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

    static List<Map> events(String out) {
        out.readLines().collect { new JsonSlurper().parseText(it) as Map }
    }

    def "--log-file starts a new file on each run, and --help says so"() {
        given:
        Path log = folder.resolve('build.log')
        Files.writeString(log, 'left from an earlier run\n')
        String template = sshBuilder(sshd) + "provision shell { inline 'echo this-run' }\n"

        when:
        def first = build(folder, template, ['--log-file', log.toString()])
        def second = build(folder, template, ['--log-file', log.toString()])
        def lines = Files.readAllLines(log)
        def help = new ByteArrayOutputStream()
        Main.run(new PrintStream(help, true, 'UTF-8'), new PrintStream(new ByteArrayOutputStream()), [:],
                'build', '--help')

        then:
        first.code == 0
        second.code == 0
        !lines.contains('left from an earlier run')
        lines.count { it.endsWith('[box] build started, ssh builder') } == 1
        lines.count { it.endsWith('[box] shell (line 11) stdout: this-run') } == 1
        help.toString('UTF-8').replaceAll(/\s+/, ' ').contains(
                '--log-file=FILE Write a full log (redacted) to FILE; each run starts the file anew.')
    }

    def "step indexes are unique within a build: onError steps go on counting"() {
        when:
        def run = build(folder, sshBuilder(sshd) + '''
provision shell { inline 'exit 3' }
onError {
    provision shell { inline 'echo collecting' }
    provision shellLocal { inline 'echo local' }
}
''', ['--json'])
        def started = events(run.out).findAll { it.event == 'step.started' }

        then:
        run.code == 1
        started.collect { "${it.index} ${it.step}".toString() } ==
                ['1 connect', '2 shell (line 12)', '3 shell (line 14)', '4 shellLocal (line 15)']
    }

    def "step indexes are unique within a build: post steps go on counting"() {
        when:
        def run = build(folder, sshBuilder(sshd) + '''
provision shell { inline 'true' }
post manifest { output 'manifest.json' }
''', ['--json'])
        def started = events(run.out).findAll { it.event == 'step.started' }

        then:
        run.code == 0
        started.collect { "${it.index} ${it.step}".toString() } ==
                ['1 connect', '2 shell (line 12)', '3 record the machine', '4 manifest (line 13)']

        cleanup:
        Files.deleteIfExists(Path.of('manifest.json'))
    }

    def "a local command's standard error is labelled stderr in the console, the log and the JSON events"() {
        given:
        Path log = folder.resolve('build.log')
        String template = sshBuilder(sshd) + "provision shellLocal { inline 'echo to-out', 'echo to-err >&2' }\n"

        when:
        def console = build(folder, template, ['--log-file', log.toString()])
        def json = build(folder, template, ['--json'])
        def output = events(json.out).findAll { it.event == 'output' }

        then:
        console.code == 0
        console.out.readLines().contains('    box: to-out')
        console.out.readLines().contains('    box (stderr): to-err')
        Files.readAllLines(log).any { it.endsWith('[box] shellLocal (line 11) stdout: to-out') }
        Files.readAllLines(log).any { it.endsWith('[box] shellLocal (line 11) stderr: to-err') }
        json.code == 0
        output.collect { "${it.stream} ${it.line}".toString() } as Set == ['stdout to-out', 'stderr to-err'] as Set
    }

    def "an invalid template with --json prints a JSON error event on stdout and the message on stderr"() {
        when:
        def run = build(folder, "builder ssh('box') { host '127.0.0.1'; user 'u'; agent true; loction 'x' }\n",
                ['--json'])
        def printed = events(run.out)
        String file = folder.resolve('t.imagebake.groovy').toString()

        then:
        run.code == 2
        printed.size() == 1
        printed[0].findAll { it.key != 'time' } == [event: 'error', build: null, level: 'error',
                text: "${file}:1:62: Unknown setting `loction` in builder ssh 'box'.".toString(), file: file, line: 1,
                column: 62, message: "Unknown setting `loction` in builder ssh 'box'."]
        run.err.readLines()[0] == "${file}:1:62: Unknown setting `loction` in builder ssh 'box'.".toString()
    }
}
