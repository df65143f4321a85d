package dev.imagebake.emulator.vm

import com.azure.core.management.Region
import com.azure.resourcemanager.compute.ComputeManager
import com.azure.resourcemanager.network.NetworkManager
import com.azure.resourcemanager.resources.fluentcore.utils.ResourceManagerUtils
import dev.imagebake.emulator.AzureSdkClients
import dev.imagebake.emulator.Emulator
import groovy.json.JsonOutput
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration
import java.util.concurrent.TimeUnit

/**
 * Unmodified Packer 1.6.6 ({@code /usr/bin/packer}, azure-arm builder, with Azure's public endpoints built in) builds
 * a managed image against the emulator through its proxy: signs in at login.microsoftonline.com (Azure AD v1),
 * deploys its build VM by template, provisions it over SSH, deprovisions it with waagent, captures it and deletes its
 * temporary resource group. The image then boots a VM that has the file the build wrote.
 */
@Stepwise
class PackerProxySpec extends Specification {
    static final String PACKER = '/usr/bin/packer'

    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    Map cloud

    @Shared
    ComputeManager compute

    @Shared
    NetworkManager network

    @Shared
    MachineShell shell

    @Shared
    Map build

    def setupSpec() {
        ResourceManagerUtils.InternalRuntimeContext.setDelayProvider({ Duration d -> Duration.ofMillis(10) })
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('data'), 0, dev.imagebake.emulator.arm
                .Operations.Settings.DEFAULT, Emulator.Machines.SANDBOX).withProxy())
        cloud = new JsonSlurper().parse(emulator.cloudFile().toFile()) as Map
        compute = new AzureSdkClients(emulator.cloudFile()).computeManager()
        network = compute.networkManager()
        shell = new MachineShell(dir, 'user')
        compute.resourceManager().resourceGroups().define('images').withRegion(Region.EUROPE_WEST).create()
    }

    def cleanupSpec() {
        emulator?.close()
    }

    def "should build a managed image with Packer 1.6.6's azure-arm builder through the proxy"() {
        given: 'a template as Packer documents it; the credentials come from the environment, never a file'
        Path template = dir.resolve('ubuntu.json')
        Files.writeString(template, JsonOutput.prettyPrint(JsonOutput.toJson([
                variables   : [client_id      : '{{env `ARM_CLIENT_ID`}}', client_secret: '{{env `ARM_CLIENT_SECRET`}}',
                               subscription_id: '{{env `ARM_SUBSCRIPTION_ID`}}', tenant_id: '{{env `ARM_TENANT_ID`}}'],
                builders    : [[type                             : 'azure-arm',
                                client_id                        : '{{user `client_id`}}',
                                client_secret                    : '{{user `client_secret`}}',
                                subscription_id                  : '{{user `subscription_id`}}',
                                tenant_id                        : '{{user `tenant_id`}}',
                                managed_image_name               : 'packer-ubuntu',
                                managed_image_resource_group_name: 'images',
                                os_type                          : 'Linux',
                                image_publisher                  : 'Canonical',
                                image_offer                      : 'UbuntuServer',
                                image_sku                        : '18.04-LTS',
                                location                         : 'West Europe',
                                vm_size                          : 'Standard_B1s']],
                provisioners: [[type  : 'shell',
                                inline: ['echo baked-by-packer | sudo tee /etc/packer-proof']],
                               [type           : 'shell',
                                execute_command: "chmod +x {{ .Path }}; {{ .Vars }} sudo -E sh '{{ .Path }}'",
                                inline         : ['/usr/sbin/waagent -force -deprovision+user && export HISTSIZE=0 && sync'],
                                inline_shebang : '/bin/sh -x']]])))

        when:
        build = packer('build', '-color=false', template.toString())
        println build.output

        then:
        build.exit == 0
        build.output.contains('ManagedImageId: /subscriptions/' + cloud.subscriptionId
                + '/resourceGroups/images/providers/Microsoft.Compute/images/packer-ubuntu')
        build.output.contains('azure-arm: baked-by-packer')
        build.output.contains('Resource group has been deleted.')

        and: 'it signed in through the v1 endpoint and reached ARM as management.azure.com'
        String log = Files.readString(dir.resolve('packer.log'))
        log.contains('request="https://management.azure.com/subscriptions/' + cloud.subscriptionId)
        Files.readString(dir.resolve('data/requests.log')).contains("/${cloud.tenantId}/oauth2/token\"")

        and: 'the secret appears in no output and no log'
        !build.output.contains(cloud.clientSecret as String)
        !log.contains(cloud.clientSecret as String)
        !Files.readString(dir.resolve('data/requests.log')).contains(cloud.clientSecret as String)
    }

    def "should leave no temporary resource and no machine behind"() {
        expect:
        compute.virtualMachineCustomImages().getByResourceGroup('images', 'packer-ubuntu').osDiskImage()
                .osType().toString() == 'Linux'
        compute.resourceManager().resourceGroups().list().collect { it.name() } == ['images']
        compute.virtualMachines().list().toList().isEmpty()
        Files.list(dir.resolve('data/vm/machines')).withCloseable { it.count() } == 0
    }

    def "should boot a VM from the image that has the file the build wrote, the build user deprovisioned"() {
        given:
        compute.resourceManager().resourceGroups().define('check').withRegion(Region.EUROPE_WEST).create()
        def vnet = network.networks().define('vnet').withRegion(Region.EUROPE_WEST).withExistingResourceGroup('check')
                .withAddressSpace('10.0.0.0/16').withSubnet('default', '10.0.0.0/24').create()
        def pip = network.publicIpAddresses().define('pip').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('check').withStaticIP().create()
        def nic = network.networkInterfaces().define('nic').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('check').withExistingPrimaryNetwork(vnet).withSubnet('default')
                .withPrimaryPrivateIPAddressDynamic().withExistingPrimaryPublicIPAddress(pip).create()

        when:
        compute.virtualMachines().define('from-packer').withRegion(Region.EUROPE_WEST).withExistingResourceGroup('check')
                .withExistingPrimaryNetworkInterface(nic)
                .withGeneralizedLinuxCustomImage(compute.virtualMachineCustomImages()
                        .getByResourceGroup('images', 'packer-ubuntu').id())
                .withRootUsername('azureuser').withSsh(shell.publicKey()).create()
        String address = network.publicIpAddresses().getByResourceGroup('check', 'pip').ipAddress()

        then:
        shell.await(address, 'azureuser', 'cat /etc/packer-proof; id packer >/dev/null 2>&1 || echo no-packer-user') ==
                [0, 'baked-by-packer\nno-packer-user\n']
    }

    /** Runs Packer with the proxy and the emulator's CA, as the documentation tells a user to. */
    private Map packer(String... args) {
        def process = new ProcessBuilder([PACKER] + args.toList()).directory(dir.toFile()).redirectErrorStream(true)
        def env = process.environment()
        ['HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy', 'https_proxy'].each { env.remove(it) }
        env.putAll([HTTPS_PROXY        : emulator.proxy(), SSL_CERT_FILE: emulator.caCertificate().toString(),
                    PACKER_LOG         : '1', PACKER_LOG_PATH: dir.resolve('packer.log').toString(),
                    CHECKPOINT_DISABLE : '1', PACKER_CACHE_DIR: dir.resolve('packer-cache').toString(),
                    ARM_CLIENT_ID      : cloud.clientId, ARM_CLIENT_SECRET: cloud.clientSecret,
                    ARM_SUBSCRIPTION_ID: cloud.subscriptionId, ARM_TENANT_ID: cloud.tenantId])
        def started = process.start()
        def output = new StringBuilder()
        def reader = Thread.start { started.inputStream.eachLine { output.append(it).append('\n') } }
        assert started.waitFor(15, TimeUnit.MINUTES): "packer did not finish within 15 minutes:\n$output"
        reader.join()
        [exit: started.exitValue(), output: output.toString()]
    }
}
