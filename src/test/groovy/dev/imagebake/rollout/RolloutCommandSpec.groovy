package dev.imagebake.rollout

import dev.imagebake.testsupport.ChildImagebake
import com.azure.core.management.Region
import com.azure.resourcemanager.compute.ComputeManager
import com.azure.resourcemanager.compute.models.HyperVGenerationTypes
import com.azure.resourcemanager.compute.models.UpgradeMode
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetSkuTypes
import com.azure.resourcemanager.compute.models.VirtualMachineSizeTypes
import com.azure.resourcemanager.network.models.Network
import com.azure.resourcemanager.resources.fluentcore.utils.ResourceManagerUtils
import dev.imagebake.cli.Main
import dev.imagebake.emulator.AzureSdkClients
import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.arm.Conditions
import dev.imagebake.emulator.arm.FaultSpec
import dev.imagebake.emulator.arm.LatencyProfile
import dev.imagebake.emulator.arm.Operations
import dev.imagebake.emulator.arm.Throttle
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise
import spock.lang.TempDir

import java.nio.file.Path
import java.time.Duration
import java.util.concurrent.TimeUnit

/**
 * `imagebake rollout` against the emulator's control plane (instances are documents here; AzureRolloutSpec rolls
 * out to instances that are real machines): dry run, manual batches, Azure's rolling upgrade, and refusals.
 */
@Stepwise
class RolloutCommandSpec extends Specification {
    static final String SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl t@t'

    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    ComputeManager compute

    @Shared
    Network vnet

    @Shared
    String imageA

    @Shared
    String imageB

