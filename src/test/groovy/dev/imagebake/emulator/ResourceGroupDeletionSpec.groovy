package dev.imagebake.emulator

import dev.imagebake.emulator.arm.Operations
import groovy.json.JsonOutput
import groovy.json.JsonSlurper
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration

/** Deleting a resource group removes what is inside it, and finishes even when nobody polls. */
class ResourceGroupDeletionSpec extends Specification {
    @TempDir
    Path dir

    def "should remove everything inside the resource group, and nothing outside it"() {
        given: 'a state holding a resource inside rg-a and one inside rg-ab'
        def first = Emulator.start(new Emulator.Settings(dir, 0))
        def arm = new RawArm(first)
        ['rg-a', 'rg-ab'].each { arm.call('PUT', "${arm.sub()}/resourcegroups/$it?api-version=1", [location: 'westeurope']) }
        first.close()
        def state = new JsonSlurper().parse(dir.resolve('state.json').toFile()) as Map
        ['rg-a', 'rg-ab'].each {
            def id = "${arm.sub()}/resourceGroups/$it/providers/Microsoft.Network/virtualNetworks/vnet"
            state.resources[id.toLowerCase()] = [id: id, name: 'vnet']
        }
        Files.writeString(dir.resolve('state.json'), JsonOutput.toJson(state))

        when:
        def emulator = Emulator.start(new Emulator.Settings(dir, 0))
        arm = new RawArm(emulator)
        def location = arm.call('DELETE', "${arm.sub()}/resourcegroups/RG-A?api-version=1").headers().firstValue('Location').get()
        while (arm.call('GET', location).statusCode() == 202) {
        }
        emulator.close()
        def keys = (new JsonSlurper().parse(dir.resolve('state.json').toFile()) as Map).resources.keySet()

        then:
        keys.findAll { it.contains('/resourcegroups/rg-a/') || it.endsWith('/resourcegroups/rg-a') }.isEmpty()
        keys.any { it.endsWith('/resourcegroups/rg-ab/providers/microsoft.network/virtualnetworks/vnet') }
    }

    def "should finish an overdue deletion even if nobody polls"() {
        given:
        def emulator = Emulator.start(new Emulator.Settings(dir, 0, new Operations.Settings(1, 5, Duration.ZERO)))
        def arm = new RawArm(emulator)
        arm.call('PUT', "${arm.sub()}/resourcegroups/rg-nowait?api-version=1", [location: 'westeurope'])

        when:
        arm.call('DELETE', "${arm.sub()}/resourcegroups/rg-nowait?api-version=1")

        then:
        arm.call('GET', "${arm.sub()}/resourcegroups/rg-nowait?api-version=1").statusCode() == 404

        cleanup:
        emulator?.close()
    }
}
