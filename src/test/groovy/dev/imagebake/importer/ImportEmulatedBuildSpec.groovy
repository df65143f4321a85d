package dev.imagebake.importer

import dev.imagebake.testsupport.TemplateRun
import dev.imagebake.util.Json
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path

/**
 * An imported corpus template (10, azure-isucon13: HCL2 over three files, marketplace source, managed image and
 * gallery version, two shell steps) builds end to end against the built-in emulator.
 */
class ImportEmulatedBuildSpec extends Specification {
    @TempDir
    Path folder

    @TempDir
    Path emulator

    def "the imported isucon13 template builds against the emulator"() {
        given: "the Packer folder, with its sample auto.pkrvars filled in as its README asks, for the emulator's identity"
        Path packer = folder.resolve('packer')
        Files.createDirectories(packer)
        Path corpus = Path.of('src/test/resources/packer/10-azure-isucon13')
        ['builds.pkr.hcl', 'sources.pkr.hcl', 'variables.pkr.hcl'].each { Files.copy(corpus.resolve(it), packer.resolve(it)) }
        def identity = [tenantId: UUID.randomUUID().toString(), subscriptionId: UUID.randomUUID().toString(),
                        clientId: UUID.randomUUID().toString(), clientSecret: 'emulated-secret-0123456789',
                        tokenKey: 'emulated-token-key-0123456789012345']
        Files.writeString(emulator.resolve('identity.json'), Json.write(identity))
        Files.writeString(packer.resolve('variables.auto.pkrvars.hcl'),
                Files.readString(corpus.resolve('variables.auto.pkrvars.hcl.sample'))
                        .replace('<client_id>', identity.clientId).replace('<client_secret>', identity.clientSecret)
                        .replace('<tenant_id>', identity.tenantId).replace('<subscription_id>', identity.subscriptionId)
                        + 'shared_gallery_image_version_exclude_from_latest = false\n'
                        // The gallery definition the emulator makes is Hyper-V generation 2, as is this sku.
                        + 'image_sku = "22_04-lts-gen2"\n')

        and: "stand-ins: the emulated VM has no cloud-init to wait for, and provision.sh (which downloads and builds " +
                "the contest's whole stack) is replaced by a script doing the same kind of work: packages' config, a user, a service file"
        Files.writeString(packer.resolve('builds.pkr.hcl'), Files.readString(packer.resolve('builds.pkr.hcl'))
                .replace('/usr/bin/cloud-init status --wait', 'test -d /etc && echo cloud-init stand-in: ready'))
        Files.writeString(packer.resolve('provision.sh'), '''#!/bin/bash
set -ex
sudo mkdir -p /home/isucon-standin/webapp
echo 'isucon13 stand-in' | sudo tee /home/isucon-standin/webapp/README
printf '[Unit]\\nDescription=isupipe stand-in\\n' | sudo tee /etc/isupipe-standin.service
echo provisioned
''')

        when:
        def result = Importer.run(packer, folder)
        def run = TemplateRun.emulated(folder, result.groovy(), emulator)

        then:
        result.todos() == []
        result.groovy().contains("script 'packer/provision.sh'")
        run.code == 0
        run.out.contains('cloud-init stand-in: ready')
        run.out.contains('provisioned')
    }
}
