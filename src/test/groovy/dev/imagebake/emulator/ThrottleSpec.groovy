package dev.imagebake.emulator

import dev.imagebake.emulator.arm.Throttle
import spock.lang.Specification

/** ARM's token buckets, driven by a clock the spec controls. */
class ThrottleSpec extends Specification {
    long now = 0
    def buckets = new Throttle.Buckets(Throttle.azure(true), { now })

    def "should start each bucket full and take one token per request"() {
        expect:
        buckets.take('sub', 'GET').remaining() == 249
        buckets.take('sub', 'GET').remaining() == 248
        buckets.take('sub', 'PUT').remaining() == 199
        buckets.take('sub', 'POST').remaining() == 198
        buckets.take('sub', 'PATCH').remaining() == 197
        buckets.take('sub', 'DELETE').remaining() == 199
        buckets.take('other', 'GET').remaining() == 249
    }

    def "should refuse a request once the bucket is empty, with the whole seconds until a token is back"() {
        given:
        200.times { assert !buckets.take('sub', 'PUT').refused() }

        when:
        def refused = buckets.take('sub', 'PUT')

        then:
        refused.refused()
        refused.retryAfterSeconds() == 1
        refused.remaining() == 0
        refused.kind() == Throttle.Kind.WRITES

        when: 'a tenth of a second refills one write token (10/s)'
        now += 100_000_000L
        def allowed = buckets.take('sub', 'PUT')

        then:
        !allowed.refused()
        allowed.remaining() == 0
        buckets.take('sub', 'PUT').refused()

        when: 'ten seconds refill 100, and reads were never touched'
        now += 10_000_000_000L

        then:
        buckets.take('sub', 'PUT').remaining() == 99
        buckets.take('sub', 'GET').remaining() == 249
    }

    def "should never fill a bucket beyond its size"() {
        given:
        buckets.take('sub', 'GET')
        now += 3_600_000_000_000L

        expect:
        buckets.take('sub', 'GET').remaining() == 249
        buckets.level('sub', 'GET').remaining() == 249
    }

    def "should count but never refuse when throttling is not enforced"() {
        given:
        def counting = new Throttle.Buckets(Throttle.azure(false), { now })

        when:
        def verdicts = (1..205).collect { counting.take('sub', 'DELETE') }

        then:
        verdicts.every { !it.refused() }
        verdicts[0].remaining() == 199
        verdicts[199].remaining() == 0
        verdicts[204].remaining() == 0
    }

    def "should wait longer for a slowly refilling bucket"() {
        given:
        def slow = new Throttle.Buckets(new Throttle(true, new Throttle.Limit(1, 0.25), new Throttle.Limit(1, 1),
                new Throttle.Limit(1, 1)), { now })
        slow.take('sub', 'GET')

        expect:
        slow.take('sub', 'GET').retryAfterSeconds() == 4
    }
}
