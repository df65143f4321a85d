package dev.imagebake.plan

import spock.lang.Specification

import java.lang.management.ManagementFactory

class RedactorSpec extends Specification {
    static final String M = Redactor.MASK

    def "should mask every sensitive value, the longer one where matches overlap: #text"() {
        expect:
        new Redactor(values, whole).redact(text) == expected

        where:
        values                      | whole   | text                      | expected
        ['hunter2']                 | []      | 'pw=hunter2; again hunter2' | "pw=$M; again $M"
        ['abcdef', 'efgh']          | []      | 'xabcdefghy'              | "x${M}ghy"
        ['bcd', 'abcdef']           | []      | 'abcdefbcd'               | "$M$M"
        ['secret', 'secretive']     | []      | 'a secretive secret'      | "a $M $M"
        ['sens']                    | []      | 'the sensor'              | "the ${M}or"
        ['long-value']              | ['ab']  | 'ab'                      | M
        ['long-value']              | ['ab']  | 'abc'                     | 'abc'
        []                          | []      | 'plain'                   | 'plain'
    }

    def "should redact a 4 Mi-character text against thousands of values in one pass"() {
        given:
        def values = (0..<2000).collect { "v$it".toString() }
        def text = 'v' * (4 << 20)
        def threads = ManagementFactory.threadMXBean
        long cpu = threads.currentThreadCpuTime

        when:
        def redacted = new Redactor(values).redact(text)

        then:
        redacted == text
        threads.currentThreadCpuTime - cpu < 1_000_000_000L
    }

    def "should mask the whole text rather than enumerate an explosion of overlapping matches"() {
        given:
        def values = (4..600).collect { 'a' * it }
        def text = 'a' * (4 << 20)
        def threads = (com.sun.management.ThreadMXBean) ManagementFactory.threadMXBean
        long cpu = threads.currentThreadCpuTime
        long allocated = threads.currentThreadAllocatedBytes

        when:
        def redacted = new Redactor(values).redact(text)

        then:
        redacted == M
        threads.currentThreadCpuTime - cpu < 2_000_000_000L
        threads.currentThreadAllocatedBytes - allocated < 512L << 20
    }
}
