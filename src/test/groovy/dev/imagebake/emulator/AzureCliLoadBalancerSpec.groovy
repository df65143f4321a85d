package dev.imagebake.emulator

import dev.imagebake.cli.Main
import dev.imagebake.emulator.arm.Operations
import dev.imagebake.testsupport.Poll
import groovy.json.JsonOutput
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration
import java.util.concurrent.TimeUnit

import static dev.imagebake.emulator.AzureCli.ok

/**
 * {@code az vmss create} with its defaults (the real Azure CLI 2.45 from Debian, hybrid profile as in
 * {@link AzureCliSpec}), against an emulator whose scale set instances are machines: the CLI's template deploys a
 * virtual network, a public IP, a load balancer with a backend pool and an inbound NAT pool (50000-50119 → 22) and
 * the scale set. Each instance is then reached with OpenSSH through its NAT port on the balancer's public IP, as on
 * Azure; the values the CLI sends as strings ({@code "primary": "true"}, {@code "frontendPortRangeStart": "50000"})
 * are stored typed.
 *
 * <p>{@code az vmss list-instance-connection-info} would read the same NAT rules, but Debian's package has no
 * operations for azure-mgmt-network, so it fails inside the CLI before any request; the spec reads the balancer
 * with {@code az resource show} and {@code az rest} instead.
 */
@Stepwise
class AzureCliLoadBalancerSpec extends Specification {
    static final String RG = 'lb-rg'

    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    Map cloud

    @Shared
    AzureCli az

    @Shared
    Path key

    @Shared
    String lbId

    @Shared
    String publicIpId

