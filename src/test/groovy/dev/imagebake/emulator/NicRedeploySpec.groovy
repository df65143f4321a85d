package dev.imagebake.emulator

import dev.imagebake.emulator.arm.Operations
import dev.imagebake.testsupport.Poll
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Path
import java.security.KeyPairGenerator
import java.security.interfaces.RSAPublicKey
import java.time.Duration

import static dev.imagebake.emulator.RawArm.json

/**
 * A template deployed again (as people do after editing one) leaves a running VM where it is: its NIC and public IP
 * keep the address its machine listens on, as Azure keeps a dynamic address while the NIC exists.
 */
class NicRedeploySpec extends Specification {
    static final String RG = 'again-rg'

    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    RawArm arm

    def setupSpec() {
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('emulator'), 0,
                new Operations.Settings(1, 0, Duration.ofSeconds(10)), Emulator.Machines.SANDBOX))
        arm = new RawArm(emulator)
        assert arm.call('PUT', "${arm.sub()}/resourcegroups/$RG?api-version=2021-04-01", [location: 'westeurope'])
                .statusCode() == 201
    }

    def cleanupSpec() {
        emulator?.close()
    }

    String deployments() {
        "${arm.sub()}/resourcegroups/$RG/providers/Microsoft.Resources/deployments"
    }

    /** Polls the deployment's Azure-AsyncOperation URL, as a client would, until it is no longer running. */
    Map finished(java.net.http.HttpResponse<String> put) {
        def url = put.headers().firstValue('Azure-AsyncOperation').get()
        Map status = null
        Poll.until("the deployment at $url to finish", 120) {
            status = json(arm.call('GET', url)) as Map
            status.status != 'InProgress'
        }
        status
    }

    def "should keep a VM's addresses when its template is deployed again, whatever case the template spells keys in"() {
        given: 'a VM behind a dynamic public IP, the NIC naming it as publicIpAddress as some quickstart templates do'
        def vmTemplate = [contentVersion: '1.0.0.0', resources: [
                [type: 'Microsoft.Network/virtualNetworks', apiVersion: '2020-06-01', name: 'again-vnet', location: 'westeurope',
                 properties: [addressSpace: [addressPrefixes: ['10.8.0.0/16']],
                              subnets: [[name: 'default', properties: [addressPrefix: '10.8.0.0/24']]]]],
                [type: 'Microsoft.Network/publicIPAddresses', apiVersion: '2020-06-01', name: 'again-ip', location: 'westeurope',
                 sku: [name: 'Basic'], properties: [publicIPAllocationMethod: 'Dynamic']],
                [type: 'Microsoft.Network/networkInterfaces', apiVersion: '2020-06-01', name: 'again-nic', location: 'westeurope',
                 dependsOn: ['again-vnet', 'again-ip'],
                 properties: [ipConfigurations: [[name: 'ipconfig1', properties: [
                         subnet: [id: "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'again-vnet', 'default')]"],
                         privateIpAllocationMethod: 'Dynamic',
                         publicIpAddress: [id: "[resourceId('Microsoft.Network/publicIPAddresses', 'again-ip')]"]]]]]],
                [type: 'Microsoft.Compute/virtualMachines', apiVersion: '2020-06-01', name: 'again-vm', location: 'westeurope',
                 dependsOn: ['again-nic'],
                 properties: [hardwareProfile: [vmSize: 'Standard_B2s'],
                              storageProfile: [imageReference: [publisher: 'Canonical', offer: 'UbuntuServer',
                                                                sku: '18.04-LTS', version: 'latest'],
                                               osDisk: [createOption: 'FromImage']],
                              osProfile: [computerName: 'again', adminUsername: 'azureuser',
                                          linuxConfiguration: [disablePasswordAuthentication: true, ssh: [publicKeys: [
                                                  [path: '/home/azureuser/.ssh/authorized_keys', keyData: sshPublicKey()]]]]],
                              networkProfile: [networkInterfaces: [[id: "[resourceId('Microsoft.Network/networkInterfaces', 'again-nic')]"]]]]]]]
        String group = "${arm.sub()}/resourceGroups/$RG/providers/Microsoft.Network"

        when: 'deployed, and the machine has published its address'
        assert finished(arm.call('PUT', "${deployments()}/again1?api-version=2021-04-01",
                [properties: [mode: 'Incremental', template: vmTemplate]])).status == 'Succeeded'
        Map nic = null
        Poll.until('the VM\'s address on its NIC', 60) {
            nic = json(arm.call('GET', "$group/networkInterfaces/again-nic?api-version=2020-06-01")) as Map
            nic.get('properties').ipConfigurations[0].get('properties').privateIPAddress.startsWith('127.')
        }
        String address = nic.get('properties').ipConfigurations[0].get('properties').privateIPAddress

        and: 'deployed again, unchanged'
        def second = finished(arm.call('PUT', "${deployments()}/again2?api-version=2021-04-01",
                [properties: [mode: 'Incremental', template: vmTemplate]]))
        Map nicAfter = json(arm.call('GET', "$group/networkInterfaces/again-nic?api-version=2020-06-01"))
                .get('properties').ipConfigurations[0].get('properties') as Map
        Map ipAfter = json(arm.call('GET', "$group/publicIPAddresses/again-ip?api-version=2020-06-01"))
                .get('properties') as Map

        then: 'Azure\'s spelling is stored, and the NIC and the public IP still give the address the machine listens on'
        second.status == 'Succeeded'
        nicAfter.publicIPAddress.id.endsWith('/publicIPAddresses/again-ip')
        !nicAfter.containsKey('publicIpAddress')
        nicAfter.privateIPAllocationMethod == 'Dynamic'
        nicAfter.privateIPAddress == address
        ipAfter.ipAddress == address
        sshBanner(address).startsWith('SSH-2.0-')
    }

    /** The first line the SSH server at this address (port 22) sends. */
    private static String sshBanner(String address) {
        new Socket(address, 22).withCloseable { socket ->
            socket.soTimeout = 30_000
            new BufferedReader(new InputStreamReader(socket.inputStream)).readLine()
        }
    }

    /** A fresh RSA key in OpenSSH's public key format. */
    private static String sshPublicKey() {
        def generator = KeyPairGenerator.getInstance('RSA')
        generator.initialize(2048)
        def key = generator.generateKeyPair().public as RSAPublicKey
        def bytes = new ByteArrayOutputStream()
        def out = new DataOutputStream(bytes)
        ['ssh-rsa'.bytes, key.publicExponent.toByteArray(), key.modulus.toByteArray()].each {
            out.writeInt(it.length)
            out.write(it)
        }
        "ssh-rsa ${Base64.encoder.encodeToString(bytes.toByteArray())} test"
    }
}
