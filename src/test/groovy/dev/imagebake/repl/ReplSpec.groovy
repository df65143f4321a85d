package dev.imagebake.repl

import dev.imagebake.cli.Main
import spock.lang.Specification

import java.nio.file.Files
import java.nio.file.Path

import static dev.imagebake.testsupport.ReplRun.repl

/** The REPL without a machine: evaluation, continuation lines, completion, commands; piped through a dumb terminal. */
class ReplSpec extends Specification {
    Path folder = Files.createTempDirectory('imagebake-repl-')

    def cleanup() {
        folder.toFile().deleteDir()
    }

    def "values and functions persist between lines, and each line's output is printed once"() {
        when:
        def run = repl(folder, '''\
def greet(name) { "hello $name" }
count = 41
println greet('world')
println count + 1
''')

        then:
        run.code == 0
        run.out.count('hello world') == 1
        run.out.count('42') == 1
    }

    def "local defs, functions calling functions of earlier lines, and values all carry over"() {
        when:
        def run = repl(folder, '''\
def base = 10
def twice(x) { x * 2 }
def more(x) { twice(x) + 1 }
total = more(base)
println "total=${total} base=${base}"
''')

        then:
        run.lines().contains('total=21 base=10')
        !run.out.contains('error')
    }

    def "declaring a local or a function a second time is refused, as it would be in one template"() {
        when:
        def run = repl(folder, '''\
def x = 1
def x = 2
def f() { 'first' }
def f() { 'second' }
println "${x} ${f()}"
''')

        then:
        run.out.contains('error (1:5): The current scope already contains a variable of the name x')
        run.out.contains("error (1:1): Repetitive method name/signature for method 'java.lang.Object f()'")
        run.lines().contains('1 first')
    }

    def "a line with an error is refused with its line and column, and the session goes on without it"() {
        when:
        def run = repl(folder, '''\
a = 1
b = a + nope
println "b is ${b}"
''')

        then:
        run.out.contains('error (1:9): Unknown name `nope`.')
        run.out.contains('error (1:17): Unknown name `b`.')
        !run.out.contains('b is')
    }

    def "open braces and triple quotes continue the statement on the next lines"() {
        when:
        def run = repl(folder, """\
def shout(s) {
    s.toUpperCase()
}
text = '''one
two'''
println shout(text).readLines().join('+')
""")

        then:
        run.out.contains('ONE+TWO')
        !run.out.contains('error')
    }

    def "completion offers the settings of the block the cursor is in, keywords at the top, and commands"() {
        given:
        def completer = new ReplCompleter(new TreeSet(['plan', 'save', 'start', 'stop']))

        expect:
        completer.candidates("builder ssh('box') {\n    ho").containsAll(['host', 'hostKey', 'port', 'user'])
        !completer.candidates('builder ssh {\n').contains('location')
        completer.candidates('provision shell { in').containsAll(['inline', 'env', 'script'])
        completer.candidates('builder ssh { bastion { ').contains('host')
        completer.candidates('builder ssh { bastion { }\n').contains('bastion')
        completer.candidates('prov').containsAll(['provision', 'builder', 'variable', 'var', 'env'])
        completer.candidates(':s') == [':plan', ':save', ':start', ':stop'] as Set
        completer.candidates('!ls') == [] as Set
    }

    def ":plan shows the plan built so far, with the steps not run yet"() {
        when:
        def run = repl(folder, '''\
:plan
builder ssh('box') { host 'example.org'; user 'me'; password 'pw-secret-1'; insecureHostKey true }
provision shell { inline 'echo hi' }
:plan
''')

        then:
        run.out.contains("no builder yet (0 steps declared); add one, for example builder ssh { host '...'; user '...' }")
        run.out.contains('example.org')
        run.out.contains('steps run on a machine so far: 0 of 1')
        !run.out.contains('pw-secret-1')
    }

    def ":plan and what a line prints mask values computed from a sensitive one"() {
        when:
        def run = repl(folder, '''\
variable 'pw', sensitive: true
builder ssh('box') { host 'example.org'; user 'me'; password var.pw; insecureHostKey true }
def upper = var.pw.toUpperCase()
println var.pw.reverse()
provision shell { inline 'true'; env UP: upper, MIX: "x-${var.pw.drop(3)}", B64: var.pw.encodeBase64() }
:plan
''', [pw: 'pw-secret-1'])

        then:
        run.out.contains('example.org')
        ['pw-secret-1', 'PW-SECRET-1', '1-terces-wp', 'x-secret-1'.drop(2), 'pw-secret-1'.bytes.encodeBase64().toString()]
                .every { !run.out.contains(it) }
        run.out.contains('<sensitive>')
    }

