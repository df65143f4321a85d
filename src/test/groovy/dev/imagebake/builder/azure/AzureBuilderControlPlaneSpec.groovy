package dev.imagebake.builder.azure

import com.azure.resourcemanager.resources.fluent.models.ResourceGroupInner
import dev.imagebake.cli.Main
import dev.imagebake.emulator.AzureSdkClients
import dev.imagebake.emulator.Emulator
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path

/**
 * The azure builder against the emulator, real SDK over HTTPS, for what happens before and around the build
 * machine: destination checks, failures while creating resources, cleanup, `gc`, and secrets.
 */
class AzureBuilderControlPlaneSpec extends Specification {
    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    AzureSdkClients sdk

    @TempDir
    Path work

    def setupSpec() {
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('emulator'), 0))
        sdk = new AzureSdkClients(emulator.cloudFile())
        sdk.resourceManager().serviceClient().resourceGroups.createOrUpdate('images',
                new ResourceGroupInner().withLocation('westeurope'))
    }

    /** Keeps features independent: whatever one leaves does not fail the next. */
    def cleanup() {
        def groups = sdk.resourceManager().serviceClient().resourceGroups
        groups.list().findAll { it.name().startsWith('imagebake-') }.each { groups.delete(it.name()) }
    }

    def cleanupSpec() {
        emulator?.close()
    }

    static String template(String source = "marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')",
                           String destination = "managedImage 'web', resourceGroup: 'images'") {
        """
builder azure {
    location 'westeurope'
    vmSize 'Standard_B1s'
    source ${source}
    ${destination}
    sshTimeout '20s'
}
provision shell { inline 'echo hello' }
"""
    }

    Map run(String text, List<String> args = []) {
        Path file = work.resolve('t.imagebake.groovy')
        Files.writeString(file, text)
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(err, true, 'UTF-8'), [:],
                (['build', '--cloud', emulator.cloudFile().toString()] + args + [file.toString()]) as String[])
        [code: code, out: out.toString('UTF-8'), err: err.toString('UTF-8')]
    }

    List<String> leftovers() {
        AzureBuildFaultsSpec.leftovers(sdk)
    }

    def "should refuse a gallery destination that does not exist before creating anything"() {
        when:
        def r = run(template(
                "marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')",
                "gallery 'corp', resourceGroup: 'images', image: 'web', version: '1.0.0', regions: [westeurope: 1]"))

        then:
        r.code == 1
        r.out.contains('cannot publish to gallery corp, image definition web in images: ResourceNotFound')
        r.out.contains('create them first (az sig create / az sig image-definition create)')
        !r.out.contains('create resource group')
        leftovers() == []
    }

    def "should refuse a source whose Hyper-V generation the gallery image definition does not take, before creating anything"() {
        given: "a generation 2 image definition, as most are"
        def compute = sdk.computeManager().serviceClient()
        compute.galleries.createOrUpdate('images', 'gen', new com.azure.resourcemanager.compute.fluent.models.GalleryInner()
                .withLocation('westeurope'))
        compute.galleryImages.createOrUpdate('images', 'gen', 'web2',
                new com.azure.resourcemanager.compute.fluent.models.GalleryImageInner().withLocation('westeurope')
                        .withOsType(com.azure.resourcemanager.compute.models.OperatingSystemTypes.LINUX)
                        .withOsState(com.azure.resourcemanager.compute.models.OperatingSystemStateTypes.GENERALIZED)
                        .withHyperVGeneration(com.azure.resourcemanager.compute.models.HyperVGeneration.V2)
                        .withIdentifier(new com.azure.resourcemanager.compute.models.GalleryImageIdentifier()
                                .withPublisher('spec').withOffer('gen').withSku('web2')))

        when: "the source is the generation 1 SKU of Ubuntu 20.04"
        def refused = run(template("marketplace('Canonical', '0001-com-ubuntu-server-focal', '20_04-lts')",
                "gallery 'gen', resourceGroup: 'images', image: 'web2', version: '1.0.0', regions: [westeurope: 1]"))

        then:
        refused.code == 1
        refused.out.contains('==> azure: check destination failed after ')
        refused.out.contains('the source image Canonical:0001-com-ubuntu-server-focal:20_04-lts:latest is Hyper-V '
                + 'generation V1, but the gallery image definition web2 takes generation V2 images: Azure would refuse '
                + 'the version after the whole bake.\n  use a V2 source image (a -gen2 SKU, for example) or an image '
                + 'definition made with --hyper-v-generation V1')
        !refused.out.contains('create resource group')
        leftovers() == []
    }

    def "should clean up the resource group and network when the VM cannot be created"() {
        given:
        String missing = "/subscriptions/${sdk.cloud.subscriptionId}/resourceGroups/images/providers/Microsoft.Compute/images/missing"

        when:
        def r = run(template("image('${missing}')"))

        then:
        r.code == 1
        r.out.contains('created resource group imagebake-azure-')
        r.out.contains('network ready: SSH allowed from 127.0.0.0/8')
        r.out =~ /create VM failed after .*: creating VM ib-azure-\w+-vm failed: \w*NotFound/
        r.out.contains('deleting resource group imagebake-azure-')
        leftovers() == []
    }

    def "should keep everything with --on-error abort, name it, and let gc remove it"() {
        given:
        String missing = "/subscriptions/${sdk.cloud.subscriptionId}/resourceGroups/images/providers/Microsoft.Compute/images/missing"
        def gcOut = new ByteArrayOutputStream()
        def gc = { List<String> extra ->
            gcOut.reset()
            Main.run(new PrintStream(gcOut, true, 'UTF-8'), new PrintStream(gcOut, true, 'UTF-8'), [:],
                    (['gc', '--cloud', emulator.cloudFile().toString()] + extra) as String[])
        }

        when:
        def r = run(template("image('${missing}')"), ['--on-error', 'abort'])
        def left = leftovers()

        then: 'the build says what it left'
        r.code == 1
        r.out.contains('Left behind by azure:')
        left.size() >= 1
        left.any { it.startsWith('imagebake-azure-') }

        when: 'gc sees a build that is still running (this process) as alive'
        int quiet = gc([])

        then:
        quiet == 0
        gcOut.toString('UTF-8').contains('Nothing to clean up')

        when: 'with --older-than 0s every finished build counts'
        int dry = gc(['--dry-run', '--older-than', '0s'])
        String listing = gcOut.toString('UTF-8')

        then:
        dry == 0
        listing.contains('Would delete 1 leftover(s):')
        listing =~ /\/resourceGroups\/imagebake-azure-\w+ +\(build azure-\w+: started \S+, longer ago than --older-than\)/
        leftovers() == left

        when:
        int real = gc(['--older-than', '0s'])

        then:
        real == 0
        gcOut.toString('UTF-8').contains('Deleted 1 leftover(s).')
        leftovers() == []
    }

    def "should say which credential failed and never print the secret"() {
        given:
        Path badCloud = work.resolve('bad-cloud.json')
        def cloud = new groovy.json.JsonSlurper().parse(emulator.cloudFile().toFile()) as Map
        String secret = 'canary-' + UUID.randomUUID()
        cloud.clientSecret = secret
        Files.writeString(badCloud, groovy.json.JsonOutput.toJson(cloud))
        Path file = work.resolve('t.imagebake.groovy')
        Files.writeString(file, template())
        def out = new ByteArrayOutputStream()
        Path log = work.resolve('build.log')

        when:
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(out, true, 'UTF-8'), [:],
                ['build', '--cloud', badCloud.toString(), '--log-file', log.toString(), file.toString()] as String[])
        String all = out.toString('UTF-8') + Files.readString(log)

        then:
        code == 1
        all.contains('sign in to Azure failed')
        all.contains('cannot sign in to the cloud described by')
        !all.contains(secret)
        leftovers() == []
    }
}
