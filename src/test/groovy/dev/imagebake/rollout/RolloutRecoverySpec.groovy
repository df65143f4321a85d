package dev.imagebake.rollout

import dev.imagebake.testsupport.ChildImagebake
import com.azure.core.management.Region
import com.azure.resourcemanager.compute.ComputeManager
import com.azure.resourcemanager.compute.models.HyperVGenerationTypes
import com.azure.resourcemanager.compute.models.UpgradeMode
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetSkuTypes
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetVMInstanceRequiredIDs
import com.azure.resourcemanager.compute.models.VirtualMachineSizeTypes
import com.azure.resourcemanager.network.models.Network
import com.azure.resourcemanager.resources.fluentcore.utils.ResourceManagerUtils
import dev.imagebake.cli.Main
import dev.imagebake.emulator.AzureSdkClients
import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.arm.Operations
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Path
import java.util.concurrent.TimeUnit

/**
 * `imagebake rollout` after things went wrong, against the emulator through the real SDK: a roll interrupted (a real
 * SIGINT to a process of its own) and run again, the roll-back command it prints, the built-in roll-back, the
 * rolling-upgrade policy a roll changes for its own use, and what a dry run and the end of a roll show.
 */
class RolloutRecoverySpec extends Specification {
    static final String SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl t@t'
    static final String DEFAULT_POLICY = 'batches of 20 %, at most 20 % unhealthy (20 % of the upgraded ones), no ' +
            'pause between batches'

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
        ResourceManagerUtils.InternalRuntimeContext.setDelayProvider({ java.time.Duration d -> java.time.Duration.ofMillis(10) })
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('data'), 0,
                new Operations.Settings(0, 1, java.time.Duration.ofSeconds(10))))
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

    /**
     * Runs imagebake rollout in a JVM of its own, sends it SIGINT once it prints a line starting with {@code until},
     * and returns its exit code and everything it printed. The JVM starts with SIGINT's default action, as from a
     * terminal, also when the build runs as a background job (which starts with SIGINT ignored, and a JVM then
     * never hears it).
     */
    private Map interrupted(String until, String... args) {
        def p = new ProcessBuilder(ChildImagebake.command(['rollout', '--cloud', emulator.cloudFile().toString()]
                + args.toList())).redirectErrorStream(true).start()
        def out = new StringBuilder()
        def reader = new BufferedReader(new InputStreamReader(p.inputStream, 'UTF-8'))
        String line
        while ((line = reader.readLine()) != null) {
            out.append(line).append('\n')
            if (line.startsWith(until)) {
                break
            }
        }
        new ProcessBuilder('kill', '-INT', p.pid().toString()).start().waitFor()
        out.append(reader.text)
        assert p.waitFor(120, TimeUnit.SECONDS)
        [code: p.exitValue(), out: out.toString()]
    }

    /** Each instance: [ID, image name, latest model applied, OS disk name]. */
    private List<List> instances(String name) {
        compute.virtualMachineScaleSets().getByResourceGroup('web', name).virtualMachines().list().collect {
            [it.instanceId(), it.storageProfile().imageReference().id().split('/').last(),
             it.isLatestScaleSetUpdateApplied(), it.storageProfile().osDisk().name()]
        }
    }

    private Map<String, String> tags(String name) {
        compute.serviceClient().virtualMachineScaleSets.getByResourceGroup('web', name).tags() ?: [:]
    }

    private List policy(String name) {
        def p = compute.serviceClient().virtualMachineScaleSets.getByResourceGroup('web', name).upgradePolicy()
                .rollingUpgradePolicy()
        [p.maxBatchInstancePercent(), p.maxUnhealthyInstancePercent(), p.maxUnhealthyUpgradedInstancePercent(),
         p.pauseTimeBetweenBatches()]
    }

    def "a dry run should say that nothing changed and show each instance's batch, image and target"() {
        given:
        scaleSet('dry', UpgradeMode.MANUAL, 3)

        when:
        def r = rollout('--image', imageB, '--scale-set', 'web/dry', '--max-batch-percent', '34', '--dry-run')

        then:
        r.code == 0
        r.out == "Dry run: nothing changed. Scale set dry (policy Manual, 3 instance(s)): $imageA -> $imageB; " +
                'upgrade manual\n' +
                '  batch 1/3: dry_0  img-a -> img-b\n' +
                '  batch 2/3: dry_1  img-a -> img-b\n' +
                '  batch 3/3: dry_2  img-a -> img-b\n'
        instances('dry').every { it[1] == 'img-a' && it[2] }
    }

    def "a dry run of an image that does not exist should fail with exit code 1 and change nothing"() {
        given:
        String nope = imageA.replace('img-a', 'nope')

        when:
        def r = rollout('--image', nope, '--scale-set', 'web/dry', '--dry-run')

        then:
        r.code == 1
        r.out == ''
        r.err.startsWith("Error: the image $nope cannot be rolled out: ResourceNotFound: ")
        instances('dry').every { it[1] == 'img-a' && it[2] }
    }

    def "a roll interrupted twice should still roll back to the image the instances ran before it"() {
        given:
        scaleSet('again', UpgradeMode.MANUAL, 3)
        String[] roll = ['--image', imageB, '--scale-set', 'web/again', '--max-batch-percent', '34', '--pause', '60s']
        String back = "Roll back with: imagebake rollout --image $imageA --scale-set web/again --cloud " +
                emulator.cloudFile().toAbsolutePath()

        when: 'Ctrl-C after the first batch'
        def first = interrupted('pausing', roll)

        then:
        first.code == 130
        first.out.readLines().last() == "Roll-out to again cancelled: the model points at $imageB; again_0 was " +
                "reimaged to it. $back"

        when: 'the same roll again, and Ctrl-C after its first batch'
        def second = interrupted('pausing', roll)

        then:
        second.code == 130
        second.out.contains('batch 1/2: reimaging again_1')
        second.out.readLines().last() == "Roll-out to again cancelled: the model points at $imageB; again_1 was " +
                "reimaged to it. $back"
        instances('again')*.getAt(1) == ['img-b', 'img-b', 'img-a']

        when: 'the same roll a third time, with a health check that fails and rollback on'
        def third = rollout('--image', imageB, '--scale-set', 'web/again', '--health-url', 'http://{address}:9/',
                '--health-timeout', '1s', '--rollback-on-failure')

        then: 'every instance is back on the image it ran before the first roll, and nothing is left in the tags'
        third.code == 1
        third.out.contains("Rolled back: the model points at $imageA again and again_0, again_1, again_2 were " +
                'reimaged to it.')
        instances('again').every { it[1] == 'img-a' && it[2] }
        compute.virtualMachineScaleSets().getByResourceGroup('web', 'again').storageProfile().imageReference().id()
                .equalsIgnoreCase(imageA)
        !tags('again').keySet().any { it.startsWith('imagebake-') }
    }

    def "the printed roll-back command should reimage only the instances on the new image"() {
        given: 'a roll stopped after its first batch: the model on B, instance 0 on B, the others still on A'
        scaleSet('printed', UpgradeMode.MANUAL, 3)
        def first = interrupted('pausing', '--image', imageB, '--scale-set', 'web/printed', '--max-batch-percent',
                '34', '--pause', '60s')
        String command = first.out.readLines().last().split('Roll back with: imagebake ')[1]
        def disks = instances('printed')*.getAt(3)

        when: 'the command it printed, run as printed'
        def out = new ByteArrayOutputStream()
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(new ByteArrayOutputStream()), [:],
                (command.split(' ').toList() + ['--json']) as String[])
        def events = out.toString('UTF-8').readLines().collect { new JsonSlurper().parseText(it) }

        then: 'only instance 0 was reimaged; the two others kept their disks and are on the latest model'
        code == 0
        events.findAll { it.event == 'rollout.batch.started' }*.instances == [['0']]
        events.find { it.event == 'rollout.aligned' }.instances == ['1', '2']
        def now = instances('printed')
        now.every { it[1] == 'img-a' && it[2] }
        now[0][3] != disks[0]
        now[1][3] == disks[1]
        now[2][3] == disks[2]
    }

    def "a failed roll's own roll-back should leave every instance on the latest model, reimaging only those it reached"() {
        given:
        scaleSet('own', UpgradeMode.MANUAL, 3)
        def disks = instances('own')*.getAt(3)

        when:
        def r = rollout('--image', imageB, '--scale-set', 'web/own', '--max-batch-percent', '34', '--health-url',
                'http://{address}:9/', '--health-timeout', '1s', '--rollback-on-failure')

        then:
        r.code == 1
        r.out.contains("Rolled back: the model points at $imageA again and own_0 was reimaged to it.")
        def now = instances('own')
        now.every { it[1] == 'img-a' && it[2] }
        now[1][3] == disks[1]
        now[2][3] == disks[2]
    }

    def "the rolling-upgrade policy a roll sets should show in the dry run and be put back when the roll ends"() {
        given:
        scaleSet('policy', UpgradeMode.ROLLING, 2)
        String[] options = ['--scale-set', 'web/policy', '--max-batch-percent', '50', '--max-unhealthy-percent', '50']

        when:
        def dry = rollout((['--image', imageB, '--dry-run'] + options.toList()) as String[])

        then:
        dry.code == 0
        dry.out.readLines().drop(1) == [
                '  Azure\'s batch 1/2: policy_0  img-a -> img-b',
                '  Azure\'s batch 2/2: policy_1  img-a -> img-b',
                'Azure\'s rolling-upgrade policy for this roll: batches of 50 %, at most 50 % unhealthy (50 % of the ' +
                        "upgraded ones), no pause between batches (the scale set's own: $DEFAULT_POLICY; put back " +
                        'when the roll ends)']

        when: 'a roll that succeeds'
        def ok = rollout((['--image', imageB] + options.toList()) as String[])

        then:
        ok.code == 0
        ok.out.contains("The scale set's own rolling-upgrade policy is back: $DEFAULT_POLICY.")
        policy('policy') == [20, 20, 20, 'PT0S']
        instances('policy').every { it[1] == 'img-b' }

        when: 'a roll that fails and is rolled back'
        def failed = rollout((['--image', imageA, '--health-url', 'http://{address}:9/', '--health-timeout', '1s',
                               '--rollback-on-failure'] + options.toList()) as String[])

        then:
        failed.code == 1
        failed.out.contains("Rolled back: the model points at $imageB again")
        policy('policy') == [20, 20, 20, 'PT0S']
        !tags('policy').keySet().any { it.startsWith('imagebake-') }
    }

    def "an interrupted rolling upgrade should say plainly that the policy is changed, and the next roll put it back"() {
        given:
        scaleSet('paused', UpgradeMode.ROLLING, 2)

        when: 'Ctrl-C while Azure rolls, with a minute between its batches'
        def r = interrupted('rolling upgrade RollingForward', '--image', imageB, '--scale-set', 'web/paused',
                '--max-batch-percent', '50', '--pause', '60s')

        then:
        r.code == 130
        r.out.readLines().last().contains("The scale set's rolling-upgrade policy is still the one set for this roll " +
                '(batches of 50 %, at most 20 % unhealthy (20 % of the upgraded ones), a pause of 1m00s between ' +
                "batches), not its own ($DEFAULT_POLICY); a roll that ends puts it back, or: az vmss update " +
                '--resource-group web --name paused --set upgradePolicy.rollingUpgradePolicy.maxBatchInstancePercent=20')
        policy('paused') == [50, 20, 20, 'PT60S']

        when: "Azure's roll is cancelled, and the roll-back command it printed is run"
        compute.serviceClient().virtualMachineScaleSetRollingUpgrades.cancel('web', 'paused')
        String command = r.out.readLines().last().split('Roll back with: imagebake ')[1]
        def out = new ByteArrayOutputStream()
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(new ByteArrayOutputStream()), [:],
                command.split(' '))

        then:
        code == 0
        policy('paused') == [20, 20, 20, 'PT0S']
        instances('paused').every { it[1] == 'img-a' && it[2] }
        !tags('paused').keySet().any { it.startsWith('imagebake-') }
    }

    def "the end of a roll should show each instance's image before and after, health and time; batches by name"() {
        given:
        scaleSet('table', UpgradeMode.MANUAL, 2)

        when:
        def r = rollout('--image', imageB, '--scale-set', 'web/table', '--max-batch-percent', '50')
        def lines = r.out.readLines()

        then:
        r.code == 0
        lines[0] == "Scale set table (policy Manual, 2 instance(s)): $imageA -> $imageB; upgrade manual, batches: " +
                'table_0; table_1'
        lines.contains('batch 1/2: reimaging table_0')
        lines.contains('batch 1/2: healthy: table_0')
        !r.out.contains('[')
        lines[-4] == 'instance  image before -> after  health   time'
        lines[-3] ==~ /table_0   img-a -> img-b {9}healthy  \d.*/
        lines[-2] ==~ /table_1   img-a -> img-b {9}healthy  \d.*/
        lines[-1] == "Rolled $imageB out to table: 2 instance(s) on the new model, healthy"
    }
}
