package dev.imagebake.importer

import dev.imagebake.cli.Main
import dev.imagebake.dsl.TemplateHarness
import dev.imagebake.plan.Plan
import spock.lang.Specification
import spock.lang.Unroll

import java.nio.file.Files
import java.nio.file.Path

/** The importer's rules: a Packer option in, the imagebake plan setting out (through the imported Groovy). */
class ImportRulesSpec extends Specification {
    static final String SOURCE = '''
  location = "westeurope"
  image_publisher = "Canonical"
  image_offer = "0001-com-ubuntu-server-jammy"
  image_sku = "22_04-lts-gen2"
  managed_image_name = "web"
  managed_image_resource_group_name = "images"
'''

    Path folder = Files.createTempDirectory('import-rules')

    /** Imports an HCL template made of a source with {@code source} and a build with {@code build}. */
    Importer.Result importHcl(String source, String build = '', String extra = '') {
        Files.writeString(folder.resolve('t.pkr.hcl'), """
${extra}
source "azure-arm" "web" {
${SOURCE}
${source}
}
build {
  sources = ["source.azure-arm.web"]
${build}
}
""")
        Importer.run(folder.resolve('t.pkr.hcl'), folder)
    }

    Plan plan(Importer.Result result) {
        def evaluated = TemplateHarness.evaluate(result.groovy(), [:], folder)
        assert evaluated.ok(), evaluated.diagnostics().join('\n') + '\n' + result.groovy()
        evaluated.plan()
    }

    @Unroll
    def "the builder option #option becomes #expected"() {
        when:
        def result = importHcl(option)
        def azure = plan(result).builds()[0].builder()

        then:
        result.todos() == []
        read(azure) == expected

        where:
        option                                         | read                                  || expected
        'vm_size = "Standard_D4s_v5"'                  | { it.vmSize() }                       || 'Standard_D4s_v5'
        'os_disk_size_gb = 64'                         | { it.osDiskSizeGb() }                 || 64
        'temp_resource_group_name = "rg-build"'        | { it.tempResourceGroupName() }        || 'rg-build'
        'temp_compute_name = "vm-build"'               | { it.tempComputeName() }              || 'vm-build'
        'azure_tags = { team = "web" }'                | { it.tags() }                         || [team: 'web']
        'ssh_username = "azureuser"'                   | { it.sshUser() }                      || 'azureuser'
        '# no ssh_username: Packer logs in as packer'  | { it.sshUser() }                      || 'packer'
        'use_azure_cli_auth = true'                    | { it.vmSize() != null }               || true
    }

    @Unroll
    def "the builder option #option shows in the plan as #expected"() {
        given:
        Files.writeString(folder.resolve('cloud-init.yaml'), '#cloud-config\n')

        when:
        def result = importHcl(option)
        String azure = plan(result).builds()[0].builder().toString()

        then:
        result.todos() == []
        azure.contains(expected)

        where:
        option                                                                     || expected
        'build_resource_group_name = "rg-build"'                                   || 'buildResourceGroup=rg-build'
        'spot {\n eviction_policy = "Deallocate"\n max_price = 0.5\n }'            || 'Deallocate'
        'plan_info {\n plan_name = "p"\n plan_product = "o"\n plan_publisher = "u"\n }' || 'name=p'
        'virtual_network_name = "vnet"\n virtual_network_subnet_name = "sn"\n virtual_network_resource_group_name = "net"' || 'vnet'
        'user_assigned_managed_identities = ["/subscriptions/0/resourceGroups/r/providers/Microsoft.ManagedIdentity/userAssignedIdentities/i"]' || 'userAssignedIdentities=[/subscriptions/0/'
        'custom_data_file = "cloud-init.yaml"'                                     || 'customDataFile=cloud-init.yaml'
        'security_type = "TrustedLaunch"'                                          || 'trustedLaunch=true'
        'disk_additional_size = [32]'                                              || 'dataDisks=[DataDisk['
        'managed_image_storage_account_type = "Premium_LRS"'                       || 'storageType=Premium_LRS'
        'client_id = "c"\n client_secret = "s"\n tenant_id = "t"\n subscription_id = "sub"' || 'clientId=c'
        'cloud_environment_name = "AzureChinaCloud"'                               || 'cloud=china'
        'allowed_inbound_ip_addresses = ["10.0.0.0/8"]'                            || '10.0.0.0/8'
        'ssh_timeout = "30m"'                                                      || 'sshTimeout=PT30M'
        'polling_duration_timeout = "20m"'                                         || 'operationTimeout=PT20M'
        'winrm_timeout = "5m"'                                                     || 'osType=linux'
        'async_resourcegroup_delete = true'                                        || 'osType=linux'
        'build_resource_group_name = "rg"\n keep_os_disk = true'                  || 'keepOsDisk=true'
        'disk_encryption_set_id = "/subscriptions/0/resourceGroups/k/providers/Microsoft.Compute/diskEncryptionSets/des"' || 'diskEncryptionSetId=/subscriptions/0/resourceGroups/k/providers/Microsoft.Compute/diskEncryptionSets/des, '
    }

