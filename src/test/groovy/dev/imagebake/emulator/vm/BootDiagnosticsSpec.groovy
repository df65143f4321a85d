package dev.imagebake.emulator.vm

import com.azure.core.management.Region
import com.azure.core.management.exception.ManagementException
import com.azure.resourcemanager.compute.ComputeManager
import com.azure.resourcemanager.network.NetworkManager
import com.azure.resourcemanager.network.models.Network
import com.azure.resourcemanager.resources.fluentcore.utils.ResourceManagerUtils
import dev.imagebake.emulator.AzureCli
import dev.imagebake.emulator.AzureCliSpec
import dev.imagebake.emulator.AzureSdkClients
import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.RawArm
import dev.imagebake.emulator.RestGolden
import dev.imagebake.emulator.arm.Operations
import dev.imagebake.testsupport.Poll
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise
import spock.lang.TempDir

import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.charset.StandardCharsets
import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration

import static dev.imagebake.emulator.AzureCli.ok

/**
 * Managed boot diagnostics against sandboxed machines: {@code retrieveBootDiagnosticsData} hands out SAS-like URIs
 * on the emulator, and the serial console log behind them is what the machine's boot and cloud-init printed; the
 * real Azure CLI's {@code az vm boot-diagnostics get-boot-log} prints it.
 */
@Stepwise
class BootDiagnosticsSpec extends Specification {
    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    ComputeManager compute

    @Shared
    NetworkManager network

    @Shared
    Network vnet

    @Shared
    MachineShell shell

    @Shared
    HttpClient http

    @Shared
    Map retrieved

