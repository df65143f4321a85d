package dev.imagebake.emulator

import dev.imagebake.emulator.state.StateStore
import groovy.json.JsonSlurper
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path

/** The state is saved shortly after each change, whole, and completely on close. */
class StateStoreSpec extends Specification {
    @TempDir
    Path dir

    Map saved() {
        new JsonSlurper().parse(dir.resolve('state.json').toFile()) as Map
    }

    def "should save a change shortly after it, without the writer waiting for the disk"() {
        given:
        def store = StateStore.open(dir.resolve('state.json'))

        when:
        store.write { it.putResource('/subscriptions/s/resourceGroups/A', [id: '/subscriptions/s/resourceGroups/A']) }
        def deadline = System.nanoTime() + 5_000_000_000L
        while (!Files.exists(dir.resolve('state.json')) && System.nanoTime() < deadline) {
            Thread.sleep(5)
        }

        then:
        saved().resources == ['/subscriptions/s/resourcegroups/a': [id: '/subscriptions/s/resourceGroups/A']]

        cleanup:
        store.close()
    }

    def "should save every change on close, and load them again"() {
        given:
        def store = StateStore.open(dir.resolve('state.json'))

        when:
        (1..500).each { n -> store.write { it.putResource("/r/$n", [id: "/r/$n".toString(), n: n]) } }
        store.write { it.removeTree('/r/1') }
        store.close()
        def again = StateStore.open(dir.resolve('state.json'))

        then:
        saved().resources.size() == 499
        saved().resources['/r/500'] == [id: '/r/500', n: 500]
        again.read { it.allResources().size() } == 499
        again.read { it.resource('/r/1') } == null

        cleanup:
        again?.close()
    }

    def "should not write a file when nothing changed"() {
        when:
        StateStore.open(dir.resolve('state.json')).close()

        then:
        !Files.exists(dir.resolve('state.json'))
    }
}