    def setupSpec() {
        ResourceManagerUtils.InternalRuntimeContext.setDelayProvider({ Duration d -> Duration.ofMillis(10) })
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('data'), 0,
                new Operations.Settings(0, 1, Duration.ofSeconds(10))))
        compute = new AzureSdkClients(emulator.cloudFile()).computeManager()
        compute.resourceManager().resourceGroups().define('web').withRegion(Region.EUROPE_WEST).create()
        vnet = compute.networkManager().networks().define('vnet').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('web').withAddressSpace('10.0.0.0/16')
                .withSubnet('default', '10.0.0.0/24').create()
        def vm = compute.virtualMachines().define('src').withRegion(Region.EUROPE_WEST).withExistingResourceGroup('web')
                .withExistingPrimaryNetwork(vnet).withSubnet('default').withPrimaryPrivateIPAddressDynamic()
                .withoutPrimaryPublicIPAddress()
                .withLatestLinuxImage('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
                .withRootUsername('azureuser').withSsh(SSH_KEY).withSize(VirtualMachineSizeTypes.STANDARD_B2S).create()
        vm.deallocate()
        vm.generalize()
        imageA = image('img-a', vm)
        imageB = image('img-b', vm)
    }

    def cleanupSpec() {
        emulator?.close()
    }

    private String image(String name, vm) {
        compute.virtualMachineCustomImages().define(name).withRegion(Region.EUROPE_WEST).withExistingResourceGroup('web')
                .withHyperVGeneration(HyperVGenerationTypes.V2).fromVirtualMachine(vm).create().id()
    }

    private void scaleSet(String name, UpgradeMode mode, int capacity) {
        compute.virtualMachineScaleSets().define(name).withRegion(Region.EUROPE_WEST).withExistingResourceGroup('web')
                .withSku(VirtualMachineScaleSetSkuTypes.STANDARD_A0)
                .withExistingPrimaryNetworkSubnet(vnet, 'default')
                .withoutPrimaryInternetFacingLoadBalancer().withoutPrimaryInternalLoadBalancer()
                .withGeneralizedLinuxCustomImage(imageA)
                .withRootUsername('azureuser').withSsh(SSH_KEY)
                .withCapacity(capacity).withUpgradeMode(mode).create()
    }

    private Map rollout(String... args) {
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(err, true, 'UTF-8'), [:],
                (['rollout', '--cloud', emulator.cloudFile().toString()] + args.toList()) as String[])
        [code: code, out: out.toString('UTF-8'), err: err.toString('UTF-8')]
    }

    private List<List> instances(String name) {
        compute.virtualMachineScaleSets().getByResourceGroup('web', name).virtualMachines().list()
                .collect { [it.instanceId(), it.storageProfile().imageReference().id().split('/').last()] }
    }

    def "a dry run should show the change and the batches, and change nothing"() {
        given:
        scaleSet('manual', UpgradeMode.MANUAL, 3)

        when:
        def r = rollout('--image', imageB, '--scale-set', 'web/manual', '--max-batch-percent', '34', '--dry-run')

        then:
        r.code == 0
        r.out == "Dry run: nothing changed. Scale set manual (policy Manual, 3 instance(s)): $imageA -> $imageB; " +
                'upgrade manual\n  batch 1/3: manual_0  img-a -> img-b\n  batch 2/3: manual_1  img-a -> img-b\n' +
                '  batch 3/3: manual_2  img-a -> img-b\n'
        compute.virtualMachineScaleSets().getByResourceGroup('web', 'manual').storageProfile().imageReference().id()
                .equalsIgnoreCase(imageA)
    }

    def "should upgrade a Manual scale set one batch at a time, reporting each batch as JSON"() {
        when:
        def r = rollout('--image', imageB, '--scale-set', 'web/manual', '--max-batch-percent', '34', '--json')
        def events = r.out.readLines().collect { new JsonSlurper().parseText(it) }

        then:
        r.code == 0
        events*.event == ['rollout.plan', 'rollout.model', 'rollout.batch.started', 'rollout.batch.finished',
                          'rollout.batch.started', 'rollout.batch.finished', 'rollout.batch.started',
                          'rollout.batch.finished', 'rollout.instances', 'rollout.finished']
        events.findAll { it.event == 'rollout.batch.started' }*.instances == [['0'], ['1'], ['2']]
        events.last().ok == true
        instances('manual') == [['0', 'img-b'], ['1', 'img-b'], ['2', 'img-b']]
    }

    def "Ctrl-C between batches should stop the roll, say where the scale set was left, and exit 130"() {
        given: 'imagebake rollout in a process of its own, pausing a minute after each batch'
        def p = new ProcessBuilder(ChildImagebake.command(['rollout', '--cloud', emulator.cloudFile().toString(),
                '--image', imageA, '--scale-set', 'web/manual', '--max-batch-percent', '34', '--pause', '60s']))
                .redirectErrorStream(true).start()
        def out = new StringBuilder()
        def reader = new BufferedReader(new InputStreamReader(p.inputStream, 'UTF-8'))
        String line
        while ((line = reader.readLine()) != null && !line.startsWith('pausing')) {
            out.append(line).append('\n')
        }

        when:
        new ProcessBuilder('kill', '-INT', p.pid().toString()).start().waitFor()
        out.append(reader.text)
        p.waitFor(60, TimeUnit.SECONDS)

        then:
        p.exitValue() == 130
        out.toString().contains('batch 1/3: healthy: manual_0')
        out.toString().contains('Interrupted: stopping the roll-out')
        out.toString().readLines().last() == "Roll-out to manual cancelled: the model points at $imageA; manual_0 " +
                "was reimaged to it. Roll back with: imagebake rollout --image $imageB --scale-set web/manual " +
                "--cloud ${emulator.cloudFile().toAbsolutePath()}"
        instances('manual') == [['0', 'img-a'], ['1', 'img-b'], ['2', 'img-b']]

        when: 'the roll-back command it printed, run as printed'
        String command = out.toString().readLines().last().split('Roll back with: imagebake ')[1]
        int back = Main.run(new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream()),
                [:], command.split(' '))

        then:
        back == 0
        instances('manual') == [['0', 'img-b'], ['1', 'img-b'], ['2', 'img-b']]
    }

    def "should follow Azure's rolling upgrade of a Rolling scale set until it completes"() {
        given:
        scaleSet('rolling', UpgradeMode.ROLLING, 2)

        when:
        def r = rollout('--image', imageB, '--scale-set', 'web/rolling', '--max-batch-percent', '50')

        then:
        r.code == 0
        r.out.readLines()[0] == "Scale set rolling (policy Rolling, 2 instance(s)): $imageA -> $imageB; upgrade rolling"
        r.out.contains('rolling upgrade Completed: 2 done, 0 in progress, 0 pending, 0 failed')
        instances('rolling') == [['0', 'img-b'], ['1', 'img-b']]

        and: "the 50 % batches were this roll's only: the scale set's own policy is back"
        def policy = compute.virtualMachineScaleSets().getByResourceGroup('web', 'rolling').innerModel().upgradePolicy()
                .rollingUpgradePolicy()
        policy.maxBatchInstancePercent() == 20
    }

    def "instances unhealthy after Azure's roll should have the model rolled back and Azure's roll back followed"() {
        when: 'a health URL no instance answers'
        def r = rollout('--image', imageA, '--scale-set', 'web/rolling', '--max-batch-percent', '50', '--health-url',
                'http://{address}:9/', '--health-timeout', '1s', '--rollback-on-failure')

        then:
        r.code == 1
        r.out.contains('Roll-out to rolling stopped: 2 unhealthy instance(s) after the rolling upgrade, more than ' +
                'allowed (0)')
        r.out.contains("Rolled back: the model points at $imageB again and Azure's rolling upgrade returned the " +
                'instances to it.')
        instances('rolling') == [['0', 'img-b'], ['1', 'img-b']]
    }

    def "without batch options, a Rolling scale set's own rolling-upgrade policy is kept"() {
        given: 'a policy of 30% batches and a 2 s pause, set on the scale set itself'
        def inner = compute.serviceClient().virtualMachineScaleSets.getByResourceGroup('web', 'rolling')
        inner.upgradePolicy().rollingUpgradePolicy().withMaxBatchInstancePercent(30).withPauseTimeBetweenBatches('PT2S')
        compute.serviceClient().virtualMachineScaleSets.update('web', 'rolling',
                new com.azure.resourcemanager.compute.models.VirtualMachineScaleSetUpdate()
                        .withUpgradePolicy(inner.upgradePolicy()))

        when:
        def r = rollout('--image', imageA, '--scale-set', 'web/rolling')

        then:
        r.code == 0
        instances('rolling') == [['0', 'img-a'], ['1', 'img-a']]
        def policy = compute.virtualMachineScaleSets().getByResourceGroup('web', 'rolling').innerModel().upgradePolicy()
                .rollingUpgradePolicy()
        policy.maxBatchInstancePercent() == 30
        policy.pauseTimeBetweenBatches() == 'PT2S'
    }

    def "should leave an Automatic scale set's upgrade to Azure and check every instance on the new model"() {
        given:
        scaleSet('automatic', UpgradeMode.AUTOMATIC, 2)

        when:
        def r = rollout('--image', imageB, '--scale-set', 'web/automatic')

        then:
        r.code == 0
        r.out.readLines()[0].endsWith('; upgrade by Azure, every instance at once')
        r.out.readLines().last() == "Rolled $imageB out to automatic: 2 instance(s) on the new model, healthy"
        instances('automatic') == [['0', 'img-b'], ['1', 'img-b']]
    }

    def "should refuse, before changing anything, what cannot work"() {
        when:
        def r = rollout(args as String[])

        then:
        r.code == code
        r.err.readLines()[0] == message
        instances('manual').every { it[1] == 'img-b' }

        where:
        args                                                                  | code | message
        ['--image', 'x', '--scale-set', 'manual']                             | 2    | "Error: --scale-set takes RESOURCE_GROUP/NAME; got 'manual'"
        ['--image', '/x', '--scale-set', 'web/manual', '--upgrade', 'rolling'] | 1    | "Error: upgrade 'rolling' needs a scale set whose upgrade policy is Rolling; this one's is Manual. Use upgrade 'manual' to let imagebake upgrade it in batches."
        ['--image', '/x', '--scale-set', 'web/nope']                           | 1    | "Error: reading scale set web/nope failed: ResourceNotFound: The Resource 'Microsoft.Compute/virtualMachineScaleSets/nope' under resource group 'web' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix (HTTP 404 not found; not retried, as it would fail the same way)"
        ['--image', 'x', '--scale-set', 'web/manual', '--health-command', 'true'] | 2 | 'Error: --health-command runs over SSH and needs --ssh-user and --ssh-key'
        ['--image', 'Canonical:jammy', '--scale-set', 'web/manual']            | 2    | "Error: --image takes a resource ID (/subscriptions/...) or a marketplace image PUBLISHER:OFFER:SKU:VERSION; got 'Canonical:jammy'"
    }

    def "a scale set in Flexible orchestration mode should be refused before anything changes"() {
        given: 'a Flexible scale set, which the emulator keeps as a model with no instances'
        compute.virtualMachineScaleSets().define('flex').withRegion(Region.EUROPE_WEST).withExistingResourceGroup('web')
                .withFlexibleOrchestrationMode().create()

        when:
        def r = rollout('--image', imageB, '--scale-set', 'web/flex')

        then:
        r.code == 1
        r.err.readLines()[0] == 'Error: scale set flex uses Flexible orchestration, whose instances are separate ' +
                'virtual machines; imagebake rolls out to Uniform scale sets only. Update a Flexible one with az vmss ' +
                'update and az vmss update-instances --instance-ids VM_NAMES.'
        r.out == ''
        def flex = compute.virtualMachineScaleSets().getByResourceGroup('web', 'flex').innerModel()
        flex.orchestrationMode().toString() == 'Flexible'
        flex.virtualMachineProfile() == null
    }

    def "should roll a marketplace image given as PUBLISHER:OFFER:SKU:VERSION, the form a cancelled roll prints"() {
        given:
        scaleSet('market', UpgradeMode.MANUAL, 1)

        when:
        def r = rollout('--image', 'Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest', '--scale-set',
                'web/market')

        then:
        r.code == 0
        r.out.readLines()[0] == "Scale set market (policy Manual, 1 instance(s)): $imageA -> " +
                'Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest; upgrade manual, batches: market_0'
        def model = compute.virtualMachineScaleSets().getByResourceGroup('web', 'market').storageProfile()
                .imageReference()
        [model.id(), model.publisher(), model.offer(), model.sku(), model.version()] ==
                [null, 'Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2', 'latest']
        def instance = compute.virtualMachineScaleSets().getByResourceGroup('web', 'market').virtualMachines().list()
                .first()
        instance.isLatestScaleSetUpdateApplied()
        instance.storageProfile().imageReference().offer() == '0001-com-ubuntu-server-jammy'
    }

    def "an image that does not exist fails the roll with Azure's error and leaves the model as it was"() {
        when:
        def r = rollout('--image', '/subscriptions/x/resourceGroups/web/providers/Microsoft.Compute/images/nope',
                '--scale-set', 'web/manual')

        then:
        r.code == 1
        r.err == "Error: Updating the model of scale set manual failed: NotFound: The Image '/subscriptions/x/" +
                "resourceGroups/web/providers/Microsoft.Compute/images/nope' cannot be found in 'westeurope' region." +
                ' (HTTP 404 not found; not retried, as it would fail the same way)\n'
        instances('manual').every { it[1] == 'img-b' }
    }

    def "a batch whose upgrade Azure fails should stop the roll, name the error, and roll back"() {
        given: 'an emulator on the same data whose next manual upgrade fails'
        emulator.close()
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('data'), 0,
                new Operations.Settings(0, 1, Duration.ofSeconds(10))).withConditions(new Conditions(
                LatencyProfile.INSTANT, Throttle.azure(false), [FaultSpec.parse('POST manualupgrade:lro-failed=InternalExecutionError')])))
        compute = new AzureSdkClients(emulator.cloudFile()).computeManager()

        when:
        def r = rollout('--image', imageA, '--scale-set', 'web/manual', '--max-batch-percent', '34',
                '--rollback-on-failure')

        then:
        r.code == 1
        r.out.contains('batch 1/3: reimaging manual_0')
        !r.out.contains('batch 2/3')
        r.out.contains('Roll-out to manual stopped: batch 1/3 could not be upgraded\n  manual_0: upgrade failed: ' +
                'Upgrading instance(s) 0 of scale set manual failed: InternalExecutionError: ')
        r.out.contains("Rolled back: the model points at $imageB again.")
        instances('manual').every { it[1] == 'img-b' }
        compute.virtualMachineScaleSets().getByResourceGroup('web', 'manual').storageProfile().imageReference().id()
                .equalsIgnoreCase(imageB)
    }
}
