package dev.imagebake.emulator

import dev.imagebake.emulator.arm.Operations
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir

import java.net.http.HttpResponse
import java.nio.file.Path
import java.time.Duration

import static dev.imagebake.emulator.RawArm.json

/** Microsoft.Compute at the HTTP level: exact statuses, headers, error codes, and what goes with what. */
class ComputeLroProtocolSpec extends Specification {
    static final String API = 'api-version=2025-04-01'
    static final String NET_API = 'api-version=2025-03-01'

    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    RawArm arm

    def setupSpec() {
        emulator = Emulator.start(new Emulator.Settings(dir, 0, new Operations.Settings(1, 1, Duration.ofSeconds(30))))
        arm = new RawArm(emulator)
    }

    def cleanupSpec() {
        emulator?.close()
    }

    private String group(String name) {
        assert arm.call('PUT', "${arm.sub()}/resourcegroups/$name?$API", [location: 'westeurope']).statusCode() in [200, 201]
        "${arm.sub()}/resourceGroups/$name"
    }

    /** Polls an Azure-AsyncOperation URL until it is no longer InProgress. */
    private Map await(HttpResponse<String> accepted) {
        String url = accepted.headers().firstValue('Azure-AsyncOperation').orElseThrow()
        for (int i = 0; i < 10; i++) {
            Map status = json(arm.call('GET', url)) as Map
            if (status.status != 'InProgress') {
                return status
            }
        }
        throw new AssertionError('operation never finished')
    }

    private String nic(String rg, String name) {
        def vnet = arm.call('PUT', "$rg/providers/Microsoft.Network/virtualNetworks/vnet-$name?$NET_API", [location: 'westeurope',
                properties: [addressSpace: [addressPrefixes: ['10.0.0.0/16']],
                             subnets: [[name: 'default', properties: [addressPrefix: '10.0.0.0/24']]]]])
        await(vnet)
        def subnetId = "$rg/providers/Microsoft.Network/virtualNetworks/vnet-$name/subnets/default"
        def nic = arm.call('PUT', "$rg/providers/Microsoft.Network/networkInterfaces/$name?$NET_API", [location: 'westeurope',
                properties: [ipConfigurations: [[name: 'ipconfig1', properties: [subnet: [id: subnetId]]]]]])
        await(nic)
        "$rg/providers/Microsoft.Network/networkInterfaces/$name"
    }

    private static Map vmBody(String nicId, Map imageReference, String diskDeleteOption = 'Detach') {
        [location: 'westeurope', properties: [
                hardwareProfile: [vmSize: 'Standard_B2s'],
                storageProfile : [imageReference: imageReference,
                                  osDisk: [createOption: 'FromImage', deleteOption: diskDeleteOption,
                                           managedDisk: [storageAccountType: 'Standard_LRS']]],
                osProfile      : [computerName: 'bake', adminUsername: 'azureuser',
                                  linuxConfiguration: [disablePasswordAuthentication: true]],
                networkProfile : [networkInterfaces: [[id: nicId]]]]]
    }