    def "a variable the template never declares but uses as client_secret is declared sensitive"() {
        when: "fabiokerber's sources.pkr.hcl (corpus 04) reads var.client_secret without a variables file"
        def result = importHcl('client_id = "c"\n client_secret = var.client_secret\n tenant_id = "t"')

        then:
        result.groovy().contains("variable 'client_secret', sensitive: true\n")
        result.todos() == ['var.client_secret at t.pkr.hcl:13 — read but never declared in the Packer template: '
                                   + 'declared here as required; give it a default or a value']
    }

    def "client_jwt becomes clientJwt, taken from the same variable and sensitive in the plan"() {
        given: 'a Packer template that signs in with an OIDC token from the environment, as the plugin\'s docs show'
        String jwt = 'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJyZXBvOm8vcjpyZWY6cmVmcy9oZWFkcy9tYWluIn0.c2ln'
        String variables = """
variable "arm_oidc_token" {
  type      = string
  default   = "${jwt}"
  sensitive = true
}
"""

        when:
        def result = importHcl('client_id = "app"\n tenant_id = "t"\n subscription_id = "sub"\n client_jwt = var.arm_oidc_token',
                '', variables)
        def imported = plan(result)
        def auth = imported.builds()[0].builder().auth()

        then:
        result.todos() == []
        result.groovy().contains('clientJwt var.arm_oidc_token')
        auth.clientId() == 'app'
        auth.clientJwt() == jwt
        auth.clientSecret() == null
        !dev.imagebake.plan.PlanRenderer.render(imported).contains(jwt)
    }

    def "a gallery image as source becomes galleryImage"() {
        given:
        Files.writeString(folder.resolve('g.pkr.hcl'), '''
source "azure-arm" "web" {
  location = "westeurope"
  shared_image_gallery {
    resource_group = "images"
    gallery_name = "corp"
    image_name = "base"
    image_version = "1.0.0"
  }
  managed_image_name = "web"
  managed_image_resource_group_name = "images"
}
build {
  sources = ["source.azure-arm.web"]
}''')

        when:
        def result = Importer.run(folder.resolve('g.pkr.hcl'), folder)

        then:
        result.groovy().contains("source galleryImage('corp', 'base', resourceGroup: 'images', version: '1.0.0')")
        plan(result).builds()[0].builder().source().toString().contains('corp')
    }

    def "a gallery image source in another subscription becomes galleryImage with its subscription"() {
        given:
        Files.writeString(folder.resolve('g.pkr.hcl'), '''
source "azure-arm" "web" {
  location = "westeurope"
  shared_image_gallery {
    subscription = "11111111-2222-3333-4444-555555555555"
    resource_group = "images"
    gallery_name = "corp"
    image_name = "base"
    image_version = "1.0.0"
  }
  managed_image_name = "web"
  managed_image_resource_group_name = "images"
}
build {
  sources = ["source.azure-arm.web"]
}''')

        when:
        def result = Importer.run(folder.resolve('g.pkr.hcl'), folder)

        then:
        result.todos() == []
        result.groovy().contains("source galleryImage('corp', 'base', resourceGroup: 'images', version: '1.0.0', "
                + "subscription: '11111111-2222-3333-4444-555555555555')")
        plan(result).builds()[0].builder().source() == new dev.imagebake.plan.AzureBuilderSpec.GalleryImage('images',
                'corp', 'base', '1.0.0', '11111111-2222-3333-4444-555555555555')
    }

