package dev.imagebake.builder.azure

import com.azure.core.management.Region
import com.azure.resourcemanager.compute.ComputeManager
import com.azure.resourcemanager.compute.models.ReplicationStatusTypes
import com.azure.resourcemanager.compute.models.VirtualMachineSizeTypes
import com.azure.resourcemanager.resources.fluentcore.utils.ResourceManagerUtils
import dev.imagebake.cli.Main
import dev.imagebake.communicator.RemoteCommand
import dev.imagebake.communicator.SshCommunicator
import dev.imagebake.communicator.SshEndpoint
import dev.imagebake.emulator.AzureSdkClients
import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.arm.Operations
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration

/**
 * The product's main job, as a user runs it with no Azure account: `imagebake build --emulator` on the Ubuntu web
 * server example, then a VM from the published gallery version, over real SSH, shows what provisioning did, and the
 * emulator's inventory shows nothing of the build.
 */
@Stepwise
class AzureBakeSpec extends Specification {
    @TempDir
    @Shared
    Path dir

    @Shared
    Map result

    @Shared
    Emulator emulator

    @Shared
    ComputeManager compute

    def cleanupSpec() {
        emulator?.close()
    }

    def "should bake the Ubuntu web example with one command against the built-in emulator"() {
        given: 'the example with its files, in a folder of its own (its manifest is written next to it)'
        Path example = dir.resolve('example')
        copyTree(Path.of('dsl-examples'), example)
        // Packer writes a relative manifest path against the working directory; keep the test's out of the project.
        Path template = example.resolve('ubuntu-web.imagebake.groovy')
        Files.writeString(template, Files.readString(template).replace("output 'manifest.json'",
                "output '${example.resolve('manifest.json')}'"))
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()

        when:
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(err, true, 'UTF-8'), [:],
                ['build', '--emulator', '--emulator-data', dir.resolve('emulator').toString(),
                 example.resolve('ubuntu-web.imagebake.groovy').toString()] as String[])
        result = [code: code, out: out.toString('UTF-8'), err: err.toString('UTF-8')]

