package dev.imagebake.dsl

import spock.lang.Specification

class TemplateEvaluatorSpec extends Specification {
    static final String SSH = """
builder ssh {
    host '127.0.0.1'
    user 'ubuntu'
    password 'pw-1234'
    insecureHostKey true
}
"""

    def "should turn a minimal ssh template into a plan with one build"() {
        when:
        def result = TemplateHarness.evaluate(SSH + "provision shell { inline 'echo hi' }")

        then:
        result.diagnostics().isEmpty()
        result.plan().builds()*.name() == ['ssh']
        result.plan().builds()[0].steps()[0].spec().inline() == ['echo hi']
    }

    def "should suggest the closest keyword for a misspelt setting"() {
        expect:
        TemplateHarness.errors("builder ssh {\n    hots '1.2.3.4'\n}") ==
                ["2:5: Unknown setting `hots` in builder ssh 'ssh'. Did you mean `host`?",
                 "1:9: builder ssh 'ssh' needs `host`",
                 "1:9: builder ssh 'ssh' needs `user`",
                 "1:9: builder ssh 'ssh' needs a way to log in: `privateKey`, `password` or `agent true`"]
    }

    def "a closure passed to a function parameter of another type is refused, not turned into a proxy"() {
        expect:
        TemplateHarness.errors(SSH + "def f(Iterable items) { items }\nf { -> [].iterator() }\n") ==
                ["9:1: the function `f` takes Iterable as argument 1, not a closure; declare that parameter as Closure or def"]
    }

    /** Threads that keep every core busy, {@code perCore} each, so that the evaluation gets a small share of the CPU. */
    private static List<Thread> burnCpu(java.util.concurrent.atomic.AtomicBoolean stop, int perCore) {
        (1..Runtime.runtime.availableProcessors() * perCore).collect {
            Thread.startDaemon("burner-${it}") {
                long x = 0
                while (!stop.get()) {
                    x += System.nanoTime() % 7
                }
            }
        }
    }

    static final String BUSY_TEMPLATE = SSH + """
def total = 0
for (i in 0..<100000) { total += i % 7 }
provision shell { inline "echo \${total}" }
"""

    def "a template is limited by its CPU time: on a loaded machine it passes though it takes longer than the limit"() {
        given: 'a limit four times what the template needed in CPU time on its first run'
        def warm = TemplateHarness.evaluate(BUSY_TEMPLATE)
        def limit = [warm.cpuTime().multipliedBy(4), java.time.Duration.ofMillis(200)].max()
        def stop = new java.util.concurrent.atomic.AtomicBoolean()

        when: 'every core is kept busy by 16 other threads while it runs'
        def burners = burnCpu(stop, 16)
        long started = System.nanoTime()
        def loaded = TemplateHarness.evaluate(BUSY_TEMPLATE, [:], null, limit)
        def wall = java.time.Duration.ofNanos(System.nanoTime() - started)
        stop.set(true)
        burners*.join()
        println "CPU time ${warm.cpuTime().toMillis()} ms unloaded; limit ${limit.toMillis()} ms; " +
                "${loaded.cpuTime().toMillis()} ms loaded, in ${wall.toMillis()} ms"

        then:
        warm.ok()
        loaded.diagnostics() == []
        loaded.ok()
        loaded.cpuTime() < limit
        wall > limit // what a wall-clock limit would have refused

        cleanup:
        stop.set(true)
    }

    def "an endless loop is stopped by the CPU-time limit, on a loaded machine too, at its line"() {
        given:
        def stop = new java.util.concurrent.atomic.AtomicBoolean()
        def burners = burnCpu(stop, 2)

        when:
        def result = TemplateHarness.evaluate(SSH + 'def n = 0\nwhile (true) { n++ }\n', [:], null,
                java.time.Duration.ofMillis(500))
        stop.set(true)
        burners*.join()

        then:
        !result.stuck()
        result.plan() == null
        result.diagnostics().size() == 1
        result.diagnostics()[0].toString() ==~ /t\.imagebake\.groovy:9:\d+: limit: evaluation used more than 500 ms of / +
                /CPU time \(raise it with --eval-timeout\)/
        result.cpuTime() >= java.time.Duration.ofMillis(500)
        result.cpuTime() < java.time.Duration.ofMillis(1500)

        cleanup:
        stop.set(true)
    }
}
