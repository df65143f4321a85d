package dev.imagebake.emulator

import dev.imagebake.emulator.arm.Operations
import dev.imagebake.testsupport.Poll
import groovy.json.JsonSlurper
import net.schmizz.sshj.SSHClient
import net.schmizz.sshj.common.IOUtils
import net.schmizz.sshj.common.Buffer
import net.schmizz.sshj.transport.verification.HostKeyVerifier
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise
import spock.lang.TempDir

import java.nio.charset.StandardCharsets
import java.nio.file.Files
import java.nio.file.Path
import java.security.MessageDigest
import java.security.PublicKey
import java.time.Duration
import java.util.concurrent.TimeUnit

/**
 * A platform engineer's Azure CLI script, run command by command by the real {@code az} (Debian's 2.45, unmodified)
 * against the emulator with machines behind its VMs: a builder VM from the marketplace with the CLI's defaults,
 * run-command and a CustomScript extension that change it, its boot log, a snapshot of its disk and a disk and an
 * image from that snapshot, capture, gallery publishing, a scale set with the CLI's defaults (a load balancer with
 * an inbound NAT pool) reached over SSH through its NAT ports, run-command on an instance, a template deployment,
 * listings by tag and type, and the clean-up. Every command's output is checked, and where a command changes a
 * machine, the machine is asked (over SSH) whether it did.
 *
 * <p>The commands, in order, are counted in {@link #COMMANDS}; the last feature checks that at least 40 ran.
 */
@Stepwise
class AzureCliScriptSpec extends Specification {
    static final String PROFILE = '2020-09-01-hybrid'
    static final String RG = 'bake-rg'

    /** Every az command the script ran, in order. */
    @Shared
    List<List<String>> COMMANDS = []

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
    Path key

    @Shared
    Map shared = [:]

    /** The SHA256 fingerprint of the host key each address offered over SSH. */
    @Shared
    Map<String, String> hostKeys = [:]

