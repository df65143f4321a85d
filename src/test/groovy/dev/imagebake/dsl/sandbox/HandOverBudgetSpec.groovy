package dev.imagebake.dsl.sandbox

import dev.imagebake.cli.Main
import spock.lang.Specification
import spock.lang.TempDir

import java.lang.management.ManagementFactory
import java.nio.file.Files
import java.nio.file.Path

/**
 * What a template hands over (to `variable`, to a step setting, through a variables file) is what `plan` walks and
 * prints later, on the main thread, with no sandbox around it. These attempts grow a value after it was handed over,
 * nest it too deep, or make the plan or its sensitive values too large; each must end as a plan within budget or as
 * a refusal at the right line, and the command that prints it must stay within 2 s of CPU time and 512 MiB of
 * allocation on its own thread (the evaluation has its own limits), with no stack trace and nothing left on the host.
 */
class HandOverBudgetSpec extends Specification {
    static final String SSH = "builder ssh { host '127.0.0.1'; user 'u'; password 'p'; insecureHostKey true }\n"
    static final long MAIN_CPU_NANOS = 2_000_000_000L
    static final long MAIN_ALLOCATED_BYTES = 512L << 20
    /** 40 errors of 1,000,000 characters each, masked against a sensitive value of 1,000,000 characters. */
    static final String LONG_MESSAGES = 'variable "pw", sensitive: true, default: "s" * 1000000\n' +
            '(1..40).each { variable "${"k" * 1000000}-$it" }'

    @TempDir
    Path folder

    def "should freeze a value at hand-over, so that growing it afterwards changes nothing: #technique"() {
        when:
        def run = plan(SSH + code)

        then:
        run.code == 0
        run.err == ''
        planned(run).variables.find { it.name == 'x' }.value == expected
        withinBudget(run)
        hostUntouched()

        where:
        technique                                        | expected | code
        'a list grown to 80 Mi characters'               | [[]]     | 'def inner = []\nvariable "x", default: [inner]\ndef s = "a" * 4000000\n20.times { inner << s }'
        'a list nested 200000 deep afterwards'           | [[]]     | 'def inner = []\nvariable "x", default: [inner]\ndef l = inner\n200000.times { def n = []; l << n; l = n }'
        'a map grown after hand-over'                    | [m: [:]] | 'def inner = [:]\nvariable "x", default: [m: inner]\ndef s = "a" * 4000000\n(1..20).each { inner["k$it"] = s }'
    }

    def "should leave what helpers are given alone: they keep nothing for the plan"() {
        when:
        def run = plan(SSH + 'def l = [1]\nl << l\nprintln l')

        then:
        run.code == 0
        run.err == '[1, (this Collection)]\n'
    }

    def "should refuse a value that holds itself when it is handed over"() {
        when:
        def run = plan(SSH + 'def l = [1]\nl << l\nvariable "x", default: l')

        then:
        run.code == 2
        run.err.startsWith('t.imagebake.groovy:4:1: limit: the value given to `variable` holds itself')
        noStackTrace(run)
        withinBudget(run)
    }

    def "should freeze a Groovy variables file's values as they are assigned: #technique"() {
        given:
        Files.writeString(folder.resolve('v.groovy'), varFile)

        when:
        def run = plan(SSH + 'variable "x", type: "list"', '-var-file', folder.resolve('v.groovy').toString())

        then:
        run.code == 0
        planned(run).variables.find { it.name == 'x' }.value == [[]]
        withinBudget(run)

        where:
        technique                            | varFile
        'grown to 80 Mi characters'          | 'def inner = []\nx = [inner]\ndef s = "a" * 4000000\n20.times { inner << s }\n'
        'nested 200000 deep afterwards'      | 'def inner = []\nx = [inner]\ndef l = inner\n200000.times { def n = []; l << n; l = n }\n'
    }