    def setupSpec() {
        ResourceManagerUtils.InternalRuntimeContext.setDelayProvider({ Duration d -> Duration.ofMillis(10) })
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('data'), 0, new Operations.Settings(0, 1,
                Duration.ofSeconds(10)), Emulator.Machines.SANDBOX))
        compute = new AzureSdkClients(emulator.cloudFile()).computeManager()
        network = compute.networkManager()
        http = HttpClient.newBuilder().sslContext(AzureSdkClients.trusting(emulator.caCertificate())).build()
        compute.resourceManager().resourceGroups().define('rg').withRegion(Region.EUROPE_WEST).create()
        vnet = network.networks().define('vnet').withRegion(Region.EUROPE_WEST).withExistingResourceGroup('rg')
                .withAddressSpace('10.0.0.0/16').withSubnet('default', '10.0.0.0/24').create()
        shell = new MachineShell(dir, 'user')
    }

    def cleanupSpec() {
        emulator?.close()
    }

    def "should serve the serial console log of a VM with boot diagnostics: what its boot and runcmd printed"() {
        given:
        createVm('vm-diag', true, '#cloud-config\nruncmd:\n  - echo hello-from-runcmd-$((6*7))\n')
        String address = network.publicIpAddresses().getByResourceGroup('rg', 'pip-vm-diag').ipAddress()
        shell.await(address, 'azureuser', 'true')
        Poll.until('runcmd finished in vm-diag', 120) {
            shell.run(address, 'azureuser', 'test -f /var/lib/cloud/instance/boot-finished')[0] == 0
        }
        assert shell.run(address, 'azureuser', 'cat /var/log/cloud-init-output.log') == [0, 'hello-from-runcmd-42\n']

        when:
        def reply = new RawArm(emulator).call('POST', "${new RawArm(emulator).sub()}/resourceGroups/rg/providers/" +
                'Microsoft.Compute/virtualMachines/vm-diag/retrieveBootDiagnosticsData?api-version=2025-04-01&sasUriExpirationTimeInMinutes=5')
        retrieved = RawArm.json(reply) as Map
        String log = null
        Poll.until('runcmd output in the serial console log', 60) {
            log = get(retrieved.serialConsoleLogBlobUri as String).body()
            log.contains('hello-from-runcmd-42')
        }

        then:
        reply.statusCode() == 200
        log.contains('boot: namespaces and mounts')
        // runcmd starts in the background once the boot script has shown the login prompt, as cloud-init's
        // final stage runs after getty; the emulator's own 'boot:' line may come before or after its output.
        log.contains('SSH host key fingerprints of vm-diag:')
        log.indexOf('vm-diag login:') < log.indexOf('hello-from-runcmd-42')

        and: 'the shape of VirtualMachine_RetrieveBootDiagnosticsData.json'
        RestGolden.missingFrom(retrieved, OFFICIAL) == []
        RestGolden.compare('compute', 'vm-retrieve-boot-diagnostics-data',
                retrieved.collectEntries { k, v -> [(k): (v as String).replaceFirst(/\?.*$/, '?{sas}')] }) == null
    }

    def "should refuse a URI whose signature was changed, and have no screenshot of a machine without a screen"() {
        when:
        String uri = retrieved.serialConsoleLogBlobUri
        def tampered = get(uri.replaceFirst(/sig=[^&]+/, 'sig=AAAA'))
        def otherVm = get(uri.replaceFirst(/\/bootdiagnostics\/[^\/]+\//, '/bootdiagnostics/00000000-0000-0000-0000-000000000000/'))
        def screenshot = get(retrieved.consoleScreenshotBlobUri as String)

        then:
        tampered.statusCode() == 403
        tampered.body().contains('<Code>AuthenticationFailed</Code>')
        otherVm.statusCode() == 403
        screenshot.statusCode() == 404
        screenshot.body().contains('<Code>BlobNotFound</Code>')
    }

    def "should refuse boot diagnostics data of a VM that has them disabled, and of an expiry out of range"() {
        given:
        createVm('vm-plain', false, null)

        when:
        compute.serviceClient().getVirtualMachines().retrieveBootDiagnosticsData('rg', 'vm-plain')

        then:
        def e = thrown(ManagementException)
        e.response.statusCode == 409
        e.value.code == 'OperationNotAllowed'

        when:
        compute.serviceClient().getVirtualMachines().retrieveBootDiagnosticsDataWithResponse('rg', 'vm-diag', 2000,
                com.azure.core.util.Context.NONE)

        then:
        def range = thrown(ManagementException)
        range.value.code == 'InvalidParameter'
    }

    def "should print the boot log with the real az vm boot-diagnostics get-boot-log"() {
        given:
        def cloud = new JsonSlurper().parse(emulator.cloudFile().toFile()) as Map
        Files.createDirectories(dir.resolve('az'))
        def az = new AzureCli(dir.resolve('az'), emulator.caCertificate())
        az.signInTo(emulator)

        when:
        def log = az.run(['vm', 'boot-diagnostics', 'get-boot-log', '-g', 'rg', '-n', 'vm-diag'])

        then:
        log.exitCode == 0
        log.out.contains('hello-from-runcmd-42')
        log.out.contains('boot: namespaces and mounts')
    }

    static final Map OFFICIAL = [consoleScreenshotBlobUri: 'https://storageuri/vm.screenshot.bmp?{sasKey}',
                                 serialConsoleLogBlobUri : 'https://storageuri/vm.serialconsole.log?{sasKey}']

    private HttpResponse<String> get(String uri) {
        http.send(HttpRequest.newBuilder(URI.create(uri)).GET().build(), HttpResponse.BodyHandlers.ofString())
    }

    private void createVm(String name, boolean bootDiagnostics, String customData) {
        def pip = network.publicIpAddresses().define("pip-$name").withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('rg').withStaticIP().create()
        def nic = network.networkInterfaces().define("nic-$name").withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('rg').withExistingPrimaryNetwork(vnet).withSubnet('default')
                .withPrimaryPrivateIPAddressDynamic().withExistingPrimaryPublicIPAddress(pip).create()
        def stage = compute.virtualMachines().define(name).withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('rg').withExistingPrimaryNetworkInterface(nic)
                .withLatestLinuxImage('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
                .withRootUsername('azureuser').withSsh(shell.publicKey())
        if (customData != null) {
            stage = stage.withCustomData(Base64.encoder.encodeToString(customData.getBytes(StandardCharsets.UTF_8)))
        }
        if (bootDiagnostics) {
            stage = stage.withBootDiagnosticsOnManagedStorageAccount()
        }
        stage.create()
    }
}