    def "commands that need a machine say how to start one, and unknown commands suggest the closest"() {
        when:
        def run = repl(folder, '''\
!uname
:sav
:history
:save
''')

        then:
        run.out.contains('error: no machine is running; :start boots the builder\'s machine')
        run.out.contains('error: unknown command :sav. Did you mean `:save`? :help lists them')
        run.out.contains('nothing has run on a machine yet')
        run.out.contains('error: usage: :save FILE')
    }

    def "an unknown or ambiguous :command suggests the commands it begins, else the closest"() {
        when:
        def run = repl(folder, ":${typed}\n")

        then:
        run.lines().contains("error: unknown command :${typed}.${suggestion} :help lists them".toString())

        where:
        typed   || suggestion
        'pl'    || ' Did you mean `:plan`?'
        's'     || ' Did you mean `:save`, `:start` or `:stop`?'
        'strat' || ' Did you mean `:start`?'
        'xyzzy' || ''
    }

    def "with piped input, a session in which an input failed exits 1 and says how many failed"() {
        when:
        def run = repl(folder, '''\
a = 1
b = a + nope
:pl
println "a is ${a}"
''')

        then:
        run.code == 1
        run.lines().contains('a is 1')
        run.lines()[-1] == '2 inputs failed'
    }

    def "bin/imagebake repl < commands.txt exits 1 when an input failed, 0 when all worked"() {
        given:
        Files.writeString(folder.resolve('bad.txt'), 'a = 1\n:pl\nprintln "a is ${a}"\n')
        Files.writeString(folder.resolve('good.txt'), 'a = 1\nprintln "a is ${a}"\n')

        expect:
        replProcess('bad.txt') == [1, '1 input failed']
        replProcess('good.txt') == [0, 'a is 1']
    }

    /** `imagebake repl` in a JVM of its own with its input from a file, as a script runs it: exit code, last line. */
    private List replProcess(String input) {
        String java = Path.of(System.getProperty('java.home'), 'bin', 'java')
        def builder = new ProcessBuilder(java, '-cp', System.getProperty('java.class.path'), 'dev.imagebake.cli.Main',
                'repl').directory(folder.toFile()).redirectErrorStream(true)
                .redirectInput(folder.resolve(input).toFile())
        builder.environment().put('IMAGEBAKE_REPL_HISTORY', folder.resolve('history').toString())
        Process p = builder.start()
        String out = p.inputStream.getText('UTF-8')
        assert p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)
        [p.exitValue(), out.readLines()*.replaceFirst(/^(imagebake> )+/, '').findAll { it }.last()]
    }

    def ":start without a builder explains what to declare"() {
        expect:
        repl(folder, ':start\n').out.contains('error: no builder is declared yet; declare one, for example builder ssh { ... }')
    }

    def ":help lists every command"() {
        when:
        def run = repl(folder, ':help\n')

        then:
        [':plan', ':load FILE', ':start [BUILDER] [--force]', ':run', ':history', ':save FILE', ':bake', ':stop',
         ':upload LOCAL REMOTE', ':download REMOTE LOCAL', ':quit', '!COMMAND'].every { run.out.contains(it) }
        run.out.contains('(--force: :bake may replace an existing image or gallery version, as build --force)')
    }

    def ":start completes --force, and refuses an option it does not have"() {
        expect: 'the completer the REPL uses'
        Repl.completer().candidates(':st').containsAll([':start', ':stop'])
        Repl.completer().candidates(':start ') == ['--force'] as Set
        Repl.completer().candidates(':start box ') == ['--force'] as Set
        Repl.completer().candidates(':save ') == [] as Set

        when:
        def run = repl(folder, ':start --froce\n')

        then:
        run.lines().contains('error: unknown option --froce; usage: :start [BUILDER] [--force]')
    }

    def "should refuse --emulator together with --cloud"() {
        given:
        def err = new ByteArrayOutputStream()

        when:
        int code = Main.run(new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true), [:],
                'repl', '--emulator', '--cloud', 'x.json')

        then:
        code == 2
        err.toString().contains('Error: --emulator and --cloud (or IMAGEBAKE_CLOUD) exclude each other')
    }
}
