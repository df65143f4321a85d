package dev.imagebake.builder.azure

import dev.imagebake.cli.Main
import dev.imagebake.emulator.AzureSdkClients
import dev.imagebake.emulator.Emulator
import dev.imagebake.testsupport.TemplateRun
import groovy.json.JsonSlurper
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path

/**
 * The build VM's disks: the OS disk kept after the build (keepOsDisk) and encrypted with a disk encryption set
 * (diskEncryptionSet), in real builds with `build --emulator`, read back from the emulator through the Azure SDK.
 */
class AzureDiskOptionsSpec extends Specification {
    static final String SOURCE = "source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')"

    @TempDir
    Path dir

    Emulator emulator

    def cleanup() {
        emulator?.close()
    }

    Path data() {
        dir.resolve('emulator')
    }

    /** The emulator on the builds' data (no machines: only its documents are read). */
    AzureSdkClients open() {
        emulator = Emulator.start(new Emulator.Settings(data(), 0))
        new AzureSdkClients(emulator.cloudFile())
    }

    void close() {
        emulator.close()
        emulator = null
    }

    def "should keep the OS disk in the build resource group, encrypted with the set named, and leave nothing else"() {
        given: 'the emulator made once, to know its subscription, where the key team made the disk encryption set'
        String subscription = open().cloud.subscriptionId
        close()
        String des = "/subscriptions/${subscription}/resourceGroups/keys/providers/Microsoft.Compute/diskEncryptionSets/images-des"
        Path folder = Files.createDirectories(dir.resolve('build'))

        when:
        def run = TemplateRun.emulated(folder, """
builder azure {
    location 'westeurope'
    ${SOURCE}
    buildResourceGroup 'builds'
    managedImage 'web', resourceGroup: 'images'
    dataDisk sizeGb: 8
    keepOsDisk true
    diskEncryptionSet '${des}'
}
provision shell { inline 'echo hello' }
post manifest { output '${folder.resolve('manifest.json')}' }
""", data())
        assert run.code == 0: run
        def kept = (run.out =~ /keeping the OS disk (\S+) \(keepOsDisk\)/)
        String diskId = kept.find() ? kept.group(1) : null
        def manifest = new JsonSlurper().parse(folder.resolve('manifest.json').toFile()) as Map
        def details = ((manifest.builds as List)[0] as Map).details as Map

        then: 'the build says which disk it kept, and so does the manifest'
        run.code == 0
        diskId ==~ "/subscriptions/${subscription}/resourceGroups/builds/providers/Microsoft.Compute/disks/ib-azure-[0-9a-f]{8}-osdisk"
        details.keptOsDiskId == diskId

        when:
        def sdk = open()
        def compute = sdk.computeManager().serviceClient()
        def disk = compute.disks.getByResourceGroup('builds', diskId.tokenize('/').last())
        def gcOut = new ByteArrayOutputStream()
        int gc = Main.run(new PrintStream(gcOut, true, 'UTF-8'), new PrintStream(gcOut, true, 'UTF-8'), [:],
                ['gc', '--dry-run', '--older-than', '0s', '--cloud', emulator.cloudFile().toString()] as String[])

        then: 'the disk is there, detached, and carries the encryption set as Azure shows it'
        disk.id() == diskId
        disk.diskState().toString() == 'Unattached'
        disk.managedBy() == null
        disk.encryption().diskEncryptionSetId() == des
        disk.encryption().type().toString() == 'EncryptionAtRestWithCustomerKey'

        and: 'nothing else of the build is left, and gc does not count the kept disk as a leftover'
        AzureBuildFaultsSpec.leftovers(sdk) == [diskId]
        compute.images.getByResourceGroup('images', 'web').provisioningState() == 'Succeeded'
        gc == 0
        gcOut.toString('UTF-8').contains('Nothing to clean up')
    }

    def "should fail the VM with Azure's error when the disk encryption set does not exist, and leave nothing"() {
        given:
        def sdk = open()
        sdk.resourceManager().serviceClient().resourceGroups.createOrUpdate('images',
                new com.azure.resourcemanager.resources.fluent.models.ResourceGroupInner().withLocation('westeurope'))
        String des = "/subscriptions/${sdk.cloud.subscriptionId}/resourceGroups/keys/providers/Microsoft.Compute/diskEncryptionSets/missing"
        Path template = Files.createDirectories(dir.resolve('missing')).resolve('t.imagebake.groovy')
        Files.writeString(template, """
builder azure {
    location 'westeurope'
    ${SOURCE}
    managedImage 'web', resourceGroup: 'images'
    diskEncryptionSet '${des}'
}
""")
        def out = new ByteArrayOutputStream()

        when:
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(out, true, 'UTF-8'), [:],
                ['build', '--cloud', emulator.cloudFile().toString(), template.toString()] as String[])
        String text = out.toString('UTF-8')

        then:
        code == 1
        text =~ /create VM failed after .*: creating VM ib-azure-\w+-vm failed: NotFound: The disk encryption set '${java.util.regex.Pattern.quote(des)}' could not be found\./
        AzureBuildFaultsSpec.leftovers(sdk) == []
    }
}