    static final Map NOBLE = [publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest']

    private List<String> codes(String vmId) {
        (json(arm.call('GET', "$vmId/instanceView?$API")) as Map).statuses*.code
    }

    def "should create a VM as an async operation and show latest's exact version"() {
        given:
        def rg = group('rg-create')
        def nicId = nic(rg, 'nic-create')
        def vmId = "$rg/providers/Microsoft.Compute/virtualMachines/vm1"

        when:
        def put = arm.call('PUT', "$vmId?$API", vmBody(nicId, NOBLE))
        def body = json(put) as Map

        then:
        put.statusCode() == 201
        put.headers().firstValue('Azure-AsyncOperation').get().startsWith('https://')
        put.headers().firstValue('Retry-After').get() == '1'
        body.get('properties').provisioningState == 'Creating'
        body.get('properties').storageProfile.imageReference.exactVersion == '24.04.202502210'
        !body.containsKey('_emulator')

        when:
        def status = await(put)
        def vm = json(arm.call('GET', "$vmId?$API&\$expand=instanceView")) as Map

        then:
        status == [status: 'Succeeded']
        vm.get('properties').provisioningState == 'Succeeded'
        vm.get('properties').instanceView.statuses*.code == ['ProvisioningState/succeeded', 'PowerState/running']
        codes(vmId) == ['ProvisioningState/succeeded', 'PowerState/running']
        (json(arm.call('GET', "$nicId?$NET_API")) as Map).get('properties').virtualMachine.id == vmId
    }

    def "should refuse an unknown image and a missing NIC"() {
        given:
        def rg = group('rg-bad')
        def nicId = nic(rg, 'nic-bad')

        when:
        def unknown = arm.call('PUT', "$rg/providers/Microsoft.Compute/virtualMachines/vm-x?$API",
                vmBody(nicId, [publisher: 'Canonical', offer: 'no-such-offer', sku: 'x', version: 'latest']))
        def noNic = arm.call('PUT', "$rg/providers/Microsoft.Compute/virtualMachines/vm-y?$API",
                vmBody("$rg/providers/Microsoft.Network/networkInterfaces/missing", NOBLE))
        def badVersion = arm.call('PUT', "$rg/providers/Microsoft.Compute/virtualMachines/vm-z?$API",
                vmBody(nicId, NOBLE + [version: '1.2.3']))

        then:
        unknown.statusCode() == 404
        json(unknown).error.code == 'PlatformImageNotFound'
        noNic.statusCode() == 400
        json(noNic).error.code == 'InvalidResourceReference'
        badVersion.statusCode() == 404
        arm.call('GET', "$rg/providers/Microsoft.Compute/virtualMachines?$API").with { json(it).value == [] }
        arm.call('GET', "$rg/providers/Microsoft.Compute/disks?$API").with { json(it).value == [] }
    }

    def "should run power actions as async operations, case-insensitively, and generalize only when stopped"() {
        given:
        def rg = group('rg-power')
        def vmId = "$rg/providers/Microsoft.Compute/virtualMachines/vm-p"
        await(arm.call('PUT', "$vmId?$API", vmBody(nic(rg, 'nic-p'), NOBLE)))

        when:
        def running = arm.call('POST', "$vmId/generalize?$API")

        then:
        running.statusCode() == 409
        json(running).error.code == 'OperationNotAllowed'
        json(running).error.message.contains('since the VM is running')

        when:
        def off = arm.call('POST', "$vmId/poweroff?$API")

        then:
        off.statusCode() == 202
        off.headers().firstValue('Azure-AsyncOperation').isPresent()
        off.headers().firstValue('Location').get().startsWith('https://')
        codes(vmId).contains('PowerState/stopping')
        await(off).status == 'Succeeded'
        codes(vmId).contains('PowerState/stopped')
        arm.call('GET', off.headers().firstValue('Location').get()).statusCode() == 200

        when:
        def generalize = arm.call('POST', "$vmId/generalize?$API")

        then:
        generalize.statusCode() == 200
        codes(vmId) == ['ProvisioningState/succeeded', 'OSState/generalized', 'PowerState/stopped']

        when:
        def start = arm.call('POST', "$vmId/start?$API")

        then:
        start.statusCode() == 409
        json(start).error.code == 'OperationNotAllowed'
    }

    def "should capture images only from generalized VMs"() {
        given:
        def rg = group('rg-image')
        def vmId = "$rg/providers/Microsoft.Compute/virtualMachines/vm-i"
        await(arm.call('PUT', "$vmId?$API", vmBody(nic(rg, 'nic-i'), NOBLE)))
        def imageUrl = "$rg/providers/Microsoft.Compute/images/img?$API"
        def imageBody = [location: 'westeurope', properties: [sourceVirtualMachine: [id: vmId]]]

        when:
        def early = arm.call('PUT', imageUrl, imageBody)

        then:
        early.statusCode() == 409
        json(early).error.code == 'OperationNotAllowed'

        when:
        await(arm.call('POST', "$vmId/deallocate?$API"))
        arm.call('POST', "$vmId/generalize?$API")
        def put = arm.call('PUT', imageUrl, imageBody)

        then:
        put.statusCode() == 201
        json(put).get('properties').provisioningState == 'Creating'
        await(put).status == 'Succeeded'
        with(json(arm.call('GET', imageUrl)) as Map) {
            it.get('properties').provisioningState == 'Succeeded'
            it.get('properties').storageProfile.osDisk.osState == 'Generalized'
            it.get('properties').hyperVGeneration == 'V2'
        }

        when: 'a disk still attached to its VM cannot be deleted'
        def diskId = (json(arm.call('GET', "$vmId?$API")) as Map).get('properties').storageProfile.osDisk.managedDisk.id
        def attached = arm.call('DELETE', "$diskId?$API")

        then:
        attached.statusCode() == 409
        json(attached).error.code == 'OperationNotAllowed'

        when:
        def delete = arm.call('DELETE', imageUrl)

        then:
        delete.statusCode() == 202
        await(delete).status == 'Succeeded'
        arm.call('GET', imageUrl).statusCode() == 404
    }

    def "should delete the VM with its OS disk when deleteOption is Delete, and detach the NIC"() {
        given:
        def rg = group('rg-delete')
        def nicId = nic(rg, 'nic-d')
        def vmId = "$rg/providers/Microsoft.Compute/virtualMachines/vm-d"
        await(arm.call('PUT', "$vmId?$API", vmBody(nicId, NOBLE, 'Delete')))
        def diskId = (json(arm.call('GET', "$vmId?$API")) as Map).get('properties').storageProfile.osDisk.managedDisk.id

        expect:
        arm.call('GET', "$diskId?$API").statusCode() == 200
        arm.call('DELETE', "$nicId?$NET_API").with { it.statusCode() == 400 && json(it).error.code == 'NicInUse' }

        when:
        def delete = arm.call('DELETE', "$vmId?$API")

        then:
        delete.statusCode() == 202
        delete.headers().firstValue('Location').isPresent()
        await(delete).status == 'Succeeded'
        arm.call('GET', "$vmId?$API").statusCode() == 404
        arm.call('GET', "$diskId?$API").statusCode() == 404
        !(json(arm.call('GET', "$nicId?$NET_API")) as Map).get('properties').containsKey('virtualMachine')
    }

    def "should remove VMs, disks and images with their resource group"() {
        given:
        def rg = group('rg-gone')
        def vmId = "$rg/providers/Microsoft.Compute/virtualMachines/vm-g"
        await(arm.call('PUT', "$vmId?$API", vmBody(nic(rg, 'nic-g'), NOBLE)))

        when:
        def delete = arm.call('DELETE', "$rg?$API")
        String location = delete.headers().firstValue('Location').get()
        int status = 202
        for (int i = 0; i < 10 && status == 202; i++) {
            status = arm.call('GET', location).statusCode()
        }

        then:
        status == 200
        arm.call('GET', "$vmId?$API").statusCode() == 404
        arm.call('GET', "${arm.sub()}/providers/Microsoft.Compute/virtualMachines?$API").with {
            !json(it).value*.id.any { it.toString().contains('/rg-gone/') }
        }
        arm.call('GET', "${arm.sub()}/providers/Microsoft.Compute/disks?$API").with {
            !json(it).value*.id.any { it.toString().contains('/rg-gone/') }
        }
    }
}
