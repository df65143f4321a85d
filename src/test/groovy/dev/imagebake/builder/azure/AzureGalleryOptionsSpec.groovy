package dev.imagebake.builder.azure

import com.azure.core.management.profile.AzureProfile
import com.azure.resourcemanager.compute.ComputeManager
import com.azure.resourcemanager.compute.fluent.ComputeManagementClient
import com.azure.resourcemanager.compute.models.CommunityGalleryInfo
import com.azure.resourcemanager.compute.models.GallerySharingPermissionTypes
import com.azure.resourcemanager.compute.models.SharingProfile
import com.azure.resourcemanager.resources.fluentcore.utils.ResourceManagerUtils
import dev.imagebake.cli.Main
import dev.imagebake.emulator.AzureSdkClients
import dev.imagebake.emulator.Emulator
import dev.imagebake.testsupport.TemplateRun
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration

/**
 * Real builds with `build --emulator` (sandboxed build machines, the real SDK over HTTPS) for the gallery options
 * Packer templates use: a destination gallery and a source gallery in another subscription of the tenant, and
 * sources from a gallery shared to the community or directly. What the builds did is read back from the emulator,
 * restarted on the same data, through the Azure SDK.
 */
@Stepwise
class AzureGalleryOptionsSpec extends Specification {
    /** The platform team's subscription the templates name; `build --emulator` adds it to the emulator's tenant. */
    static final String OTHER = '7e1f0c2a-5b3d-4c8e-9a6f-0d2b4e6c8a10'
    static final String SOURCE = "source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')"

    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    def cleanup() {
        emulator?.close()
        emulator = null
    }

    Path data() {
        dir.resolve('emulator')
    }

    Path folder(String name) {
        Files.createDirectories(dir.resolve(name))
    }

    /** The emulator, started again on the builds' data (no machines: only its documents are read). */
    AzureSdkClients reopen() {
        emulator = Emulator.start(new Emulator.Settings(data(), 0))
        new AzureSdkClients(emulator.cloudFile())
    }

    static ComputeManagementClient compute(AzureSdkClients sdk, String subscription) {
        ComputeManager.configure().withHttpClient(sdk.httpClient)
                .authenticate(sdk.credential(), new AzureProfile(sdk.cloud.tenantId as String, subscription,
                        sdk.environment())).serviceClient()
    }

    def "should publish the version to a gallery in another subscription from the image captured in the build's"() {
        when:
        def run = TemplateRun.emulated(folder('publish'), """
builder azure {
    location 'westeurope'
    ${SOURCE}
    managedImage 'web', resourceGroup: 'images'
    gallery 'corp', image: 'web', version: '1.0.0', resourceGroup: 'shared-images', subscription: '${OTHER}'
}
provision shell { inline 'echo baked | sudo tee /etc/imagebake-baked' }
""", data())

        then:
        run.code == 0
        run.out.contains("publishing web 1.0.0 to westeurope in subscription ${OTHER}")
        run.out =~ /(?m)^azure +succeeded .*\/subscriptions\/${OTHER}\/resourceGroups\/shared-images\/providers\/Microsoft\.Compute\/galleries\/corp\/images\/web\/versions\/1\.0\.0$/

        when: 'the emulator is read back through the SDK'
        def sdk = reopen()
        String own = sdk.cloud.subscriptionId
        def version = compute(sdk, OTHER).galleryImageVersions.get('shared-images', 'corp', 'web', '1.0.0')

        then: 'the version is in the other subscription, made from the managed image in the build subscription'
        (sdk.cloud.otherSubscriptionIds as List).contains(OTHER)
        version.id() == "/subscriptions/${OTHER}/resourceGroups/shared-images/providers/Microsoft.Compute/galleries/corp/images/web/versions/1.0.0"
        version.provisioningState().toString() == 'Succeeded'
        version.storageProfile().source().id() == "/subscriptions/${own}/resourceGroups/images/providers/Microsoft.Compute/images/web"
        version.tags()[AzureBuild.TAG_RECORDED] != null

        and: 'the build subscription has no such gallery, and nothing of the build is left'
        !sdk.resourceManager().serviceClient().resourceGroups.checkExistence('shared-images')
        AzureBuildFaultsSpec.leftovers(sdk) == []
    }