    def "a shared image gallery destination in another subscription becomes gallery with its subscription"() {
        when:
        def result = importHcl('''
  shared_image_gallery_destination {
    subscription = "11111111-2222-3333-4444-555555555555"
    resource_group = "images"
    gallery_name = "corp"
    image_name = "web"
    image_version = "1.2.3"
  }''')
        def gallery = plan(result).builds()[0].builder().gallery()

        then:
        result.todos() == []
        !result.groovy().contains("build's subscription")
        result.groovy().contains("gallery 'corp', image: 'web', version: '1.2.3', resourceGroup: 'images', "
                + "subscription: '11111111-2222-3333-4444-555555555555'")
        gallery.subscription() == '11111111-2222-3333-4444-555555555555'
        gallery.resourceGroup() == 'images'
    }

    @Unroll
    def "a shared_image_gallery with #option becomes #keyword"() {
        given:
        Files.writeString(folder.resolve('g.pkr.hcl'), """
source "azure-arm" "web" {
  location = "westeurope"
  shared_image_gallery {
    ${option} = "${id}"
  }
  managed_image_name = "web"
  managed_image_resource_group_name = "images"
}
build {
  sources = ["source.azure-arm.web"]
}""")

        when:
        def result = Importer.run(folder.resolve('g.pkr.hcl'), folder)

        then:
        result.todos() == []
        result.groovy().contains("source ${keyword}('${id}')")
        plan(result).builds()[0].builder().source() == expected

        where:
        option                           | keyword                 | id                                                           || expected
        'community_gallery_image_id'     | 'communityGalleryImage' | '/CommunityGalleries/pub-1a2b/Images/ubuntu/Versions/latest' || new dev.imagebake.plan.AzureBuilderSpec.CommunityGalleryImage('/CommunityGalleries/pub-1a2b/Images/ubuntu/Versions/latest')
        'direct_shared_gallery_image_id' | 'sharedGalleryImage'    | '/SharedGalleries/sub-CORP/Images/ubuntu/Versions/1.2.3'     || new dev.imagebake.plan.AzureBuilderSpec.SharedGalleryImage('/SharedGalleries/sub-CORP/Images/ubuntu/Versions/1.2.3')
    }

    def "keep_os_disk without build_resource_group_name becomes a to-do: the temporary group goes with the disk"() {
        when:
        def result = importHcl('keep_os_disk = true')

        then:
        result.todos() == ['keep_os_disk at t.pkr.hcl:12 — without build_resource_group_name the disk is deleted with the temporary resource group (in Packer too); imagebake keeps it only with buildResourceGroup']
        !result.groovy().contains('keepOsDisk')
    }

    def "build_resource_group_name becomes buildResourceGroup"() {
        expect:
        importHcl('build_resource_group_name = "rg"').groovy().contains("buildResourceGroup 'rg'")
    }

    def "a shared image gallery destination becomes gallery with its regions"() {
        when:
        def result = importHcl('''
  shared_image_gallery_destination {
    resource_group = "images"
    gallery_name = "corp"
    image_name = "web"
    image_version = "1.2.3"
    replication_regions = ["westeurope", "northeurope"]
  }''')

        then:
        result.groovy().contains("gallery 'corp', image: 'web', version: '1.2.3', resourceGroup: 'images', regions: ['westeurope', 'northeurope']")
        plan(result) != null
    }

    def "ssh_private_key_file becomes sshPrivateKeyFile, its relative path rebased, and the plan names the file"() {
        given:
        Files.createDirectories(folder.resolve('keys'))
        Process keygen = new ProcessBuilder('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f',
                folder.resolve('keys/build').toString()).redirectErrorStream(true).start()
        assert keygen.waitFor() == 0

        when:
        def result = importHcl('ssh_private_key_file = "keys/build"')

        then:
        result.todos() == []
        result.groovy().contains("    sshPrivateKeyFile 'keys/build'\n")
        plan(result).builds()[0].builder().sshPrivateKeyFile() == 'keys/build'
    }

    def "an absolute ssh_private_key_file (the user's own key, outside the template's folder) is kept as it is"() {
        given:
        Path keys = Files.createTempDirectory('import-keys')
        Process keygen = new ProcessBuilder('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f',
                keys.resolve('id_ed25519').toString()).redirectErrorStream(true).start()
        assert keygen.waitFor() == 0
        String path = keys.resolve('id_ed25519').toString()

        when:
        def result = importHcl("ssh_private_key_file = \"${path}\"")

        then:
        result.todos() == []
        result.groovy().contains("    sshPrivateKeyFile '${path}'\n")
        plan(result).builds()[0].builder().sshPrivateKeyFile() == path

        cleanup:
        keys.toFile().deleteDir()
    }

