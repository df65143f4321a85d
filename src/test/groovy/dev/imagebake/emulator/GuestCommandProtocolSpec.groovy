package dev.imagebake.emulator

import dev.imagebake.emulator.arm.Operations
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir

import java.net.http.HttpResponse
import java.nio.file.Path
import java.time.Duration

import static dev.imagebake.emulator.RawArm.json

/**
 * Run command, VM extensions and their catalogues at the HTTP level, on an emulator without machines: what is
 * refused before anything runs (unknown command ids and extension handlers, a stopped VM), and what a command
 * that has no machine to run in ends with.
 */
class GuestCommandProtocolSpec extends Specification {
    static final String API = 'api-version=2025-04-01'
    static final String NET_API = 'api-version=2025-03-01'

    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    RawArm arm

    @Shared
    String vmId

    def setupSpec() {
        emulator = Emulator.start(new Emulator.Settings(dir, 0, new Operations.Settings(1, 0, Duration.ofSeconds(30))))
        arm = new RawArm(emulator)
        String rg = "${arm.sub()}/resourceGroups/rg"
        assert arm.call('PUT', "$rg?$API", [location: 'westeurope']).statusCode() == 201
        await(arm.call('PUT', "$rg/providers/Microsoft.Network/virtualNetworks/vnet?$NET_API", [location: 'westeurope',
                properties: [addressSpace: [addressPrefixes: ['10.0.0.0/16']],
                             subnets: [[name: 'default', properties: [addressPrefix: '10.0.0.0/24']]]]]))
        String nicId = "$rg/providers/Microsoft.Network/networkInterfaces/nic"
        await(arm.call('PUT', "$nicId?$NET_API", [location: 'westeurope', properties: [ipConfigurations: [[
                name: 'ipconfig1', properties: [subnet: [id: "$rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/default"]]]]]]))
        vmId = "$rg/providers/Microsoft.Compute/virtualMachines/vm"
        await(arm.call('PUT', "$vmId?$API", [location: 'westeurope', properties: [
                storageProfile: [imageReference: [publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server',
                                                  version: 'latest']],
                osProfile: [computerName: 'vm', adminUsername: 'azureuser'],
                networkProfile: [networkInterfaces: [[id: nicId]]]]]))
    }

    def cleanupSpec() {
        emulator?.close()
    }

    private Map await(HttpResponse<String> accepted) {
        assert accepted.statusCode() in [200, 201, 202]: accepted.body()
        String url = accepted.headers().firstValue('Azure-AsyncOperation').orElseThrow()
        Map status = null
        dev.imagebake.testsupport.Poll.until('the operation', 60) {
            status = json(arm.call('GET', url)) as Map
            status.status != 'InProgress'
        }
        status
    }

    def "should answer a run command with 202 and fail its operation when no machine runs behind the VM"() {
        when:
        def accepted = arm.call('POST', "$vmId/runCommand?$API", [commandId: 'RunShellScript', script: ['hostname']])
        def status = await(accepted)

        then:
        accepted.statusCode() == 202
        accepted.headers().firstValue('Location').isPresent()
        accepted.headers().firstValue('Retry-After').orElseThrow() == '1'
        status.status == 'Failed'
        status.error.code == 'VMAgentStatusCommunicationError'
        status.error.message.startsWith("VM 'vm' has not reported status for VM agent or extensions: no machine")
    }

    def "should refuse a run command it does not know, and parameters that are no variable names"() {
        when:
        def unknown = arm.call('POST', "$vmId/runCommand?$API", [commandId: 'RunPowerShellScript', script: ['dir']])
        def badName = arm.call('POST', "$vmId/runCommand?$API", [commandId: 'RunShellScript', script: ['true'],
                                                                 parameters: [[name: 'a-b', value: 'x']]])
        def missing = arm.call('POST', "${vmId}2/runCommand?$API", [commandId: 'RunShellScript'])

        then:
        unknown.statusCode() == 400
        json(unknown).error.code == 'InvalidParameter'
        json(unknown).error.message.contains("The command id 'RunPowerShellScript' is not supported")
        badName.statusCode() == 400
        json(badName).error.message == "The run command parameter name 'a-b' is not a valid environment variable name."
        missing.statusCode() == 404
        json(missing).error.code == 'ResourceNotFound'
    }

    def "should refuse an extension handler that is not in the catalogue with Azure's words"() {
        when:
        def reply = arm.call('PUT', "$vmId/extensions/other?$API", [location: 'westeurope', properties: [
                publisher: 'Microsoft.Azure.Extensions', type: 'CustomScript', typeHandlerVersion: '9.0']])

        then:
        reply.statusCode() == 404
        json(reply).error.code == 'NotFound'
        json(reply).error.message == "Extension with publisher 'Microsoft.Azure.Extensions', type 'CustomScript'," +
                " and type handler version '9.0' could not be found in the extension repository."
    }

    def "should list the run commands of a location and describe RunShellScript"() {
        when:
        def list = json(arm.call('GET', "${arm.sub()}/providers/Microsoft.Compute/locations/westeurope/runCommands?$API"))
        def one = json(arm.call('GET', "${arm.sub()}/providers/Microsoft.Compute/locations/westeurope/runCommands/RunShellScript?$API"))

        then:
        list.value*.id == ['RunShellScript']
        list.value[0].osType == 'Linux'
        one.script == ['$script']
        one.label == 'Run Linux Shell Script'
    }

    def "should not modify extensions of a stopped VM"() {
        given:
        await(arm.call('POST', "$vmId/powerOff?$API", null))

        when:
        def reply = arm.call('PUT', "$vmId/extensions/CustomScript?$API", [location: 'westeurope', properties: [
                publisher: 'Microsoft.Azure.Extensions', type: 'CustomScript', typeHandlerVersion: '2.1',
                settings: [commandToExecute: 'true']]])
        def run = arm.call('POST', "$vmId/runCommand?$API", [commandId: 'RunShellScript', script: ['true']])

        then:
        reply.statusCode() == 409
        json(reply).error == [code: 'OperationNotAllowed',
                              message: 'Cannot modify extensions in the VM when the VM is not running.']
        run.statusCode() == 409
        json(run).error == [code: 'Conflict', message: 'The operation requires the VM to be running (or set to run).']
    }
}
