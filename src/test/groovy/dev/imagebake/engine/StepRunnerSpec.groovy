package dev.imagebake.engine

import dev.imagebake.plan.Build
import dev.imagebake.plan.SshBuilderSpec
import dev.imagebake.plan.StepOptions
import spock.lang.Specification

import java.time.Duration
import java.util.concurrent.atomic.AtomicBoolean

class StepRunnerSpec extends Specification {
    List<String> events = Collections.synchronizedList([])
    Reporter reporter = new Reporter() {
        void stepStarted(String build, int index, String step) { events << "start ${step}".toString() }
        void stepFinished(String build, int index, String step, boolean ok, Duration took, String error) {
            events << "${ok ? 'ok' : 'fail'} ${step}${error ? ': ' + error : ''}".toString()
        }
        void message(String build, Reporter.Level level, String text) { events << "${level} ${text}".toString() }
    }

    BuildContext context(Interaction interaction = null) {
        def spec = new SshBuilderSpec('h', 22, 'u', null, 'p', false, null, null, true, null, Duration.ofSeconds(1))
        new BuildContext(new Build('b', spec, [], [], [], null), null, reporter, new Secrets([]), interaction)
    }

    BuildStep step(String name, Closure action = {}, List<String> leftovers = []) {
        new BuildStep() {
            String name() { name }
            void run(BuildContext c) { events << "run ${name}".toString(); action.call() }
            void cleanup(BuildContext c) { events << "cleanup ${name}".toString() }
            List<String> leftovers(BuildContext c) { leftovers }
        }
    }

    PlannedStep planned(BuildStep s, StepOptions options = StepOptions.DEFAULT) {
        new PlannedStep(s, options, true)
    }

    def "cleanups run in reverse, only for steps that started, after a failure"() {
        when:
        def outcome = new StepRunner(OnError.CLEANUP, new AtomicBoolean()).run(context(),
                [planned(step('a')), planned(step('b', { throw new StepFailedException('boom') })), planned(step('c'))], [])

        then:
        outcome.failure() == 'boom'
        events.findAll { it.startsWith('run') || it.startsWith('cleanup') } == ['run a', 'run b', 'cleanup b', 'cleanup a']
    }

    def "onError steps run after a provisioning failure, before cleanup"() {
        when:
        new StepRunner(OnError.CLEANUP, new AtomicBoolean()).run(context(),
                [planned(step('a', { throw new StepFailedException('no') }))], [planned(step('collect'))])

        then:
        events.findAll { it.startsWith('run') || it.startsWith('cleanup') } == ['run a', 'run collect', 'cleanup a']
    }

    def "abort keeps everything and reports what is left"() {
        when:
        def outcome = new StepRunner(OnError.ABORT, new AtomicBoolean()).run(context(),
                [planned(step('vm', {}, ['VM /x/vm'])), planned(step('p', { throw new StepFailedException('no') }))], [])

        then:
        outcome.aborted()
        outcome.leftovers() == ['VM /x/vm']
        !events.any { it.startsWith('cleanup') }
    }

    def "retries try again with a growing pause, then give up"() {
        given:
        int attempts = 0

        when:
        def outcome = new StepRunner(OnError.CLEANUP, new AtomicBoolean()).run(context(), [planned(step('flaky', {
            attempts++
            throw new StepFailedException("attempt ${attempts}")
        }), new StepOptions(null, 1, Duration.ZERO, [], []))], [])

        then:
        attempts == 2
        outcome.failure() == 'attempt 2'
        events.contains('WARN flaky failed; trying again in 1 s (attempt 2 of 2)')
    }

    def "a timeout interrupts the step"() {
        when:
        def outcome = new StepRunner(OnError.CLEANUP, new AtomicBoolean()).run(context(), [planned(step('slow', {
            Thread.sleep(10_000)
        }), new StepOptions(Duration.ofMillis(200), 0, Duration.ZERO, [], []))], [])

        then:
        outcome.failure() == 'timed out after 200 ms'
    }