    def "ssh_private_key_file from a variable is used only when the variable is set, as Packer makes a key when it is empty"() {
        when:
        def result = importHcl('ssh_private_key_file = var.key_file', '', 'variable "key_file" {\n  default = ""\n}')

        then:
        result.todos() == []
        result.groovy().contains("    if (var.key_file) {\n        sshPrivateKeyFile var.key_file\n    }\n")
        plan(result).builds()[0].builder().sshPrivateKeyFile() == null
    }

    def "ssh_read_write_timeout becomes sshReadWriteTimeout"() {
        when:
        def result = importHcl('ssh_read_write_timeout = "5m"')

        then:
        result.todos() == []
        result.groovy().contains("    sshReadWriteTimeout '5m'\n")
        plan(result).builds()[0].builder().sshReadWriteTimeout() == java.time.Duration.ofMinutes(5)
    }

    def "inline commands in bash syntax with no inline_shebang run with bash, with a comment saying why"() {
        when:
        def result = importHcl('', '''
  provisioner "shell" {
    inline = ["sudo apt-get update", "if [[ -f /etc/x ]]; then echo x; fi"]
  }''')

        then:
        result.todos() == []
        result.groovy().contains("    // inline_shebang (t.pkr.hcl:18): the inline commands use bash syntax ([[ ... ]]); " +
                "Packer's default /bin/sh -e fails on it where sh is dash (Debian, Ubuntu), so they run with bash\n" +
                "    inlineShebang '/bin/bash -e'\n")
        plan(result).builds()[0].steps()[0].spec().inlineShebang() == '/bin/bash -e'
    }

    def "POSIX inline commands, or an inline_shebang given, are left as they are; bash syntax under sh is then a validate error"() {
        when:
        def posix = importHcl('', '''
  provisioner "shell" {
    inline = ["if [ -f /etc/x ]; then . /etc/x; fi"]
  }''')
        def given = importHcl('', '''
  provisioner "shell" {
    inline_shebang = "/bin/sh -e"
    inline = ["source /etc/profile"]
  }''')

        then:
        posix.todos() == []
        !posix.groovy().contains('inlineShebang')
        given.groovy().contains("inlineShebang '/bin/sh -e'")
        given.todos().size() == 1
        given.todos()[0].contains("`source` is bash, but the inline commands run with /bin/sh -e")
    }

    def "shell options become the shell step's keywords, with pause_before, max_retries and timeout"() {
        when:
        def result = importHcl('', '''
  provisioner "shell" {
    inline = ["echo hi"]
    environment_vars = ["A=1", "B=two"]
    expect_disconnect = true
    inline_shebang = "/bin/bash -e"
    pause_before = "5s"
    max_retries = 2
    timeout = "10m"
    execute_command = "chmod +x {{ .Path }}; {{ .Vars }} sudo -E sh '{{ .Path }}'"
  }''')
        def step = plan(result).builds()[0].steps()[0]

        then:
        result.todos() == []
        step.spec().inline() == ['echo hi']
        step.spec().env() == [A: '1', B: 'two']
        step.spec().sudo()
        step.options().retries() == 2
        step.options().timeout().toMinutes() == 10
        step.options().pauseBefore().seconds == 5
    }

    @Unroll
    def "the execute_command #command means sudo true"() {
        when:
        def result = importHcl('', """
  provisioner "shell" {
    inline = ["id -u"]
    execute_command = "${command.replace('"', '\\"')}"
  }""")

        then:
        plan(result).builds()[0].steps()[0].spec().sudo()
        !result.groovy().contains('executeCommand')

        where:
        command << ["chmod +x {{ .Path }}; {{ .Vars }} sudo -E sh '{{ .Path }}'",
                    "sudo sh -c '{{ .Vars }} {{ .Path }}'"]
    }

    @Unroll
    def "the execute_command #command, which hands the script to bash, is kept as executeCommand"() {
        given: "arvados' base.sh starts so: only bash named as the interpreter runs it"
        Files.writeString(folder.resolve('base.sh'), '#!/bin/bash -euxo pipefail\necho base\n')

        when:
        def result = importHcl('', """
  provisioner "shell" {
    script = "base.sh"
    execute_command = "${command.replace('"', '\\"')}"
  }""")
        def step = plan(result).builds()[0].steps()[0].spec()

        then:
        step.executeCommand() == expected
        result.groovy().contains('// bash runs the script, whatever its #! says')

        where:
        command                                                          || expected
        "echo 'packer' | sudo -S env {{ .Vars }} /bin/bash '{{ .Path }}'" || "echo 'packer' | sudo -S env {{.Vars}} /bin/bash '{{.Path}}'"
        "{{ .Vars }} sudo -E -S bash '{{ .Path }}'"                       || "{{.Vars}} sudo -E -S bash '{{.Path}}'"
        "sudo -S env {{ .Vars }} /bin/bash '{{ .Path }}'"                 || "sudo -S env {{.Vars}} /bin/bash '{{.Path}}'"
    }

