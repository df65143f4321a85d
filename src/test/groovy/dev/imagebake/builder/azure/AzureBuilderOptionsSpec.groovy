package dev.imagebake.builder.azure

import dev.imagebake.dsl.TemplateHarness
import dev.imagebake.plan.AzureBuilderSpec
import dev.imagebake.testsupport.TemplateRun
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Path

/**
 * The azure builder options that real Packer templates use: the temporary resource group's and VM's names, the
 * location taken from an existing build resource group, and the build's region added to a gallery's regions.
 */
class AzureBuilderOptionsSpec extends Specification {
    static final String SOURCE = "source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')"

    @TempDir
    Path folder

    @TempDir
    Path emulator

    def "tempResourceGroupName and tempComputeName should name the temporary group and the VM, which go at the end"() {
        when:
        def run = TemplateRun.emulated(folder, """
builder azure {
    location 'westeurope'
    ${SOURCE}
    managedImage 'named', resourceGroup: 'images'
    tempResourceGroupName 'pkr-temp-rg'
    tempComputeName 'pkr-build-01'
}
provision shell { inline 'echo "host: \$(hostname)"' }
""", emulator)

        then:
        run.code == 0
        run.out.contains('created resource group pkr-temp-rg in westeurope')
        run.out.contains('creating VM pkr-build-01 (')
        run.out.contains('    azure: host: pkr-build-01\n')
        run.out.contains('VM pkr-build-01 deallocated and generalized')
        run.out.contains('deleting resource group pkr-temp-rg and everything in it')
    }

    def "a tempResourceGroupName that exists already should fail the build and be left alone"() {
        when: "the managed image's own group, which the emulator made for the build, is named as the temporary one"
        def run = TemplateRun.emulated(folder, """
builder azure {
    location 'westeurope'
    ${SOURCE}
    managedImage 'named', resourceGroup: 'images'
    tempResourceGroupName 'images'
}
""", emulator)

        then:
        run.code == 1
        run.out.contains('resource group images already exists')
        !run.out.contains('deleting resource group images')
    }

    def "without a location, the build should take the build resource group's, and add it to the gallery's regions"() {
        when:
        def run = TemplateRun.emulated(folder, """
builder azure {
    ${SOURCE}
    buildResourceGroup 'build-rg'
    managedImage 'from-rg', resourceGroup: 'images'
    gallery 'corp', image: 'web', version: '1.0.0', regions: [northeurope: 2]
}
""", emulator)

        then:
        run.code == 0
        run.out.contains('building in the existing resource group build-rg')
        run.out.contains("added the build's location westeurope to the gallery regions (the version is made there)")
        run.out.contains('publishing web 1.0.0 to northeurope, westeurope')
    }

    def "gallery regions without the build's location should get it, and the plan should say it was added"() {
        when:
        def plan = TemplateHarness.evaluate("""
builder azure {
    location 'westeurope'
    ${SOURCE}
    gallery 'corp', image: 'web', version: '1.0.0', regions: [northeurope: 2], resourceGroup: 'images'
}
""").plan()
        def gallery = (plan.builds()[0].builder() as AzureBuilderSpec).gallery()

        then:
        gallery.regions() == [northeurope: 2, westeurope: 1]
        gallery.addedRegion() == 'westeurope'
        dev.imagebake.plan.PlanRenderer.render(plan) =~ /addedRegion +westeurope/
    }

    def "gallery regions that name the build's location in another spelling should be left as they are"() {
        when:
        def plan = TemplateHarness.evaluate("""
builder azure {
    location 'westeurope'
    ${SOURCE}
    gallery 'corp', image: 'web', version: '1.0.0', regions: ['West Europe', 'northeurope'], resourceGroup: 'images'
}
""").plan()
        def gallery = (plan.builds()[0].builder() as AzureBuilderSpec).gallery()

        then:
        gallery.regions() == ['West Europe': 1, northeurope: 1]
        gallery.addedRegion() == null
    }

