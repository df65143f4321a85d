package dev.imagebake.emulator

import dev.imagebake.emulator.arm.Operations
import dev.imagebake.testsupport.Poll
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
 * The real Azure CLI 2.45 (hybrid profile: see {@link AzureCliSpec}) creating empty managed disks, alone
 * ({@code az disk create --size-gb}) and as a VM's implicit data disks ({@code az vm create --data-disk-sizes-gb}),
 * and what becomes of the latter when the VM goes.
 */
@Stepwise
class AzureCliDiskSpec extends Specification {
    static final String RG = 'disk-rg'

    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    AzureCli az

    @Shared
    RawArm arm

    @Shared
    Path keyFile

    def setupSpec() {
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('emulator'), 0,
                new Operations.Settings(1, 0, Duration.ofSeconds(10))))
        arm = new RawArm(emulator)
        Files.createDirectories(dir.resolve('az'))
        az = new AzureCli(dir.resolve('az'), emulator.caCertificate())
        az.signInTo(emulator)
        ok(az.run(['group', 'create', '-n', RG, '-l', 'westeurope']))
        keyFile = dir.resolve('id_rsa.pub')
        Files.writeString(keyFile, sshPublicKey() + '\n')
    }

    def cleanupSpec() {
        emulator?.close()
    }

    def "should create an empty managed disk of the size asked for"() {
        when:
        def created = ok(az.run(['disk', 'create', '-g', RG, '-n', 'd1', '--size-gb', '4', '--sku', 'Standard_LRS']))
        def shown = ok(az.run(['disk', 'show', '-g', RG, '-n', 'd1']))

        then:
        created.provisioningState == 'Succeeded'
        shown.name == 'd1'
        shown.id.endsWith("/resourceGroups/$RG/providers/Microsoft.Compute/disks/d1")
        shown.location == 'westeurope'
        shown.provisioningState == 'Succeeded'
        shown.diskState == 'Unattached'
        shown.diskSizeGb == 4
        shown.diskSizeBytes == 4L * 1024 * 1024 * 1024
        shown.sku.name == 'Standard_LRS'
        shown.creationData.createOption == 'Empty'
        shown.creationData.sourceResourceId == null
        shown.managedBy == null
        shown.uniqueId ==~ /[0-9a-f-]{36}/
        shown.timeCreated != null
    }

    def "should refuse an empty disk without a size, as Azure does"() {
        when:
        def response = arm.call('PUT', "${arm.sub()}/resourceGroups/$RG/providers/Microsoft.Compute/disks/d2" +
                '?api-version=2022-07-02', [location: 'westeurope', properties: [creationData: [createOption: 'Empty']]])
        def listed = ok(az.run(['disk', 'list', '-g', RG])) as List

        then:
        response.statusCode() == 400
        RawArm.json(response).error.code == 'InvalidParameter'
        RawArm.json(response).error.message == "Required parameter 'diskSizeGB' is missing (null)."
        listed*.name == ['d1']
    }

    def "should answer an empty disk's PUT as Azure's example does, and as the golden file holds"() {
        when:
        def response = arm.call('PUT', "${arm.sub()}/resourceGroups/$RG/providers/Microsoft.Compute/disks/d3" +
                '?api-version=2022-07-02', [location: 'westeurope', properties: [creationData: [createOption: 'Empty'],
                                                                               diskSizeGB: 200]])
        def reply = RawArm.json(response)
        def example = RestGolden.example('compute', 'Disk_Create_Empty.json').responses['202'].body

        then:
        response.statusCode() == 202
        RestGolden.missingFrom(reply, example) == []
        RestGolden.compare('compute', 'disk-put-empty', reply) == null

        cleanup:
        String operation = response.headers().firstValue('Azure-AsyncOperation').orElse(null)
        if (operation != null) {
            Poll.until('d3 created', 120) { RawArm.json(arm.call('GET', operation)).status == 'Succeeded' }
        }
        def deleted = arm.call('DELETE', "${arm.sub()}/resourceGroups/$RG/providers/Microsoft.Compute/disks/d3" +
                '?api-version=2022-07-02')
        String deletion = deleted.headers().firstValue('Azure-AsyncOperation').orElse(null)
        if (deletion != null) {
            Poll.until('d3 deleted', 120) { RawArm.json(arm.call('GET', deletion)).status == 'Succeeded' }
        }
    }

    def "should create a VM's data disk as an attached managed disk"() {
        when:
        ok(az.run(['vm', 'create', '-g', RG, '-n', 'dvm', '--image', 'UbuntuLTS', '--admin-username', 'azureuser',
                   '--ssh-key-values', keyFile.toString(), '--public-ip-address', '', '--nsg', '',
                   '--data-disk-sizes-gb', '8']))
        def vm = ok(az.run(['vm', 'show', '-g', RG, '-n', 'dvm']))
        def disks = ok(az.run(['disk', 'list', '-g', RG])) as List
        def dataDisk = disks.find { it.name.startsWith('dvm_disk2_') }

        then: 'named as Azure names implicit data disks: {vm}_disk{lun + 2}_{32 hex}'
        vm.storageProfile.dataDisks.size() == 1
        vm.storageProfile.dataDisks[0].lun == 0
        vm.storageProfile.dataDisks[0].name ==~ /dvm_disk2_[0-9a-f]{32}/
        vm.storageProfile.dataDisks[0].managedDisk.id == dataDisk.id
        vm.storageProfile.dataDisks[0].diskSizeGb == 8
        dataDisk.name == vm.storageProfile.dataDisks[0].name
        dataDisk.diskState == 'Attached'
        dataDisk.managedBy == vm.id
        dataDisk.diskSizeGb == 8
        dataDisk.creationData.createOption == 'Empty'
        dataDisk.provisioningState == 'Succeeded'
        disks.find { it.name == 'd1' }.diskState == 'Unattached'
    }

    def "should refuse to delete an attached data disk"() {
        when:
        def dataDisk = (ok(az.run(['disk', 'list', '-g', RG])) as List).find { it.name.startsWith('dvm_disk2_') }
        def refused = az.run(['disk', 'delete', '--ids', dataDisk.id, '--yes'])

        then:
        refused.exitCode != 0
        refused.err.contains('OperationNotAllowed')
        ok(az.run(['disk', 'show', '--ids', dataDisk.id])).diskState == 'Attached'
    }

    def "should keep the data disk, unattached, when the VM is deleted (deleteOption Detach)"() {
        when:
        ok(az.run(['vm', 'delete', '-g', RG, '-n', 'dvm', '--yes']))
        def disks = ok(az.run(['disk', 'list', '-g', RG])) as List
        def dataDisk = disks.find { it.name.startsWith('dvm_disk2_') }
        String osDisk = disks.find { it.name.startsWith('dvm_OsDisk_1_') }.name

        then: 'the OS disk stays too (its deleteOption is Detach as well)'
        ok(az.run(['vm', 'list', '-g', RG])) == []
        dataDisk.diskState == 'Unattached'
        dataDisk.managedBy == null
        dataDisk.diskSizeGb == 8

        when: 'the detached disk can now be deleted'
        def deleted = az.run(['disk', 'delete', '--ids', dataDisk.id, '--yes'])

        then:
        deleted.exitCode == 0
        (ok(az.run(['disk', 'list', '-g', RG])) as List)*.name.sort() == ['d1', osDisk]
    }

    def "should delete the data disk with its VM when its deleteOption is Delete"() {
        given: 'the CLI 2.45 hybrid profile has no --data-disk-delete-option, so the VM is PUT as newer clients send it'
        String group = "${arm.sub()}/resourceGroups/$RG"
        String nicId = "$group/providers/Microsoft.Network/networkInterfaces/dvmVMNic"

        when: 'a new VM on the NIC the first VM left behind'
        def put = arm.call('PUT', "$group/providers/Microsoft.Compute/virtualMachines/dvm2?api-version=2022-08-01", [
                location  : 'westeurope',
                properties: [
                        hardwareProfile: [vmSize: 'Standard_B1s'],
                        storageProfile : [
                                imageReference: [publisher: 'Canonical', offer: '0001-com-ubuntu-server-jammy',
                                                 sku: '22_04-lts-gen2', version: 'latest'],
                                osDisk        : [createOption: 'FromImage'],
                                dataDisks     : [[lun: 0, createOption: 'Empty', diskSizeGB: 8, deleteOption: 'Delete',
                                                  managedDisk: [storageAccountType: 'Standard_LRS']]]],
                        osProfile      : [computerName: 'dvm2', adminUsername: 'azureuser', linuxConfiguration: [
                                disablePasswordAuthentication: true,
                                ssh: [publicKeys: [[path: '/home/azureuser/.ssh/authorized_keys',
                                                    keyData: Files.readString(keyFile).trim()]]]]],
                        networkProfile : [networkInterfaces: [[id: nicId]]]]])
        assert put.statusCode() == 201, put.body()
        String operation = put.headers().firstValue('Azure-AsyncOperation').orElseThrow()
        Poll.until('dvm2 provisioned', 120) {
            RawArm.json(arm.call('GET', operation)).status == 'Succeeded'
        }
        def vm = ok(az.run(['vm', 'show', '-g', RG, '-n', 'dvm2']))
        String dataDiskId = vm.storageProfile.dataDisks[0].managedDisk.id
        def before = ok(az.run(['disk', 'show', '--ids', dataDiskId]))
        ok(az.run(['vm', 'delete', '-g', RG, '-n', 'dvm2', '--yes']))
        def after = ok(az.run(['disk', 'list', '-g', RG])) as List

        then:
        put.statusCode() == 201
        vm.storageProfile.dataDisks[0].deleteOption == 'Delete'
        vm.storageProfile.dataDisks[0].name ==~ /dvm2_disk2_[0-9a-f]{32}/
        before.sku.name == 'Standard_LRS'
        before.managedBy == vm.id
        before.diskState == 'Attached'
        !after*.id.contains(dataDiskId)
        after.find { it.name.startsWith('dvm2_OsDisk_1_') }.diskState == 'Unattached'
    }

    def "should create a VM on an existing OS disk with az vm create --attach-os-disk, and keep the disk when the VM goes"() {
        given: 'an unattached Linux disk'
        ok(az.run(['disk', 'create', '-g', RG, '-n', 'os-disk', '--size-gb', '4', '--os-type', 'Linux',
                   '--sku', 'Standard_LRS']))

        when:
        def created = ok(az.run(['vm', 'create', '-g', RG, '-n', 'avm', '--attach-os-disk', 'os-disk', '--os-type', 'linux',
                                 '--public-ip-address', '', '--nsg', '']))
        def vm = ok(az.run(['vm', 'show', '-g', RG, '-n', 'avm']))
        def disk = ok(az.run(['disk', 'show', '-g', RG, '-n', 'os-disk']))
        def disks = ok(az.run(['disk', 'list', '-g', RG])) as List

        then: 'the disk is the VM\'s OS disk, as Azure shows it: no image, no osProfile, no new disk'
        created.powerState == 'VM running'
        vm.storageProfile.osDisk.createOption == 'Attach'
        vm.storageProfile.osDisk.osType == 'Linux'
        vm.storageProfile.osDisk.name == 'os-disk'
        vm.storageProfile.osDisk.managedDisk.id == disk.id
        vm.storageProfile.osDisk.managedDisk.storageAccountType == 'Standard_LRS'
        vm.storageProfile.osDisk.diskSizeGb == 4
        vm.storageProfile.imageReference == null
        vm.osProfile == null
        disk.managedBy == vm.id
        disk.diskState == 'Attached'
        !disks.any { it.name.startsWith('avm_OsDisk_') }

        when: 'a second VM on the same disk'
        def refused = az.run(['vm', 'create', '-g', RG, '-n', 'avm2', '--attach-os-disk', 'os-disk', '--os-type', 'linux',
                              '--public-ip-address', '', '--nsg', ''])

        then:
        refused.exitCode != 0
        refused.err.contains('ConflictingUserInput')
        refused.err.contains('A disk can be attached to only one VM at a time.')

        when: 'the VM goes; its OS disk (deleteOption Detach, az\'s default) stays, unattached'
        ok(az.run(['vm', 'delete', '-g', RG, '-n', 'avm', '--yes']))
        def kept = ok(az.run(['disk', 'show', '-g', RG, '-n', 'os-disk']))

        then:
        kept.diskState == 'Unattached'
        kept.managedBy == null
    }

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
        "ssh-rsa ${Base64.encoder.encodeToString(bytes.toByteArray())} imagebake-test"
    }
}
