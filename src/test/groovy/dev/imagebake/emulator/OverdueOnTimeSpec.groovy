package dev.imagebake.emulator

import dev.imagebake.emulator.arm.Operations
import dev.imagebake.testsupport.Poll
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Path
import java.time.Duration

/**
 * An operation nobody polls ({@code az group delete --no-wait}) completes once overdue by itself, not at the next
 * request: the saved state, which {@code imagebake emulator inventory} reads, then shows the group gone.
 */
class OverdueOnTimeSpec extends Specification {
    @TempDir
    Path dir

    def "should complete an unpolled resource group deletion when it is overdue, with no further request"() {
        given: 'operations overdue after three seconds'
        def emulator = Emulator.start(new Emulator.Settings(dir.resolve('data'), 0,
                new Operations.Settings(1, 1, Duration.ofSeconds(3))))
        def arm = new RawArm(emulator)
        String group = "${arm.sub()}/resourcegroups/no-wait-rg"
        assert arm.call('PUT', "$group?api-version=2021-04-01", [location: 'westeurope']).statusCode() == 201

        when: 'the deletion is accepted and never polled'
        def deletion = arm.call('DELETE', "$group?api-version=2021-04-01")

        then:
        deletion.statusCode() == 202
        Inventory.read(dir.resolve('data')).entries()*.id.any { it.equalsIgnoreCase(group) }

        and: 'the saved state loses the group within a few seconds, though no request came'
        Poll.until('the overdue deletion saved', 30) {
            Inventory.read(dir.resolve('data')).entries().isEmpty()
        }

        cleanup:
        emulator?.close()
    }
}