    def "a gallery destination and a gallery source in another subscription should be in the plan"() {
        when:
        def plan = TemplateHarness.evaluate("""
builder azure {
    location 'westeurope'
    source galleryImage('platform', 'ubuntu', resourceGroup: 'shared', version: '2.0.0', subscription: '44444444-4444-4444-4444-444444444444')
    managedImage 'web', resourceGroup: 'images'
    gallery 'corp', image: 'web', version: '1.0.0', resourceGroup: 'galleries', subscription: '55555555-5555-5555-5555-555555555555'
}
""").plan()
        def spec = plan.builds()[0].builder() as AzureBuilderSpec
        String rendered = dev.imagebake.plan.PlanRenderer.render(plan)
        String json = dev.imagebake.plan.PlanJson.render(plan)

        then:
        spec.source() == new AzureBuilderSpec.GalleryImage('shared', 'platform', 'ubuntu', '2.0.0',
                '44444444-4444-4444-4444-444444444444')
        spec.gallery().subscription() == '55555555-5555-5555-5555-555555555555'
        spec.gallery().resourceGroup() == 'galleries'
        rendered.contains('    version        2.0.0\n    subscription   44444444-4444-4444-4444-444444444444\n')
        rendered =~ /\n    subscription +55555555-5555-5555-5555-555555555555\n/
        json =~ /"subscription" ?: ?"55555555-5555-5555-5555-555555555555"/
        json =~ /"subscription" ?: ?"44444444-4444-4444-4444-444444444444"/
    }

    def "gallery options about subscriptions should be refused at their line and column when they cannot work"() {
        expect:
        TemplateHarness.errors("builder azure {\n    location 'westeurope'\n    ${SOURCE}\n${line}\n}\n") == [expected]

        where:
        line                                                                                   || expected
        "    gallery 'corp', image: 'web', version: '1.0.0', subscription: 'a/b', resourceGroup: 'g'" || "4:5: `gallery` subscription is a subscription id like '00000000-0000-0000-0000-000000000000'; got 'a/b'"
        "    managedImage 'web', resourceGroup: 'images'\n    gallery 'corp', image: 'web', version: '1.0.0', subscription: 'sub-2'" || "1:9: builder azure 'azure': `gallery` in subscription sub-2 needs its own resourceGroup: '...' (the managed image's is in the build's subscription)"
        "    managedImage 'web', resourceGroup: 'images'\n    source galleryImage('g', 'd', resourceGroup: 'r', subscription: ' x')" || "5:12: `galleryImage` subscription is a subscription id like '00000000-0000-0000-0000-000000000000'; got ' x'"
    }

    def "community and directly shared gallery images should be sources, in the plan with their ids"() {
        when:
        def plan = TemplateHarness.evaluate("""
builder azure('community') {
    location 'westeurope'
    source communityGalleryImage('/CommunityGalleries/pub-1a2b/Images/ubuntu/Versions/latest')
    managedImage 'web', resourceGroup: 'images'
}
builder azure('shared') {
    location 'westeurope'
    source sharedGalleryImage('/SharedGalleries/sub-CORP/Images/ubuntu/Versions/1.2.3')
    managedImage 'web2', resourceGroup: 'images'
}
""").plan()
        String rendered = dev.imagebake.plan.PlanRenderer.render(plan)

        then:
        plan.builds()[0].builder().source() == new AzureBuilderSpec.CommunityGalleryImage('/CommunityGalleries/pub-1a2b/Images/ubuntu/Versions/latest')
        plan.builds()[1].builder().source() == new AzureBuilderSpec.SharedGalleryImage('/SharedGalleries/sub-CORP/Images/ubuntu/Versions/1.2.3')
        rendered.contains('  source\n    kind  communityGalleryImage\n    id    /CommunityGalleries/pub-1a2b/Images/ubuntu/Versions/latest\n')
        dev.imagebake.plan.PlanJson.render(plan) =~ /"kind" ?: ?"sharedGalleryImage",\s*"id" ?: ?"\/SharedGalleries\/sub-CORP\/Images\/ubuntu\/Versions\/1.2.3"/
    }

    def "a community or shared gallery image id of the wrong shape should be refused at its line and column"() {
        expect:
        TemplateHarness.errors("builder azure {\n    location 'westeurope'\n    managedImage 'x', resourceGroup: 'images'\n    source ${call}\n}\n") == [expected]

        where:
        call                                                                  || expected
        "communityGalleryImage('/CommunityGalleries/pub/Images/ubuntu')"      || "4:12: `communityGalleryImage` takes a community gallery image version's id, /CommunityGalleries/NAME/Images/IMAGE/Versions/VERSION (VERSION like '1.0.0', or 'latest'); got '/CommunityGalleries/pub/Images/ubuntu'"
        "communityGalleryImage('/SharedGalleries/s/Images/u/Versions/1.0.0')" || "4:12: `communityGalleryImage` takes a community gallery image version's id, /CommunityGalleries/NAME/Images/IMAGE/Versions/VERSION (VERSION like '1.0.0', or 'latest'); got '/SharedGalleries/s/Images/u/Versions/1.0.0'"
        "sharedGalleryImage('/SharedGalleries/s/Images/u/Versions/newest')"   || "4:12: `sharedGalleryImage` takes a directly shared gallery image version's id, /SharedGalleries/UNIQUE-NAME/Images/IMAGE/Versions/VERSION (VERSION like '1.0.0', or 'latest'); got '/SharedGalleries/s/Images/u/Versions/newest'"
    }

