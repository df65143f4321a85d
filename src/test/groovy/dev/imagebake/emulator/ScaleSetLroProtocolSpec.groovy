package dev.imagebake.emulator

import dev.imagebake.emulator.arm.Operations
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir

import java.net.http.HttpResponse
import java.nio.file.Path
import java.time.Duration

import static dev.imagebake.emulator.RawArm.json

/** Scale sets at the HTTP level: which verb answers what status with which LRO headers, and the error codes. */
class ScaleSetLroProtocolSpec extends Specification {
    static final String API = 'api-version=2025-04-01'
    static final String NET_API = 'api-version=2025-03-01'
    static final Map NOBLE = [publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest']

    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    RawArm arm

    @Shared
    String rg

    @Shared
    String subnetId

    def setupSpec() {
        // Retry-After 5 s makes a rolling-upgrade batch last 5 s: long enough to look at it mid-batch on a busy machine.
        emulator = Emulator.start(new Emulator.Settings(dir, 0, new Operations.Settings(5, 1, Duration.ofSeconds(30))))
        arm = new RawArm(emulator)
        assert arm.call('PUT', "${arm.sub()}/resourcegroups/rg-vmss?$API", [location: 'westeurope']).statusCode() == 201
        rg = "${arm.sub()}/resourceGroups/rg-vmss"
        await(arm.call('PUT', "$rg/providers/Microsoft.Network/virtualNetworks/vnet?$NET_API", [location: 'westeurope',
                properties: [addressSpace: [addressPrefixes: ['10.0.0.0/16']],
                             subnets: [[name: 'default', properties: [addressPrefix: '10.0.0.0/24']]]]]))
        subnetId = "$rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/default"
    }

    def cleanupSpec() {
        emulator?.close()
    }

    /** Polls an Azure-AsyncOperation URL until it is no longer InProgress. */
    private Map await(HttpResponse<String> accepted) {
        assert accepted.statusCode() in [200, 201, 202]: accepted.body()
        String url = accepted.headers().firstValue('Azure-AsyncOperation').orElseThrow()
        for (int i = 0; i < 10; i++) {
            Map status = json(arm.call('GET', url)) as Map
            if (status.status != 'InProgress') {
                return status
            }
        }
        throw new AssertionError('operation never finished')
    }

    private Map body(Map imageReference, int capacity, String mode = 'Manual', String subnet = subnetId) {
        [location: 'westeurope', sku: [name: 'Standard_B1s', capacity: capacity], properties: [
                upgradePolicy        : [mode: mode],
                virtualMachineProfile: [
                        osProfile     : [computerNamePrefix: 'bake', adminUsername: 'azureuser', adminPassword: 'S3cret!pass',
                                         linuxConfiguration: [disablePasswordAuthentication: false]],
                        storageProfile: [imageReference: imageReference,
                                         osDisk: [createOption: 'FromImage', managedDisk: [storageAccountType: 'Standard_LRS']]],
                        networkProfile: [networkInterfaceConfigurations: [[name: 'nic', properties: [primary: true,
                                ipConfigurations: [[name: 'ip', properties: [subnet: [id: subnet]]]]]]]]]]]
    }

    private String scaleSet(String name) {
        "$rg/providers/Microsoft.Compute/virtualMachineScaleSets/$name"
    }

    private List<Map> instances(String name) {
        (json(arm.call('GET', "${scaleSet(name)}/virtualMachines?$API")) as Map).value as List<Map>
    }

    def "should create a scale set as an async operation, with instances resolved to the marketplace's latest"() {
        when:
        def put = arm.call('PUT', "${scaleSet('ss1')}?$API", body(NOBLE, 2))
        def created = json(put) as Map

        then:
        put.statusCode() == 201
        put.headers().firstValue('Azure-AsyncOperation').get() ==~ /https:\/\/127\.0\.0\.1:\d+\/subscriptions\/.*\/providers\/Microsoft\.Compute\/locations\/westeurope\/operations\/[-0-9a-f]{36}\?api-version=2025-04-01/
        put.headers().firstValue('Retry-After').get() == '5'
        !put.headers().firstValue('Location').isPresent()
        created.get('properties').provisioningState == 'Creating'
        created.sku == [name: 'Standard_B1s', tier: 'Standard', capacity: 2]
        !created.get('properties').virtualMachineProfile.osProfile.containsKey('adminPassword')
        !created.containsKey('_emulator')
        instances('ss1')*.get('properties')*.provisioningState == ['Creating', 'Creating']

        when:
        def status = await(put)
        def vms = instances('ss1')

        then:
        status == [status: 'Succeeded']
        (json(arm.call('GET', "${scaleSet('ss1')}?$API")) as Map).get('properties').provisioningState == 'Succeeded'
        vms*.instanceId == ['0', '1']
        vms*.name == ['ss1_0', 'ss1_1']
        vms*.type.unique() == ['Microsoft.Compute/virtualMachineScaleSets/virtualMachines']
        vms.collect { it.get('properties').latestModelApplied } == [true, true]
        vms.collect { it.get('properties').storageProfile.imageReference.exactVersion } == ['24.04.202502210'] * 2
        vms.collect { it.get('properties').osProfile.computerName } == ['bake000000', 'bake000001']

        and: 'each instance has an instance view'
        (json(arm.call('GET', "${scaleSet('ss1')}/virtualMachines/1/instanceView?$API")) as Map).statuses*.code ==
                ['ProvisioningState/succeeded', 'PowerState/running']
        (json(arm.call('GET', "${scaleSet('ss1')}/virtualMachines/0?$API&\$expand=instanceView")) as Map)
                .get('properties').instanceView.computerName == 'bake000000'
        (json(arm.call('GET', "${scaleSet('ss1')}/instanceView?$API")) as Map).virtualMachine.statusesSummary ==
                [[code: 'ProvisioningState/succeeded', count: 2], [code: 'PowerState/running', count: 2]]
    }

    def "should answer PATCH with 200 and an Azure-AsyncOperation, leaving Manual instances behind"() {
        when:
        def patch = arm.call('PATCH', "${scaleSet('ss1')}?$API", [properties: [virtualMachineProfile: [storageProfile:
                [imageReference: [publisher: 'Canonical', offer: '0001-com-ubuntu-server-jammy', sku: '22_04-lts-gen2',
                                  version: 'latest']]]]])

        then:
        patch.statusCode() == 200
        patch.headers().firstValue('Azure-AsyncOperation').isPresent()
        !patch.headers().firstValue('Location').isPresent()
        (json(patch) as Map).get('properties').provisioningState == 'Updating'
        await(patch) == [status: 'Succeeded']
        instances('ss1').collect { it.get('properties').latestModelApplied } == [false, false]
    }

    def "should answer POST actions with 202, Azure-AsyncOperation and Location, the SDK's lower-case poweroff included"() {
        when:
        def upgrade = arm.call('POST', "${scaleSet('ss1')}/manualupgrade?$API", [instanceIds: ['1']])

        then:
        upgrade.statusCode() == 202
        upgrade.headers().firstValue('Azure-AsyncOperation').isPresent()
        String location = upgrade.headers().firstValue('Location').get()
        location.contains('/providers/Microsoft.Compute/locations/westeurope/operationResults/')
        arm.call('GET', location).statusCode() == 202
        arm.call('GET', location).statusCode() == 200
        instances('ss1').collect { it.get('properties').latestModelApplied } == [false, true]
        instances('ss1')[1].get('properties').storageProfile.imageReference.exactVersion == '22.04.202502060'

        when:
        def powerOff = arm.call('POST', "${scaleSet('ss1')}/poweroff?$API", [instanceIds: ['0']])

        then:
        powerOff.statusCode() == 202
        powerOff.headers().firstValue('Location').isPresent()
        await(powerOff) == [status: 'Succeeded']
        instances('ss1').collect { (json(arm.call('GET', "${scaleSet('ss1')}/virtualMachines/${it.instanceId}/instanceView?$API")) as Map)
                .statuses[1].code } == ['PowerState/stopped', 'PowerState/running']
    }

    def "should refuse bad action requests with Azure's codes"() {
        expect:
        def response = arm.call('POST', "${scaleSet('ss1')}/$action?$API", requestBody)
        response.statusCode() == status
        (json(response) as Map).error.code == code

        where:
        action                     | requestBody            || status | code
        'manualupgrade'            | [:]                    || 400    | 'InvalidParameter'
        'manualupgrade'            | [instanceIds: ['7']]   || 400    | 'InvalidParameter'
        'delete'                   | [instanceIds: []]      || 400    | 'InvalidParameter'
        'rollingUpgrades/cancel'   | null                   || 409    | 'OperationNotAllowed'
    }

    def "should bring every instance of an Automatic scale set to a new model with the PATCH"() {
        given:
        await(arm.call('PUT', "${scaleSet('auto')}?$API", body(NOBLE, 2, 'Automatic')))

        when:
        await(arm.call('PATCH', "${scaleSet('auto')}?$API", [properties: [virtualMachineProfile: [storageProfile:
                [imageReference: [publisher: 'Canonical', offer: '0001-com-ubuntu-server-jammy', sku: '22_04-lts-gen2']]]]]))

        then:
        instances('auto').collect { it.get('properties').latestModelApplied } == [true, true]
        instances('auto').collect { it.get('properties').storageProfile.imageReference.exactVersion } == ['22.04.202502060'] * 2
    }

    def "should delete one instance with DELETE on it, as an async operation"() {
        when:
        def delete = arm.call('DELETE', "${scaleSet('auto')}/virtualMachines/0?$API")

        then:
        delete.statusCode() == 202
        delete.headers().firstValue('Azure-AsyncOperation').isPresent()
        delete.headers().firstValue('Location').isPresent()
        await(delete) == [status: 'Succeeded']
        instances('auto')*.instanceId == ['1']
        arm.call('GET', "${scaleSet('auto')}/virtualMachines/0?$API").statusCode() == 404
        (json(arm.call('GET', "${scaleSet('auto')}?$API")) as Map).sku.capacity == 1
    }

    def "should say NotFound for the latest rolling upgrade of a scale set that never rolled"() {
        when:
        def response = arm.call('GET', "${scaleSet('ss1')}/rollingUpgrades/latest?$API")

        then:
        response.statusCode() == 404
        (json(response) as Map).error.code == 'NotFound'
    }

    def "should start a roll on a Rolling model change and report its progress"() {
        given:
        def rolling = body(NOBLE, 2, 'Rolling')
        rolling.get('properties').upgradePolicy.rollingUpgradePolicy = [maxBatchInstancePercent: 50, pauseTimeBetweenBatches: 'PT1H']
        await(arm.call('PUT', "${scaleSet('ss2')}?$API", rolling))

        when:
        def patch = arm.call('PATCH', "${scaleSet('ss2')}?$API", [properties: [virtualMachineProfile: [storageProfile:
                [imageReference: [publisher: 'Canonical', offer: '0001-com-ubuntu-server-jammy', sku: '22_04-lts-gen2']]]]])
        await(patch)
        def latest = json(arm.call('GET', "${scaleSet('ss2')}/rollingUpgrades/latest?$API")) as Map

        then: 'the first of two one-instance batches runs, the next waits behind an hour-long pause'
        latest.location == 'westeurope'
        latest.get('properties').runningStatus.code == 'RollingForward'
        latest.get('properties').runningStatus.lastAction == 'Start'
        latest.get('properties').policy == [maxBatchInstancePercent: 50, pauseTimeBetweenBatches: 'PT1H',
                                            maxUnhealthyInstancePercent: 20, maxUnhealthyUpgradedInstancePercent: 20]
        latest.get('properties').progress == [successfulInstanceCount: 0, failedInstanceCount: 0,
                                              inProgressInstanceCount: 1, pendingInstanceCount: 1]

        when: 'a second roll while one runs'
        def again = arm.call('POST', "${scaleSet('ss2')}/osRollingUpgrade?$API")

        then:
        again.statusCode() == 409
        (json(again) as Map).error.code == 'OperationNotAllowed'

        when:
        def cancel = arm.call('POST', "${scaleSet('ss2')}/rollingUpgrades/cancel?$API")

        then:
        cancel.statusCode() == 202
        cancel.headers().firstValue('Azure-AsyncOperation').isPresent()
        cancel.headers().firstValue('Location').isPresent()
        (json(arm.call('GET', "${scaleSet('ss2')}/rollingUpgrades/latest?$API")) as Map).get('properties').runningStatus.code == 'Cancelled'
    }

    def "should refuse an unknown marketplace image, a missing gallery version, a missing subnet and bad policies"() {
        expect:
        def response = arm.call('PUT', "${scaleSet('bad')}?$API", requestBody)
        response.statusCode() == status
        (json(response) as Map).error.code == code
        arm.call('GET', "${scaleSet('bad')}?$API").statusCode() == 404

        where:
        requestBody                                                                          || status | code
        body([publisher: 'Canonical', offer: 'nope', sku: 'x', version: 'latest'], 1)        || 404    | 'PlatformImageNotFound'
        body([id: "/subscriptions/x/resourceGroups/rg-vmss/providers/Microsoft.Compute/galleries/g/images/d/versions/1.0.0"], 1) || 404 | 'GalleryImageNotFound'
        body(NOBLE, 1, 'Manual', "/subscriptions/x/resourceGroups/rg-vmss/providers/Microsoft.Network/virtualNetworks/none/subnets/default") || 400 | 'InvalidResourceReference'
        body(NOBLE, 1, 'Sometimes')                                                          || 400    | 'InvalidParameter'
        body(NOBLE, 1001)                                                                    || 400    | 'InvalidParameter'
        withRolling(body(NOBLE, 1, 'Rolling'), [pauseTimeBetweenBatches: '5 minutes'])        || 400    | 'InvalidParameter'
        withRolling(body(NOBLE, 1, 'Rolling'), [maxBatchInstancePercent: 101])                || 400    | 'InvalidParameter'
    }

    private static Map withRolling(Map body, Map policy) {
        body.get('properties').upgradePolicy.rollingUpgradePolicy = policy
        body
    }

    def "should delete instances with POST .../delete, and the scale set with DELETE, both as async operations"() {
        when:
        def trim = arm.call('POST', "${scaleSet('ss1')}/delete?$API", [instanceIds: ['0']])

        then:
        trim.statusCode() == 202
        await(trim) == [status: 'Succeeded']
        instances('ss1')*.instanceId == ['1']
        (json(arm.call('GET', "${scaleSet('ss1')}?$API")) as Map).sku.capacity == 1

        when:
        def delete = arm.call('DELETE', "${scaleSet('ss1')}?$API")

        then:
        delete.statusCode() == 202
        delete.headers().firstValue('Azure-AsyncOperation').isPresent()
        delete.headers().firstValue('Location').isPresent()
        await(delete) == [status: 'Succeeded']
        arm.call('GET', "${scaleSet('ss1')}?$API").statusCode() == 404
        arm.call('GET', "${scaleSet('ss1')}/virtualMachines?$API").statusCode() == 404
        arm.call('DELETE', "${scaleSet('ss1')}?$API").statusCode() == 204
    }
}