    def "should refuse a variables file value over the hand-over budget, at its line: #technique"() {
        given:
        Files.writeString(folder.resolve(file), text)

        when:
        def run = plan(SSH + 'variable "x", type: "list"', '-var-file', folder.resolve(file).toString())

        then:
        run.code == 2
        run.out == ''
        run.err.startsWith(folder.resolve(file).toString() + ':' + where + ': ' + message)
        noStackTrace(run)
        withinBudget(run)

        where:
        technique                           | file     | where    | message                                              | text
        'Groovy, nested 200000 deep'        | 'v.groovy' | '3:1'  | 'limit: a value is nested more than 200 levels deep' | 'def l = []\n200000.times { l = [l] }\nx = l\n'
        'Groovy, shared 2^30 times'         | 'v.groovy' | '3:1'  | 'limit: the value given to `x` would be'             | 'def l = []\n30.times { l = [l, l] }\nx = l\n'
        'JSON, nested 200000 deep'          | 'v.json' | '1:206'  | 'invalid JSON: nested more than 200 levels deep'     | '{"x": ' + '[' * 200000 + ']' * 200000 + '}'
    }

    def "should refuse a plan over its size limit, at the step that crosses it"() {
        when:
        def run = plan(SSH + 'def s = "a" * 4000000\n30.times { provision shell { inline s } }')

        then:
        run.code == 2
        run.out == ''
        run.err.startsWith('t.imagebake.groovy:3:')
        run.err.contains('limit: the plan would be more than 8388608 characters')
        noStackTrace(run)
        withinBudget(run)
    }

    def "should refuse more sensitive values than the redactor is sized for, at the line that makes one too many: #technique"() {
        when:
        def run = plan(SSH + 'variable "pw", sensitive: true, default: ' + values + '\n'
                + 'provision shell { inline "x" * 4000000 }')

        then:
        run.code == 2
        run.err.startsWith('t.imagebake.groovy:2:')
        run.err.contains(message)
        noStackTrace(run)
        withinBudget(run)

        where:
        technique               | values                                         | message
        '40,001 values'         | '(0..40000).collect { "v$it" }'                | 'limit: more than 10000 sensitive values'
        '1.9 Mi characters'     | '(0..600).collect { "v$it" * 1000 }'           | 'limit: sensitive values of more than 1048576 characters in all'
    }

    def "should bound how many errors are reported, and how long each is"() {
        when:
        def run = plan(SSH + code)

        then:
        run.code == 2
        run.err.readLines().size() <= 102
        run.err.length() < 1 << 20
        run.err.contains(summary)
        run.err.readLines().last() == count
        noStackTrace(run)
        withinBudget(run)

        where:
        code                                                    | summary                                               | count
        '(1..100000).each { "k$it"() }'                         | '99900 more errors are not shown'                     | '100000 errors.'
        'fail("x" * 4000000)'                                   | '(4000000 characters in all; the rest is not shown)'  | '1 error.'
        LONG_MESSAGES                                           | 'not shown: the messages before it used up'           | '40 errors.'
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    /** Runs `plan --json` through the CLI, measuring the CPU time and allocation of this (the main) thread. */
    private Map plan(String template, String... more) {
        Path file = folder.resolve('t.imagebake.groovy')
        Files.writeString(file, template)
        def threads = (com.sun.management.ThreadMXBean) ManagementFactory.threadMXBean
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()
        long cpu = threads.currentThreadCpuTime
        long allocated = threads.getThreadAllocatedBytes(Thread.currentThread().id)
        int code = Main.run(new PrintStream(out, true), new PrintStream(err, true), [:],
                (['plan', '--json', '--eval-timeout', '5'] + (more as List) + [file.toString()]) as String[])
        [code     : code, out: out.toString('UTF-8'), err: err.toString('UTF-8').replace(folder.toString() + '/t.imagebake.groovy', 't.imagebake.groovy'),
         cpu      : threads.currentThreadCpuTime - cpu,
         allocated: threads.getThreadAllocatedBytes(Thread.currentThread().id) - allocated]
    }

    private static Map planned(Map run) {
        new groovy.json.JsonSlurper().parseText(run.out) as Map
    }

    private static boolean withinBudget(Map run) {
        assert run.cpu < MAIN_CPU_NANOS
        assert run.allocated < MAIN_ALLOCATED_BYTES
        true
    }

    private static boolean noStackTrace(Map run) {
        assert !run.err.contains('\tat ')
        assert !run.err.contains('Exception')
        assert !run.err.contains('Error:')
        true
    }

    private boolean hostUntouched() {
        assert folder.toFile().list() as Set == ['t.imagebake.groovy'] as Set
        true
    }
}
