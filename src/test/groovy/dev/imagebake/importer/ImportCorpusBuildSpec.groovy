package dev.imagebake.importer

import dev.imagebake.cli.Main
import dev.imagebake.util.Json
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path

/**
 * Linux templates of the corpus (src/test/resources/packer, provenance in its README), imported with
 * `imagebake import` and built against the built-in emulator, each after the work its to-do list asks for, done as
 * a user would: values for its variables, stand-ins for the scripts and files it references that are not public (or
 * that need the internet), and an edit where the to-do list says one is needed. Each edit names the text it
 * replaces, so that a change in what the importer writes fails here rather than going unnoticed.
 */
class ImportCorpusBuildSpec extends Specification {
    static final Path CORPUS = Path.of('src/test/resources/packer')

    @TempDir
    Path work

    /** The emulator's service principal; templates that sign in with one are given it as variables. */
    Map<String, String> identity = [tenantId: UUID.randomUUID().toString(), subscriptionId: UUID.randomUUID().toString(),
                                    clientId: UUID.randomUUID().toString(), clientSecret: 'emulated-secret-0123456789',
                                    tokenKey: 'emulated-token-key-0123456789012345']

    /** Copies a corpus template's folder and imports it into FOLDER/OUT/imported.imagebake.groovy. */
    Map importCorpus(String folder, String input = '', String outFolder = '') {
        Path copy = work.resolve(folder)
        copyTree(CORPUS.resolve(folder), copy)
        Path template = copy.resolve(outFolder).resolve('imported.imagebake.groovy')
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(err, true, 'UTF-8'), [:],
                'import', '--out', template.toString(), copy.resolve(input).toString())
        [code: code, folder: copy, template: template, text: Files.readString(template), err: err.toString('UTF-8')]
    }

    /** Replaces text the import wrote; the text must be there. */
    static void edit(Path file, String from, String to) {
        String text = Files.readString(file)
        assert text.contains(from), "the imported template no longer contains: ${from}"
        Files.writeString(file, text.replace(from, to))
    }

    static void standIn(Path folder, String path, String content) {
        Path file = folder.resolve(path)
        Files.createDirectories(file.parent)
        Files.writeString(file, content)
    }

    /** `imagebake build --emulator` of the imported template, with these variables. */
    Map build(Path template, Map<String, String> vars, List<String> extra = []) {
        Path data = work.resolve('emulator')
        Files.createDirectories(data)
        Files.writeString(data.resolve('identity.json'), Json.write(identity))
        List<String> args = ['build', '--emulator', '--emulator-data', data.toString()]
        vars.each { k, v -> args += ['-var', "${k}=${v}".toString()] }
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(err, true, 'UTF-8'), [:],
                (args + extra + [template.toString()]) as String[])
        [code: code, out: out.toString('UTF-8'), err: err.toString('UTF-8')]
    }

    Map<String, String> servicePrincipal() {
        [subscription_id: identity.subscriptionId, tenant_id: identity.tenantId, client_id: identity.clientId,
         client_secret: identity.clientSecret]
    }

    static void copyTree(Path from, Path to) {
        Files.walk(from).withCloseable { paths ->
            paths.each { Path p ->
                Path target = to.resolve(from.relativize(p).toString())
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target)
                } else {
                    Files.copy(p, target)
                }
            }
        }
    }

    def "02 markti baseline-ubuntu-2004 (HCL2 over five files, pkrvars, gallery in two regions) builds"() {
        given:
        def imported = importCorpus('02-markti-baseline-ubuntu-2004')
        Path varFile = imported.folder.resolve('vars.json')
        Main.run(new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream()), [:],
                'import', '--var-file-out', varFile.toString(), imported.folder.toString())

        and: "the upgrade needs the internet: a stand-in that runs apt offline"
        edit(imported.template, "inline 'apt update && apt upgrade -y'",
                "inline 'apt-get --version | head -n 1 && echo apt-upgrade stand-in: done'")

        when: "the variables the README passes, env-dev.pkrvars.hcl as -var-file"
        def run = build(imported.template, servicePrincipal() + [primary_location: 'westeurope',
                image_name: 'baseline-ubuntu-2004', image_version: '1.0.0', agent_ipaddress: '127.0.0.1'],
                ['-var-file', varFile.toString()])

        then:
        imported.code == 0
        imported.text.contains("sshUser 'packer'")
        imported.text.contains('The final `waagent -deprovision+user` step (build.pkr.hcl:11) is dropped')
        run.code == 0
        run.out.contains('apt-upgrade stand-in: done')
        run.out.contains('publishing baseline-ubuntu-2004 1.0.0 to westeurope, East US')
        run.out.contains('/galleries/galaztfmachineimagesdev/images/baseline-ubuntu-2004/versions/1.0.0')
        run.out =~ /vm\s+succeeded/
    }

    def "12 AgentBaker vhd-image-builder-sig (JSON, 38 uploads, a download, deprovision inside the last step) builds"() {
        given:
        def imported = importCorpus('12-agentbaker-vhd-sig', 'vhd-image-builder-sig.json')
        Path folder = imported.folder

        and: "stand-ins for the repository's files, and for the three scripts that run, doing the same kind of work"
        (imported.text =~ /source '([^'\/][^']*)'/).collect { it[1] }.unique().each {
            standIn(folder, it, "# stand-in for AgentBaker's ${it}\n")
        }
        standIn(folder, 'vhdbuilder/packer/install-dependencies.sh', '''#!/bin/bash
set -eux
mkdir -p /opt/azure/containers /etc/sysctl.d
cp /home/packer/sysctl-d-60-CIS.conf /etc/sysctl.d/60-CIS.conf
echo "FEATURE_FLAGS=${FEATURE_FLAGS} BUILD_NUMBER=${BUILD_NUMBER}" > /opt/azure/vhd-install.complete
echo "install-dependencies stand-in: done"
''')
        standIn(folder, 'parts/linux/cloud-init/artifacts/cis.sh', '''#!/bin/bash
set -eux
test -f /etc/sysctl.d/60-CIS.conf && echo "cis stand-in: checked"
''')
        standIn(folder, 'vhdbuilder/packer/cleanup-vhd.sh', '''#!/bin/bash
set -eux
rm -f /home/packer/*.sh && echo "cleanup-vhd stand-in: done"
''')

        when: "the variables its pipeline sets in the environment, given as -var"
        def run = build(imported.template, servicePrincipal() + [location: 'westeurope', vm_size: 'Standard_D4s_v3',
                build_number: '42', build_id: '7', commit: 'abc123', feature_flags: 'none', ubuntu_sku: '18.04',
                hyperv_generation: 'V1', sig_gallery_name: 'PackerSigGalleryEastUS', sig_image_name: '1804',
                sig_image_version: '1.0.42', create_time: '2026-12-07', resource_group_name: 'aksvhd'])

        then:
        imported.code == 1
        imported.text.contains("sshUser 'packer'")
        imported.text.contains('The final `waagent -deprovision+user` line of this step')
        run.code == 0
        run.out.contains('install-dependencies stand-in: done')
        run.out.contains('cis stand-in: checked')
        run.out.contains('cleanup-vhd stand-in: done')
        Files.readString(folder.resolve('release-notes.txt')) == 'FEATURE_FLAGS=none BUILD_NUMBER=42\n'
        run.out.contains('/galleries/PackerSigGalleryEastUS/images/1804/versions/1.0.42')
        run.out =~ /azure-arm\s+succeeded/
    }

    def "16 ibrahim4habeeb ubuntu20-sig (no variable declarations, regex_replace and formatdate of timestamp) builds"() {
        given:
        def imported = importCorpus('16-ibrahim4habeeb-ubuntu20-sig')

        and: "the emulated machine has no cloud-init to wait for"
        edit(imported.template, '/usr/bin/cloud-init status --wait', 'test -d /etc && echo cloud-init stand-in: done')

        when: "the undeclared variables the to-do list names, given as -var; no service principal (the CLI's sign-in)"
        def run = build(imported.template, [az_image_gallery: 'sig01', az_region: 'westeurope',
                az_resource_group: 'rg-images', prefix: 'ib', az_subscription_id: identity.subscriptionId])

        then:
        imported.code == 1
        run.code == 0
        run.out.contains('cloud-init stand-in: done')
        run.out =~ /managed image \/subscriptions\/[^\/]+\/resourceGroups\/rg-images\/providers\/Microsoft.Compute\/images\/ib-ubuntu20-\d{14}\n/
        run.out =~ /galleries\/sig01\/images\/ubuntu20-base\/versions\/\d{4}\.\d{4}\.\d{4}\n/
        run.out =~ /base\s+succeeded/
    }

    def "15 iterative cml (HCL2 over four files, three clouds, a script above the template's folder, manifest) builds"() {
        given:
        def imported = importCorpus('15-iterative-cml', 'packer', 'packer')
        Path template = imported.template

        and: "the to-do list: VHD capture is not supported, so a managed image; the script is one folder up"
        edit(template, '    // TODO(import): capture_container_name at azure.pkr.hcl:36',
                '    managedImage image_name, resourceGroup: var.azure_resource_group\n'
                        + '    // TODO(import): capture_container_name at azure.pkr.hcl:36')

        and: "setup.sh installs Docker, Terraform, Node.js and NVIDIA drivers from the internet: a stand-in with its shape"
        standIn(imported.folder, 'provisioner/setup.sh', '''#/bin/sh
FILE=/var/log/cml_stack.log
if [ ! -f "$FILE" ]; then
  echo "APT::Get::Assume-Yes \\"true\\";" | sudo tee -a /etc/apt/apt.conf.d/90assumeyes
  sudo mkdir -p /opt/cml-standin && echo terraform nodejs docker | sudo tee /opt/cml-standin/stack
  echo "cml setup stand-in: stack installed" | sudo tee "$FILE"
fi
''')

        when: "built from the packer folder, as Packer is run there, with --root .. as the to-do says"
        String cwd = System.getProperty('user.dir')
        def run = build(template, [azure_subscription_id: identity.subscriptionId, azure_tenant_id: identity.tenantId,
                azure_client_id: identity.clientId, azure_client_secret: identity.clientSecret],
                ['--root', imported.folder.toString()])
        assert run.code == 0, run.out + run.err
        def manifest = new groovy.json.JsonSlurper().parse(Path.of(cwd, 'manifest.json').toFile())

        then:
        imported.code == 1
        imported.text.contains("script at main.pkr.hcl:46 — './../provisioner/setup.sh' is outside the output's folder: "
                + "build (and validate) with --root ..")
        imported.text.contains('tags local_tags')
        run.code == 0
        run.out.contains('cml setup stand-in: stack installed')
        run.out =~ /source\s+succeeded/

        and: "the manifest reads as Packer's does"
        manifest.last_run_uuid == manifest.builds[-1].packer_run_uuid
        manifest.builds[-1].builder_type == 'azure'
        manifest.builds[-1].artifact_id ==~ /\/subscriptions\/.+\/resourceGroups\/cml-packer-resource-group\/providers\/Microsoft.Compute\/images\/iterative-cml-test/
        manifest.builds[-1].status == 'succeeded'

        cleanup:
        Files.deleteIfExists(Path.of(cwd, 'manifest.json'))
    }

    def "the bundled Packer example, imported next to itself as the README says, imports cleanly and builds"() {
        given:
        Path examples = work.resolve('dsl-examples')
        copyTree(Path.of('dsl-examples'), examples)
        Path template = examples.resolve('packer/web.imagebake.groovy')

        when:
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()
        int imported = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(err, true, 'UTF-8'), [:],
                'import', '--out', template.toString(), examples.resolve('packer/ubuntu-web.pkr.hcl').toString())
        def run = build(template, [:])

        then:
        imported == 0
        err.toString('UTF-8') == 'Imported; the result validates.\n'
        Files.readString(template).contains("source 'files/site.conf'")
        run.code == 0
        run.out.contains('uploaded files/site.conf to /tmp/site.conf')
        run.out.contains('publishing web 1.4.0 to westeurope, northeurope')
        run.out =~ /web\s+succeeded/

        cleanup:
        Files.deleteIfExists(Path.of('manifest.json'))
    }

    def "08 actions/runner-images ubuntu2004 (JSON, 25 steps, 64 scripts, folder uploads, a reboot, a download) builds"() {
        given:
        def imported = importCorpus('08-runner-images-ubuntu2004', 'ubuntu2004.json')
        Path folder = imported.folder

        and: "stand-ins for its 64 scripts (not in the corpus), each saying it ran; those whose work later steps use do it"
        (imported.text =~ /'(scripts\/[^']+\.sh)'/).collect { it[1] }.unique().each {
            standIn(folder, it, "#!/bin/bash -e\necho \"${it.tokenize('/')[-1]} stand-in: done\"\n")
        }
        standIn(folder, 'scripts/helpers/install.sh', 'download_with_retries() { echo "$1"; }\n')
        standIn(folder, 'scripts/installers/preparemetadata.sh', '''#!/bin/bash -e
. "$HELPER_SCRIPTS/install.sh"
echo "Ubuntu 20.04 image $IMAGE_VERSION" > "$METADATA_FILE"
echo "preparemetadata stand-in: done"
''')
        standIn(folder, 'scripts/base/reboot.sh', '#!/bin/bash -e\ncat /proc/sys/kernel/random/boot_id > /var/tmp/ib-boot-before\n'
                + 'echo "reboot stand-in: rebooting"\nsudo reboot\n')
        standIn(folder, 'scripts/installers/homebrew-validate.sh', '''#!/bin/bash -e
if [ "$(cat /proc/sys/kernel/random/boot_id)" != "$(cat /var/tmp/ib-boot-before)" ]; then echo "a new boot id: the machine rebooted"; fi
echo "homebrew-validate.sh stand-in: done"
''')
        standIn(folder, 'config/ubuntu2004.conf', '[machine]\nimage=ubuntu2004\n')

        and: "the to-do list: VHD capture becomes a managed image; the upgrade needs the internet; two waits shortened for CI"
        edit(imported.template, '    // TODO(import): resource_group_name at ubuntu2004.json:42',
                '    managedImage "runner-${var.image_version}", resourceGroup: var.resource_group\n'
                        + '    // TODO(import): resource_group_name at ubuntu2004.json:42')
        edit(imported.template, "inline 'apt-get update', 'apt-get dist-upgrade -y', ", "inline 'apt-get --version | head -n 1', ")
        edit(imported.template, "    pauseBefore '30s'\n", "    pauseBefore '1s'\n")
        edit(imported.template, "    inline 'sleep 30'\n", "    inline 'sleep 1'\n")

        when: "its environment as -var; the image folder under /opt: the emulator keeps a new top-level folder such as " +
                "/imagegeneration only until the machine reboots (a gap of the emulator, not of the import)"
        String g = '/opt/imagegeneration'
        def run = build(imported.template, servicePrincipal() + [location: 'eastus', resource_group: 'runner-images',
                temp_resource_group_name: 'runner-build-1', github_feed_token: 'ghp_0123456789abcdefSECRET',
                image_version: '20261207.1', image_folder: g, commit_file: "${g}/commit.txt".toString(),
                imagedata_file: "${g}/imagedata.json".toString(), metadata_file: "${g}/metadatafile".toString(),
                installer_script_folder: "${g}/installers".toString(), helper_script_folder: "${g}/helpers".toString()])

        then:
        imported.code == 1
        imported.text.contains('The final `waagent -deprovision+user` line of this step')
        run.code == 0
        run.out.contains('uploaded scripts/helpers to /opt/imagegeneration/helpers (')
        run.out.contains('preparemetadata stand-in: done')
        run.out.contains('reboot stand-in: rebooting')
        // `reboot` returns before the machine goes down (on Azure too): the step either sees its connection drop
        // or exits 0 first, and with expect_disconnect both are success. What proves the reboot is the boot id the
        // next step (after its pause) reads.
        run.out.contains('a new boot id: the machine rebooted')
        run.out.contains('homebrew-validate.sh stand-in: done')
        (run.out =~ /stand-in: done/).size() >= 60
        Files.readString(folder.resolve('Ubuntu2004-README.md')) == 'Ubuntu 20.04 image 20261207.1\n'
        !run.out.contains('ghp_0123456789abcdefSECRET')
        run.out.contains('created resource group runner-build-1 in eastus')
        run.out =~ /azure-arm\s+succeeded/
    }

    def "05 arvados compute image (JSON, the build's own SSH key file, uploads, a bash script by execute_command) builds"() {
        given:
        def imported = importCorpus('05-arvados-compute-image-azure', 'arvados-images-azure.json')
        Path folder = imported.folder

        and: "the key pair its pipeline passes in PACKERPRIVKEY, made here"
        Files.createDirectories(folder.resolve('keys'))
        def keygen = new ProcessBuilder('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'arvados-build', '-f',
                folder.resolve('keys/packer').toString()).redirectErrorStream(true).start()
        assert keygen.waitFor() == 0, keygen.inputStream.text

        and: "stand-ins for the files the corpus does not hold; base.sh starts as arvados' does, with a #! line " +
                "Linux cannot run directly, and puts the uploaded files in place as the real one does"
        ['1078ECD7.asc', 'scripts/etc-systemd-system-systemd-modules-load.service.d-detect-gpu.conf',
         'scripts/usr-local-bin-detect-gpu.sh', 'scripts/usr-local-bin-ensure-encrypted-partitions.sh'].each {
            standIn(folder, it, "# stand-in for arvados' ${it}\n")
        }
        standIn(folder, 'scripts/base.sh', '''#!/bin/bash -euxo pipefail
cp "$WORKDIR/etc-apt-preferences.d-arvados.pref" /etc/apt/preferences.d/arvados.pref
install -D -m 0755 "$WORKDIR/usr-local-bin-detect-gpu.sh" /usr/local/bin/detect-gpu.sh
install -D -m 0600 "$WORKDIR/crunch-authorized_keys" /root/.ssh/crunch-authorized_keys.standin
echo "base.sh stand-in: CLOUD=$CLOUD GOVERSION=$GOVERSION done"
''')

        when:
        def run = build(imported.template, servicePrincipal() + [resource_group: 'arvados-images',
                arvados_cluster: 'xyzzy', image_sku: '18.04-LTS', goversion: '1.21.5',
                ssh_private_key_file: folder.resolve('keys/packer').toString(), public_key_file: 'keys/packer.pub'])

        then:
        imported.code == 1
        imported.text.contains("executeCommand 'sudo -S env {{.Vars}} /bin/bash \\'{{.Path}}\\''")
        imported.text.contains('sshPrivateKeyFile var.ssh_private_key_file')
        run.code == 0
        run.out.contains("the admin user packer gets the public key of ${folder.resolve('keys/packer')}")
        run.out.contains('uploaded keys/packer.pub to //tmp/crunch-authorized_keys (')
        run.out.contains('base.sh stand-in: CLOUD=azure GOVERSION=1.21.5 done')
        !run.out.contains('PRIVATE KEY')
        run.out =~ /managed image \/subscriptions\/.+\/resourceGroups\/arvados-images\/providers\/Microsoft.Compute\/images\/xyzzy-compute-v\d{14}\n/
        run.out =~ /azure-arm\s+succeeded/
    }
}
