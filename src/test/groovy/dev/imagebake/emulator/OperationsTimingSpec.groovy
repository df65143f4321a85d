package dev.imagebake.emulator

import dev.imagebake.emulator.arm.LatencyProfile
import dev.imagebake.emulator.arm.Operations
import dev.imagebake.emulator.state.StateStore
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Path
import java.time.Clock
import java.time.Duration
import java.time.Instant
import java.time.ZoneId
import java.time.ZoneOffset

/** When operations complete under the realistic profile and with injected faults, on a clock the spec moves. */
class OperationsTimingSpec extends Specification {
    static final String VERSION = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/d/versions/1.0.0'

    @TempDir
    Path dir

    /** A clock that only moves when told. */
    static class ManualClock extends Clock {
        long millis = 1_000_000

        ZoneId getZone() { ZoneOffset.UTC }

        Clock withZone(ZoneId zone) { this }

        Instant instant() { Instant.ofEpochMilli(millis) }
    }

    def clock = new ManualClock()
    StateStore store
    Operations operations

    def setup() {
        store = StateStore.open(dir.resolve('state.json'))
        operations = new Operations(store, clock, Operations.Settings.DEFAULT, LatencyProfile.realistic(1))
        operations.register('gallery.put') { state, target -> }
    }

    def cleanup() {
        store.close()
    }

    String startVersion(int regions) {
        store.write { state ->
            state.putResource(VERSION, [id: VERSION, properties: [publishingProfile: [targetRegions: (1..regions).collect { [name: "r$it"] }]]])
            operations.start(state, 'gallery.put', VERSION)
        }
    }

    Map operation(String id) {
        store.read { it.operation(id) }
    }

    def "should replicate one region per share of the time, and complete when all are done, however often polled"() {
        given:
        String id = startVersion(2)

        expect: 'at the start, nothing is due'
        !operations.stepDue(operation(id), 1, 2)
        (1..5).collect { operations.pollStatus(id).status } == ['InProgress'] * 5

        when: 'a region takes 255 s'
        clock.millis += 255_000

        then:
        operations.stepDue(operation(id), 1, 2)
        !operations.stepDue(operation(id), 2, 2)
        operations.pollStatus(id) == [status: 'InProgress']

        when:
        clock.millis += 254_999

        then:
        operations.pollStatus(id) == [status: 'InProgress']

        when:
        clock.millis += 1

        then:
        operations.stepDue(operation(id), 2, 2)
        operations.pollStatus(id) == [status: 'Succeeded']
    }

    def "should keep a hanging operation in progress past its time, even when settling overdue ones"() {
        given:
        String id = startVersion(1)
        operations.inject(id, null, true)

        when:
        clock.millis += Duration.ofDays(1).toMillis()
        operations.settleOverdue()

        then:
        operations.pollStatus(id) == [status: 'InProgress']
        !operations.stepDue(operation(id), 1, 1)
    }

    def "should end an operation with an injected failure Failed, its resource too"() {
        given:
        String id = startVersion(1)
        operations.inject(id, 'InternalExecutionError', false)

        when:
        clock.millis += 255_000

        then:
        operations.pollStatus(id) == [status: 'Failed', error: [code: 'InternalExecutionError',
                message: 'The operation failed (fault injected by the emulator).']]
        store.read { it.resource(VERSION).get('properties').provisioningState } == 'Failed'
    }

    def "should settle an overdue operation nobody polls once its time is up"() {
        given:
        String id = startVersion(1)

        when:
        clock.millis += 254_000
        operations.settleOverdue()

        then:
        operation(id).status == 'InProgress'

        when:
        clock.millis += 1_000
        operations.settleOverdue()

        then:
        operation(id).status == 'Succeeded'
    }

    def "should forget the oldest finished operations beyond the ones it keeps, never one in progress"() {
        given:
        def instant = new Operations(store, clock, new Operations.Settings(1, 0, Duration.ofSeconds(10)))
        String running = store.write { instant.start(it, 'gallery.put', VERSION) }
        List<String> ids = (1..250).collect {
            String id = store.write { state -> instant.start(state, 'other', "/t/$it") }
            instant.pollStatus(id)
            id
        }
        store.write { instant.start(it, 'other', '/t/last') }

        expect:
        store.read { it.operations().size() } == 202
        operation(running).status == 'InProgress'
        operation(ids[49]) == null
        operation(ids[50]).status == 'Succeeded'
    }
}
