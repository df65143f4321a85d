package dev.imagebake.emulator

import dev.imagebake.emulator.arm.ArmException
import dev.imagebake.emulator.arm.Operations
import dev.imagebake.emulator.state.StateStore
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Path
import java.time.Clock
import java.time.Duration

/** Microsoft.Network's asynchronous operations on the wire, as the SDK's PollingState reads them. */
class NetworkLroProtocolSpec extends Specification {
    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    RawArm arm

    def setupSpec() {
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('emulator'), 0))
        arm = new RawArm(emulator)
        arm.call('PUT', "${arm.sub()}/resourcegroups/rg-wire?api-version=1", [location: 'westeurope'])
    }

    def cleanupSpec() {
        emulator?.close()
    }

    String net(String rest) {
        "${arm.sub()}/resourceGroups/rg-wire/providers/Microsoft.Network/$rest?api-version=2025-03-01"
    }

    def "should answer a PUT with 201 and an absolute Azure-AsyncOperation, InProgress then Succeeded"() {
        when:
        def put = arm.call('PUT', net('networkSecurityGroups/nsg-wire'), [location: 'West Europe', tags: [a: '1'],
                properties: [securityRules: [[name: 'ssh', properties: [protocol: 'Tcp', access: 'Allow',
                        direction: 'Inbound', priority: 100, sourceAddressPrefix: '198.51.100.1',
                        sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRange: '22']]]]])
        def statusUrl = put.headers().firstValue('Azure-AsyncOperation').get()
        def created = RawArm.json(put)
        def first = RawArm.json(arm.call('GET', statusUrl))
        def second = RawArm.json(arm.call('GET', statusUrl))
        def read = RawArm.json(arm.call('GET', net('networkSecurityGroups/NSG-WIRE')))

        then:
        put.statusCode() == 201
        statusUrl.startsWith(emulator.endpoint() + '/subscriptions/')
        statusUrl.contains('/providers/Microsoft.Network/locations/westeurope/operations/')
        put.headers().firstValue('Retry-After').get() ==~ /\d+/
        !put.headers().firstValue('Location').isPresent()
        created.get('properties').provisioningState == 'Creating'
        created.get('properties').securityRules[0].get('properties').provisioningState == 'Creating'
        first == [status: 'InProgress']
        second == [status: 'Succeeded']
        read.id == "${arm.sub()}/resourceGroups/rg-wire/providers/Microsoft.Network/networkSecurityGroups/nsg-wire"
        read.name == 'nsg-wire'
        read.type == 'Microsoft.Network/networkSecurityGroups'
        read.location == 'westeurope'
        read.tags == [a: '1']
        read.etag ==~ /W\/".+"/
        read.get('properties').provisioningState == 'Succeeded'
        read.get('properties').securityRules[0].id == read.id + '/securityRules/ssh'
        read.get('properties').securityRules[0].get('properties').sourceAddressPrefix == '198.51.100.1'

        when: 'the same PUT again is an update'
        def again = arm.call('PUT', net('networkSecurityGroups/nsg-wire'), [location: 'westeurope'])

        then:
        again.statusCode() == 200
        RawArm.json(again).get('properties').provisioningState == 'Updating'
        again.headers().firstValue('Azure-AsyncOperation').isPresent()
    }

    def "should answer a DELETE with 202, Azure-AsyncOperation and Location, and 200 on the Location when done"() {
        given:
        arm.call('PUT', net('publicIPAddresses/pip-wire'), [location: 'westeurope', sku: [name: 'Standard']])

        when:
        def delete = arm.call('DELETE', net('publicIPAddresses/pip-wire'))
        def location = delete.headers().firstValue('Location').get()
        def status = delete.headers().firstValue('Azure-AsyncOperation').get()

        then:
        delete.statusCode() == 202
        location.startsWith('https://') && location.contains('/operationResults/')
        status.startsWith('https://') && status.contains('/operations/')
        arm.call('GET', location).statusCode() == 202
        RawArm.json(arm.call('GET', status)) == [status: 'Succeeded']
        arm.call('GET', location).statusCode() == 200
        arm.call('GET', net('publicIPAddresses/pip-wire')).statusCode() == 404

        and: 'deleting what is not there is a 204'
        arm.call('DELETE', net('publicIPAddresses/pip-wire')).statusCode() == 204
    }

    def "should report missing groups and resources with Azure's codes"() {
        expect:
        def noGroup = arm.call('GET', "${arm.sub()}/resourceGroups/rg-none/providers/Microsoft.Network/virtualNetworks/v?api-version=1")
        noGroup.statusCode() == 404
        RawArm.json(noGroup).error.code == 'ResourceGroupNotFound'
        def noVnet = arm.call('GET', net('virtualNetworks/vnet-none'))
        noVnet.statusCode() == 404
        RawArm.json(noVnet).error.code == 'ResourceNotFound'

        and: 'a NIC on a subnet that does not exist'
        def nic = arm.call('PUT', net('networkInterfaces/nic-bad'), [location: 'westeurope', properties: [
                ipConfigurations: [[name: 'ip', properties: [subnet: [id: net('virtualNetworks/vnet-none').replaceAll(/\?.*/, '') + '/subnets/s']]]]]])
        nic.statusCode() == 400
        RawArm.json(nic).error.code == 'InvalidResourceReference'
    }

    def "should serve subnets, refuse to delete one in use, and empty the group on its deletion"() {
        given:
        arm.call('PUT', net('virtualNetworks/vnet-wire'), [location: 'westeurope', properties: [
                addressSpace: [addressPrefixes: ['10.1.0.0/16']],
                subnets: [[name: 'default', properties: [addressPrefix: '10.1.2.0/24']]]]])
        def subnetId = "${arm.sub()}/resourceGroups/rg-wire/providers/Microsoft.Network/virtualNetworks/vnet-wire/subnets/default"
        arm.call('PUT', net('publicIPAddresses/pip-nic'), [location: 'westeurope', sku: [name: 'Standard']])
        def pipId = "${arm.sub()}/resourceGroups/rg-wire/providers/Microsoft.Network/publicIPAddresses/pip-nic"
        def nic = RawArm.json(arm.call('PUT', net('networkInterfaces/nic-wire'), [location: 'westeurope', properties: [
                ipConfigurations: [[name: 'ipconfig1', properties: [subnet: [id: subnetId], publicIPAddress: [id: pipId]]]]]]))

        expect:
        nic.get('properties').ipConfigurations[0].get('properties').privateIPAddress == '10.1.2.4'
        nic.get('properties').ipConfigurations[0].get('properties').primary == true
        RawArm.json(arm.call('GET', net('virtualNetworks/vnet-wire/subnets/default'))).get('properties').addressPrefix == '10.1.2.0/24'
        RawArm.json(arm.call('GET', net('publicIPAddresses/pip-nic'))).get('properties').ipConfiguration.id ==
                nic.id + '/ipConfigurations/ipconfig1'
        def subnetDelete = arm.call('DELETE', net('virtualNetworks/vnet-wire/subnets/default'))
        subnetDelete.statusCode() == 400
        RawArm.json(subnetDelete).error.code == 'InUseSubnetCannotBeDeleted'
        RawArm.json(arm.call('DELETE', net('publicIPAddresses/pip-nic'))).error.code == 'PublicIPAddressInUse'

        when:
        def location = arm.call('DELETE', "${arm.sub()}/resourcegroups/rg-wire?api-version=1").headers().firstValue('Location').get()
        while (arm.call('GET', location).statusCode() == 202) {
        }
        arm.call('PUT', "${arm.sub()}/resourcegroups/rg-wire?api-version=1", [location: 'westeurope'])

        then:
        ['networkInterfaces', 'publicIPAddresses', 'virtualNetworks', 'networkSecurityGroups'].every {
            RawArm.json(arm.call('GET', net(it))).value == []
        }
    }

    def "should report a failed operation as Failed with the error"() {
        given:
        def store = StateStore.open(dir.resolve('failing-state.json'))
        def operations = new Operations(store, Clock.systemUTC(), new Operations.Settings(1, 1, Duration.ofMinutes(1)))
        operations.register('boom') { state, target -> throw ArmException.conflict('AllocationFailed', "No room for $target.") }
        def id = store.write { state -> operations.start(state, 'boom', 'thing') }

        expect:
        operations.pollStatus(id) == [status: 'InProgress']
        operations.pollStatus(id) == [status: 'Failed', error: [code: 'AllocationFailed', message: 'No room for thing.']]
        operations.pollStatus(id).status == 'Failed'
    }
}
