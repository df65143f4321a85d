package dev.imagebake.emulator

import dev.imagebake.emulator.arm.Operations
import dev.imagebake.testsupport.Poll
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise
import spock.lang.TempDir

import java.nio.file.Path
import java.time.Duration

/**
 * The emulator's load balancer replies, over plain HTTPS, against golden files ({@code rest-golden/network/}) and
 * against the official examples of {@code Azure/azure-rest-api-specs} (network 2020-06-01): the balancer of the
 * {@code LoadBalancerCreate} example (an internal frontend, a pool, a rule, a probe and a NAT rule), plus a NAT pool
 * that a scale set of two instances uses, so the NAT rules Azure derives from the pool are shown too.
 */
@Stepwise
class LoadBalancerGoldenSpec extends Specification {
    static final String API = 'api-version=2020-06-01'
    static final String SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl t@t'

    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    RawArm arm

    @Shared
    String group

    @Shared
    String lb

    def setupSpec() {
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('data'), 0,
                new Operations.Settings(0, 1, Duration.ofSeconds(10))))
        arm = new RawArm(emulator)
        group = "${arm.sub()}/resourceGroups/rg1"
        lb = "$group/providers/Microsoft.Network/loadBalancers/lb"
        assert arm.call('PUT', "$group?$API", [location: 'eastus']).statusCode() in [200, 201]
        put("$group/providers/Microsoft.Network/virtualNetworks/vnetlb", [location: 'eastus', properties: [
                addressSpace: [addressPrefixes: ['10.0.0.0/16']],
                subnets     : [[name: 'subnetlb', properties: [addressPrefix: '10.0.1.0/24']]]]])
    }

    def cleanupSpec() {
        emulator?.close()
    }

    /** PUTs and waits until the resource is Succeeded; returns the PUT's reply. */
    private Map put(String id, Map body) {
        def reply = arm.call('PUT', "$id?$API", body)
        assert reply.statusCode() in [200, 201]: reply.body()
        Poll.until("$id to be provisioned", 60) {
            RawArm.json(arm.call('GET', "$id?$API")).get('properties').provisioningState == 'Succeeded'
        }
        RawArm.json(reply) as Map
    }

    private Map get(String path) {
        def reply = arm.call('GET', "$path?$API")
        assert reply.statusCode() == 200: reply.body()
        RawArm.json(reply) as Map
    }

    private String child(String collection, String name) {
        "$lb/$collection/$name"
    }

    def "PUT should answer as the LoadBalancerCreate example does"() {
        when:
        def reply = put(lb, [location: 'eastus', properties: [
                frontendIPConfigurations: [[name: 'fe-lb', properties: [subnet: [id:
                        "$group/providers/Microsoft.Network/virtualNetworks/vnetlb/subnets/subnetlb".toString()]]]],
                backendAddressPools     : [[name: 'be-lb', properties: [:]]],
                loadBalancingRules      : [[name: 'rulelb', properties: [
                        frontendIPConfiguration: [id: child('frontendIPConfigurations', 'fe-lb')],
                        frontendPort           : 80, backendPort: 80, enableFloatingIP: true, idleTimeoutInMinutes: 15,
                        protocol               : 'Tcp', enableTcpReset: false, loadDistribution: 'Default',
                        backendAddressPool     : [id: child('backendAddressPools', 'be-lb')],
                        probe                  : [id: child('probes', 'probe-lb')]]]],
                probes                  : [[name: 'probe-lb', properties: [protocol: 'Http', port: 80,
                        requestPath: 'healthcheck.aspx', intervalInSeconds: 15, numberOfProbes: 2]]],
                inboundNatRules         : [[name: 'in-nat-rule', properties: [
                        frontendIPConfiguration: [id: child('frontendIPConfigurations', 'fe-lb')],
                        frontendPort           : 3389, backendPort: 3389, enableFloatingIP: true,
                        idleTimeoutInMinutes   : 15, protocol: 'Tcp', enableTcpReset: false]]],
                // As az vmss create sends it: numbers as strings, read as numbers.
                inboundNatPools         : [[name: 'natpool', properties: [
                        frontendIPConfiguration: [id: child('frontendIPConfigurations', 'fe-lb')],
                        protocol               : 'Tcp', frontendPortRangeStart: '50000', frontendPortRangeEnd: '50119',
                        backendPort            : 22]]]]])
        def example = RestGolden.example('network', 'LoadBalancerCreate.201.json')

        then:
        RestGolden.compare('network', 'LoadBalancerCreate', reply) == null
        RestGolden.missingFrom(reply, example) == []
        reply.get('properties').provisioningState == 'Creating'
        reply.get('properties').inboundNatPools[0].get('properties').frontendPortRangeStart == 50000
    }

    def "GET should show the NAT rules derived from the pool for each scale set instance, and the pool's members"() {
        given: 'a scale set of two instances whose IP configuration names the pool and the NAT pool'
        put("$group/providers/Microsoft.Compute/virtualMachineScaleSets/ss", [location: 'eastus',
                sku: [name: 'Standard_B1s', capacity: 2], properties: [upgradePolicy: [mode: 'Manual'],
                virtualMachineProfile: [
                        storageProfile: [imageReference: [publisher: 'Canonical', offer: 'UbuntuServer',
                                                          sku: '18.04-LTS', version: 'latest']],
                        osProfile     : [computerNamePrefix: 'ss', adminUsername: 'azureuser',
                                         linuxConfiguration: [disablePasswordAuthentication: true, ssh: [publicKeys: [
                                                 [path: '/home/azureuser/.ssh/authorized_keys', keyData: SSH_KEY]]]]],
                        networkProfile: [networkInterfaceConfigurations: [[name: 'nic', properties: [primary: 'true',
                                ipConfigurations: [[name: 'ipconfig', properties: [
                                        subnet: [id: "$group/providers/Microsoft.Network/virtualNetworks/vnetlb/subnets/subnetlb".toString()],
                                        loadBalancerBackendAddressPools: [[id: child('backendAddressPools', 'be-lb')]],
                                        loadBalancerInboundNatPools    : [[id: child('inboundNatPools', 'natpool')]]]]]]]]]]]])

        when:
        def shown = get(lb)
        def rule = get(child('inboundNatRules', 'natpool.1'))
        def pool = get(child('backendAddressPools', 'be-lb'))
        def rules = get("$lb/inboundNatRules")
        def example = RestGolden.example('network', 'LoadBalancerCreate.201.json')
        def exampleRule = example.get('properties').inboundNatRules[0]
        def examplePool = RestGolden.example('network', 'LoadBalancerBackendAddressPoolGet.200.json')
        String instance1 = "$group/providers/Microsoft.Compute/virtualMachineScaleSets/ss/virtualMachines/1"

        then:
        RestGolden.compare('network', 'LoadBalancerGet', shown) == null
        RestGolden.compare('network', 'InboundNatRuleGet', rule) == null
        RestGolden.compare('network', 'LoadBalancerBackendAddressPoolGet', pool) == null
        RestGolden.missingFrom(shown, example) == []
        RestGolden.missingFrom(rule, exampleRule) == []
        RestGolden.missingFrom(pool, examplePool) == []

        and: 'the user rule first, then one rule per instance: frontend port from the range start plus the instance ID'
        rules.value*.name == ['in-nat-rule', 'natpool.0', 'natpool.1']
        rule.get('properties').frontendPort == 50001
        rule.get('properties').backendPort == 22
        rule.get('properties').backendIPConfiguration.id == "$instance1/networkInterfaces/nic/ipConfigurations/ipconfig"
        pool.get('properties').backendIPConfigurations*.id == ['0', '1'].collect {
            "$group/providers/Microsoft.Compute/virtualMachineScaleSets/ss/virtualMachines/$it/networkInterfaces/nic/ipConfigurations/ipconfig".toString()
        }
    }

    def "a PUT of what GET showed should keep derived rules derived and back-references out of the stored balancer"() {
        given: 'as az network lb update does: GET, change a tag, PUT it all back'
        def shown = get(lb)
        shown.tags = [k: 'v']

        when:
        put(lb, shown)
        def again = get(lb)

        then:
        again.tags == [k: 'v']
        again.get('properties').inboundNatRules*.name == ['in-nat-rule', 'natpool.0', 'natpool.1']
        again.get('properties').backendAddressPools[0].get('properties').backendIPConfigurations.size() == 2
        RestGolden.compare('network', 'LoadBalancerGet', again.findAll { it.key != 'tags' }) == null
    }

    def "a child that is not there should be 404, and a reference to a missing child 400"() {
        when:
        def missing = arm.call('GET', "${child('inboundNatRules', 'natpool.7')}?$API")
        def bad = arm.call('PUT', "$group/providers/Microsoft.Network/loadBalancers/lb2?$API", [location: 'eastus',
                properties: [frontendIPConfigurations: [[name: 'fe', properties: [subnet: [id:
                        "$group/providers/Microsoft.Network/virtualNetworks/vnetlb/subnets/subnetlb".toString()]]]],
                             loadBalancingRules      : [[name: 'r', properties: [protocol: 'Tcp', frontendPort: 80,
                                     backendPort: 80, frontendIPConfiguration: [id:
                                     "$group/providers/Microsoft.Network/loadBalancers/lb2/frontendIPConfigurations/nope".toString()]]]]]])

        then:
        missing.statusCode() == 404
        RawArm.json(missing).error.code == 'NotFound'
        bad.statusCode() == 400
        RawArm.json(bad).error.code == 'InvalidResourceReference'
    }

    def "a scale set naming a backend pool the balancer does not have should be refused"() {
        when:
        def reply = arm.call('PUT', "$group/providers/Microsoft.Compute/virtualMachineScaleSets/ss2?$API",
                [location: 'eastus', sku: [name: 'Standard_B1s', capacity: 1], properties: [
                        upgradePolicy: [mode: 'Manual'], virtualMachineProfile: [
                        storageProfile: [imageReference: [publisher: 'Canonical', offer: 'UbuntuServer',
                                                          sku: '18.04-LTS', version: 'latest']],
                        osProfile     : [computerNamePrefix: 'ss2', adminUsername: 'azureuser',
                                         linuxConfiguration: [disablePasswordAuthentication: true, ssh: [publicKeys: [
                                                 [path: '/home/azureuser/.ssh/authorized_keys', keyData: SSH_KEY]]]]],
                        networkProfile: [networkInterfaceConfigurations: [[name: 'nic', properties: [primary: true,
                                ipConfigurations: [[name: 'ipconfig', properties: [
                                        subnet: [id: "$group/providers/Microsoft.Network/virtualNetworks/vnetlb/subnets/subnetlb".toString()],
                                        loadBalancerBackendAddressPools: [[id: child('backendAddressPools', 'nope')]]]]]]]]]]]])

        then:
        reply.statusCode() == 400
        RawArm.json(reply).error.code == 'InvalidResourceReference'
        RawArm.json(reply).error.message.startsWith("Resource ${child('backendAddressPools', 'nope')} referenced by resource")
    }
}
