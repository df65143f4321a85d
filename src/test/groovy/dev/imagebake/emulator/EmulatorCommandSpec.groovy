package dev.imagebake.emulator

import dev.imagebake.cli.ExitCodes
import dev.imagebake.cli.Main
import groovy.json.JsonSlurper
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Path
import java.util.concurrent.TimeUnit

/** {@code imagebake emulator}: prints where it listens and where cloud.json is, never the secret. */
class EmulatorCommandSpec extends Specification {
    @TempDir
    Path dir

    def "should print the endpoint and the cloud.json path, but not the secret"() {
        given:
        def out = new ByteArrayOutputStream()
        def printer = new PrintStream(out, true)
        int code = -1
        def thread = Thread.start { code = Main.run(printer, printer, 'emulator', '--data', dir.toString()) }

        when: 'it has started'
        def deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20)
        while (!out.toString('UTF-8').contains('Ctrl-C') && System.nanoTime() < deadline) {
            Thread.sleep(20)
        }
        String printed = out.toString('UTF-8')
        def cloud = new JsonSlurper().parse(dir.resolve('cloud.json').toFile()) as Map
        thread.interrupt()
        thread.join(10_000)

        then:
        printed.contains("Azure emulator listening on ${cloud.resourceManagerEndpoint - ~/\/$/}")
        printed.contains("Cloud settings (endpoint, CA, credentials): ${dir.resolve('cloud.json')}")
        !printed.contains(cloud.clientSecret as String)
        code == ExitCodes.INTERRUPTED
    }
}