    def "ssh_pty gives every shell step a pseudo-terminal"() {
        when:
        def result = importHcl('ssh_pty = true', '''
  provisioner "shell" {
    inline = ["tty"]
  }''')

        then:
        plan(result).builds()[0].steps()[0].spec().pty()
    }

    def "an execute_command that is not only sudo is kept"() {
        expect:
        importHcl('', '''
  provisioner "shell" {
    inline = ["echo hi"]
    execute_command = "sudo su -c '{{ .Vars }} {{ .Path }}' root"
  }''').groovy().contains("executeCommand 'sudo su -c \\'{{.Vars}} {{.Path}}\\' root'")
    }

    def "a final waagent deprovision step is dropped, with a comment saying why"() {
        when:
        def result = importHcl('', '''
  provisioner "shell" {
    inline = ["echo hi"]
  }
  provisioner "shell" {
    execute_command = "chmod +x {{ .Path }}; {{ .Vars }} sudo -E sh '{{ .Path }}'"
    inline = ["/usr/sbin/waagent -force -deprovision+user && export HISTSIZE=0 && sync"]
  }''')

        then:
        plan(result).builds()[0].steps().size() == 1
        result.groovy().contains('is dropped: imagebake\'s azure builder deprovisions last by itself')
    }

    def "a final step that ends in a waagent deprovision keeps its other commands and loses only the deprovision"() {
        when: "AgentBaker's last step: two scripts, then waagent with its exit code for Packer"
        def result = importHcl('', '''
  provisioner "shell" {
    inline = ["sudo /bin/bash -eux /home/packer/cis.sh", "sudo /bin/bash -eux /home/packer/cleanup-vhd.sh", "sudo /usr/sbin/waagent -force -deprovision+user && export HISTSIZE=0 && sync || exit 125"]
  }''')
        def steps = plan(result).builds()[0].steps()

        then:
        steps.size() == 1
        steps[0].spec().inline() == ['sudo /bin/bash -eux /home/packer/cis.sh', 'sudo /bin/bash -eux /home/packer/cleanup-vhd.sh']
        result.groovy().contains('line of this step (t.pkr.hcl:')
        result.groovy().contains('is dropped: imagebake\'s azure builder deprovisions last by itself')
        result.todos() == []
    }

    def "refinements of one source in a build become one builder written in a loop over what they set"() {
        given:
        Files.writeString(folder.resolve('loop.pkr.hcl'), '''
source "azure-arm" "ubuntu" {
  location = "westeurope"
  image_publisher = "Canonical"
  image_offer = "0001-com-ubuntu-server-jammy"
  image_sku = "22_04-lts-gen2"
  managed_image_resource_group_name = "images"
}
build {
  source "azure-arm.ubuntu" {
    name = "focal"
    image_offer = "0001-com-ubuntu-server-focal"
    image_sku = "20_04-lts-gen2"
    managed_image_name = "web-focal"
  }
  source "azure-arm.ubuntu" {
    name = "jammy"
    image_offer = "0001-com-ubuntu-server-jammy"
    image_sku = "22_04-lts-gen2"
    managed_image_name = "web-jammy"
  }
  provisioner "shell" {
    only = ["azure-arm.jammy"]
    inline = ["echo jammy"]
  }
}''')

        when:
        def result = Importer.run(folder.resolve('loop.pkr.hcl'), folder)
        def builds = plan(result).builds()

        then:
        result.todos() == []
        result.groovy().contains('''def sources_ubuntu = [
    [name: 'focal', image_offer: '0001-com-ubuntu-server-focal', image_sku: '20_04-lts-gen2', managed_image_name: 'web-focal'],
    [name: 'jammy', image_offer: '0001-com-ubuntu-server-jammy', image_sku: '22_04-lts-gen2', managed_image_name: 'web-jammy'],
]
for (s in sources_ubuntu) {
    builder azure(s.name) {''')
        result.groovy().contains("source marketplace('Canonical', s.image_offer, s.image_sku)")
        builds*.name() == ['focal', 'jammy']
        builds*.builder()*.source()*.sku() == ['20_04-lts-gen2', '22_04-lts-gen2']
        builds*.builder()*.managedImage()*.name() == ['web-focal', 'web-jammy']
        builds*.steps()*.size() == [0, 1]
    }

