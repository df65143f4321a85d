package dev.imagebake.builder.azure

import com.azure.resourcemanager.compute.fluent.models.GalleryImageInner
import com.azure.resourcemanager.compute.fluent.models.GalleryInner
import com.azure.resourcemanager.compute.models.GalleryImageIdentifier
import com.azure.resourcemanager.compute.models.HyperVGeneration
import com.azure.resourcemanager.compute.models.OperatingSystemStateTypes
import com.azure.resourcemanager.compute.models.OperatingSystemTypes
import com.azure.resourcemanager.resources.fluent.models.ResourceGroupInner
import dev.imagebake.cli.Main
import dev.imagebake.emulator.AzureSdkClients
import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.arm.Conditions
import dev.imagebake.emulator.arm.Operations
import spock.lang.Specification
import spock.lang.TempDir
import spock.lang.Unroll

import java.nio.file.Files
import java.nio.file.Path

/**
 * A fault matrix: bakes against an emulator that fails one ARM call of the bake in one way (a 500 or a 429 the SDK
 * retries, an operation that ends Failed, one that never completes). Each bake either succeeds or fails with a
 * message naming what failed, and afterwards nothing of it is left in the subscription.
 */
class AzureBuildFaultsSpec extends Specification {
    @TempDir
    Path dir

    static final String TEMPLATE = """
builder azure {
    location 'westeurope'
    vmSize 'Standard_B1s'
    source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
    managedImage 'web', resourceGroup: 'images'
    gallery 'corp', resourceGroup: 'images', image: 'web', version: '1.0.0', regions: [westeurope: 1, northeurope: 1]
    sshTimeout '30s'
}
provision shell { inline 'echo provisioned | sudo tee /etc/provisioned' }
"""

    @Unroll
    def "with '#fault' the bake #outcome and leaves nothing behind"() {
        given:
        Emulator emulator = Emulator.start(new Emulator.Settings(dir.resolve('emulator'), 0, Operations.Settings.DEFAULT,
                Emulator.Machines.SANDBOX).withConditions(Conditions.DEFAULT.withFaults(fault)))
        def sdk = new AzureSdkClients(emulator.cloudFile())
        seed(sdk)
        Path template = dir.resolve('t.imagebake.groovy')
        Files.writeString(template, TEMPLATE)
        def out = new ByteArrayOutputStream()

        when:
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(out, true, 'UTF-8'), [:],
                ['build', '--cloud', emulator.cloudFile().toString(), '--timeout', '45s', template.toString()] as String[])
        String text = out.toString('UTF-8')

        then:
        code == (outcome == 'succeeds' ? 0 : 1)
        text.contains(expected)
        leftovers(sdk) == []
        destinations(sdk) == made

        cleanup:
        emulator?.close()

