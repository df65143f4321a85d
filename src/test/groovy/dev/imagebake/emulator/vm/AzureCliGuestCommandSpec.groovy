package dev.imagebake.emulator.vm

import dev.imagebake.emulator.AzureCli
import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.arm.Operations
import groovy.json.JsonOutput
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.security.KeyPairGenerator
import java.security.interfaces.RSAPublicKey
import java.time.Duration

import static dev.imagebake.emulator.AzureCli.ok

/**
 * The real Azure CLI (Debian's 2.45, hybrid profile: see {@code AzureCliSpec}) running commands inside the
 * emulator's sandboxed machines: {@code az vm run-command invoke}, {@code az vmss run-command invoke} on an instance,
 * and {@code az vm extension set} with CustomScript. What the commands print comes from the machine itself: its
 * hostname and boot id, and files the commands leave there, read back by a second run command.
 */
@Stepwise
class AzureCliGuestCommandSpec extends Specification {
    static final String PROFILE = '2020-09-01-hybrid'
    static final String RG = 'guest-rg'

    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    Map cloud

    @Shared
    AzureCli az

    @Shared
    Path keyFile

    def setupSpec() {
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('emulator'), 0,
                new Operations.Settings(1, 0, Duration.ofSeconds(10)), Emulator.Machines.SANDBOX))
        cloud = new JsonSlurper().parse(emulator.cloudFile().toFile()) as Map
        Files.createDirectories(dir.resolve('az'))
        az = new AzureCli(dir.resolve('az'), emulator.caCertificate())
        keyFile = dir.resolve('id_rsa.pub')
        Files.writeString(keyFile, sshPublicKey() + '\n')
        az.signInTo(emulator)
        ok(az.run(['group', 'create', '-n', RG, '-l', 'westeurope']))
    }

    def cleanupSpec() {
        emulator?.close()
    }

    def "should run a shell script in a VM with az vm run-command invoke and show what the machine printed"() {
        given:
        def created = ok(az.run(['vm', 'create', '-g', RG, '-n', 'guest-vm', '--image', 'UbuntuLTS',
                                 '--computer-name', 'guest-host', '--admin-username', 'azureuser',
                                 '--ssh-key-values', keyFile.toString(), '--public-ip-sku', 'Standard']))

        when:
        def result = ok(az.run(['vm', 'run-command', 'invoke', '-g', RG, '-n', 'guest-vm', '--command-id',
                                'RunShellScript', '--scripts', 'hostname; cat /proc/sys/kernel/random/boot_id',
                                'echo "as $(id -un) with $1 and $greeting" >&2',
                                '--parameters', 'greeting=hello']))
        def value = result.value as List
        def stdout = (value[0].message =~ /(?s)\[stdout\]\n(.*)\n\[stderr\]/)[0][1] as String

        then:
        created.powerState == 'VM running'
        value.size() == 1
        value[0].code == 'ProvisioningState/succeeded'
        value[0].level == 'Info'
        value[0].displayStatus == 'Provisioning succeeded'
        value[0].message.startsWith('Enable succeeded: \n[stdout]\nguest-host\n')
        value[0].message.endsWith('\n[stderr]\nas root with hello and hello\n')
        stdout.readLines()[0] == 'guest-host'
        stdout.readLines()[1] ==~ /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/
    }

    def "should fail az vm run-command invoke with the script's exit status and output when the script fails"() {
        when:
        def result = az.run(['vm', 'run-command', 'invoke', '-g', RG, '-n', 'guest-vm', '--command-id',
                             'RunShellScript', '--scripts', 'echo partial; echo broken >&2; exit 3'])

        then:
        result.exitCode == 1
        result.err.contains('(VMExtensionProvisioningError) VM has reported a failure when processing extension'
                + " 'RunCommandLinux' (publisher 'Microsoft.CPlat.Core' and type 'RunCommandLinux')."
                + " Error message: 'Enable failed: failed to execute command: command terminated with exit status=3"
                + '\n[stdout]\npartial\n\n[stderr]\nbroken\n\'.')
    }

    def "should list the CustomScript extension image and its versions"() {
        when:
        def images = ok(az.run(['vm', 'extension', 'image', 'list', '-l', 'westeurope', '-p',
                                'Microsoft.Azure.Extensions', '-n', 'CustomScript'])) as List
        def latest = ok(az.run(['vm', 'extension', 'image', 'list', '-l', 'westeurope', '-p',
                                'Microsoft.Azure.Extensions', '-n', 'CustomScript', '--latest'])) as List

        then:
        images*.version.contains('2.1.10')
        images.every { it.publisher == 'Microsoft.Azure.Extensions' && it.name == 'CustomScript' }
        latest*.version == ['2.1.10']
    }

    def "should run CustomScript's commandToExecute in the VM with az vm extension set"() {
        when:
        def extension = ok(az.run(['vm', 'extension', 'set', '-g', RG, '--vm-name', 'guest-vm', '--publisher',
                                   'Microsoft.Azure.Extensions', '--name', 'CustomScript', '--settings',
                                   '{"commandToExecute":"echo hi > /root/ran; pwd; echo done"}',
                                   '--protected-settings', '{"marker":"s3cret-marker"}']))
        def shown = ok(az.run(['vm', 'extension', 'show', '-g', RG, '--vm-name', 'guest-vm', '-n', 'CustomScript',
                               '--instance-view']))
        def view = ok(az.run(['vm', 'get-instance-view', '-g', RG, '-n', 'guest-vm']))
        def listed = ok(az.run(['vm', 'extension', 'list', '-g', RG, '--vm-name', 'guest-vm'])) as List
        def proof = ok(az.run(['vm', 'run-command', 'invoke', '-g', RG, '-n', 'guest-vm', '--command-id',
                               'RunShellScript', '--scripts', 'cat /root/ran']))

        then:
        extension.provisioningState == 'Succeeded'
        extension.typeHandlerVersion == '2.1'
        extension.settings == [commandToExecute: 'echo hi > /root/ran; pwd; echo done']
        extension.protectedSettings == null
        !JsonOutput.toJson(shown).contains('s3cret-marker')
        shown.instanceView.statuses[0].code == 'ProvisioningState/succeeded'
        shown.instanceView.statuses[0].message ==
                'Enable succeeded: \n[stdout]\n/var/lib/waagent/custom-script/download/0\ndone\n\n[stderr]\n'
        shown.instanceView.substatuses*.code == ['ComponentStatus/StdOut/succeeded', 'ComponentStatus/StdErr/succeeded']
        view.instanceView.extensions*.type == ['Microsoft.Azure.Extensions.CustomScript']
        listed*.name == ['CustomScript']
        listed[0].typePropertiesType == 'CustomScript'
        view.instanceView.extensions[0].typeHandlerVersion == '2.1.10'
        proof.value[0].message == 'Enable succeeded: \n[stdout]\nhi\n\n[stderr]\n'
        !Files.readString(dir.resolve('emulator/state.json')).contains('s3cret-marker')
    }

    def "should leave a CustomScript extension whose command fails Failed, with Azure's error"() {
        when:
        def result = az.run(['vm', 'extension', 'set', '-g', RG, '--vm-name', 'guest-vm', '--publisher',
                             'Microsoft.Azure.Extensions', '--name', 'CustomScript', '--protected-settings',
                             '{"commandToExecute":"echo nope >&2; false"}'])
        def shown = ok(az.run(['vm', 'extension', 'show', '-g', RG, '--vm-name', 'guest-vm', '-n', 'CustomScript']))

        then:
        result.exitCode == 1
        result.err.contains("(VMExtensionProvisioningError) VM has reported a failure when processing extension"
                + " 'CustomScript' (publisher 'Microsoft.Azure.Extensions' and type 'CustomScript'). Error message:"
                + " 'Enable failed: failed to execute command: command terminated with exit status=1\n[stdout]\n\n"
                + "[stderr]\nnope\n'.")
        shown.provisioningState == 'Failed'
    }

    def "should run a shell script on a scale set instance with az vmss run-command invoke"() {
        given:
        ok(az.run(['vmss', 'create', '-g', RG, '-n', 'guest-vmss', '--image', 'UbuntuLTS', '--instance-count', '1',
                   '--vm-sku', 'Standard_B1s', '--lb', '', '--computer-name-prefix', 'guestss',
                   '--admin-username', 'azureuser', '--ssh-key-values', keyFile.toString()]))
        def instance = (ok(az.run(['vmss', 'list-instances', '-g', RG, '-n', 'guest-vmss'])) as List)[0]

        when:
        def result = ok(az.run(['vmss', 'run-command', 'invoke', '-g', RG, '-n', 'guest-vmss', '--instance-id',
                                instance.instanceId as String, '--command-id', 'RunShellScript', '--scripts',
                                'hostname; touch /root/instance-ran && ls /root/instance-ran']))

        then:
        instance.osProfile.computerName.startsWith('guestss')
        result.value[0].code == 'ProvisioningState/succeeded'
        result.value[0].message == "Enable succeeded: \n[stdout]\n${instance.osProfile.computerName}\n" +
                '/root/instance-ran\n\n[stderr]\n'
    }

    private static String sshPublicKey() {
        def generator = KeyPairGenerator.getInstance('RSA')
        generator.initialize(2048)
        def key = generator.generateKeyPair().public as RSAPublicKey
        def out = new ByteArrayOutputStream()
        def data = new DataOutputStream(out)
        [('ssh-rsa'.bytes), key.publicExponent.toByteArray(), key.modulus.toByteArray()].each {
            data.writeInt(it.length)
            data.write(it)
        }
        'ssh-rsa ' + Base64.encoder.encodeToString(out.toByteArray()) + ' guest@imagebake'
    }
}