    def "refinements that set an option a loop cannot stand for stay separate builders"() {
        given:
        Files.writeString(folder.resolve('two.pkr.hcl'), """
source "azure-arm" "ubuntu" {
${SOURCE}
}
build {
  source "azure-arm.ubuntu" {
    name = "a"
    azure_tags = { team = "a" }
  }
  source "azure-arm.ubuntu" {
    name = "b"
    azure_tags = { team = "b" }
  }
}""")

        when:
        def result = Importer.run(folder.resolve('two.pkr.hcl'), folder)

        then:
        !result.groovy().contains('for (s in')
        plan(result).builds()*.builder()*.tags() == [[team: 'a'], [team: 'b']]
    }

    def "a file step's relative source is rebased to the output's folder, and one that leaves it is a TODO"() {
        given:
        Files.createDirectories(folder.resolve('packer/files'))
        Files.writeString(folder.resolve('packer/files/a.conf'), 'x')
        Files.writeString(folder.resolve('packer/t.pkr.hcl'), """
source "azure-arm" "web" {
${SOURCE}
}
build {
  sources = ["source.azure-arm.web"]
  provisioner "file" {
    source = "\${path.root}/files/a.conf"
    destination = "/tmp/a.conf"
  }
  provisioner "file" {
    source = "../../outside.conf"
    destination = "/tmp/b.conf"
  }
}
""")

        when:
        def result = Importer.run(folder.resolve('packer/t.pkr.hcl'), folder)

        then:
        result.groovy().contains("source 'packer/files/a.conf'")
        result.todos()[0].startsWith("source at t.pkr.hcl:19 — '../../outside.conf' is outside the output's folder")
    }

    def "shell-local, ansible, puppet-masterless, breakpoint, only/except, the error-cleanup provisioner and the manifest post-processor are carried over"() {
        given:
        Files.writeString(folder.resolve('site.yml'), '- hosts: all\n')
        Files.writeString(folder.resolve('site.pp'), 'notify { "hi": }\n')

        when:
        def result = importHcl('', '''
  provisioner "shell-local" {
    inline = ["echo local"]
  }
  provisioner "ansible" {
    playbook_file = "site.yml"
    extra_arguments = ["--tags", "web"]
    user = "azureuser"
  }
  provisioner "puppet-masterless" {
    manifest_file = "site.pp"
    facter = { role = "web" }
    prevent_sudo = true
  }
  provisioner "breakpoint" {
    note = "look"
    disable = true
  }
  provisioner "shell" {
    only = ["azure-arm.other"]
    inline = ["echo never"]
  }
  provisioner "shell" {
    except = ["azure-arm.other"]
    inline = ["echo always"]
  }
  error-cleanup-provisioner "shell" {
    inline = ["journalctl -n 50"]
  }
  post-processor "manifest" {
    output = "out.json"
    strip_path = true
  }''')
        def build = plan(result).builds()[0]

        then:
        result.todos() == []
        result.groovy().contains("provision shellLocal {\n    inline 'echo local'\n}")
        result.groovy().contains("playbook 'site.yml'")
        result.groovy().contains("extraArguments '--tags', 'web'")
        result.groovy().contains("manifest 'site.pp'")
        result.groovy().contains("facts role: 'web'")
        result.groovy().contains("preventSudo true")
        result.groovy().contains("note 'look'")
        result.groovy().contains("disabled true")
        result.groovy().contains('runs on no azure-arm source: not imported')
        result.groovy().contains("onError {\n    provision shell {\n        inline 'journalctl -n 50'")
        result.groovy().contains("post manifest {\n    output 'out.json'\n    stripPath true\n}")
        build.steps()*.spec()*.getClass()*.simpleName == ['ShellLocalStep', 'AnsibleStep', 'PuppetStep', 'BreakpointStep', 'ShellStep']
        build.onError().size() == 1
        build.post().size() == 1
    }

