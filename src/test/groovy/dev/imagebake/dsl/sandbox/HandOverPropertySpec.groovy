package dev.imagebake.dsl.sandbox

import dev.imagebake.cli.Main
import dev.imagebake.plan.Plan
import spock.lang.Specification
import spock.lang.TempDir

import java.lang.management.ManagementFactory
import java.nio.file.Files
import java.nio.file.Path

/**
 * Random deep and large values, handed over through every path (a variable's default, a Groovy variables file, a
 * JSON variables file, step settings) and grown afterwards: `plan --json` must print a plan within the documented
 * size, or refuse cleanly at FILE:LINE:COL, and stay within 2 s of CPU time and 512 MiB of allocation on the thread
 * that prints it. The seed is in each iteration's name; run one again with -Dhandover.seed=SEED.
 */
class HandOverPropertySpec extends Specification {
    static final String SSH = "builder ssh { host '127.0.0.1'; user 'u'; password 'p'; insecureHostKey true }\n"
    /** Fixed, so that CI runs the same cases every time; explore others with -Dhandover.seed and -Dhandover.runs. */
    static final long BASE_SEED = Long.getLong('handover.seed', 20261207L)
    static final int RUNS = Integer.getInteger('handover.runs', 24)

    @TempDir
    Path folder

    def "should keep plan --json within budget for random values, seed #seed"() {
        given:
        def random = new Random(seed)
        def args = scenario(random)

        when:
        def run = plan(args.template as String, args.more as List<String>)

        then:
        run.cpu < 2_000_000_000L
        run.allocated < 512L << 20
        !run.err.contains('\tat ')
        !run.err.contains('Exception')
        run.code == 0 || run.code == 2
        run.code != 0 || stringChars(new groovy.json.JsonSlurper().parseText(run.out)) <= Plan.MAX_CHARS
        run.code != 2 || run.err.readLines()[0] ==~ /^\S+:\d+:\d+: (limit: |invalid JSON: ).*/

        where:
        seed << (0..<RUNS).collect { BASE_SEED + it }
    }

    /** A template and its -var-file arguments, for one random value, path and growth. */
    private Map scenario(Random r) {
        String path = ['variable', 'groovyFile', 'jsonFile', 'step'][r.nextInt(4)]
        switch (path) {
            case 'variable':
                return [template: SSH + valueCode(r) + 'variable "x", default: v\n' + growth(r), more: []]
            case 'groovyFile':
                Files.writeString(folder.resolve('v.groovy'), valueCode(r) + 'x = v\n' + growth(r))
                return [template: SSH + 'variable "x", type: "list"\n', more: ['-var-file', folder.resolve('v.groovy').toString()]]
            case 'jsonFile':
                Files.writeString(folder.resolve('v.json'), '{"x": ' + jsonValue(r) + '}')
                return [template: SSH + 'variable "x", type: "list"\n', more: ['-var-file', folder.resolve('v.json').toString()]]
            default:
                int size = [10, 1000, 1_000_000, 4_000_000][r.nextInt(4)]
                int repeat = 1 + r.nextInt(40)
                return [template: SSH + "def s = 'c' * $size\n${repeat}.times { provision shell { inline s; env A: s.take(${r.nextInt(100)}) } }\n"
                        + valueCode(r) + 'provision shell { inline([\'true\'] + v.flatten().collect { "$it" }) }\n' + growth(r), more: []]
        }
    }

    /** Groovy code that leaves a list in `v` (and its innermost list in `t`): deep, wide, shared or long. */
    private static String valueCode(Random r) {
        switch (r.nextInt(4)) {
            case 0:
                int depth = [5, 150 + r.nextInt(100), 1000 + r.nextInt(200000)][r.nextInt(3)]
                return "def v = []\ndef t = v\n${depth}.times { def n = []; t << n; t = n }\n"
            case 1:
                return "def v = (1..${1 + r.nextInt(5000)}).collect { 'w' * ${1 + r.nextInt(2000)} }\ndef t = v\n"
            case 2:
                return "def v = ['x' * ${1 + r.nextInt(1000)}]\n${r.nextInt(26)}.times { v = [v, v] }\ndef t = v\n"
            default:
                return "def v = ['y' * ${1 + r.nextInt(4_000_000)}]\ndef t = v\n"
        }
    }

    /** Code that grows what was handed over, after the hand-over. */
    private static String growth(Random r) {
        switch (r.nextInt(3)) {
            case 0:
                return "def big = 'g' * 4000000\n${r.nextInt(40)}.times { t << big }\n"
            case 1:
                return "def u = t\n${r.nextInt(200000)}.times { def n = []; u << n; u = n }\n"
            default:
                return ''
        }
    }

    private static String jsonValue(Random r) {
        switch (r.nextInt(3)) {
            case 0:
                int depth = [5, 150 + r.nextInt(100), 1000 + r.nextInt(200000)][r.nextInt(3)]
                return '[' * depth + ']' * depth
            case 1:
                return '[' + (["\"${'j' * (1 + r.nextInt(300))}\""] * (1 + r.nextInt(3000))).join(',') + ']'
            default:
                return '["' + 'k' * (1 + r.nextInt(1_000_000)) + '"]'
        }
    }

    /** The characters of every key and value in parsed JSON; without recursion, as plans may nest 200 deep. */
    private static long stringChars(Object json) {
        long total = 0
        def pending = new ArrayDeque<Object>([json])
        while (!pending.isEmpty()) {
            def value = pending.pop()
            if (value instanceof Map) {
                value.each { k, v -> total += k.length(); if (v != null) { pending.push(v) } }
            } else if (value instanceof List) {
                value.each { if (it != null) { pending.push(it) } }
            } else {
                total += String.valueOf(value).length()
            }
        }
        total
    }

    private Map plan(String template, List<String> more) {
        Path file = folder.resolve('t.imagebake.groovy')
        Files.writeString(file, template)
        def threads = (com.sun.management.ThreadMXBean) ManagementFactory.threadMXBean
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()
        long cpu = threads.currentThreadCpuTime
        long allocated = threads.getThreadAllocatedBytes(Thread.currentThread().id)
        int code = Main.run(new PrintStream(out, true), new PrintStream(err, true), [:],
                (['plan', '--json', '--eval-timeout', '5'] + more + [file.toString()]) as String[])
        [code     : code, out: out.toString('UTF-8'), err: err.toString('UTF-8'),
         cpu      : threads.currentThreadCpuTime - cpu,
         allocated: threads.getThreadAllocatedBytes(Thread.currentThread().id) - allocated]
    }
}