    def setupSpec() {
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('emulator'), 0,
                new Operations.Settings(1, 0, Duration.ofSeconds(10)), Emulator.Machines.SANDBOX))
        cloud = new JsonSlurper().parse(emulator.cloudFile().toFile()) as Map
        Files.createDirectories(dir.resolve('az'))
        az = new AzureCli(dir.resolve('az'), emulator.caCertificate())
        key = dir.resolve('id_ed25519')
        def keygen = new ProcessBuilder('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'lb-spec', '-f',
                key.toString()).redirectErrorStream(true).start()
        assert keygen.waitFor(60, TimeUnit.SECONDS) && keygen.exitValue() == 0
        az.signInTo(emulator)
        String group = "/subscriptions/${cloud.subscriptionId}/resourceGroups/$RG/providers/Microsoft.Network"
        lbId = "$group/loadBalancers/ssLB"
        publicIpId = "$group/publicIPAddresses/ssLBPublicIP"
    }

    def cleanupSpec() {
        emulator?.close()
    }

    def "az vmss create with its defaults should deploy a load balancer with a NAT pool in front of the scale set"() {
        when:
        ok(az.run(['group', 'create', '-n', RG, '-l', 'westeurope']))
        def created = ok(az.run(['vmss', 'create', '-g', RG, '-n', 'ss', '--image', 'UbuntuLTS',
                                 '--instance-count', '2', '--admin-username', 'azureuser',
                                 '--ssh-key-values', key.toString() + '.pub']))
        def lb = ok(az.run(['resource', 'show', '--ids', lbId, '--api-version', '2018-11-01']))
        def instancePrefix = "/subscriptions/${cloud.subscriptionId}/resourceGroups/$RG/providers/" +
                'Microsoft.Compute/virtualMachineScaleSets/ss/virtualMachines/'

        then:
        created.VMSS.provisioningState == 'Succeeded'
        def ipConfiguration = created.VMSS.virtualMachineProfile.networkProfile.networkInterfaceConfigurations[0]
                .get('properties').ipConfigurations[0].get('properties')
        ipConfiguration.loadBalancerInboundNatPools*.id == ["$lbId/inboundNatPools/ssLBNatPool".toString()]

        and: 'the balancer, its children with their ids, and the pool members Azure lists'
        lb.sku.name == 'Basic'
        lb.get('properties').provisioningState == 'Succeeded'
        lb.get('properties').frontendIPConfigurations*.id == ["$lbId/frontendIPConfigurations/loadBalancerFrontEnd".toString()]
        lb.get('properties').frontendIPConfigurations[0].get('properties').publicIPAddress.id == publicIpId
        def pool = lb.get('properties').inboundNatPools[0]
        pool.id == "$lbId/inboundNatPools/ssLBNatPool"
        pool.get('properties').frontendPortRangeStart == 50000
        pool.get('properties').frontendPortRangeEnd == 50119
        pool.get('properties').backendPort == 22
        lb.get('properties').backendAddressPools[0].get('properties').backendIPConfigurations*.id.collect {
            it.substring(instancePrefix.length()).split('/')[0]
        } == ['0', '1']

        and: 'one NAT rule per instance, derived from the pool as Azure derives it'
        lb.get('properties').inboundNatRules*.name == ['ssLBNatPool.0', 'ssLBNatPool.1']
        lb.get('properties').inboundNatRules*.get('properties')*.frontendPort == [50000, 50001]
        lb.get('properties').inboundNatRules*.get('properties')*.backendPort == [22, 22]
        lb.get('properties').inboundNatRules*.get('properties')*.backendIPConfiguration*.id.collect {
            it.substring(instancePrefix.length()).split('/')[0]
        } == ['0', '1']
    }

    def "each instance should answer SSH on its NAT port of the balancer's public IP"() {
        given: 'the public IP gets its (loopback) address once the balancer uses it'
        String address = null
        Poll.until('an address for the load balancer public IP', 120) {
            address = ok(az.run(['resource', 'show', '--ids', publicIpId, '--api-version', '2018-11-01']))
                    .get('properties').ipAddress
            address?.startsWith('127.')
        }
        def names = ok(az.run(['vmss', 'list-instances', '-g', RG, '-n', 'ss'])).collect { it.osProfile.computerName }

        when:
        String first = null
        String second = null
        Poll.until('SSH through NAT port 50000', 180) { (first = ssh(address, 50000, 'hostname')) != null }
        Poll.until('SSH through NAT port 50001', 180) { (second = ssh(address, 50001, 'hostname')) != null }

        then: 'instance 0 behind 50000 and instance 1 behind 50001, each its own machine'
        names.size() == 2
        first == names[0]
        second == names[1]
        first != second
    }

    def "the emulator should store the booleans and numbers the CLI sends as strings"() {
        when: 'the raw replies, as the emulator stored them (az rest prints the JSON as received)'
        def scaleSet = ok(az.run(['rest', '--method', 'get', '--url',
                ("/subscriptions/${cloud.subscriptionId}/resourceGroups/$RG/providers/Microsoft.Compute/" +
                        'virtualMachineScaleSets/ss?api-version=2020-06-01').toString()]))
        def lb = ok(az.run(['rest', '--method', 'get', '--url', "$lbId?api-version=2018-11-01".toString()]))

        then:
        def nic = scaleSet.get('properties').virtualMachineProfile.networkProfile.networkInterfaceConfigurations[0]
        nic.get('properties').primary instanceof Boolean
        nic.get('properties').primary == true
        scaleSet.sku.capacity instanceof Integer
        lb.get('properties').inboundNatPools[0].get('properties').frontendPortRangeStart instanceof Integer
        lb.get('properties').inboundNatPools[0].get('properties').frontendPortRangeEnd == 50119
    }

    def "imagebake rollout should read the scale set az created (it used to fail with Deserialization Failed)"() {
        when:
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(err, true, 'UTF-8'), [:],
                ['rollout', '--cloud', emulator.cloudFile().toString(), '--scale-set', "$RG/ss".toString(),
                 '--image', 'Canonical:0001-com-ubuntu-server-jammy:22_04-lts:latest', '--dry-run'] as String[])

        then:
        err.toString('UTF-8') == ''
        code == 0
        out.toString('UTF-8').startsWith('Dry run: nothing changed. Scale set ss (policy Manual, 2 instance(s)): ')
    }

    def "a value that cannot be read as the type the API has should be refused, naming its path"() {
        given:
        def body = [location  : 'westeurope',
                    properties: [enableIPForwarding: 'perhaps',
                                 ipConfigurations  : [[name: 'ip', properties: [subnet: [id:
                                         "/subscriptions/${cloud.subscriptionId}/resourceGroups/$RG/providers/" +
                                                 'Microsoft.Network/virtualNetworks/ssVNET/subnets/ssSubnet']]]]]]
        def file = dir.resolve('nic.json')
        Files.writeString(file, JsonOutput.toJson(body))

        when:
        def result = az.run(['rest', '--method', 'put', '--url',
                ("/subscriptions/${cloud.subscriptionId}/resourceGroups/$RG/providers/Microsoft.Network/" +
                        'networkInterfaces/bad-nic?api-version=2018-11-01').toString(), '--body', "@$file".toString()])

        then:
        result.exitCode == 1
        result.err.contains('InvalidRequestContent')
        result.err.contains("Could not convert string to boolean: perhaps. Path 'properties.enableIPForwarding'.")
    }

    def "a load balancer used by a scale set, and the public IP of its frontend, should not be deleted"() {
        when:
        def lb = az.run(['rest', '--method', 'delete', '--url', "$lbId?api-version=2018-11-01".toString()])
        def ip = az.run(['rest', '--method', 'delete', '--url', "$publicIpId?api-version=2018-11-01".toString()])
        def still = ok(az.run(['resource', 'show', '--ids', lbId, '--api-version', '2018-11-01']))

        then:
        lb.exitCode == 1
        lb.err.contains('LoadBalancerInUseByVirtualMachineScaleSet')
        lb.err.contains("Cannot delete load balancer $lbId since its child resources ssLBBEPool, ssLBNatPool are in" +
                ' use by virtual machine scale set')
        ip.exitCode == 1
        ip.err.contains('PublicIPAddressInUse')
        ip.err.contains("$lbId/frontendIPConfigurations/loadBalancerFrontEnd")
        still.get('properties').provisioningState == 'Succeeded'
    }

    def "once the scale set is gone, the balancer and then its public IP should be deleted"() {
        when:
        ok(az.run(['vmss', 'delete', '-g', RG, '-n', 'ss']))
        def lb = az.run(['resource', 'delete', '--ids', lbId, '--api-version', '2018-11-01'])
        def ip = az.run(['resource', 'delete', '--ids', publicIpId, '--api-version', '2018-11-01'])
        def (lbShown, ipShown) = az.runAll([['resource', 'show', '--ids', lbId, '--api-version', '2018-11-01'],
                                            ['resource', 'show', '--ids', publicIpId, '--api-version', '2018-11-01']])

        then:
        lb.exitCode == 0
        ip.exitCode == 0
        lbShown.exitCode != 0
        lbShown.err.contains('ResourceNotFound')
        ipShown.exitCode != 0
        ipShown.err.contains('ResourceNotFound')
    }

    /** The output of a command run over SSH as azureuser, or null when the connection did not work (yet). */
    private String ssh(String address, int port, String command) {
        def process = new ProcessBuilder('ssh', '-i', key.toString(), '-p', String.valueOf(port),
                '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes',
                '-o', 'ConnectTimeout=20', '-o', 'LogLevel=ERROR', "azureuser@$address".toString(), command)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start()
        String out = process.inputStream.text
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly()
            return null
        }
        process.exitValue() == 0 ? out.trim() : null
    }
}
