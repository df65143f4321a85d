package dev.imagebake.report

import dev.imagebake.engine.Reporter
import spock.lang.Specification

/** How the console lays out what the engine reports. */
class ConsoleReporterSpec extends Specification {

    def "a message of several lines, such as the roll-out table, keeps the build's prefix on every line"() {
        given:
        def bytes = new ByteArrayOutputStream()
        def console = new ConsoleReporter(new PrintStream(bytes, true, 'UTF-8'), false, false)

        when:
        console.message('azure', level, 'instance  health\nweb_0     healthy\r\nweb_1     healthy')

        then:
        bytes.toString('UTF-8').readLines() == [
                first + 'instance  health',
                '    azure: web_0     healthy',
                '    azure: web_1     healthy']

        where:
        level                | first
        Reporter.Level.INFO  | '    azure: '
        Reporter.Level.WARN  | '==> azure: warning: '
        Reporter.Level.ERROR | '==> azure: '
    }
}