    def "should build from a gallery version in another subscription"() {
        when: 'the provisioner fails and the machine is kept, to look at what it was made from'
        def run = TemplateRun.emulated(folder('source'), """
builder azure {
    location 'westeurope'
    source galleryImage('corp', 'web', resourceGroup: 'shared-images', subscription: '${OTHER}')
    managedImage 'web-2', resourceGroup: 'images'
}
provision shell { inline 'test -f /etc/imagebake-baked && exit 7' }
""", data(), ['--on-error', 'abort', '--resume-lease', '1s'])
        String imageId = "/subscriptions/${OTHER}/resourceGroups/shared-images/providers/Microsoft.Compute/galleries/corp/images/web"

        then: 'the build machine runs the image baked in the other subscription, its latest version'
        run.code == 1
        run.out.contains(" from ${imageId}\n")
        run.out.contains('source image version: 1.0.0')
        run.out.contains('(the script exited with status 7)')

        when:
        def sdk = reopen()
        def own = sdk.computeManager().serviceClient()
        def vms = sdk.resourceManager().serviceClient().resourceGroups.list().collect { it.name() }
                .findAll { it.startsWith('imagebake-') }.collectMany { own.virtualMachines.listByResourceGroup(it).toList() }

        then: 'Azure made the VM from the latest version of the definition in the other subscription'
        vms.size() == 1
        vms[0].storageProfile().imageReference().id() == imageId
        vms[0].storageProfile().imageReference().exactVersion() == '1.0.0'

        when: 'gc removes what --on-error=abort kept, once its hold for build --resume is over'
        java.time.Instant held = java.time.Instant.parse(new JsonSlurper().parse(folder('source')
                .resolve('.t.imagebake.resume.json')).builds.azure.details.heldUntil as String)
        dev.imagebake.testsupport.Poll.until('the end of the resume lease', 30) { java.time.Instant.now().isAfter(held) }
        def gcOut = new ByteArrayOutputStream()
        int gc = Main.run(new PrintStream(gcOut, true, 'UTF-8'), new PrintStream(gcOut, true, 'UTF-8'), [:],
                ['gc', '--older-than', '0s', '--cloud', emulator.cloudFile().toString()] as String[])

        then:
        gc == 0
        AzureBuildFaultsSpec.leftovers(sdk) == []
    }

    def "should build from a version of a gallery shared to the community, its 'latest' resolved and recorded"() {
        given: 'the platform team shares its gallery to the community'
        def sdk = reopen()
        def gallery = share(sdk, new SharingProfile().withPermissions(GallerySharingPermissionTypes.COMMUNITY)
                .withCommunityGalleryInfo(new CommunityGalleryInfo().withPublisherUri('https://images.example.org')
                        .withPublisherContact('images@example.org').withEula('https://images.example.org/eula')
                        .withPublicNamePrefix('corp')))
        String publicName = gallery.sharingProfile().communityGalleryInfo().publicNames()[0]
        def seen = compute(sdk, sdk.cloud.subscriptionId as String).communityGalleryImageVersions
                .get('westeurope', publicName, 'web', '1.0.0')
        emulator.close()
        emulator = null

        expect: 'the build subscription sees the version under the public name'
        publicName ==~ /corp-[-0-9a-f]{36}/
        seen.uniqueId() == "/CommunityGalleries/${publicName}/Images/web/Versions/1.0.0"

        when:
        String id = "/CommunityGalleries/${publicName}/Images/web/Versions/latest"
        def vm = keptMachine('community', "communityGalleryImage('${id}')")

        then: 'Azure made the VM from the community image, and says which version latest was'
        vm.run.out.contains("creating VM ib-azure-")
        vm.run.out.contains(" from ${id}\n")
        vm.run.out.contains('source image version: 1.0.0')
        vm.run.out.contains('(the script exited with status 7)')
        vm.reference.communityGalleryImageId() == id
        vm.reference.exactVersion() == '1.0.0'
        vm.reference.id() == null
    }