    def "a slow timeout (killing remote commands takes a while) is over before the next attempt and the next step"() {
        given: 'ending the work takes 1.5 s after the command itself is gone, as a remote kill session does'
        def ctx = context()
        def commandKilled = new java.util.concurrent.CountDownLatch(1)
        ctx.onInterrupt {
            events << 'interrupting'
            commandKilled.countDown()
            new java.util.concurrent.CountDownLatch(1).await(1500, java.util.concurrent.TimeUnit.MILLISECONDS)
            events << 'interrupted'
        }
        int attempts = 0

        when:
        def outcome = new StepRunner(OnError.CLEANUP, new AtomicBoolean()).run(ctx, [
                planned(step('slow', {
                    if (++attempts == 1) {
                        commandKilled.await() // the remote command ends as soon as the kill starts
                        return
                    }
                    events << "retry interrupted: ${Thread.currentThread().isInterrupted()}".toString()
                }), new StepOptions(Duration.ofMillis(200), 1, Duration.ZERO, [], [])),
                planned(step('next', { events << "next interrupted: ${Thread.currentThread().isInterrupted()}".toString() }))],
                [])

        then:
        outcome.ok()
        events.findAll { !it.startsWith('INFO') } == ['start slow', 'run slow', 'interrupting', 'interrupted',
                                                      'fail slow: timed out after 200 ms',
                                                      'WARN slow failed; trying again in 1 s (attempt 2 of 2)',
                                                      'start slow', 'run slow', 'retry interrupted: false', 'ok slow',
                                                      'start next', 'run next', 'next interrupted: false', 'ok next',
                                                      'cleanup next', 'cleanup slow']
    }

    def "ask: retry the failed step, then clean up"() {
        given:
        def answers = ['r', 'c'].iterator()
        int attempts = 0

        when:
        def outcome = new StepRunner(OnError.ASK, new AtomicBoolean()).run(context({ answers.next() } as Interaction),
                [planned(step('p', { attempts++; throw new StepFailedException('no') }))], [])

        then:
        attempts == 2
        !outcome.aborted()
        events.contains('cleanup p')
    }

    def "skipping cleanup (a second Ctrl-C) reports every step's leftovers instead"() {
        when:
        def outcome = new StepRunner(OnError.CLEANUP, new AtomicBoolean(true)).run(context(),
                [planned(step('rg', {}, ['resource group rg-1'])), planned(step('vm', {}, ['VM vm-1']))], [])

        then:
        outcome.leftovers() == ['VM vm-1', 'resource group rg-1']
        !events.any { it.startsWith('cleanup') }
    }

    def "interrupt() ends the running step as its timeout would, as interrupted, with no retry and no further step"() {
        given: 'a step that would take long, with retries'
        def ctx = context()
        ctx.onInterrupt { events << 'remote commands stopped' }
        def runner = new StepRunner(OnError.CLEANUP, new AtomicBoolean())
        def running = new java.util.concurrent.CountDownLatch(1)
        Thread.start { running.await(); runner.interrupt() }

        when:
        def outcome = runner.run(ctx, [
                planned(step('slow', { running.countDown(); Thread.sleep(30_000) }),
                        new StepOptions(null, 2, Duration.ZERO, [], [])),
                planned(step('next'))], [])

        then:
        outcome.failure() == 'interrupted'
        events.findAll { !it.startsWith('INFO') } == ['start slow', 'run slow', 'remote commands stopped',
                                                      'fail slow: interrupted', 'cleanup slow']
        !Thread.currentThread().isInterrupted()
    }

    def "a cancelled build starts no further step"() {
        given:
        def ctx = context()

        when:
        def outcome = new StepRunner(OnError.CLEANUP, new AtomicBoolean()).run(ctx,
                [planned(step('a', { ctx.cancel() })), planned(step('b'))], [])

        then:
        outcome.failure() == 'cancelled'
        !events.contains('run b')
        events.contains('cleanup a')
    }
}
