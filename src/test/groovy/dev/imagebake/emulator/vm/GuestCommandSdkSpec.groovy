package dev.imagebake.emulator.vm

import com.azure.core.management.Region
import com.azure.core.management.exception.ManagementException
import com.azure.resourcemanager.compute.ComputeManager
import com.azure.resourcemanager.compute.fluent.models.VirtualMachineExtensionInner
import com.azure.resourcemanager.compute.models.InstanceViewTypes
import com.azure.resourcemanager.compute.models.RunCommandInputParameter
import com.azure.resourcemanager.compute.models.VirtualMachine
import com.azure.resourcemanager.resources.fluentcore.utils.ResourceManagerUtils
import com.azure.core.util.Context
import dev.imagebake.emulator.AzureSdkClients
import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.RawArm
import dev.imagebake.emulator.RestGolden
import dev.imagebake.emulator.arm.Conditions
import dev.imagebake.emulator.arm.Operations
import dev.imagebake.testsupport.Poll
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise
import spock.lang.TempDir

import java.nio.charset.StandardCharsets
import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration
import java.util.zip.GZIPOutputStream

/**
 * Run command and VM extensions through the real Azure SDK and plain HTTPS, with commands that really run in a
 * sandboxed machine: the SDK's {@code runShellScript}, the extension client with a gzip'd base64 script in protected
 * settings, and the REST replies (run command result, extension PUT and GET, extension image versions) against
 * golden files and the official examples of {@code Azure/azure-rest-api-specs} (compute, stable 2022-03-01).
 */
@Stepwise
class GuestCommandSdkSpec extends Specification {
    static final String RG = 'rg'
    /** runCommandExamples/VirtualMachineRunCommand.json, the 200 body. */
    static final String RUN_COMMAND_EXAMPLE = '''{"value": [{"code": "ComponentStatus/StdOut/succeeded",
        "level": "Info", "displayStatus": "Provisioning succeeded", "message": "This is a sample script"}]}'''
    /** virtualMachineExamples/VirtualMachineExtensions_Get_MaximumSet_Gen.json, the 200 body. */
    static final String EXTENSION_EXAMPLE = '''{"name": "myVMExtension",
        "type": "Microsoft.Compute/virtualMachines/extensions", "id": "/subscriptions/x/extensions/myVMExtension",
        "location": "westus", "properties": {"autoUpgradeMinorVersion": true, "provisioningState": "Creating",
        "publisher": "extPublisher", "type": "extType", "typeHandlerVersion": "1.2", "suppressFailures": true,
        "settings": {}, "forceUpdateTag": "a", "enableAutomaticUpgrade": true, "protectedSettings": {},
        "instanceView": {"name": "a", "type": "a", "typeHandlerVersion": "a",
          "substatuses": [{"code": "a", "level": "Info", "displayStatus": "a", "message": "a",
                           "time": "2021-11-30T12:58:26.522Z"}],
          "statuses": [{"code": "a", "level": "Info", "displayStatus": "a", "message": "a",
                        "time": "2021-11-30T12:58:26.522Z"}]}},
        "tags": {"key9183": "aa"}}'''
    /** What the emulator leaves out of an extension, and why. */
    static final List<String> EXTENSION_OMISSIONS = [
            'properties.suppressFailures',        // only when the request sets it
            'properties.forceUpdateTag',          // only when the request sets it
            'properties.enableAutomaticUpgrade',  // only when the request sets it
            'properties.protectedSettings',       // never returned, as on Azure
            'tags']                               // only when the request sets them
    /** virtualMachineExtensionImageExamples/..._ListVersions_MinimumSet_Gen.json and ..._Get_MaximumSet_Gen.json. */
    static final String VERSIONS_EXAMPLE = '[{"name": "a", "location": "a"}]'
    static final String VERSION_EXAMPLE = '''{"properties": {"operatingSystem": "a", "computeRole": "a",
        "handlerSchema": "a", "vmScaleSetEnabled": true, "supportsMultipleExtensions": true}, "id": "a",
        "name": "a", "type": "a", "location": "a", "tags": {"key9885": "a"}}'''

    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    ComputeManager compute

    @Shared
    RawArm arm

    @Shared
    VirtualMachine vm

