package dev.imagebake.emulator

import dev.imagebake.cli.ExitCodes
import dev.imagebake.cli.Main
import groovy.json.JsonSlurper
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path

/** {@code imagebake emulator inventory}: what an emulator holds, read from its folder while it runs. */
class EmulatorInventoryCommandSpec extends Specification {
    @TempDir
    Path dir

    Map run(String... args) {
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()
        int code = Main.run(new PrintStream(out, true), new PrintStream(err, true), args)
        [code: code, out: out.toString('UTF-8'), err: err.toString('UTF-8')]
    }

    def "should list every resource per resource group while the emulator runs"() {
        given:
        def emulator = Emulator.start(new Emulator.Settings(dir, 0))
        def arm = new RawArm(emulator)
        String sub = arm.sub()
        arm.call('PUT', "$sub/resourcegroups/rg-b?api-version=1", [location: 'westeurope'])
        arm.call('PUT', "$sub/resourcegroups/rg-a?api-version=1", [location: 'northeurope'])
        arm.call('PUT', "$sub/resourceGroups/rg-a/providers/Microsoft.Network/networkSecurityGroups/nsg-1?api-version=2025-03-01",
                [location: 'northeurope'])

        when: 'the state is saved (shortly after each change)'
        def deadline = System.nanoTime() + 5_000_000_000L
        while (!(Files.exists(dir.resolve('state.json')) && Files.readString(dir.resolve('state.json')).contains('nsg-1')) && System.nanoTime() < deadline) {
            Thread.sleep(10)
        }
        def text = run('emulator', 'inventory', '--data', dir.toString())
        def asJson = run('emulator', 'inventory', '--data', dir.toString(), '--json')

        then:
        text.code == ExitCodes.OK
        text.out == """\
            Resource group rg-a
              Microsoft.Resources/resourceGroups       $sub/resourceGroups/rg-a
              Microsoft.Network/networkSecurityGroups  $sub/resourceGroups/rg-a/providers/Microsoft.Network/networkSecurityGroups/nsg-1  (Creating)
            Resource group rg-b
              Microsoft.Resources/resourceGroups       $sub/resourceGroups/rg-b
            3 resources in 2 resource groups
            """.stripIndent()
        text.err == ''
        asJson.code == ExitCodes.OK
        def listed = new JsonSlurper().parseText(asJson.out) as Map
        listed.count == 3
        listed.resources == [
                [id: "$sub/resourceGroups/rg-b".toString(), type: 'Microsoft.Resources/resourceGroups', resourceGroup: 'rg-b',
                 location: 'westeurope', provisioningState: 'Succeeded'],
                [id: "$sub/resourceGroups/rg-a".toString(), type: 'Microsoft.Resources/resourceGroups', resourceGroup: 'rg-a',
                 location: 'northeurope', provisioningState: 'Succeeded'],
                [id: "$sub/resourceGroups/rg-a/providers/Microsoft.Network/networkSecurityGroups/nsg-1".toString(),
                 type: 'Microsoft.Network/networkSecurityGroups', resourceGroup: 'rg-a', location: 'northeurope',
                 provisioningState: 'Creating']]

        cleanup:
        emulator?.close()
    }

    def "should say there is nothing in a fresh folder"() {
        given:
        Emulator.start(new Emulator.Settings(dir, 0)).close()

        expect:
        run('emulator', 'inventory', '--data', dir.toString()) == [code: ExitCodes.OK, out: 'No resources.\n', err: '']
        new JsonSlurper().parseText(run('emulator', 'inventory', '--data', dir.toString(), '--json').out) ==
                [resources: [], count: 0]
    }

    def "should refuse a folder that does not exist"() {
        when:
        def result = run('emulator', 'inventory', '--data', dir.resolve('nowhere').toString())

        then:
        result.code == ExitCodes.INVALID
        result.err == "Error: no emulator data folder at ${dir.resolve('nowhere')}\n"
        result.out == ''
    }

    def "should reject a fault it cannot read as invalid usage, before starting"() {
        when:
        def result = run('emulator', '--data', dir.resolve('never').toString(), '--fault', 'PUT virtualMachines')

        then:
        result.code == ExitCodes.INVALID
        result.err.startsWith("Error: Invalid value for option '--fault' (SPEC): Invalid fault 'PUT virtualMachines':" +
                " it has no ':' between the target and the action.")
        result.out == ''
        !dir.resolve('never').toFile().exists()
    }

    def "should reject an unknown latency profile as invalid usage"() {
        when:
        def result = run('emulator', '--data', dir.resolve('never').toString(), '--latency', 'slow')

        then:
        result.code == ExitCodes.INVALID
        result.err.startsWith("Error: Invalid --latency or --time-scale: unknown latency profile 'slow' (expected" +
                " instant or realistic)")
        !dir.resolve('never').toFile().exists()
    }
}
