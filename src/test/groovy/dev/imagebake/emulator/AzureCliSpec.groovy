package dev.imagebake.emulator

import dev.imagebake.emulator.arm.Operations
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.security.KeyPairGenerator
import java.security.interfaces.RSAPublicKey
import java.time.Duration

import static dev.imagebake.emulator.AzureCli.ok

/**
 * The real Azure CLI (Debian package {@code azure-cli} 2.45, unmodified) against the emulator, one bake's worth of
 * commands in order: custom cloud and service-principal login, resource groups, network, VMs from the marketplace
 * (a URN and the CLI's own {@code UbuntuLTS} alias, both through template deployments), capture to a managed image,
 * gallery publishing, and a scale set rolled to the baked image.
 *
 * <p>Why the {@code 2020-09-01-hybrid} profile: Debian's package ships azure-mgmt-network 23.0.0b1 and
 * azure-mgmt-compute 29.0.0, which lack the API versions (network 2022-01-01, compute 2022-11-01) the CLI's
 * {@code latest} profile asks for, so {@code az network} and {@code az vm} fail with an AttributeError in any
 * cloud. The hybrid profile, made for Azure Stack-style custom clouds, uses versions the package has. The package
 * also ships no SDK operations for azure-mgmt-network (models only), so network commands that are not generated
 * ("AAZ") commands, such as {@code az network public-ip show}, fail whatever the cloud; the spec avoids them.
 */
@Stepwise
class AzureCliSpec extends Specification {
    static final String PROFILE = '2020-09-01-hybrid'
    static final String RG = 'cli-rg'

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
    Path keyFile

    @Shared
    String publicKey

    @Shared
    String publicIpAddress

