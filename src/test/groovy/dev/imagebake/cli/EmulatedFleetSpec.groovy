package dev.imagebake.cli

import dev.imagebake.builder.azure.AzureClients
import dev.imagebake.builder.azure.AzureCloud
import dev.imagebake.builder.azure.OpenSshKeys
import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.arm.Operations
import dev.imagebake.plan.AzureBuilderSpec
import dev.imagebake.plan.ScaleSetPost
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration

/**
 * The scale set `build --emulator` makes for a `post scaleSet`: its admin user takes the key the health block names,
 * so the health check works while the emulator's data folder is a temporary one; the path is printed either way.
 */
class EmulatedFleetSpec extends Specification {
    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    AzureClients clients

    def setupSpec() {
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('data'), 0,
                new Operations.Settings(0, 1, Duration.ofSeconds(10))))
        clients = new AzureClients(AzureCloud.resolve(AzureBuilderSpec.Auth.DEFAULT, emulator.cloudFile(), dir, [:]))
    }

    def cleanupSpec() {
        emulator?.close()
    }

    private static ScaleSetPost target(String name, String keyFile) {
        new ScaleSetPost('fleet', name, ScaleSetPost.Upgrade.AUTO, null, null, null, keyFile == null ? null
                : new ScaleSetPost.Health('true', 'azureuser', keyFile, null, null, Duration.ofMinutes(1)), false,
                ScaleSetPost.ImageChoice.GALLERY)
    }

    private String ensure(ScaleSetPost target) {
        def err = new ByteArrayOutputStream()
        EmulatedFleet.ensure(clients, target, 'westeurope', new AzureBuilderSpec.Marketplace('Canonical',
                '0001-com-ubuntu-server-jammy', '22_04-lts-gen2', null), dir.resolve('data'), dir.resolve('template'),
                new PrintStream(err, true, 'UTF-8'))
        err.toString('UTF-8')
    }

    private String adminKey(String name) {
        clients.compute().virtualMachineScaleSets.getByResourceGroup('fleet', name).virtualMachineProfile().osProfile()
                .linuxConfiguration().ssh().publicKeys()[0].keyData()
    }

    def "a scale set made for a health block that names an existing key should let that key log in, and say so"() {
        given: 'an OpenSSH private key with no .pub beside it, where the health block says'
        def key = OpenSshKeys.generate('mine')
        Path file = dir.resolve('template/keys/fleet')
        Files.createDirectories(file.parent)
        Files.writeString(file, key.privateKeyText())

        when:
        String said = ensure(target('web', 'keys/fleet'))

        then:
        said == 'Created scale set fleet/web (3 instances of the source image, policy Manual) for post scaleSet to ' +
                "roll out to; its admin user azureuser logs in with $file (the health block's key)\n"
        key.publicLine().startsWith(adminKey('web') + ' ')
        !Files.exists(dir.resolve('data/fleet-keys/fleet_web'))

        when: 'the next build on the same data finds it'
        said = ensure(target('web', 'keys/fleet'))

        then:
        said == "Scale set fleet/web exists; its admin user azureuser logs in with $file\n"
    }

    def "without a key file to use, a key is made in the data folder and its path printed"() {
        when:
        String said = ensure(target('other', null))

        then:
        said.endsWith("its admin user azureuser logs in with ${dir.resolve('data/fleet-keys/fleet_other')}\n")
        Files.readString(dir.resolve('data/fleet-keys/fleet_other')).startsWith('-----BEGIN OPENSSH PRIVATE KEY-----')
    }
}