    def "an empty gallery subscription, an unset variable, should mean the build's subscription as in Packer"() {
        when:
        def spec = TemplateHarness.evaluate("""
builder azure {
    location 'westeurope'
    source galleryImage('platform', 'ubuntu', resourceGroup: 'shared', subscription: '')
    gallery 'corp', image: 'web', version: '1.0.0', resourceGroup: 'galleries', subscription: ''
}
""").plan().builds()[0].builder() as AzureBuilderSpec

        then:
        spec.source().subscription() == null
        spec.gallery().subscription() == null
    }

    def "keepOsDisk and diskEncryptionSet should be in the plan"() {
        when:
        def plan = TemplateHarness.evaluate("""
builder azure {
    location 'westeurope'
    ${SOURCE}
    buildResourceGroup 'builds'
    managedImage 'web', resourceGroup: 'images'
    keepOsDisk true
    diskEncryptionSet '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/keys/providers/Microsoft.Compute/diskEncryptionSets/images-des'
}
""").plan()
        def spec = plan.builds()[0].builder() as AzureBuilderSpec
        String rendered = dev.imagebake.plan.PlanRenderer.render(plan)

        then:
        spec.keepOsDisk()
        spec.diskEncryptionSetId() == '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/keys/providers/Microsoft.Compute/diskEncryptionSets/images-des'
        rendered =~ /\n  keepOsDisk +true\n/
        rendered =~ /\n  diskEncryptionSetId +\/subscriptions\/0{8}-0{4}-0{4}-0{4}-0{12}\/resourceGroups\/keys\/providers\/Microsoft\.Compute\/diskEncryptionSets\/images-des\n/
        dev.imagebake.plan.PlanJson.render(plan) =~ /"keepOsDisk" ?: ?true/
    }

    def "keepOsDisk without a build resource group and a malformed diskEncryptionSet should be refused"() {
        expect:
        TemplateHarness.errors("builder azure {\n    location 'westeurope'\n    ${SOURCE}\n    managedImage 'x', resourceGroup: 'images'\n${line}\n}\n") == [expected]

        where:
        line                                                  || expected
        "    keepOsDisk true"                                 || "1:9: builder azure 'azure': `keepOsDisk` needs `buildResourceGroup`, where the disk stays: a temporary resource group is deleted with everything in it"
        "    diskEncryptionSet '/subscriptions/s/resourceGroups/k/providers/Microsoft.KeyVault/vaults/v'" || "5:5: `diskEncryptionSet` takes a disk encryption set's resource id, /subscriptions/SUBSCRIPTION/resourceGroups/GROUP/providers/Microsoft.Compute/diskEncryptionSets/NAME; got '/subscriptions/s/resourceGroups/k/providers/Microsoft.KeyVault/vaults/v'"
    }

    def "settings a build would ignore or fail on should be refused at their line and column"() {
        expect:
        TemplateHarness.errors("builder azure {\n    ${SOURCE}\n    managedImage 'x', resourceGroup: 'images'\n${line}\n}\n") == [expected]

        where:
        line                                                || expected
        "    location ''"                                   || "4:5: `location` is empty (an unset environment variable?); give a region, for example location 'westeurope'"
        "    location 'westeurope'\n    osType 'windows'"   || "5:5: `osType` 'windows' is not supported yet: imagebake builds Linux images (a Windows build would need WinRM and sysprep, which it does not have)"
        "    location 'westeurope'\n    tempComputeName 'build_01'" || "5:5: `tempComputeName`: 'build_01' is also the VM's host name, which Azure allows only ASCII letters, digits and '-' in, not starting with '-'"
        "    location 'westeurope'\n    buildResourceGroup ''" || "5:5: `buildResourceGroup`: '' is not a valid resource group name: ${resourceGroupRule('')}"
        "    location 'westeurope'\n    tempResourceGroupName 'a'\n    buildResourceGroup 'b'" || "1:9: builder azure 'azure': use either `buildResourceGroup` (an existing group, kept) or `tempResourceGroupName` (a new group, deleted at the end), not both"
        "    vmSize 'Standard_B2s'"                         || "1:9: builder azure 'azure' needs `location`, for example location 'westeurope' (or a `buildResourceGroup`, whose location the build then takes)"
    }

    private static String resourceGroupRule(String name) {
        dev.imagebake.util.AzureNames.problem(dev.imagebake.util.AzureNames.Kind.RESOURCE_GROUP, name) + '. Azure allows ' +
                dev.imagebake.util.AzureNames.Kind.RESOURCE_GROUP.rule() + '.'
    }
}