    def "puppet-server, chef-solo, chef-client, salt-masterless, ansible-local and goss become imagebake's steps, their options in camelCase"() {
        given:
        ['cookbooks/web/recipes/default.rb', 'salt/top.sls', 'pillar/top.sls', 'ansible/site.yml', 'goss.yaml',
         'certs/web.pem', 'validation.pem'].each {
            Path file = folder.resolve(it)
            Files.createDirectories(file.parent)
            Files.writeString(file, 'x\n')
        }

        when:
        def result = importHcl('', '''
  provisioner "puppet-server" {
    puppet_server = "puppet.example.com"
    puppet_node = "web-01"
    client_cert_path = "certs"
    staging_dir = "/tmp/ps"
    options = "--verbose"
    facter = { role = "web" }
  }
  provisioner "chef-solo" {
    cookbook_paths = ["cookbooks"]
    run_list = ["recipe[web]"]
    json = { nginx = { port = 8080 } }
    version = "18"
  }
  provisioner "chef-client" {
    server_url = "https://chef.example.com"
    run_list = ["recipe[web]"]
    validation_key_path = "validation.pem"
    node_name = "web-01"
  }
  provisioner "salt-masterless" {
    local_state_tree = "salt"
    local_pillar_roots = "pillar"
    custom_state = "web"
    disable_sudo = false
    no_exit_on_failure = true
  }
  provisioner "ansible-local" {
    playbook_file = "ansible/site.yml"
    playbook_dir = "ansible"
    extra_arguments = ["-e", "x=1"]
    inventory_groups = ["web"]
  }
  provisioner "goss" {
    tests = ["goss.yaml"]
    retry_timeout = "30s"
  }''')
        def steps = plan(result).builds()[0].steps()*.spec()

        then:
        result.todos() == []
        steps*.kind() == ['puppetServer', 'chef', 'chefClient', 'salt', 'ansibleLocal', 'goss']
        steps[0].puppetServer() == 'puppet.example.com'
        steps[0].clientCertPath() == 'certs'
        steps[0].tool().stagingDirectory() == '/tmp/ps'
        steps[0].facts() == [role: 'web']
        result.groovy().contains("extraArguments '--verbose'")
        result.groovy().contains("cookbookPaths 'cookbooks'")
        result.groovy().contains("runList 'recipe[web]'")
        result.groovy().contains("version '18'")
        result.groovy().contains("serverUrl 'https://chef.example.com'")
        result.groovy().contains("validationKeyPath 'validation.pem'")
        result.groovy().contains("localStateTree 'salt'")
        result.groovy().contains("customState 'web'")
        result.groovy().contains("preventSudo false")
        result.groovy().contains("noExitOnFailure true")
        result.groovy().contains("playbook 'ansible/site.yml'")
        result.groovy().contains("inventoryGroups 'web'")
        result.groovy().contains("tests 'goss.yaml'")
        result.groovy().contains("retryTimeout '30s'")
    }

    def "the values of a pkrvars file go to --var-file-out, those of an auto.pkrvars file become defaults"() {
        given:
        Files.writeString(folder.resolve('a.pkr.hcl'), "variable \"size\" {}\nvariable \"region\" {}\nsource \"azure-arm\" \"web\" {\n${SOURCE}\n  vm_size = var.size\n}\nbuild {\n  sources = [\"source.azure-arm.web\"]\n}\n")
        Files.writeString(folder.resolve('dev.pkrvars.hcl'), 'size = "Standard_B2s"\n')
        Files.writeString(folder.resolve('x.auto.pkrvars.hcl'), 'region = "westeurope"\n')

        when:
        def result = Importer.run(folder, folder)

        then:
        result.varFile() == '{"size":"Standard_B2s"}'
        result.groovy().contains("variable 'region', default: 'westeurope'")
        result.groovy().contains("variable 'size'\n")
        run('import', '--out', folder.resolve('t.imagebake.groovy').toString(), '--var-file-out',
                folder.resolve('vars.json').toString(), folder.toString())[0] == 0
        Files.readString(folder.resolve('vars.json')) == '{"size":"Standard_B2s"}\n'
    }

