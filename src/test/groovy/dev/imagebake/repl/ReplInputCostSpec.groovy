package dev.imagebake.repl

import dev.imagebake.dsl.sandbox.Limits
import spock.lang.Specification

import java.lang.management.ManagementFactory
import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration

import static dev.imagebake.testsupport.ReplRun.repl

/**
 * What the REPL does with its input costs time linear in the input's size, and an evaluation that runs out of time
 * leaves no thread behind. Costs are CPU time of the calling thread: a loaded machine stretches wall-clock time.
 */
class ReplInputCostSpec extends Specification {
    Path folder = Files.createTempDirectory('imagebake-repl-cost-')

    def cleanup() {
        folder.toFile().deleteDir()
    }

    def "finding the locals an input declares costs time linear in the input, on a line that made a regex backtrack for minutes"() {
        given:
        String line = 'def x' + ' ' * 40_000 + 'y' // 40 KB of spaces on one line, and no `=` after the name

        when:
        long once = cpuNanos { SessionTemplate.locals(line) }
        long twice = cpuNanos { SessionTemplate.locals('def x' + ' ' * 80_000 + 'y') }

        then:
        SessionTemplate.locals('def x = 1; final Map<String, Integer> m = [:]\nvar y=2\ndef (a, b) = [1, 2]') ==
                ['x', 'm', 'y'] as Set
        twice < Duration.ofMillis(500).toNanos()
        twice < 3 * once + Duration.ofMillis(20).toNanos()
    }

    def "cutting a template into statements costs time linear in its size"() {
        given:
        String body = "    inline 'echo x'\n" * 20_000 // one statement of 400 KB
        String template = "variable 'a', default: 1\nprovision shell {\n" + body + "}\n"
        String larger = "variable 'a', default: 1\nprovision shell {\n" + body + body + "}\n"

        when:
        long once = cpuNanos { InputCompleteness.statements(template) }
        long twice = cpuNanos { InputCompleteness.statements(larger) }

        then:
        InputCompleteness.statements(larger)*.firstLine() == [1, 2]
        twice < Duration.ofSeconds(1).toNanos()
        twice < 3 * once + Duration.ofMillis(20).toNanos()
    }

    def "an evaluation that runs out of CPU time is stopped, and the REPL goes on"() {
        given:
        Set<Thread> before = Thread.allStackTraces.keySet()

        when:
        def run = repl(folder, '''\
def r = ("a" * 40 + "!").find(/((a+)+)+$/) { it }
println 'still here'
''', Limits.DEFAULT.withTimeout(Duration.ofSeconds(1)))

        then:
        run.out.contains('error (1:9): limit: evaluation used more than 1 s of CPU time')
        run.lines().contains('still here')
        // the evaluation's thread has ended: nothing goes on using the CPU after the error
        Thread.allStackTraces.keySet().findAll { !(it in before) && it.name == 'imagebake-eval' && it.alive }.isEmpty()
    }

    private static long cpuNanos(Closure<?> work) {
        def threads = ManagementFactory.threadMXBean
        work() // once to warm up, so that class loading and compilation do not count
        long start = threads.currentThreadCpuTime
        work()
        threads.currentThreadCpuTime - start
    }
}
