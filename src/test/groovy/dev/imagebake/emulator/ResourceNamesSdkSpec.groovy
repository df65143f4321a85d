package dev.imagebake.emulator

import com.azure.core.management.Region
import com.azure.core.management.exception.ManagementException
import com.azure.resourcemanager.compute.ComputeManager
import com.azure.resourcemanager.compute.fluent.models.GalleryImageInner
import com.azure.resourcemanager.compute.fluent.models.GalleryImageVersionInner
import com.azure.resourcemanager.compute.fluent.models.GalleryInner
import com.azure.resourcemanager.compute.fluent.models.ImageInner
import com.azure.resourcemanager.compute.models.GalleryImageIdentifier
import com.azure.resourcemanager.compute.models.OperatingSystemStateTypes
import com.azure.resourcemanager.compute.models.OperatingSystemTypes
import com.azure.resourcemanager.resources.fluentcore.utils.ResourceManagerUtils
import dev.imagebake.emulator.arm.Operations
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Path
import java.time.Duration

/**
 * Names Azure refuses are refused by the emulator too, with the code and status Azure answers, seen through the real
 * Azure SDK over HTTPS: the SDK percent-encodes a name, so a slash or a non-ASCII letter reaches the emulator whole.
 */
class ResourceNamesSdkSpec extends Specification {
    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    ComputeManager compute

    @Shared
    String rg = 'rg-names'

    def setupSpec() {
        ResourceManagerUtils.InternalRuntimeContext.setDelayProvider({ Duration d -> Duration.ofMillis(10) })
        emulator = Emulator.start(new Emulator.Settings(dir, 0, new Operations.Settings(0, 1, Duration.ofSeconds(10))))
        compute = new AzureSdkClients(emulator.cloudFile()).computeManager()
        compute.resourceManager().resourceGroups().define(rg).withRegion(Region.EUROPE_WEST).create()
        compute.serviceClient().galleries.createOrUpdate(rg, 'corp', new GalleryInner().withLocation('westeurope'))
        compute.serviceClient().galleryImages.createOrUpdate(rg, 'corp', 'web', new GalleryImageInner()
                .withLocation('westeurope').withOsType(OperatingSystemTypes.LINUX)
                .withOsState(OperatingSystemStateTypes.GENERALIZED)
                .withIdentifier(new GalleryImageIdentifier().withPublisher('p').withOffer('o').withSku('s')))
    }

    def cleanupSpec() {
        emulator?.close()
    }

    def "a managed image name Azure refuses is refused with 400 InvalidParameter: #name"() {
        when:
        compute.serviceClient().images.createOrUpdate(rg, name, new ImageInner().withLocation('westeurope'))

        then:
        def e = thrown(ManagementException)
        e.response.statusCode == 400
        e.value.code == 'InvalidParameter'
        e.value.message.startsWith("The managed image name '${name}' is invalid: ${problem}.")

        where:
        name                  || problem
        'bad name/with slash' || "it contains a space and '/'"
        'bad/name'            || "it contains '/'"
        'wëb'                 || "it contains 'ë' (not an ASCII letter or digit)"
        '-web'                || "it starts with '-'"
        'web.'                || "it ends in '.'"
        'w' * 81              || 'it is 81 characters long'
    }

    def "gallery, image definition and version names Azure refuses are refused with 400 InvalidParameter"() {
        when:
        action.call()

        then:
        def e = thrown(ManagementException)
        e.response.statusCode == 400
        e.value.code == 'InvalidParameter'
        e.value.message.contains(message)

        where:
        message                                            | action
        "The gallery name 'corp-images' is invalid"        | { compute.serviceClient().galleries.createOrUpdate(rg, 'corp-images', new GalleryInner().withLocation('westeurope')) }
        "The gallery image definition name 'wëb' is invalid" | { compute.serviceClient().galleryImages.createOrUpdate(rg, 'corp', 'wëb', new GalleryImageInner().withLocation('westeurope')) }
        'The image version name is invalid'                | { compute.serviceClient().galleryImageVersions.createOrUpdate(rg, 'corp', 'web', '1.0.2147483648', new GalleryImageVersionInner().withLocation('westeurope')) }
        'The image version name is invalid'                | { compute.serviceClient().galleryImageVersions.createOrUpdate(rg, 'corp', 'web', '1.0', new GalleryImageVersionInner().withLocation('westeurope')) }
    }

    def "a resource group name with a character Azure refuses is refused with 400 InvalidResourceGroup, while letters of any script are accepted"() {
        when:
        compute.resourceManager().resourceGroups().define('rg/web').withRegion(Region.EUROPE_WEST).create()

        then:
        def e = thrown(ManagementException)
        e.response.statusCode == 400
        e.value.code == 'InvalidResourceGroup'
        e.value.message.startsWith("The provided resource group name 'rg/web' is invalid: it contains '/'.")

        when:
        def group = compute.resourceManager().resourceGroups().define('rg-grün_(1)').withRegion(Region.EUROPE_WEST).create()

        then:
        group.name() == 'rg-grün_(1)'
    }

    def "a managed image name at Azure's limits passes the name check: #name"() {
        when: 'the image has no source, so it fails; but not because of its name'
        String message = null
        try {
            compute.serviceClient().images.createOrUpdate(rg, name, new ImageInner().withLocation('westeurope'))
        } catch (ManagementException e) {
            message = e.value.message
        }

        then:
        message == null || !message.contains('is invalid:')

        where:
        name << ['w' * 79 + '_', 'a', 'web_2.0-b']
    }
}