    @Unroll
    def "the function #packer becomes #groovy"() {
        expect:
        importHcl('', '', "locals {\n  x = ${packer}\n}").groovy().contains("def x = ${groovy}")

        where:
        packer                                        || groovy
        'timestamp()'                                 || "timestamp('yyyy-MM-dd\\'T\\'HH:mm:ss\\'Z\\'')"
        'formatdate("YYYY.MMDD.hhmm", timestamp())'   || "timestamp('yyyy.MMdd.HHmm')"
        'lower("AB")'                                 || "'AB'.toLowerCase()"
        'upper("ab")'                                 || "'ab'.toUpperCase()"
        'join("-", ["a", "b"])'                       || "(['a', 'b']).join('-')"
        'split(",", "a,b")'                           || "'a,b'.split('\\\\Q,\\\\E').toList()"
        'replace("a-b", "-", "_")'                    || "'a-b'.replace('-', '_')"
        'regex_replace("a-b", "[-]", "")'             || "'a-b'.replaceAll('[-]', '')"
        'concat(["a"], ["b"])'                        || "(['a']) + (['b'])"
        'merge({a = 1}, {b = 2})'                     || "([a: 1]) + ([b: 2])"
        'coalesce("", "b")'                           || "'' ?: 'b'"
        'lookup({a = 1}, "a", 2)'                     || "([a: 1]).getOrDefault('a', 2)"
    }

    @Unroll
    def "the JSON template function #packer becomes #groovy"() {
        expect:
        GoTemplate.translate(packer, 'web').groovy() == groovy

        where:
        packer                                 || groovy
        '{{user `name`}}'                      || 'var.name'
        '{{ user `name` }}-x'                  || '"${var.name}-x"'
        '{{env `HOME`}}'                       || "env('HOME')"
        '{{timestamp}}'                        || 'timestamp()'
        '{{isotime "2006-01-02"}}'             || "timestamp('yyyy-MM-dd')"
        '{{template_dir}}/scripts/a.sh'        || "'./scripts/a.sh'"
        '{{build_name}}'                       || "'web'"
        '{{user `os` | lower}}'                || 'var.os.toLowerCase()'
        '{{ split (user `v`) "-" 0 }}'         || "var.v.split('\\\\Q-\\\\E').toList()[0]"
    }

    def "the exit code is 0 for a clean import, 1 with work to do, 2 for input that cannot be read; --check prints only the list"() {
        given:
        Files.writeString(folder.resolve('clean.pkr.hcl'), "source \"azure-arm\" \"web\" {\n${SOURCE}\n}\nbuild {\n  sources = [\"source.azure-arm.web\"]\n}\n")
        Files.writeString(folder.resolve('todo.json'), '{"builders": [{"type": "azure-arm", "location": "westeurope", "image_publisher": "a", "image_offer": "b", "image_sku": "c", "managed_image_name": "m", "managed_image_resource_group_name": "r", "image_url": "x"}]}')
        Files.writeString(folder.resolve('broken.json'), '{"builders": [}')
        Files.writeString(folder.resolve('broken.pkr.hcl'), 'source "azure-arm" "x" {\n  location = @\n}\n')

        expect:
        run('import', folder.resolve('clean.pkr.hcl').toString())[0] == 0
        run('import', '--check', folder.resolve('todo.json').toString()).take(2) == [1,
                'image_url at todo.json:1 — a VHD as source is not supported: use a managed image or a gallery version\n']
        run('import', folder.resolve('broken.json').toString()) == [2, '', 'Error: broken.json:1:15: unexpected character \'}\'\n']
        run('import', folder.resolve('broken.pkr.hcl').toString()) == [2, '',
                'Error: broken.pkr.hcl:2:14: Illegal character <(@) - state: 14>\n']
        run('import', folder.resolve('missing.json').toString())[0] == 2
    }

    def "--out and --var-file-out into folders that do not exist yet create them"() {
        given:
        Files.writeString(folder.resolve('web.pkr.hcl'), "source \"azure-arm\" \"web\" {\n${SOURCE}\n}\nvariable \"team\" {\n  type = string\n}\nbuild {\n  sources = [\"source.azure-arm.web\"]\n}\n")
        Files.writeString(folder.resolve('dev.pkrvars.hcl'), 'team = "web"\n')
        Path out = folder.resolve('imported/web.imagebake.groovy')
        Path vars = folder.resolve('imported/vars/dev.json')

        when:
        def result = run('import', '--out', out.toString(), '--var-file-out', vars.toString(), folder.toString())

        then:
        result[0] == 0
        Files.readString(out).contains("builder azure('web') {")
        Files.readString(vars) == '{"team":"web"}\n'
    }

    static List run(String... args) {
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(err, true, 'UTF-8'), args)
        [code, out.toString('UTF-8'), err.toString('UTF-8')]
    }
}