    def "should build from a version of a gallery shared directly"() {
        given: 'the platform team shares its gallery directly with the build subscription instead'
        def sdk = reopen()
        def gallery = share(sdk, new SharingProfile().withPermissions(GallerySharingPermissionTypes.GROUPS))
        String uniqueName = gallery.identifier().uniqueName()
        def seen = compute(sdk, sdk.cloud.subscriptionId as String).sharedGalleryImageVersions
                .get('westeurope', uniqueName, 'web', '1.0.0')
        emulator.close()
        emulator = null

        expect:
        seen.uniqueId() == "/SharedGalleries/${uniqueName}/Images/web/Versions/1.0.0"

        when:
        String id = "/SharedGalleries/${uniqueName}/Images/web/Versions/1.0.0"
        def vm = keptMachine('shared', "sharedGalleryImage('${id}')")

        then:
        vm.run.out.contains(" from ${id}\n")
        vm.run.out.contains('(the script exited with status 7)')
        vm.reference.sharedGalleryImageId() == id
        vm.reference.exactVersion() == '1.0.0'
    }

    /** Replaces the sharing of the platform team's gallery in the other subscription; returns the gallery. */
    com.azure.resourcemanager.compute.fluent.models.GalleryInner share(AzureSdkClients sdk, SharingProfile sharing) {
        ResourceManagerUtils.InternalRuntimeContext.setDelayProvider({ Duration d -> Duration.ofMillis(10) })
        def galleries = compute(sdk, OTHER).galleries
        galleries.createOrUpdate('shared-images', 'corp', new com.azure.resourcemanager.compute.fluent.models
                .GalleryInner().withLocation('westeurope').withSharingProfile(sharing))
        galleries.getByResourceGroup('shared-images', 'corp')
    }

    /**
     * Builds from {@code source} with a step that fails when the machine has the baked file, keeping the machine
     * (--on-error abort); reads its image reference back from the emulator, then lets gc remove it.
     */
    Map keptMachine(String name, String source) {
        def run = TemplateRun.emulated(folder(name), """
builder azure {
    location 'westeurope'
    source ${source}
    managedImage 'web-${name}', resourceGroup: 'images'
}
provision shell { inline 'test -f /etc/imagebake-baked && exit 7' }
""", data(), ['--on-error', 'abort', '--resume-lease', '1s'])
        def sdk = reopen()
        def own = sdk.computeManager().serviceClient()
        def vms = sdk.resourceManager().serviceClient().resourceGroups.list().collect { it.name() }
                .findAll { it.startsWith('imagebake-') }.collectMany { own.virtualMachines.listByResourceGroup(it).toList() }
        assert vms.size() == 1: run
        // gc leaves a build held for build --resume alone until its lease is over.
        java.time.Instant held = java.time.Instant.parse(new JsonSlurper().parse(folder(name)
                .resolve('.t.imagebake.resume.json')).builds.azure.details.heldUntil as String)
        dev.imagebake.testsupport.Poll.until('the end of the resume lease', 30) { java.time.Instant.now().isAfter(held) }
        def gcOut = new ByteArrayOutputStream()
        int gc = Main.run(new PrintStream(gcOut, true, 'UTF-8'), new PrintStream(gcOut, true, 'UTF-8'), [:],
                ['gc', '--older-than', '0s', '--cloud', emulator.cloudFile().toString()] as String[])
        assert gc == 0 && AzureBuildFaultsSpec.leftovers(sdk) == []: gcOut.toString('UTF-8')
        [run: run, reference: vms[0].storageProfile().imageReference()]
    }

    def "should refuse a gallery in a subscription the tenant does not have, before creating anything"() {
        given:
        String missing = '0badc0de-0000-4000-8000-00000000dead'
        def sdk = reopen()
        Path template = folder('missing').resolve('t.imagebake.groovy')
        Files.writeString(template, """
builder azure {
    location 'westeurope'
    ${SOURCE}
    gallery 'corp', image: 'web', version: '2.0.0', resourceGroup: 'shared-images', subscription: '${missing}'
}
""")
        def out = new ByteArrayOutputStream()

        when:
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(out, true, 'UTF-8'), [:],
                ['build', '--cloud', emulator.cloudFile().toString(), template.toString()] as String[])
        String text = out.toString('UTF-8')

        then:
        code == 1
        text.contains("cannot publish to gallery corp in subscription ${missing}: SubscriptionNotFound: The subscription '${missing}' could not be found.")
        text.contains("  check the gallery's subscription: it must be in the build's tenant, and the build's identity needs access to it")
        !text.contains('create resource group')
        AzureBuildFaultsSpec.leftovers(sdk) == []
    }
}
