package dev.imagebake.builder.azure

import dev.imagebake.testsupport.ChildImagebake
import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.arm.Conditions
import dev.imagebake.emulator.arm.Operations
import spock.lang.Specification
import spock.lang.TempDir
import spock.lang.Unroll

import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/**
 * Ctrl-C (a real SIGINT to a build in its own process) while the Azure SDK waits between retries: the wait ends at
 * once, not when the retries run out (six of them, Retry-After seconds apart).
 */
class AzureInterruptDuringWaitsSpec extends Specification {
    @TempDir
    Path dir

    static final String TEMPLATE = '''
builder azure {
    location 'westeurope'
    vmSize 'Standard_B1s'
    source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
    managedImage 'web', resourceGroup: 'images'
}
'''

    @Unroll
    def "Ctrl-C while the SDK retries '#fault' ends the build within #bound s"() {
        given: 'an emulator that keeps throttling one request'
        Emulator emulator = Emulator.start(new Emulator.Settings(dir.resolve('emulator'), 0,
                Operations.Settings.DEFAULT, Emulator.Machines.NONE).withConditions(Conditions.DEFAULT.withFaults(fault)))
        AzureBuildFaultsSpec.seed(new dev.imagebake.emulator.AzureSdkClients(emulator.cloudFile()))
        Path requests = dir.resolve('emulator').resolve('requests.log')
        Files.writeString(dir.resolve('t.imagebake.groovy'), TEMPLATE)
        def p = new ProcessBuilder(ChildImagebake.command(['build', '--cloud', emulator.cloudFile().toString(),
                dir.resolve('t.imagebake.groovy').toString()])).redirectErrorStream(true).start()
        def output = new StringBuffer()
        Thread.start { p.inputStream.eachLine('UTF-8') { output.append(it).append('\n') } }

        when: 'the faulted request has been answered twice, so the SDK is in its back-off'
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120)
        while (faulted(requests) < 2 && p.alive && System.nanoTime() < deadline) {
            Thread.sleep(50)
        }
        assert p.alive
        long sent = System.nanoTime()
        new ProcessBuilder('kill', '-INT', p.pid().toString()).start().waitFor()
        boolean ended = p.waitFor(bound, TimeUnit.SECONDS)
        double seconds = (System.nanoTime() - sent) / 1e9

        then:
        assert ended, "still running ${seconds} s after Ctrl-C; its output:\n${output}\nthreads:\n${threads(p)}"
        seconds < bound
        p.exitValue() == 130
        output.toString().contains('Interrupted: stopping and cleaning up')

        cleanup:
        p?.destroyForcibly()
        emulator?.close()

        where:
        fault                                          | bound
        'HEAD resourcegroups:429x*,retry-after=4'      | 5
        'PUT networkSecurityGroups:503x*,retry-after=4' | 12 // then the resource group is deleted
    }

    /** The child's thread dump (jstack), to show where it waits when it does not stop. */
    static String threads(Process p) {
        if (!p.alive) {
            return '(ended)'
        }
        String jstack = Path.of(System.getProperty('java.home'), 'bin', 'jstack').toString()
        def dump = new ProcessBuilder(jstack, p.pid().toString()).redirectErrorStream(true).start()
        String text = dump.inputStream.getText('UTF-8')
        dump.waitFor(30, TimeUnit.SECONDS)
        text
    }

    static int faulted(Path requests) {
        Files.exists(requests) ? Files.readAllLines(requests).count { it.contains('"fault"') } as int : 0
    }
}