        then:
        println result.out
        result.code == 0
        result.err.contains('Started a local Azure emulator at https://127.0.0.1:')
        result.out.contains('connected to imagebake@127.')
        result.out.contains(', as injected)')
        result.out =~ /replication: westeurope Completed 100%, northeurope Completed 100%/
        result.out =~ /(?m)^azure +succeeded .*\/galleries\/corp\/images\/web\/versions\/1\.4\.0$/
        result.out.contains('deleting resource group imagebake-azure-')
        result.err.contains('Created scale set prod-web/web-vmss (3 instances of the source image, policy Manual) for ' +
                "post scaleSet to roll out to; its admin user azureuser logs in with ${dir.resolve('emulator/fleet-keys/prod-web_web-vmss')}")
    }

    def "should roll the gallery version out to the example's scale set a third at a time"() {
        expect:
        result.out =~ /(?m)Scale set web-vmss \(policy Manual, 3 instance\(s\)\): Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest -> \/subscriptions\/.*\/versions\/1\.4\.0; upgrade manual, batches: web-vmss_0; web-vmss_1; web-vmss_2$/
        (result.out =~ /batch \d\/3: healthy: web-vmss_\d/).size() == 3
        result.out =~ /(?m)^    azure: web-vmss_2  +Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest -> web\/1\.4\.0  healthy  /
        result.out =~ /Rolled \/subscriptions\/.*\/versions\/1\.4\.0 out to web-vmss: 3 instance\(s\) on the new model, healthy/
    }

    def "should record the artifact with the exact source version in the manifest"() {
        when:
        def manifest = new groovy.json.JsonSlurper().parse(dir.resolve('example/manifest.json').toFile()) as Map
        def artifact = (manifest.builds as List)[0] as Map

        then:
        artifact.builder_type == 'azure'
        artifact.artifact_id.toString().endsWith('/galleries/corp/images/web/versions/1.4.0')
        (artifact.details as Map).sourceExactVersion == '22.04.202502060'
        (artifact.details as Map).source == 'Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest'
        (artifact.details as Map).regions == 'westeurope,northeurope'
        (artifact.details as Map).managedImageId.toString().contains('/resourceGroups/images/providers/Microsoft.Compute/images/web-')
    }

    def "should leave nothing of the build in the subscription"() {
        given: 'the same emulator data, restarted: what it acknowledged is still there'
        ResourceManagerUtils.InternalRuntimeContext.setDelayProvider({ Duration d -> Duration.ofMillis(10) })
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('emulator'), 0,
                new Operations.Settings(0, 1, Duration.ofSeconds(10)), Emulator.Machines.SANDBOX))
        compute = new AzureSdkClients(emulator.cloudFile()).computeManager()

        expect:
        compute.resourceManager().resourceGroups().list()*.name().sort() == ['images', 'prod-web']
        compute.virtualMachines().list().collect { it.id() } == []
        compute.disks().list().collect { it.id() } == []
        compute.networkManager().networkInterfaces().list().collect { it.id() } == []
        compute.networkManager().publicIpAddresses().list().collect { it.id() } == []
        compute.networkManager().networkSecurityGroups().list().collect { it.id() } == []
        compute.networkManager().networks().list().collect { it.name() } == ['web-vmss-vnet']
    }

    def "the example's scale set runs the gallery version on every instance"() {
        when:
        def scaleSet = compute.virtualMachineScaleSets().getByResourceGroup('prod-web', 'web-vmss')

        then:
        scaleSet.storageProfile().imageReference().id().endsWith('/galleries/corp/images/web/versions/1.4.0')
        scaleSet.virtualMachines().list().collect { [it.instanceId(), it.isLatestScaleSetUpdateApplied(),
                                                      it.powerState().toString()] } ==
                [['0', true, 'PowerState/running'], ['1', true, 'PowerState/running'], ['2', true, 'PowerState/running']]

        and: 'each instance, over SSH with the key the emulator kept, has the site configuration provisioning wrote'
        String key = Files.readString(dir.resolve('emulator/fleet-keys/prod-web_web-vmss'))
        scaleSet.virtualMachines().list().collect { vm ->
            def nic = compute.networkManager().networkInterfaces()
                    .listByVirtualMachineScaleSetInstanceId('prod-web', 'web-vmss', vm.instanceId()).first()
            int port = (nic.tags().get('imagebake-emulator-ssh-port') ?: '22') as int
            def ssh = SshCommunicator.connect(new SshEndpoint(nic.primaryPrivateIP(), port, 'azureuser', key, null,
                    null, false, [], null, true, null), Duration.ofSeconds(20), { })
            def out = new StringBuilder()
            try {
                ssh.run(RemoteCommand.of('cat /etc/nginx/sites-available/default'), { st, line -> out.append(line).append('\n') })
            } finally {
                ssh.close()
            }
            out.toString()
        } == [Files.readString(Path.of('dsl-examples/files/site.conf'))] * 3
    }

    def "should have published a replicated gallery version and a managed image"() {
        when:
        def version = compute.serviceClient().galleryImageVersions.getWithResponse('images', 'corp', 'web', '1.4.0',
                ReplicationStatusTypes.REPLICATION_STATUS, com.azure.core.util.Context.NONE).value
        def image = compute.virtualMachineCustomImages().listByResourceGroup('images').toList()

        then:
        version.provisioningState().toString() == 'Succeeded'
        version.replicationStatus().aggregatedState().toString() == 'Completed'
        version.replicationStatus().summary().collect { it.region().toLowerCase().replace(' ', '') }.sort() ==
                ['northeurope', 'westeurope']
        image.size() == 1
        image[0].name().startsWith('web-')

        and: "the plan's managed image storage type, which the image takes from the build VM's OS disk"
        image[0].osDiskImage().storageAccountType().toString() == 'Standard_LRS'
    }

    def "should start a VM from the gallery version that has nginx and the site configuration"() {
        given:
        def network = compute.networkManager()
        def key = OpenSshKeys.generate('check')
        def vnet = network.networks().define('vnet').withRegion(Region.EUROPE_WEST).withExistingResourceGroup('images')
                .withAddressSpace('10.1.0.0/16').withSubnet('default', '10.1.0.0/24').create()
        def version = compute.serviceClient().galleryImageVersions.get('images', 'corp', 'web', '1.4.0')

        when:
        def vm = compute.virtualMachines().define('check').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('images').withExistingPrimaryNetwork(vnet).withSubnet('default')
                .withPrimaryPrivateIPAddressDynamic().withoutPrimaryPublicIPAddress()
                .withGeneralizedLinuxCustomImage(version.id())
                .withRootUsername('checker').withSsh(key.publicLine())
                .withSize(VirtualMachineSizeTypes.STANDARD_B1S).create()
        String address = vm.primaryNetworkInterface.primaryPrivateIP()
        int port = (vm.tags().get('imagebake-emulator-ssh-port') ?: '22') as int
        def ssh = SshCommunicator.connect(new SshEndpoint(address, port, 'checker', key.privateKeyText(), null, null,
                false, [], null, true, null), Duration.ofSeconds(20), { })
        def out = new StringBuilder()
        def status = ssh.run(RemoteCommand.of('cat /etc/nginx/sites-available/default; test -x /usr/sbin/nginx && echo nginx-installed; id -un; test -d /home/checker && test ! -e /home/imagebake && echo homes-ok'),
                { s, line -> out.append(line).append('\n') })
        ssh.close()

        then:
        status.exitStatus() == 0
        out.toString() == Files.readString(Path.of('dsl-examples/files/site.conf')) + 'nginx-installed\nchecker\nhomes-ok\n'
    }

    private static void copyTree(Path from, Path to) {
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
}