    def setupSpec() {
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('emulator'), 0,
                new Operations.Settings(1, 0, Duration.ofSeconds(10)), Emulator.Machines.SANDBOX))
        cloud = new JsonSlurper().parse(emulator.cloudFile().toFile()) as Map
        Files.createDirectories(dir.resolve('az'))
        az = new AzureCli(dir.resolve('az'), emulator.caCertificate())
        key = dir.resolve('id_rsa')
        def keygen = new ProcessBuilder('ssh-keygen', '-q', '-t', 'rsa', '-b', '2048', '-N', '', '-C', 'script',
                '-f', key.toString()).redirectErrorStream(true).start()
        assert keygen.waitFor() == 0
    }

    def cleanupSpec() {
        emulator?.close()
    }

    def "signs in: registers the emulator as a cloud and logs in as its service principal"() {
        when:
        ok('cloud', 'register', '-n', 'imagebake', '--endpoint-resource-manager', emulator.endpoint(),
                '--profile', PROFILE)
        ok('cloud', 'set', '-n', 'imagebake')
        def accounts = ok('login', '--service-principal', '-u', cloud.clientId, '-p', cloud.clientSecret,
                '--tenant', cloud.tenantId) as List

        then:
        accounts[0].id == cloud.subscriptionId
        accounts[0].isDefault == true
        accounts[0].cloudName == 'imagebake'
    }

    def "creates a tagged resource group and a builder VM with the CLI's defaults"() {
        when:
        def group = ok('group', 'create', '-n', RG, '-l', 'westeurope', '--tags', 'team=platform')
        def vm = ok('vm', 'create', '-g', RG, '-n', 'builder', '--image',
                'Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest', '--size', 'Standard_B2s',
                '--admin-username', 'azureuser', '--ssh-key-values', publicKeyFile().toString(),
                '--public-ip-sku', 'Standard', '--tags', 'team=platform')
        shared.builderIp = vm.publicIpAddress

        then:
        group.tags == [team: 'platform']
        vm.powerState == 'VM running'
        vm.publicIpAddress ==~ /127\.\d+\.\d+\.\d+/
        ssh(vm.publicIpAddress as String, 22, 'hostname')[1].trim() == 'builder'
        (shared.builderHostKey = hostKeys[vm.publicIpAddress]) ==~ /SHA256:[A-Za-z0-9+\/]{43}/
    }

    def "runs a shell script on the builder with run-command"() {
        when:
        def result = ok('vm', 'run-command', 'invoke', '-g', RG, '-n', 'builder', '--command-id', 'RunShellScript',
                '--scripts', 'hostname; id -u; echo to-stderr >&2')
        String message = result.value[0].message

        then:
        result.value[0].code == 'ProvisioningState/succeeded'
        message.startsWith('Enable succeeded: \n[stdout]\nbuilder\n0\n')
        message.contains('[stderr]\nto-stderr')
    }

    def "configures the builder with a CustomScript extension found in the extension catalogue"() {
        when:
        def versions = ok('vm', 'extension', 'image', 'list-versions', '-l', 'westeurope',
                '--publisher', 'Microsoft.Azure.Extensions', '--name', 'CustomScript') as List
        def set = ok('vm', 'extension', 'set', '-g', RG, '--vm-name', 'builder', '--publisher',
                'Microsoft.Azure.Extensions', '--name', 'CustomScript', '--settings',
                '{"commandToExecute": "echo baked-by-extension > /etc/baked"}')
        def shown = ok('vm', 'extension', 'show', '-g', RG, '--vm-name', 'builder', '-n', 'CustomScript')
        def listed = ok('vm', 'extension', 'list', '-g', RG, '--vm-name', 'builder') as List
        def read = ok('vm', 'run-command', 'invoke', '-g', RG, '-n', 'builder', '--command-id', 'RunShellScript',
                '--scripts', 'cat /etc/baked')

        then:
        versions*.name.any { it.startsWith('2.') }
        set.provisioningState == 'Succeeded'
        set.typeHandlerVersion.startsWith('2.')
        shown.publisher == 'Microsoft.Azure.Extensions'
        listed*.name == ['CustomScript']
        read.value[0].message.contains('[stdout]\nbaked-by-extension\n')
        ssh(shared.builderIp as String, 22, 'cat /etc/baked')[1] == 'baked-by-extension\n'
    }

    def "reads the builder's serial log through boot diagnostics"() {
        when:
        ok('vm', 'boot-diagnostics', 'enable', '-g', RG, '-n', 'builder')
        def log = az.run(['vm', 'boot-diagnostics', 'get-boot-log', '-g', RG, '-n', 'builder'])
        COMMANDS << log.args

        then: 'the console ends with the login prompt, after the fingerprint of the host key SSH really offers'
        log.exitCode == 0
        log.out.contains('builder login:')
        log.out.contains(shared.builderHostKey as String)
    }

    def "stops the builder and snapshots its OS disk, then makes a disk and an image from the snapshot"() {
        when:
        ok('vm', 'deallocate', '-g', RG, '-n', 'builder')
        def disks = ok('disk', 'list', '-g', RG) as List
        def snapshot = ok('snapshot', 'create', '-g', RG, '-n', 'builder-snap', '--source', disks[0].name as String,
                '--tags', 'team=platform')
        def snapshots = ok('snapshot', 'list', '-g', RG) as List
        def disk = ok('disk', 'create', '-g', RG, '-n', 'from-snap', '--source', 'builder-snap')
        def image = ok('image', 'create', '-g', RG, '-n', 'image-from-snap', '--source', 'builder-snap',
                '--os-type', 'Linux', '--hyper-v-generation', 'V2')

        then:
        disks.size() == 1
        snapshot.provisioningState == 'Succeeded'
        snapshot.creationData.createOption == 'Copy'
        snapshot.creationData.sourceResourceId == disks[0].id
        snapshots*.name == ['builder-snap']
        disk.creationData.sourceResourceId == snapshot.id
        image.storageProfile.osDisk.snapshot.id == snapshot.id
    }

    def "generalizes and captures the builder, and publishes the image to a gallery"() {
        when:
        ok('vm', 'generalize', '-g', RG, '-n', 'builder')
        def image = ok('image', 'create', '-g', RG, '-n', 'web-image', '--source', 'builder')
        def images = ok('image', 'list', '-g', RG) as List
        ok('sig', 'create', '-g', RG, '-r', 'platform')
        ok('sig', 'image-definition', 'create', '-g', RG, '-r', 'platform', '-i', 'web', '--publisher', 'platform',
                '--offer', 'web', '--sku', 'jammy', '--os-type', 'Linux', '--hyper-v-generation', 'V2')
        def version = ok('sig', 'image-version', 'create', '-g', RG, '-r', 'platform', '-i', 'web', '-e', '1.0.0',
                '--managed-image', 'web-image', '--target-regions', 'westeurope')
        shared.versionId = version.id

        then:
        image.sourceVirtualMachine.id.endsWith('/virtualMachines/builder')
        images*.name as Set == ['web-image', 'image-from-snap'] as Set
        version.provisioningState == 'Succeeded'
        version.storageProfile.source.id == image.id
    }

    def "lists what the team owns, by tag and by type"() {
        when:
        def tagged = ok('resource', 'list', '--tag', 'team=platform') as List
        def snapshots = ok('resource', 'list', '-g', RG, '--resource-type', 'Microsoft.Compute/snapshots') as List

        then: 'az vm create tagged everything it made for the VM; images and the gallery were made untagged'
        tagged.collect { "${it.type}/${it.name}".toString() } as Set == [
                'Microsoft.Network/virtualNetworks/builderVNET', 'Microsoft.Network/networkSecurityGroups/builderNSG',
                'Microsoft.Network/publicIPAddresses/builderPublicIP', 'Microsoft.Network/networkInterfaces/builderVMNic',
                'Microsoft.Compute/virtualMachines/builder', 'Microsoft.Compute/snapshots/builder-snap'] as Set
        tagged.every { it.resourceGroup == RG }
        snapshots*.name == ['builder-snap']
    }

    def "creates a scale set from the gallery image with the CLI's defaults: a load balancer with NAT to each instance"() {
        when: "Debian's az has no SDK operations for azure-mgmt-network, so the balancer is read with az resource"
        def created = ok('vmss', 'create', '-g', RG, '-n', 'web', '--image', shared.versionId as String,
                '--instance-count', '2', '--vm-sku', 'Standard_B1s', '--admin-username', 'azureuser',
                '--ssh-key-values', publicKeyFile().toString())
        def lb = ok('resource', 'show', '-g', RG, '-n', 'webLB', '--resource-type', 'Microsoft.Network/loadBalancers',
                '--api-version', '2018-11-01')
        def ip = ok('resource', 'show', '-g', RG, '-n', 'webLBPublicIP', '--resource-type',
                'Microsoft.Network/publicIPAddresses', '--api-version', '2018-11-01')
        def instances = ok('vmss', 'list-instances', '-g', RG, '-n', 'web') as List
        String address = ip.get('properties').ipAddress
        List<Integer> ports = lb.get('properties').inboundNatRules*.get('properties')*.frontendPort

        then:
        created.VMSS.provisioningState == 'Succeeded'
        lb.get('properties').inboundNatPools*.get('properties')*.backendPort == [22]
        lb.get('properties').backendAddressPools*.name == ['webLBBEPool']
        instances.size() == 2
        ports == [50000, 50001]

        and: 'SSH through each NAT port reaches its own instance, which has the file the extension baked in'
        def seen = ports.collect { int port ->
            List answer = null
            Poll.until("SSH through NAT port $port", 180) {
                try {
                    answer = ssh(address, port, 'hostname; cat /etc/baked')
                    true
                } catch (IOException ignored) {
                    false
                }
            }
            answer
        }
        seen*.get(0) == [0, 0]
        seen*.get(1).every { it.endsWith('\nbaked-by-extension\n') }
        seen*.get(1).collect { it.readLines()[0] } as Set == instances*.osProfile*.computerName as Set
    }

    def "runs a command on one scale set instance"() {
        when:
        def result = ok('vmss', 'run-command', 'invoke', '-g', RG, '-n', 'web', '--instance-id', '0',
                '--command-id', 'RunShellScript', '--scripts', 'cat /etc/baked')

        then:
        result.value[0].message.contains('[stdout]\nbaked-by-extension\n')
    }

    def "deploys an ARM template file"() {
        given:
        def template = dir.resolve('pip.json')
        Files.writeString(template, '''{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": { "name": { "type": "string" } },
  "resources": [ {
      "type": "Microsoft.Network/publicIPAddresses", "apiVersion": "2020-11-01",
      "name": "[parameters('name')]", "location": "[resourceGroup().location]",
      "sku": { "name": "Standard" }, "tags": { "team": "platform" },
      "properties": { "publicIPAllocationMethod": "Static" } } ],
  "outputs": { "id": { "type": "string",
      "value": "[resourceId('Microsoft.Network/publicIPAddresses', parameters('name'))]" } }
}''')

        when:
        def deployed = ok('deployment', 'group', 'create', '-g', RG, '-n', 'edge', '--template-file', template.toString(),
                '--parameters', 'name=edge-ip')
        def shown = ok('deployment', 'group', 'show', '-g', RG, '-n', 'edge')
        def tagged = ok('resource', 'list', '--tag', 'team=platform') as List

        then:
        deployed.get('properties').provisioningState == 'Succeeded'
        deployed.get('properties').outputs.id.value.endsWith('/publicIPAddresses/edge-ip')
        shown.get('properties').provisioningState == 'Succeeded'
        tagged*.name.contains('edge-ip')
        tagged.size() == 7
    }

    def "cleans up: the snapshot, the disk and image made from it, the builder, then the group"() {
        when:
        ok('image', 'delete', '-g', RG, '-n', 'image-from-snap')
        ok('disk', 'delete', '-g', RG, '-n', 'from-snap', '--yes')
        ok('snapshot', 'delete', '-g', RG, '-n', 'builder-snap')
        ok('vm', 'delete', '-g', RG, '-n', 'builder', '--yes')
        def left = ok('resource', 'list', '-g', RG, '--resource-type', 'Microsoft.Compute/snapshots') as List
        ok('group', 'delete', '-n', RG, '--yes')
        def exists = ok('group', 'exists', '-n', RG)

        then:
        left.isEmpty()
        exists == false
    }

    def "ran a whole script's worth of commands"() {
        expect:
        COMMANDS.size() >= 40
    }

    private Path publicKeyFile() {
        key.resolveSibling('id_rsa.pub')
    }

    /** Runs {@code az args} and returns its JSON; the command must succeed. */
    private Object ok(Object... args) {
        def result = az.run(args.collect { it.toString() })
        COMMANDS << result.args
        assert result.exitCode == 0: result.toString()
        result.json()
    }

    /** [exit status, stdout + stderr] of one command over SSH as the admin user. */
    private List ssh(String host, int port, String command) {
        new SSHClient().withCloseable { client ->
            client.addHostKeyVerifier(new HostKeyVerifier() {
                boolean verify(String hostname, int p, PublicKey hostKey) {
                    // OpenSSH's SHA256 fingerprint: the key's wire encoding, hashed, base64 without padding.
                    byte[] blob = new Buffer.PlainBuffer().putPublicKey(hostKey).compactData
                    hostKeys[hostname] = 'SHA256:' + Base64.encoder.withoutPadding()
                            .encodeToString(MessageDigest.getInstance('SHA-256').digest(blob))
                    true
                }

                List<String> findExistingAlgorithms(String hostname, int p) {
                    []
                }
            })
            client.connect(host, port)
            client.authPublickey('azureuser', client.loadKeys(key.toString()))
            client.startSession().withCloseable { session ->
                def cmd = session.exec(command)
                def out = IOUtils.readFully(cmd.inputStream).toString(StandardCharsets.UTF_8) +
                        IOUtils.readFully(cmd.errorStream).toString(StandardCharsets.UTF_8)
                cmd.join(60, TimeUnit.SECONDS)
                [cmd.exitStatus == null ? -1 : cmd.exitStatus, out]
            }
        }
    }
}