    def setupSpec() {
        // One poll per operation (Retry-After 1 s) keeps ~40 CLI calls within a couple of minutes.
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('emulator'), 0,
                new Operations.Settings(1, 0, Duration.ofSeconds(10))))
        cloud = new JsonSlurper().parse(emulator.cloudFile().toFile()) as Map
        Files.createDirectories(dir.resolve('az'))
        az = new AzureCli(dir.resolve('az'), emulator.caCertificate())
        publicKey = sshPublicKey()
        keyFile = dir.resolve('id_rsa.pub')
        Files.writeString(keyFile, publicKey + '\n')
    }

    def cleanupSpec() {
        emulator?.close()
    }

    def "should be the Azure CLI 2.45 from Debian"() {
        when:
        def version = ok(az.run(['version']))

        then:
        (version['azure-cli'] as String).startsWith('2.45.')
    }

    def "should register the emulator as a custom cloud from its metadata endpoint"() {
        when: 'the endpoint is given without a trailing slash (the JDK server refuses a path starting //)'
        ok(az.run(['cloud', 'register', '-n', 'imagebake', '--endpoint-resource-manager', emulator.endpoint(),
                   '--profile', PROFILE]))
        ok(az.run(['cloud', 'set', '-n', 'imagebake']))
        def shown = ok(az.run(['cloud', 'show', '-n', 'imagebake']))

        then: 'the login endpoint is an ADFS-style authority on the emulator, so MSAL never asks Microsoft about it'
        shown.isActive == true
        shown.profile == PROFILE
        shown.endpoints.resourceManager == emulator.endpoint()
        shown.endpoints.activeDirectory == emulator.endpoint() + '/adfs'
        shown.endpoints.activeDirectoryResourceId == 'https://management.core.windows.net/'
    }

    def "should log in as the emulator's service principal and find its subscriptions, the default one first"() {
        when:
        def accounts = ok(az.run(['login', '--service-principal', '-u', cloud.clientId, '-p', cloud.clientSecret,
                                  '--tenant', cloud.tenantId])) as List
        def account = ok(az.run(['account', 'show']))

        then:
        accounts*.id == [cloud.subscriptionId] + (cloud.otherSubscriptionIds as List)
        accounts*.isDefault == [true] + [false] * (cloud.otherSubscriptionIds as List).size()
        accounts[0].id == cloud.subscriptionId
        accounts[0].tenantId == cloud.tenantId
        accounts[0].cloudName == 'imagebake'
        accounts[0].user == [name: cloud.clientId, type: 'servicePrincipal']
        account.name == 'imagebake emulator'
        account.isDefault == true
    }

    def "should refuse a login with the wrong secret"() {
        when:
        def result = az.run(['login', '--service-principal', '-u', cloud.clientId, '-p', 'wrong-secret',
                             '--tenant', cloud.tenantId])

        then:
        result.exitCode == 1
        result.err.contains('AADSTS7000215: Invalid client secret provided.')
    }

    def "should create, show and list resource groups"() {
        when:
        def (created, doomed) = az.runAll([
                ['group', 'create', '-n', RG, '-l', 'westeurope', '--tags', 'purpose=cli'],
                ['group', 'create', '-n', 'cli-doomed', '-l', 'northeurope']]).collect { ok(it) }
        def shown = ok(az.run(['group', 'show', '-n', RG]))
        def listed = ok(az.run(['group', 'list'])) as List

        then:
        created.id == "/subscriptions/${cloud.subscriptionId}/resourceGroups/$RG"
        created.get('properties').provisioningState == 'Succeeded'
        doomed.location == 'northeurope'
        shown.location == 'westeurope'
        shown.tags == [purpose: 'cli']
        listed*.name as Set == [RG, 'cli-doomed'] as Set
    }

    def "should create a virtual network, a security group with an SSH rule, a public IP and a NIC"() {
        when:
        def (vnet, nsg, pip) = az.runAll([
                ['network', 'vnet', 'create', '-g', RG, '-n', 'cli-vnet', '--address-prefix', '10.20.0.0/16',
                 '--subnet-name', 'default', '--subnet-prefix', '10.20.1.0/24'],
                ['network', 'nsg', 'create', '-g', RG, '-n', 'cli-nsg'],
                ['network', 'public-ip', 'create', '-g', RG, '-n', 'cli-pip', '--sku', 'Standard']]).collect { ok(it) }
        def rule = ok(az.run(['network', 'nsg', 'rule', 'create', '-g', RG, '--nsg-name', 'cli-nsg', '-n', 'ssh',
                              '--priority', '1000', '--direction', 'Inbound', '--access', 'Allow', '--protocol', 'Tcp',
                              '--source-address-prefixes', '203.0.113.7', '--destination-port-ranges', '22']))
        def nic = ok(az.run(['network', 'nic', 'create', '-g', RG, '-n', 'cli-nic', '--vnet-name', 'cli-vnet',
                             '--subnet', 'default', '--network-security-group', 'cli-nsg',
                             '--public-ip-address', 'cli-pip']))
        def rules = ok(az.run(['network', 'nsg', 'rule', 'list', '-g', RG, '--nsg-name', 'cli-nsg'])) as List
        publicIpAddress = pip.publicIp.ipAddress

        then:
        vnet.newVNet.subnets*.addressPrefix == ['10.20.1.0/24']
        vnet.newVNet.provisioningState == 'Succeeded'
        nsg.NewNSG.defaultSecurityRules.size() == 6
        pip.publicIp.sku.name == 'Standard'
        pip.publicIp.publicIpAllocationMethod == 'Static'
        pip.publicIp.ipAddress ==~ /20\.\d+\.\d+\.\d+/
        rule.provisioningState == 'Succeeded'
        rule.sourceAddressPrefix == '203.0.113.7'
        rule.destinationPortRange == '22'
        rules*.name == ['ssh']
        nic.NewNIC.ipConfigurations[0].privateIpAddress == '10.20.1.4'
        nic.NewNIC.ipConfigurations[0].publicIpAddress.id.endsWith('/publicIPAddresses/cli-pip')
        nic.NewNIC.networkSecurityGroup.id.endsWith('/networkSecurityGroups/cli-nsg')
    }

    def "should create a VM on the NIC from a marketplace URN, latest resolved to the exact version"() {
        when: 'az vm create submits an ARM template deployment'
        def created = ok(az.run(['vm', 'create', '-g', RG, '-n', 'cli-vm', '--nics', 'cli-nic', '--size', 'Standard_B2s',
                                 '--image', 'Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest',
                                 '--admin-username', 'azureuser', '--ssh-key-values', keyFile.toString()]))
        def vm = ok(az.run(['vm', 'show', '-g', RG, '-n', 'cli-vm']))

        then:
        created.powerState == 'VM running'
        created.privateIpAddress == '10.20.1.4'
        created.publicIpAddress == publicIpAddress
        vm.provisioningState == 'Succeeded'
        vm.hardwareProfile.vmSize == 'Standard_B2s'
        vm.storageProfile.imageReference.version == 'latest'
        vm.storageProfile.imageReference.exactVersion == '22.04.202502060'
        vm.osProfile.adminUsername == 'azureuser'
        vm.osProfile.linuxConfiguration.disablePasswordAuthentication == true
        vm.osProfile.linuxConfiguration.ssh.publicKeys[0].keyData == Files.readString(keyFile)
        vm.osProfile.linuxConfiguration.ssh.publicKeys[0].path == '/home/azureuser/.ssh/authorized_keys'
    }

    def "should create a VM from the CLI's UbuntuLTS alias with a new public IP and NIC from the deployment"() {
        when:
        def created = ok(az.run(['vm', 'create', '-g', RG, '-n', 'cli-vm2', '--image', 'UbuntuLTS',
                                 '--admin-username', 'azureuser', '--ssh-key-values', keyFile.toString(),
                                 '--public-ip-sku', 'Standard', '--nsg', 'cli-nsg', '--vnet-name', 'cli-vnet',
                                 '--subnet', 'default']))
        def vm = ok(az.run(['vm', 'show', '-g', RG, '-n', 'cli-vm2']))
        def deployments = ok(az.run(['deployment', 'group', 'list', '-g', RG])) as List
        def latest = deployments.find { it.name.startsWith('vm_deploy_') && it.get('properties').outputResources.any {
            it.id.endsWith('/virtualMachines/cli-vm2') } }
        def operations = ok(az.run(['deployment', 'operation', 'group', 'list', '-g', RG, '-n', latest.name])) as List

        then: 'the CLI resolved the alias from its bundled list (the alias endpoint is not set) to a catalogue SKU'
        created.powerState == 'VM running'
        created.privateIpAddress == '10.20.1.5'
        vm.storageProfile.imageReference.publisher == 'Canonical'
        vm.storageProfile.imageReference.offer == 'UbuntuServer'
        vm.storageProfile.imageReference.sku == '18.04-LTS'
        vm.storageProfile.imageReference.exactVersion == '18.04.202306070'
        vm.networkProfile.networkInterfaces[0].id.endsWith('/networkInterfaces/cli-vm2VMNic')

        and: 'the deployment created the public IP and the NIC before the VM that depends on them'
        deployments.every { it.get('properties').provisioningState == 'Succeeded' }
        operations.collect { it.get('properties').targetResource.resourceType } == ['Microsoft.Network/publicIPAddresses',
                                                                  'Microsoft.Network/networkInterfaces',
                                                                  'Microsoft.Compute/virtualMachines']
        operations.collect { it.get('properties').provisioningState } == ['Succeeded'] * 3
    }

    def "should list the VMs and show one with its power state"() {
        when:
        def (listed, detailed) = az.runAll([['vm', 'list', '-g', RG], ['vm', 'show', '-g', RG, '-n', 'cli-vm', '-d']])
                .collect { ok(it) }

        then:
        listed*.name == ['cli-vm', 'cli-vm2']
        detailed.powerState == 'VM running'
        detailed.privateIps == '10.20.1.4'
    }

    def "should deallocate and generalize the VM, then capture it as a managed image"() {
        when:
        ok(az.run(['vm', 'deallocate', '-g', RG, '-n', 'cli-vm']))
        ok(az.run(['vm', 'generalize', '-g', RG, '-n', 'cli-vm']))
        def view = ok(az.run(['vm', 'get-instance-view', '-g', RG, '-n', 'cli-vm']))
        def image = ok(az.run(['image', 'create', '-g', RG, '-n', 'cli-image', '--source', 'cli-vm']))

        then:
        view.instanceView.statuses*.code == ['ProvisioningState/succeeded', 'OSState/generalized',
                                             'PowerState/deallocated']
        image.provisioningState == 'Succeeded'
        image.sourceVirtualMachine.id.endsWith('/virtualMachines/cli-vm')
        image.hyperVGeneration == 'V2'
        image.storageProfile.osDisk.osState == 'Generalized'
    }

    def "should create an image from a local folder given as a file URI, and refuse a VHD URL"() {
        given:
        def folder = Files.createDirectories(dir.resolve('cli-content/opt/app')).parent.parent
        Files.writeString(folder.resolve('opt/app/hello.txt'), 'hello\n')

        when:
        def image = ok(az.run(['image', 'create', '-g', RG, '-n', 'cli-folder-image', '--source',
                               folder.toUri().toString(), '--os-type', 'Linux']))
        def vhd = az.run(['image', 'create', '-g', RG, '-n', 'cli-vhd-image', '--source',
                          'https://account.blob.core.windows.net/vhds/disk.vhd', '--os-type', 'Linux'])

        then:
        image.provisioningState == 'Succeeded'
        image.storageProfile.osDisk.blobUri == folder.toUri().toString()
        image.storageProfile.osDisk.osType == 'Linux'
        image.storageProfile.osDisk.osState == 'Generalized'
        vhd.exitCode == 1
        vhd.err.contains("The emulator cannot read the VHD at 'https://account.blob.core.windows.net/vhds/disk.vhd'")
    }

    def "should refuse to start a generalized VM"() {
        when:
        def result = az.run(['vm', 'start', '-g', RG, '-n', 'cli-vm'])

        then:
        result.exitCode == 1
        result.err.contains("Operation 'start' is not allowed on VM 'cli-vm' since the VM is generalized.")
    }

    def "should publish the image to a gallery in two regions"() {
        when:
        def gallery = ok(az.run(['sig', 'create', '-g', RG, '-r', 'cligallery']))
        def definition = ok(az.run(['sig', 'image-definition', 'create', '-g', RG, '-r', 'cligallery', '-i', 'ubuntu',
                                    '--publisher', 'imagebake', '--offer', 'cli', '--sku', 'jammy', '--os-type', 'Linux',
                                    '--os-state', 'Generalized', '--hyper-v-generation', 'V2']))
        def version = ok(az.run(['sig', 'image-version', 'create', '-g', RG, '-r', 'cligallery', '-i', 'ubuntu',
                                 '-e', '1.0.0', '--managed-image', 'cli-image',
                                 '--target-regions', 'westeurope', 'northeurope=2']))
        def status = ok(az.run(['sig', 'image-version', 'show', '-g', RG, '-r', 'cligallery', '-i', 'ubuntu',
                                '-e', '1.0.0', '--expand', 'ReplicationStatus']))

        then:
        gallery.provisioningState == 'Succeeded'
        definition.osState == 'Generalized'
        definition.identifier == [publisher: 'imagebake', offer: 'cli', sku: 'jammy']
        version.provisioningState == 'Succeeded'
        version.publishingProfile.targetRegions.collect { [it.name, it.regionalReplicaCount] } as Set ==
                [['westeurope', 1], ['northeurope', 2]] as Set
        version.storageProfile.source.id.endsWith('/images/cli-image')
        status.replicationStatus.aggregatedState == 'Completed'
        status.replicationStatus.summary.collect { [it.region, it.state] } as Set ==
                [['westeurope', 'Completed'], ['northeurope', 'Completed']] as Set
    }

    def "should refuse image names Azure refuses, with Azure's code"() {
        when:
        def image = az.run(['image', 'create', '-g', RG, '-n', 'cli image!', '--source', 'cli-vm'])
        def version = az.run(['sig', 'image-version', 'create', '-g', RG, '-r', 'cligallery', '-i', 'ubuntu',
                              '-e', '1.0.2147483648', '--managed-image', 'cli-image', '--target-regions', 'westeurope'])

        then:
        image.exitCode == 1
        image.err.contains("(InvalidParameter) The managed image name 'cli image!' is invalid: it contains a space and '!'.")
        version.exitCode == 1
        version.err.contains('(InvalidParameter) The image version name is invalid.')
    }

    def "should delete a VM without prompting"() {
        when:
        def deleted = az.run(['vm', 'delete', '-g', RG, '-n', 'cli-vm2', '--yes'])
        def listed = ok(az.run(['vm', 'list', '-g', RG])) as List

        then:
        deleted.exitCode == 0
        listed*.name == ['cli-vm']
    }

    def "should create a rolling scale set from the marketplace and roll it to the gallery image"() {
        given:
        String versionId = "/subscriptions/${cloud.subscriptionId}/resourceGroups/$RG/providers/Microsoft.Compute" +
                '/galleries/cligallery/images/ubuntu/versions/1.0.0'

        when:
        def created = ok(az.run(['vmss', 'create', '-g', RG, '-n', 'cli-vmss', '--image', 'UbuntuLTS',
                                 '--instance-count', '2', '--vm-sku', 'Standard_B1s', '--upgrade-policy-mode', 'Rolling',
                                 '--lb', '', '--admin-username', 'azureuser', '--ssh-key-values', keyFile.toString()]))
        def updated = ok(az.run(['vmss', 'update', '-g', RG, '-n', 'cli-vmss', '--set',
                                 "virtualMachineProfile.storageProfile.imageReference.id=$versionId".toString()]))
        // Under a Rolling policy the model change itself starts a roll; a second one is refused while it runs
        // (OperationNotAllowed, as in Azure), so wait for it before starting one explicitly.
        def first = null
        for (int i = 0; i < 60; i++) {
            first = ok(az.run(['vmss', 'rolling-upgrade', 'get-latest', '-g', RG, '-n', 'cli-vmss']))
            if (first.runningStatus.code != 'RollingForward') {
                break
            }
            Thread.sleep(500)
        }
        ok(az.run(['vmss', 'rolling-upgrade', 'start', '-g', RG, '-n', 'cli-vmss']))
        def (roll, instances) = az.runAll([['vmss', 'rolling-upgrade', 'get-latest', '-g', RG, '-n', 'cli-vmss'],
                                           ['vmss', 'list-instances', '-g', RG, '-n', 'cli-vmss']]).collect { ok(it) }

        then:
        created.VMSS.provisioningState == 'Succeeded'
        created.VMSS.upgradePolicy.mode == 'Rolling'
        updated.virtualMachineProfile.storageProfile.imageReference.id == versionId
        first.runningStatus.code == 'Completed'
        first.progress.successfulInstanceCount == 2
        roll.runningStatus.code == 'Completed'
        roll.progress.failedInstanceCount == 0
        roll.progress.pendingInstanceCount == 0
        instances.size() == 2
        instances*.latestModelApplied == [true, true]
        instances*.storageProfile*.imageReference*.id == [versionId, versionId]
    }

    def "should browse the marketplace catalogue"() {
        when:
        def (versions, latest, skus) = az.runAll([
                ['vm', 'image', 'list', '--all', '-l', 'westeurope', '-p', 'Canonical', '-f', 'UbuntuServer',
                 '-s', '18.04-LTS'],
                ['vm', 'image', 'show', '-l', 'westeurope', '--urn', 'Canonical:UbuntuServer:18.04-LTS:latest'],
                ['vm', 'image', 'list-skus', '-l', 'westeurope', '-p', 'Canonical', '-f',
                 '0001-com-ubuntu-server-jammy']]).collect { ok(it) }

        then:
        versions*.urn == ['Canonical:UbuntuServer:18.04-LTS:18.04.202305220',
                          'Canonical:UbuntuServer:18.04-LTS:18.04.202306070']
        latest.name == '18.04.202306070'
        latest.hyperVGeneration == 'V1'
        latest.osDiskImage.operatingSystem == 'Linux'
        skus*.name == ['22_04-lts', '22_04-lts-gen2']
    }

    def "should delete a resource group and everything in it"() {
        when:
        def deleted = az.run(['group', 'delete', '-n', 'cli-doomed', '--yes'])
        def exists = az.run(['group', 'exists', '-n', 'cli-doomed'])

        then:
        deleted.exitCode == 0
        exists.json() == false
    }

    /** A fresh RSA key in OpenSSH's public key format, as {@code ssh-keygen} writes it. */
    private static String sshPublicKey() {
        def generator = KeyPairGenerator.getInstance('RSA')
        generator.initialize(2048)
        def key = generator.generateKeyPair().public as RSAPublicKey
        def bytes = new ByteArrayOutputStream()
        def out = new DataOutputStream(bytes)
        [ 'ssh-rsa'.bytes, key.publicExponent.toByteArray(), key.modulus.toByteArray() ].each {
            out.writeInt(it.length)
            out.write(it)
        }
        "ssh-rsa ${Base64.encoder.encodeToString(bytes.toByteArray())} imagebake-test"
    }
}