        where:
        fault                                                    | outcome          | expected | made
        'PUT resourceGroups:500'                                 | 'succeeds'       | 'finished in' | BOTH
        'PUT networkSecurityGroups:500x2'                        | 'succeeds'       | 'finished in' | BOTH
        'PUT virtualMachines:500'                                | 'succeeds'       | 'finished in' | BOTH
        'POST */virtualMachines/*/deallocate:500'                | 'succeeds'       | 'finished in' | BOTH
        'PUT versions:500'                                       | 'succeeds'       | 'finished in' | BOTH
        'DELETE resourceGroups:500'                              | 'succeeds'       | 'finished in' | BOTH
        'PUT virtualNetworks:429,retry-after=2'                  | 'succeeds'       | 'finished in' | BOTH
        'PUT */images/*:429x2,retry-after=1'                     | 'succeeds'       | 'finished in' | BOTH
        'GET operations:503x3'                                   | 'succeeds'       | 'finished in' | BOTH
        'PUT publicIPAddresses:lro-failed=InternalServerError'   | 'fails'          | 'creating public IP address failed: InternalServerError' | NONE
        'PUT virtualMachines:lro-failed=OSProvisioningTimedOut'  | 'fails'          | 'failed: OSProvisioningTimedOut' | NONE
        'PUT Microsoft.Compute/images/*:lro-failed=InternalExecutionError' | 'fails'          | 'capturing managed image web failed: InternalExecutionError' | NONE
        'PUT versions:lro-failed=GalleryImageVersionFailed'      | 'fails'          | 'publishing gallery image version 1.0.0 failed: GalleryImageVersionFailed' | IMAGE
        'POST */virtualMachines/*/generalize:409,code=OperationNotAllowed' | 'fails' | 'generalizing VM' | NONE
        'PUT virtualMachines:hang'                               | 'times out'      | '--timeout 45s reached: stopping and cleaning up' | NONE
    }

    def "an operation still in progress at the template's operationTimeout fails its step, and nothing is left"() {
        given: 'a VM create that never completes'
        Emulator emulator = Emulator.start(new Emulator.Settings(dir.resolve('emulator'), 0, Operations.Settings.DEFAULT,
                Emulator.Machines.SANDBOX).withConditions(Conditions.DEFAULT.withFaults('PUT virtualMachines:hang')))
        def sdk = new AzureSdkClients(emulator.cloudFile())
        seed(sdk)
        Path template = dir.resolve('t.imagebake.groovy')
        Files.writeString(template, TEMPLATE.replace("sshTimeout '30s'", "sshTimeout '30s'; operationTimeout '3s'"))
        def out = new ByteArrayOutputStream()

        when:
        long started = System.nanoTime()
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(out, true, 'UTF-8'), [:],
                ['build', '--cloud', emulator.cloudFile().toString(), template.toString()] as String[])
        String text = out.toString('UTF-8')

        then:
        code == 1
        text =~ /creating VM \S+ did not finish within 3.0 s \(Azure still reports it in progress\)/
        (System.nanoTime() - started) < 60_000_000_000L
        leftovers(sdk) == []

        cleanup:
        emulator?.close()
    }

    def "should name what it could not delete when the cleanup itself fails, and gc removes it"() {
        given:
        Emulator emulator = Emulator.start(new Emulator.Settings(dir.resolve('emulator'), 0, Operations.Settings.DEFAULT,
                Emulator.Machines.SANDBOX).withConditions(Conditions.DEFAULT.withFaults(
                'DELETE resourceGroups:lro-failed=ResourceGroupDeletionBlocked')))
        def sdk = new AzureSdkClients(emulator.cloudFile())
        seed(sdk)
        Path template = dir.resolve('t.imagebake.groovy')
        Files.writeString(template, TEMPLATE)
        def out = new ByteArrayOutputStream()
        def gcOut = new ByteArrayOutputStream()

        when:
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(out, true, 'UTF-8'), [:],
                ['build', '--cloud', emulator.cloudFile().toString(), template.toString()] as String[])
        String text = out.toString('UTF-8')
        def left = leftovers(sdk)

        then: 'the image was made, the cleanup failure is reported with the exact resource left'
        code == 1
        text.contains('ResourceGroupDeletionBlocked')
        left[0].startsWith('imagebake-azure-')
        left.drop(1).every { it.contains("/resourceGroups/${left[0]}/") }
        text.contains("Left behind by azure:\n  /subscriptions/${sdk.cloud.subscriptionId}/resourceGroups/${left[0]}")

        when:
        int gc = Main.run(new PrintStream(gcOut, true, 'UTF-8'), new PrintStream(gcOut, true, 'UTF-8'), [:],
                ['gc', '--older-than', '0s', '--cloud', emulator.cloudFile().toString()] as String[])

        then:
        gc == 0
        gcOut.toString('UTF-8').contains('Deleted 1 leftover(s).')
        leftovers(sdk) == []

        cleanup:
        emulator?.close()
    }

    static final List<String> BOTH = ['image web Succeeded', 'version 1.0.0 Succeeded']
    /** The managed image was complete before publishing failed: a usable result, kept as Packer keeps it. */
    static final List<String> IMAGE = ['image web Succeeded']
    static final List<String> NONE = []

    static void seed(AzureSdkClients sdk) {
        sdk.resourceManager().serviceClient().resourceGroups.createOrUpdate('images',
                new ResourceGroupInner().withLocation('westeurope'))
        def compute = sdk.computeManager().serviceClient()
        compute.galleries.createOrUpdate('images', 'corp', new GalleryInner().withLocation('westeurope'))
        compute.galleryImages.createOrUpdate('images', 'corp', 'web', new GalleryImageInner().withLocation('westeurope')
                .withOsType(OperatingSystemTypes.LINUX).withOsState(OperatingSystemStateTypes.GENERALIZED)
                .withHyperVGeneration(HyperVGeneration.V2)
                .withIdentifier(new GalleryImageIdentifier().withPublisher('p').withOffer('o').withSku('s')))
    }

    /** Temporary groups, and anything at all in any other group except the destinations. */
    static List<String> leftovers(AzureSdkClients sdk) {
        def groups = sdk.resourceManager().serviceClient().resourceGroups.list().collect { it.name() }
        def compute = sdk.computeManager().serviceClient()
        def network = sdk.networkManager().serviceClient()
        groups.findAll { it.startsWith('imagebake-') } + groups.collectMany { rg ->
            compute.virtualMachines.listByResourceGroup(rg).collect { it.id() } +
                    compute.disks.listByResourceGroup(rg).collect { it.id() } +
                    network.networkInterfaces.listByResourceGroup(rg).collect { it.id() } +
                    network.publicIpAddresses.listByResourceGroup(rg).collect { it.id() } +
                    network.networkSecurityGroups.listByResourceGroup(rg).collect { it.id() } +
                    network.virtualNetworks.listByResourceGroup(rg).collect { it.id() }
        }
    }

    static List<String> destinations(AzureSdkClients sdk) {
        def compute = sdk.computeManager().serviceClient()
        compute.images.listByResourceGroup('images').collect { "image ${it.name()} ${it.provisioningState()}".toString() } +
                compute.galleryImageVersions.listByGalleryImage('images', 'corp', 'web').collect {
                    "version ${it.name()} ${it.provisioningState()}".toString()
                }
    }
}
