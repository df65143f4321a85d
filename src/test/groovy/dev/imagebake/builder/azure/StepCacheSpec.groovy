package dev.imagebake.builder.azure

import com.azure.core.management.Region
import com.azure.resourcemanager.compute.ComputeManager
import com.azure.resourcemanager.network.models.Network
import com.azure.resourcemanager.resources.fluentcore.utils.ResourceManagerUtils
import dev.imagebake.cli.Main
import dev.imagebake.emulator.AzureSdkClients
import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.arm.Operations
import dev.imagebake.emulator.vm.MachineShell
import dev.imagebake.testsupport.Poll
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration
import java.time.Instant

/**
 * The step cache (`cache true`), as a user meets it: real builds against the emulator with real machines (sshd in
 * a sandbox), snapshots read back with the Azure SDK, and the images checked over SSH in VMs made from them.
 */
@Stepwise
class StepCacheSpec extends Specification {
    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    AzureSdkClients sdk

    @Shared
    ComputeManager compute

    @Shared
    Network vnet

    @Shared
    MachineShell shell

    /** The machine's log of the steps that ran, and what the upload brought. */
    static final String INSPECT = 'cat /var/log/steps; echo ---; cat /etc/payload.txt; echo ---; ' +
            'id imagebake >/dev/null 2>&1 && echo "build user still there" || echo "build user gone"'

