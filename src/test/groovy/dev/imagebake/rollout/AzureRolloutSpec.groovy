package dev.imagebake.rollout

import com.azure.core.management.Region
import com.azure.resourcemanager.compute.ComputeManager
import com.azure.resourcemanager.compute.models.UpgradeMode
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetSkuTypes
import com.azure.resourcemanager.resources.fluentcore.utils.ResourceManagerUtils
import dev.imagebake.builder.azure.OpenSshKeys
import dev.imagebake.cli.Main
import dev.imagebake.communicator.RemoteCommand
import dev.imagebake.communicator.SshCommunicator
import dev.imagebake.communicator.SshEndpoint
import dev.imagebake.emulator.AzureSdkClients
import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.arm.Operations
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration

/**
 * The last mile, as a user runs it: `imagebake build` bakes an image on the emulator and its `post scaleSet` rolls
 * it out, batch by batch, to a 3-instance scale set whose instances are real sandboxed machines, checked over SSH;
 * a second bake whose image fails the health check stops after its first batch and is rolled back.
 */
@Stepwise
class AzureRolloutSpec extends Specification {
    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    ComputeManager compute

    @Shared
    OpenSshKeys key

    def setupSpec() {
        ResourceManagerUtils.InternalRuntimeContext.setDelayProvider({ Duration d -> Duration.ofMillis(10) })
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('data'), 0,
                new Operations.Settings(0, 1, Duration.ofSeconds(10)), Emulator.Machines.SANDBOX))
        compute = new AzureSdkClients(emulator.cloudFile()).computeManager()
        ['web', 'images'].each {
            compute.resourceManager().resourceGroups().define(it).withRegion(Region.EUROPE_WEST).create()
        }
        def vnet = compute.networkManager().networks().define('vnet').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('web').withAddressSpace('10.0.0.0/16')
                .withSubnet('default', '10.0.0.0/24').create()
        key = OpenSshKeys.generate('fleet')
        Files.writeString(dir.resolve('fleet_key'), key.privateKeyText())
        compute.virtualMachineScaleSets().define('fleet').withRegion(Region.EUROPE_WEST).withExistingResourceGroup('web')
                .withSku(VirtualMachineScaleSetSkuTypes.STANDARD_A0)
                .withExistingPrimaryNetworkSubnet(vnet, 'default')
                .withoutPrimaryInternetFacingLoadBalancer().withoutPrimaryInternalLoadBalancer()
                .withLatestLinuxImage('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
                .withRootUsername('azureuser').withSsh(key.publicLine())
                .withCapacity(3).withUpgradeMode(UpgradeMode.MANUAL).create()
    }

    def cleanupSpec() {
        emulator?.close()
    }

    /** A template that writes {@code version} to /opt/app and, if {@code healthy}, the file the health check wants. */
    private Path template(String version, boolean healthy, String scaleSet = 'fleet') {
        Path file = dir.resolve("web-${version}.imagebake.groovy")
        Files.writeString(file, """
            builder azure {
                location 'westeurope'
                vmSize 'Standard_B2s'
                source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
                managedImage 'web-${version}', resourceGroup: 'images'
            }
            provision shell {
                inline 'sudo mkdir -p /opt/app', 'echo ${version} | sudo tee /opt/app/version'${healthy ?
                ", 'sudo touch /opt/app/healthy'" : ''}
            }
            post scaleSet {
                resourceGroup 'web'
                name '${scaleSet}'
                upgrade 'manual'
                maxBatchPercent 34
                maxUnhealthyPercent 0
                rollbackOnFailure true
                health {
                    command 'test -f /opt/app/healthy'
                    user 'azureuser'
                    privateKeyFile 'fleet_key'
                    timeout '20s'
                }
            }
        """.stripIndent())
        file
    }

    private Map build(Path template) {
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(err, true, 'UTF-8'), [:],
                ['build', '--cloud', emulator.cloudFile().toString(), '--json', template.toString()] as String[])
        [code: code, events: out.toString('UTF-8').readLines().findAll { it.startsWith('{') }
                .collect { new JsonSlurper().parseText(it) }, err: err.toString('UTF-8')]
    }

    /** Runs a command on every instance over SSH, at the address its network interface lists. */
    private Map<String, String> onEachInstance(String command) {
        def network = compute.networkManager()
        compute.virtualMachineScaleSets().getByResourceGroup('web', 'fleet').virtualMachines().list().collectEntries { vm ->
            def nic = network.networkInterfaces().listByVirtualMachineScaleSetInstanceId('web', 'fleet', vm.instanceId())
                    .first()
            int port = (nic.tags().get('imagebake-emulator-ssh-port') ?: '22') as int
            def ssh = SshCommunicator.connect(new SshEndpoint(nic.primaryPrivateIP(), port, 'azureuser',
                    key.privateKeyText(), null, null, false, [], null, true, null), Duration.ofSeconds(20), { })
            def out = new StringBuilder()
            try {
                ssh.run(RemoteCommand.of(command), { s, line -> out.append(line) })
            } finally {
                ssh.close()
            }
            [(vm.instanceId()): out.toString()]
        }
    }

    private String modelImage() {
        compute.virtualMachineScaleSets().getByResourceGroup('web', 'fleet').storageProfile().imageReference().id()
    }

    def "a fresh marketplace fleet has no application"() {
        expect:
        onEachInstance('cat /opt/app/version 2>/dev/null || echo none') == ['0': 'none', '1': 'none', '2': 'none']
    }

    def "should bake an image and roll it out to the fleet in three batches of one, each checked healthy"() {
        when:
        def r = build(template('v1', true))
        def batches = r.events.findAll { it.event?.startsWith('rollout.batch') }

        then:
        r.code == 0
        batches.collect { [it.event, it.instances, it.unhealthy] } == [
                ['rollout.batch.started', ['0'], null], ['rollout.batch.finished', ['0'], [:]],
                ['rollout.batch.started', ['1'], null], ['rollout.batch.finished', ['1'], [:]],
                ['rollout.batch.started', ['2'], null], ['rollout.batch.finished', ['2'], [:]]]
        modelImage().endsWith('/images/web-v1')

        and: 'every instance runs the new image: what provisioning wrote is there, over SSH'
        onEachInstance('cat /opt/app/version') == ['0': 'v1', '1': 'v1', '2': 'v1']
    }

    def "an image that fails the health check should stop the roll after its first batch and be rolled back"() {
        when:
        def r = build(template('v2', false))
        def finished = r.events.find { it.event == 'rollout.finished' }

        then:
        r.code == 1
        r.events.findAll { it.event == 'rollout.batch.started' }*.instances == [['0']]
        finished.ok == false
        finished.rolledBack == true
        finished.unhealthy.keySet() == ['0'] as Set
        finished.unhealthy['0'].startsWith('health command exited 1')
        r.events.find { it.event == 'build.finished' }.error.contains('Rolled back: the model points at')

        and: 'the model and the instance tried are back on the previous image; the others were never reimaged'
        modelImage().endsWith('/images/web-v1')
        onEachInstance('cat /opt/app/version') == ['0': 'v1', '1': 'v1', '2': 'v1']
        r.events.findAll { it.event == 'rollout.rollback' && it.instances }*.instances == [['0']]

        and: 'every instance is on the latest model, so none is left behind for the next roll'
        compute.virtualMachineScaleSets().getByResourceGroup('web', 'fleet').virtualMachines().list()
                .every { it.isLatestScaleSetUpdateApplied() }
    }

    def "a bake whose scale set does not exist should fail in its first step, before any VM is made"() {
        when:
        def r = build(template('v3', true, 'nope'))
        def failed = r.events.find { it.event == 'step.finished' && !it.ok }

        then:
        r.code == 1
        failed.index == 1
        failed.step == 'check roll-out target of scaleSet (line 11)'
        failed.error.startsWith("scaleSet (line 11) cannot roll out to scale set web/nope: reading scale set web/nope " +
                "failed: ResourceNotFound: The Resource 'Microsoft.Compute/virtualMachineScaleSets/nope' under " +
                "resource group 'web' was not found.")
        !r.events.any { it.event == 'step.started' && it.step == 'create VM' }
        compute.virtualMachineCustomImages().listByResourceGroup('images').collect { it.name() }.sort() == ['web-v1', 'web-v2']
    }
}