    def setupSpec() {
        ResourceManagerUtils.InternalRuntimeContext.setDelayProvider({ Duration d -> Duration.ofMillis(10) })
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('data'), 0, new Operations.Settings(0, 1,
                Duration.ofSeconds(10)), Emulator.Machines.SANDBOX).withConditions(Conditions.DEFAULT.withFaults(
                'PUT */extensions/doomed:lro-failed=InternalExecutionError')))
        compute = new AzureSdkClients(emulator.cloudFile()).computeManager()
        arm = new RawArm(emulator)
        def network = compute.networkManager()
        compute.resourceManager().resourceGroups().define(RG).withRegion(Region.EUROPE_WEST).create()
        def vnet = network.networks().define('vnet').withRegion(Region.EUROPE_WEST).withExistingResourceGroup(RG)
                .withAddressSpace('10.0.0.0/16').withSubnet('default', '10.0.0.0/24').create()
        def nic = network.networkInterfaces().define('nic').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup(RG).withExistingPrimaryNetwork(vnet).withSubnet('default')
                .withPrimaryPrivateIPAddressDynamic().create()
        def key = new ProcessBuilder('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', dir.resolve('key').toString())
                .start()
        assert key.waitFor() == 0
        vm = compute.virtualMachines().define('vm').withRegion(Region.EUROPE_WEST).withExistingResourceGroup(RG)
                .withExistingPrimaryNetworkInterface(nic)
                .withLatestLinuxImage('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
                .withRootUsername('azureuser').withSsh(Files.readString(dir.resolve('key.pub')).strip()).create()
    }

    def cleanupSpec() {
        emulator?.close()
    }

    def "should run a shell script in the VM with the SDK's runShellScript, parameters as variables and arguments"() {
        when:
        def result = vm.runShellScript(['echo "$(hostname) $(id -un) $1 $WHO"', 'ls /nonexistent || true'],
                [new RunCommandInputParameter().withName('WHO').withValue('sdk')])

        then:
        result.value().size() == 1
        result.value()[0].code() == 'ProvisioningState/succeeded'
        result.value()[0].message() ==~ /(?s)Enable succeeded: \n\[stdout\]\nvm root sdk sdk\n\n\[stderr\]\nls: .*nonexistent.*\n/
    }

    def "should end a run command when its script ends, though a process it left in the background holds its output"() {
        when:
        def result = vm.runShellScript(['sleep 600 &', 'echo started'], [])
        def left = vm.runShellScript(['pgrep -x sleep >/dev/null && echo still running; pkill -x sleep; true'], [])

        then:
        result.value()[0].message() == 'Enable succeeded: \n[stdout]\nstarted\n\n[stderr]\n'
        left.value()[0].message() == 'Enable succeeded: \n[stdout]\nstill running\n\n[stderr]\n'
    }

    def "should answer a run command as Azure does: 202, an operation to poll, and the result at its Location"() {
        given:
        String path = "${arm.sub()}/resourceGroups/$RG/providers/Microsoft.Compute/virtualMachines/vm/runCommand" +
                '?api-version=2025-04-01'

        when:
        def accepted = arm.call('POST', path, [commandId: 'RunShellScript', script: ['echo "hello from $(hostname)"']])
        String status = accepted.headers().firstValue('Azure-AsyncOperation').orElseThrow()
        String location = accepted.headers().firstValue('Location').orElseThrow()
        Poll.until('the run command operation', 120) {
            RawArm.json(arm.call('GET', status)).status == 'Succeeded'
        }
        def result = arm.call('GET', location)
        def body = RawArm.json(result)

        then:
        accepted.statusCode() == 202
        accepted.body() == ''
        status.startsWith(emulator.endpoint() + "${arm.sub()}/providers/Microsoft.Compute/locations/westeurope/operations/")
        location.startsWith(emulator.endpoint() + "${arm.sub()}/providers/Microsoft.Compute/locations/westeurope/operationResults/")
        result.statusCode() == 200
        body.value[0].message == 'Enable succeeded: \n[stdout]\nhello from vm\n\n[stderr]\n'
        RestGolden.compare('compute', 'virtualMachines-runCommand', body) == null
        RestGolden.missingFrom(body, new JsonSlurper().parseText(RUN_COMMAND_EXAMPLE)) == []
    }

    def "should run a gzip'd base64 CustomScript from protected settings through the SDK's extension client"() {
        given:
        def script = "#!/bin/bash\n[[ -n \$BASH_VERSION ]] && echo bash > /root/sdk-ran\necho written; echo warn >&2\n"
        def extensions = compute.serviceClient().virtualMachineExtensions

        when:
        def created = extensions.createOrUpdate(RG, 'vm', 'cse', new VirtualMachineExtensionInner()
                .withLocation('westeurope').withPublisher('Microsoft.Azure.Extensions').withTypePropertiesType('CustomScript')
                .withTypeHandlerVersion('2.1').withAutoUpgradeMinorVersion(true).withSettings([:])
                .withProtectedSettings([script: gzipBase64(script)]))
        def shown = extensions.getWithResponse(RG, 'vm', 'cse', 'instanceView', Context.NONE).value
        def vmView = compute.virtualMachines().getByResourceGroup(RG, 'vm').refreshInstanceView()
        def proof = vm.runShellScript(['cat /root/sdk-ran'], [])

        then:
        created.provisioningState() == 'Succeeded'
        created.protectedSettings() == null
        shown.instanceView().statuses()[0].code() == 'ProvisioningState/succeeded'
        shown.instanceView().statuses()[0].message() == 'Enable succeeded: \n[stdout]\nwritten\n\n[stderr]\nwarn\n'
        shown.instanceView().substatuses()*.message() == ['written\n', 'warn\n']
        shown.instanceView().typeHandlerVersion() == '2.1.10'
        vmView.extensions()*.name() == ['cse']
        proof.value()[0].message() == 'Enable succeeded: \n[stdout]\nbash\n\n[stderr]\n'
    }

    def "should answer an extension's PUT and GET like the official examples"() {
        given:
        String path = "${arm.sub()}/resourceGroups/$RG/providers/Microsoft.Compute/virtualMachines/vm/extensions/" +
                'CustomScript?api-version=2025-04-01'

        when:
        def put = arm.call('PUT', path, [location: 'westeurope', properties: [publisher: 'Microsoft.Azure.Extensions',
                type: 'CustomScript', typeHandlerVersion: '2.0', autoUpgradeMinorVersion: false,
                settings: [commandToExecute: 'echo golden'], protectedSettings: [hidden: 'value']]])
        String status = put.headers().firstValue('Azure-AsyncOperation').orElseThrow()
        Poll.until('the extension operation', 120) { RawArm.json(arm.call('GET', status)).status == 'Succeeded' }
        def get = RawArm.json(arm.call('GET', path + '&$expand=instanceView'))

        then:
        put.statusCode() == 201
        get.get('properties').instanceView.typeHandlerVersion == '2.0.7'
        !put.body().contains('hidden')
        RestGolden.compare('compute', 'virtualMachineExtensions-put', RawArm.json(put)) == null
        RestGolden.compare('compute', 'virtualMachineExtensions-get', get) == null
        RestGolden.missingFrom(get, new JsonSlurper().parseText(EXTENSION_EXAMPLE)) == EXTENSION_OMISSIONS
    }

    def "should refuse fileUris, which an offline emulator cannot download, as a failed extension"() {
        when:
        compute.serviceClient().virtualMachineExtensions.createOrUpdate(RG, 'vm', 'download',
                new VirtualMachineExtensionInner().withLocation('westeurope')
                        .withPublisher('Microsoft.Azure.Extensions').withTypePropertiesType('CustomScript')
                        .withTypeHandlerVersion('2.1').withSettings([fileUris: ['https://example.com/x.sh'],
                                                                     commandToExecute: 'sh x.sh']))

        then:
        def e = thrown(ManagementException)
        e.value.code == 'VMExtensionProvisioningError'
        e.value.message.contains('cannot download fileUris')
        compute.serviceClient().virtualMachineExtensions.get(RG, 'vm', 'download').provisioningState() == 'Failed'
    }

    def "should fail an extension's operation with an injected lro-failed fault, though its command succeeds"() {
        when: 'the command runs long enough for the fault to be attached to its operation first'
        compute.serviceClient().virtualMachineExtensions.createOrUpdate(RG, 'vm', 'doomed',
                new VirtualMachineExtensionInner().withLocation('westeurope')
                        .withPublisher('Microsoft.Azure.Extensions').withTypePropertiesType('CustomScript')
                        .withTypeHandlerVersion('2.1').withSettings([commandToExecute: 'sleep 5; echo ran']))

        then:
        def e = thrown(ManagementException)
        e.value.code == 'InternalExecutionError'
        e.value.message == 'The operation failed (fault injected by the emulator).'
        compute.serviceClient().virtualMachineExtensions.get(RG, 'vm', 'doomed').provisioningState() == 'Failed'
    }

    def "should list the extension image versions and describe one like the official examples"() {
        given:
        String base = "${arm.sub()}/providers/Microsoft.Compute/locations/westeurope/publishers/" +
                'Microsoft.Azure.Extensions/artifacttypes/vmextension/types/CustomScript/versions'

        when:
        def versions = RawArm.json(arm.call('GET', base + '?api-version=2025-04-01'))
        def version = RawArm.json(arm.call('GET', base + '/2.1.10?api-version=2025-04-01'))
        def sdkTypes = compute.virtualMachineExtensionImages().listByRegion(Region.EUROPE_WEST).toList()

        then:
        versions*.name.contains('2.1.10')
        RestGolden.compare('compute', 'virtualMachineExtensionImages-listVersions', versions) == null
        RestGolden.missingFrom(versions, new JsonSlurper().parseText(VERSIONS_EXAMPLE)) == []
        RestGolden.missingFrom(version, new JsonSlurper().parseText(VERSION_EXAMPLE)) == ['type', 'tags']
        sdkTypes.collect { "${it.publisherName()}/${it.typeName()}/${it.versionName()}".toString() }
                .containsAll(['Microsoft.Azure.Extensions/CustomScript/2.1.10', 'Microsoft.CPlat.Core/RunCommandLinux/1.0.5'])
    }

    def "should delete an extension"() {
        when:
        compute.serviceClient().virtualMachineExtensions.delete(RG, 'vm', 'download')

        then:
        compute.serviceClient().virtualMachineExtensions.list(RG, 'vm').value()*.name() as Set ==
                ['cse', 'CustomScript', 'doomed'] as Set
    }

    def "should fail, at its next start, the commands that still ran when the emulator stopped"() {
        given:
        String vmPath = "${arm.sub()}/resourceGroups/$RG/providers/Microsoft.Compute/virtualMachines/vm"
        def run = arm.call('POST', "$vmPath/runCommand?api-version=2025-04-01",
                [commandId: 'RunShellScript', script: ['sleep 600']])
        def put = arm.call('PUT', "$vmPath/extensions/slow?api-version=2025-04-01", [location: 'westeurope',
                properties: [publisher: 'Microsoft.Azure.Extensions', type: 'CustomScript', typeHandlerVersion: '2.1',
                             settings: [commandToExecute: 'sleep 600']]])
        String runStatus = run.headers().firstValue('Azure-AsyncOperation').orElseThrow() - emulator.endpoint()
        String putStatus = put.headers().firstValue('Azure-AsyncOperation').orElseThrow() - emulator.endpoint()

        when:
        emulator.close()
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('data'), 0, new Operations.Settings(0, 1,
                Duration.ofSeconds(10)), Emulator.Machines.SANDBOX))
        arm = new RawArm(emulator)
        def runAfter = RawArm.json(arm.call('GET', runStatus))
        def putAfter = RawArm.json(arm.call('GET', putStatus))
        def extension = RawArm.json(arm.call('GET', "$vmPath/extensions/slow?api-version=2025-04-01"))

        then:
        [run.statusCode(), put.statusCode()] == [202, 201]
        runAfter.status == 'Failed'
        runAfter.error == [code: 'VMAgentStatusCommunicationError',
                           message: "The command's machine stopped with the emulator before the command ended."]
        putAfter.status == 'Failed'
        extension.get('properties').provisioningState == 'Failed'
    }

    private static String gzipBase64(String text) {
        def bytes = new ByteArrayOutputStream()
        new GZIPOutputStream(bytes).withCloseable { it.write(text.getBytes(StandardCharsets.UTF_8)) }
        Base64.encoder.encodeToString(bytes.toByteArray())
    }
}