    def setupSpec() {
        ResourceManagerUtils.InternalRuntimeContext.setDelayProvider({ Duration d -> Duration.ofMillis(10) })
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('emulator'), 0,
                new Operations.Settings(0, 1, Duration.ofSeconds(10)), Emulator.Machines.SANDBOX))
        sdk = new AzureSdkClients(emulator.cloudFile())
        compute = sdk.computeManager()
        compute.resourceManager().resourceGroups().define('images').withRegion(Region.EUROPE_WEST).create()
        compute.resourceManager().resourceGroups().define('check').withRegion(Region.EUROPE_WEST).create()
        vnet = compute.networkManager().networks().define('vnet').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('check').withAddressSpace('10.0.0.0/16')
                .withSubnet('default', '10.0.0.0/24').create()
        shell = new MachineShell(dir, 'checker')
        Files.writeString(dir.resolve('payload.txt'), 'payload one\n')
    }

    def cleanupSpec() {
        emulator?.close()
    }

    static String template(String image, String last, String cache = 'cache true') {
        """
builder azure {
    location 'westeurope'
    vmSize 'Standard_B1s'
    source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
    managedImage '${image}', resourceGroup: 'images'
    ${cache}
}
provision shell { inline 'echo one | sudo tee -a /var/log/steps' }
provision file {
    source 'payload.txt'
    destination '/tmp/payload.txt'
}
provision shell { inline 'sudo cp /tmp/payload.txt /etc/payload.txt', 'echo two | sudo tee -a /var/log/steps' }
provision shell { inline 'echo three | sudo tee -a /var/log/steps' }
provision shell { inline 'echo ${last} | sudo tee -a /var/log/steps' }
"""
    }

    Map build(String text, List<String> extra = []) {
        Path t = dir.resolve('web.imagebake.groovy')
        Files.writeString(t, text)
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(err, true, 'UTF-8'), [:],
                (['build', '--cloud', emulator.cloudFile().toString()] + extra + [t.toString()]) as String[])
        [code: code, out: out.toString('UTF-8'), err: err.toString('UTF-8')]
    }

    Map cli(List<String> args) {
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(err, true, 'UTF-8'), [:],
                args as String[])
        [code: code, out: out.toString('UTF-8'), err: err.toString('UTF-8')]
    }

    List snapshots(String group) {
        compute.serviceClient().snapshots.listByResourceGroup(group).toList()
    }

    /** What a VM made from the image shows over SSH. */
    String seenIn(String image, String vm) {
        def pip = compute.networkManager().publicIpAddresses().define("pip-$vm").withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('check').withStaticIP().create()
        def nic = compute.networkManager().networkInterfaces().define("nic-$vm").withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('check').withExistingPrimaryNetwork(vnet).withSubnet('default')
                .withPrimaryPrivateIPAddressDynamic().withExistingPrimaryPublicIPAddress(pip).create()
        def id = compute.virtualMachineCustomImages().getByResourceGroup('images', image).id()
        compute.virtualMachines().define(vm).withRegion(Region.EUROPE_WEST).withExistingResourceGroup('check')
                .withExistingPrimaryNetworkInterface(nic).withGeneralizedLinuxCustomImage(id)
                .withRootUsername('azureuser').withSsh(shell.publicKey()).create()
        String host = compute.networkManager().publicIpAddresses().getByResourceGroup('check', "pip-$vm").ipAddress()
        def (int status, String out) = shell.await(host, 'azureuser', INSPECT)
        assert status == 0: out
        out
    }

    def "a first build with the cache on snapshots the OS disk after each step, and leaves only the snapshots"() {
        when:
        def r = build(template('web-a', 'five-a'))

        then:
        r.code == 0
        r.out.contains('cache: miss: no snapshot in resource group imagebake-cache matches this source ' +
                '(marketplace Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:')
        (r.out =~ /cache: snapshot ibc-[0-9a-f]{24}-[0-9a-f]{8} of the OS disk after step \d started/).size() == 5
        r.out.contains('cache: 5 snapshot(s) of this build are in resource group imagebake-cache until ')

        and: 'five complete, incremental snapshots, tagged with their step and no build lease'
        def snaps = snapshots('imagebake-cache').sort { it.tags()[StepCache.TAG_STEP] as int }
        snaps*.tags()*.get(StepCache.TAG_STEP) == ['1', '2', '3', '4', '5']
        snaps*.tags()*.get(StepCache.TAG_STEP_NAME) == ['shell (line 9)', 'file (line 10)', 'shell (line 14)',
                                                       'shell (line 15)', 'shell (line 16)']
        snaps.every { it.incremental() && it.provisioningState() == 'Succeeded' }
        snaps.every { !it.tags().containsKey(AzureBuild.TAG_BUILD) && !it.tags().containsKey(AzureBuild.TAG_PID) }
        snaps*.tags()*.get(StepCache.TAG_KEY).unique().size() == 5
        compute.resourceManager().resourceGroups().getByName('imagebake-cache').tags() == ['imagebake-cache': 'true']

        and: 'nothing else of the build is left'
        AzureBuildFaultsSpec.leftovers(sdk).findAll { !it.contains('/resourceGroups/check/') } == ['imagebake-cache']

        and: 'the image holds each step once'
        seenIn('web-a', 'vm-a') == 'one\ntwo\nthree\nfive-a\n---\npayload one\n---\nbuild user gone\n'
    }

    def "cache list shows the snapshots"() {
        when:
        def r = cli(['cache', 'list', '--cloud', emulator.cloudFile().toString()])

        then:
        r.code == 0
        r.out.readLines()[0] =~ /^SNAPSHOT +STEP +TEMPLATE +CREATED +EXPIRES +AFTER$/
        (r.out =~ /(?m)^ibc-[0-9a-f]{24}-[0-9a-f]{8} +\d +web\.imagebake\.groovy +\S+ +\S+ +(shell|file) \(line \d+\)$/)
                .size() == 5
        r.out.contains('5 snapshot(s), 5 usable; sources: marketplace Canonical:0001-com-ubuntu-server-jammy:')
    }

    def "a rebuild with the last step changed starts from the snapshot after step 4 and runs only step 5"() {
        when:
        def r = build(template('web-b', 'five-b'))

        then:
        r.code == 0
        r.out =~ /cache: hit: snapshot ibc-[0-9a-f]{24}-[0-9a-f]{8} \(made \S+\) holds steps 1-4 of 5; the VM starts from it and runs from step 5/
        (r.out =~ /from the cache: snapshot ibc-\S+ holds what this step did/).size() == 4
        r.out =~ /creating VM \S+ \(Standard_B1s\) from a copy of the cache snapshot ibc-\S+ \(Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest after steps 1-4\)/
        r.out.contains("as the machine's run command showed it)")
        !r.out.contains('| sudo tee')  // steps 1-4 did not run: their commands are not echoed
        (r.out =~ /cache: snapshot ibc-\S+ of the OS disk after step (\d) started/).collect { it[1] } == ['5']

        and: 'the image holds each step once: steps 1-4 from the first build, step 5 from this one'
        seenIn('web-b', 'vm-b') == 'one\ntwo\nthree\nfive-b\n---\npayload one\n---\nbuild user gone\n'

        and: 'the same as a build of the same template without the cache'
        build(template('web-c', 'five-b'), ['--no-cache']).code == 0
        seenIn('web-c', 'vm-c') == seenIn('web-b', 'vm-b2')

        and: 'nothing of the builds is left but the cache'
        AzureBuildFaultsSpec.leftovers(sdk).findAll { !it.contains('/resourceGroups/check/') } == ['imagebake-cache']
        snapshots('imagebake-cache').size() == 6
    }

    def "a changed file that a step uploads misses from that step on"() {
        given:
        Files.writeString(dir.resolve('payload.txt'), 'payload two\n')

        when:
        def r = build(template('web-d', 'five-b'))

        then:
        r.code == 0
        r.out =~ /cache: hit: snapshot \S+ \(made \S+\) holds step 1 of 5; the VM starts from it and runs from step 2/
        (r.out =~ /from the cache/).size() == 1
        seenIn('web-d', 'vm-d') == 'one\ntwo\nthree\nfive-b\n---\npayload two\n---\nbuild user gone\n'
    }

    def "expired snapshots are not used, and gc deletes them and only them"() {
        given: 'snapshots that expire within seconds, in a group of their own'
        def first = build(template('web-e', 'five-e', "cache ttl: '2s', resourceGroup: 'short-cache'"))
        assert first.code == 0
        def made = snapshots('short-cache')
        assert made.size() == 5
        Instant expiry = made.collect { Instant.parse(it.tags()[StepCache.TAG_EXPIRES]) }.max()
        Poll.until('the snapshots expire', 30) { Instant.now().isAfter(expiry) }
        int kept = snapshots('imagebake-cache').size()

        when:
        def again = build(template('web-f', 'five-e', "cache ttl: '1h', resourceGroup: 'short-cache'"))

        then:
        again.code == 0
        again.out.contains('cache: miss: no snapshot in resource group short-cache matches this source ' +
                '(marketplace Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:22.04.202502060) and step 1 ' +
                '(5 expired snapshot(s) ignored; `imagebake gc` removes them)')

        when:
        def gc = cli(['gc', '--cloud', emulator.cloudFile().toString()])

        then:
        gc.code == 0
        gc.out.contains('Deleting 5 expired step cache snapshot(s):')
        (gc.out =~ /(?m)^  \/subscriptions\/.*\/resourceGroups\/short-cache\/providers\/Microsoft\.Compute\/snapshots\/ibc-\S+  \(after step \d of web\.imagebake\.groovy, expired \S+\)$/).size() == 5
        snapshots('short-cache')*.name().sort() == snapshots('short-cache').findAll {
            Instant.parse(it.tags()[StepCache.TAG_EXPIRES]).isAfter(Instant.now()) }*.name().sort()
        snapshots('short-cache').size() == 5
        snapshots('imagebake-cache').size() == kept
        cli(['gc', '--cloud', emulator.cloudFile().toString()]).out.contains('Nothing to clean up')
    }

    def "--cache turns the cache on for a template without it, and checkpoint steps are the only ones snapshotted"() {
        given: 'no `cache` in the template, a first step of its own (a miss), and step 4 marked as the checkpoint'
        String text = template('web-g', 'five-g', '')
                .replace("echo one |", "echo one-g |")
                .replace("provision shell { inline 'echo three | sudo tee -a /var/log/steps' }",
                        "provision shell {\n    inline 'echo three | sudo tee -a /var/log/steps'\n    checkpoint true\n}")
        int before = snapshots('imagebake-cache').size()

        when:
        def r = build(text, ['--cache'])

        then:
        r.code == 0
        r.out.contains('cache: snapshots after the checkpoint steps only: 4. shell (line 15)')
        r.out.contains('cache: miss')
        (r.out =~ /cache: snapshot ibc-\S+ of the OS disk after step (\d) started/).collect { it[1] } == ['4']
        snapshots('imagebake-cache').size() == before + 1

        when: 'the same template again: the checkpoint is where it starts'
        def again = build(text.replace("'web-g'", "'web-h'"), ['--cache'])

        then:
        again.code == 0
        again.out =~ /cache: hit: snapshot \S+ \(made \S+\) holds steps 1-4 of 5; the VM starts from it and runs from step 5/
        seenIn('web-h', 'vm-h') == 'one-g\ntwo\nthree\nfive-g\n---\npayload two\n---\nbuild user gone\n'
    }
}
