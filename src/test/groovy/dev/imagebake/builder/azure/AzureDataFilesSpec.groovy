package dev.imagebake.builder.azure

import dev.imagebake.dsl.TemplateHarness
import dev.imagebake.importer.Importer
import dev.imagebake.plan.AzureBuilderSpec
import dev.imagebake.testsupport.TemplateRun
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path

/**
 * {@code customDataFile} and {@code userDataFile} (Packer's custom_data_file and user_data_file): the plan names the
 * file, validate checks it, the build reads it, and the VM's cloud-init applies the custom data next to imagebake's
 * own part (host keys).
 */
class AzureDataFilesSpec extends Specification {
    static final String SOURCE = "source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')"
    static final String CLOUD_CONFIG = '''#cloud-config
write_files:
  - path: /etc/imagebake-spec-custom-data
    content: written by the template's cloud-config
'''

    @TempDir
    Path folder

    @TempDir
    Path emulator

    def "customDataFile should reach the VM's cloud-init next to imagebake's host keys, and the plan should name the file only"() {
        given:
        Files.writeString(folder.resolve('cloud-init.yaml'), CLOUD_CONFIG)
        Files.writeString(folder.resolve('user-data.txt'), 'role=web\n')
        String template = """
builder azure {
    location 'westeurope'
    ${SOURCE}
    managedImage 'data-files', resourceGroup: 'images'
    customDataFile 'cloud-init.yaml'
    userDataFile 'user-data.txt'
}
provision shell { inline 'cat /etc/imagebake-spec-custom-data' }
"""

        when:
        def plan = TemplateRun.plan(folder, template)
        def run = TemplateRun.emulated(folder, template, emulator)

        then:
        plan.code == 0
        plan.out.readLines().contains('  customDataFile          cloud-init.yaml')
        plan.out.readLines().contains('  userDataFile            user-data.txt')
        !plan.out.contains('write_files') && !plan.out.contains('role=web')
        run.code == 0
        run.out.contains("    azure: written by the template's cloud-config\n")
    }

    def "the imported custom_data_file and user_data_file should become customDataFile and userDataFile, and build"() {
        given:
        Path packer = folder.resolve('packer')
        Files.createDirectories(packer)
        Files.writeString(packer.resolve('cloud-init.yaml'), CLOUD_CONFIG)
        Files.writeString(packer.resolve('user-data.txt'), 'role=web\n')
        Files.writeString(packer.resolve('web.pkr.hcl'), '''
source "azure-arm" "web" {
  location = "westeurope"
  image_publisher = "Canonical"
  image_offer = "0001-com-ubuntu-server-jammy"
  image_sku = "22_04-lts-gen2"
  managed_image_name = "imported-data-files"
  managed_image_resource_group_name = "images"
  custom_data_file = "cloud-init.yaml"
  user_data_file = "user-data.txt"
}
build {
  sources = ["source.azure-arm.web"]
  provisioner "shell" {
    inline = ["cat /etc/imagebake-spec-custom-data"]
  }
}
''')

        when:
        def result = Importer.run(packer, folder)
        def run = TemplateRun.emulated(folder, result.groovy(), emulator)

        then:
        result.todos() == []
        result.groovy().contains("    customDataFile 'packer/cloud-init.yaml'\n")
        result.groovy().contains("    userDataFile 'packer/user-data.txt'\n")
        run.code == 0
        run.out.contains("    web: written by the template's cloud-config\n")
    }

    def "the plan should hold the paths, and a file that cannot be used or a second form should be refused at its line and column"() {
        given:
        Files.writeString(folder.resolve('cloud-init.yaml'), CLOUD_CONFIG)
        Files.write(folder.resolve('binary.dat'), [0xff, 0xfe, 0x00] as byte[])

        when:
        def ok = TemplateHarness.evaluate(block("customDataFile 'cloud-init.yaml'"), [:], folder)

        then:
        ok.ok()
        (ok.plan().builds()[0].builder() as AzureBuilderSpec).customDataFile() == 'cloud-init.yaml'
        (ok.plan().builds()[0].builder() as AzureBuilderSpec).customData() == null
        errors("customDataFile 'missing.yaml'") == ["6:5: `customDataFile`: no file 'missing.yaml' next to the template"]
        errors("userDataFile '../x'") == ["6:5: `userDataFile`: '../x' leads out of the template's folder; templates can only use files in their own folder and below (or below a folder given with --root)"]
        errors("userDataFile 'binary.dat'") == ["6:5: `userDataFile`: 'binary.dat' is not UTF-8 text"]
        errors("customDataFile 'cloud-init.yaml'\n    customData '#cloud-config'") == ["1:9: builder azure 'azure': use either `customData` or `customDataFile`, not both"]
    }

    private String block(String line) {
        """builder azure {
    location 'westeurope'
    ${SOURCE}
    managedImage 'data-files', resourceGroup: 'images'

    ${line}
}
"""
    }

    private List<String> errors(String line) {
        TemplateHarness.evaluate(block(line), [:], folder).diagnostics()
                .collect { "${it.at().line()}:${it.at().column()}: ${it.message()}".toString() }
    }
}
