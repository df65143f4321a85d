package dev.imagebake.builder.azure

import dev.imagebake.cli.ExitCodes
import dev.imagebake.cli.Main
import dev.imagebake.emulator.AzureSdkClients
import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.vm.MachineShell
import com.azure.core.management.Region
import com.azure.resourcemanager.resources.fluentcore.utils.ResourceManagerUtils
import dev.imagebake.testsupport.Poll
import dev.imagebake.testsupport.SeededEmulators
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.attribute.PosixFilePermissions
import java.time.Instant

/**
 * {@code build --resume} with {@code builder azure} on the emulator with machines (the real SDK over HTTPS, OpenSSH
 * in the emulated VM): each provisioning step appends its number to a log on the VM, and the last step prints the
 * log, so the output shows which steps really ran on the machine that was captured, and how often; a VM made from
 * the captured image shows the same log.
 */
class AzureResumeSpec extends Specification {
    @Shared
    @TempDir
    Path shared

    @Shared
    Path seeded

    @TempDir
    Path dir

    Emulator emulator
    AzureSdkClients sdk
    Path template
    List<Path> keptFolders = []

    def setupSpec() {
        seeded = SeededEmulators.seed(shared.resolve('seeded'))
    }

    def setup() {
        // The SDK clients of this spec poll the emulator's operations without the 30 s default delay.
        ResourceManagerUtils.InternalRuntimeContext.setDelayProvider({ java.time.Duration d -> java.time.Duration.ofMillis(10) })
        emulator = SeededEmulators.start(seeded, dir.resolve('emulator'))
        sdk = new AzureSdkClients(emulator.cloudFile())
        template = dir.resolve('web.imagebake.groovy')
    }

    def cleanup() {
        emulator?.close()
        keptFolders.each { if (Files.exists(it)) { it.toFile().deleteDir() } }
    }

    /** Five steps; the third fails until {@code fixed}; {@code first} is what step 1 echoes. Step 1 is on line 9. */
    void write(boolean fixed, String first = 'step-1', String extra = '') {
        write(fixed ? 0 : 3, first, extra)
    }

    /** Five steps; step {@code failAt} fails (none when 0). */
    void write(int failAt, String first = 'step-1', String extra = '') {
        List<String> steps = (1..5).collect { n ->
            "provision shell { inline ${failAt == n ? "'exit 1', " : ''}'echo ${n == 1 ? first : "step-${n}"} >> /var/tmp/steps.log'" +
                    (n == 5 ? ", 'xargs echo log: < /var/tmp/steps.log'" : '') + ' }'
        }
        Files.writeString(template, """\
builder azure {
    location 'westeurope'${extra}
    vmSize 'Standard_B1s'
    source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
    managedImage 'web', resourceGroup: 'images'
    sshTimeout '60s'
}

${steps.join('\n')}
""")
    }

    Map run(List<String> args) {
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(err, true, 'UTF-8'), [:],
                (args + ['--cloud', emulator.cloudFile().toString()]) as String[])
        [code: code, out: out.toString('UTF-8'), err: err.toString('UTF-8')]
    }

    Map build(List<String> extra) {
        def r = run(['build'] + extra + [template.toString()])
        def kept = (r.out =~ /(\/\S*imagebake-kept-[^\/\s]+)\/id\b/)
        while (kept.find()) {
            keptFolders << Path.of(kept.group(1))
        }
        r
    }

    Path record() {
        dir.resolve('.web.imagebake.resume.json')
    }

    List<String> groups() {
        sdk.resourceManager().serviceClient().resourceGroups.list().collect { it.name() }.sort()
    }

    List<String> vms() {
        sdk.computeManager().serviceClient().virtualMachines.list().collect { it.id() }
    }

    List<Path> keptInTmp(String buildId) {
        Files.list(Path.of(System.getProperty('java.io.tmpdir'))).withCloseable { s ->
            s.filter { it.fileName.toString().startsWith("imagebake-kept-${buildId}-") }.toList()
        }
    }

    def "should continue a kept azure build at the failed step on the same VM, capture it and delete everything"() {
        given:
        write(false)

        when:
        def failed = build(['--on-error=abort'])
        String text = Files.readString(record())
        Map entry = new JsonSlurper().parseText(text).builds.azure as Map
        Map details = entry.details as Map
        String buildId = details.buildId

        then: 'the record names what was kept, and the kept group is tagged as held for the resume'
        failed.code == ExitCodes.FAILED
        failed.err.contains("note: wrote the resume record ${record()}")
        PosixFilePermissions.toString(Files.getPosixFilePermissions(record())) == 'rw-------'
        entry.builder == 'azure'
        entry.host ==~ /127\.\d+\.\d+\.\d+/
        entry.user == 'imagebake'
        entry.hostKey ==~ /SHA256:.+/
        entry.succeeded*.number == [1, 2]
        entry.failed == 'shell (line 11)'
        details.resourceGroup == "imagebake-${buildId}"
        details.vmName == "ib-${buildId}-vm"
        entry.resources == ["/subscriptions/${details.subscription}/resourceGroups/imagebake-${buildId}"]
        Files.isRegularFile(Path.of(details.keyFile as String))
        !text.contains('PRIVATE KEY')
        !text.contains(Files.readString(Path.of(details.keyFile as String)).readLines()[1])
        sdk.resourceManager().serviceClient().resourceGroups.get("imagebake-${buildId}").tags()
                .get('imagebake-resume-until') == details.heldUntil
        vms().size() == 1

        when: 'the template is fixed'
        write(true)
        def resumed = build(['--resume'])

        then:
        resumed.code == ExitCodes.OK
        resumed.out.contains("adopted the kept VM ib-${buildId}-vm in resource group imagebake-${buildId}")
        resumed.out.contains('resuming on the kept machine: steps 1-2 ran before; from step 3 on')
        resumed.out.contains('as pinned by the resume record')
        !resumed.out.contains('create VM')
        resumed.out =~ /(?m)log: step-1 step-2 step-3 step-4 step-5\r?$/

        and: 'the image exists, and nothing of the build is left: no group, no VM, no key copy, no record'
        sdk.computeManager().serviceClient().images.getByResourceGroup('images', 'web').provisioningState() == 'Succeeded'
        groups() == ['images']
        vms() == []
        keptInTmp(buildId) == []
        !Files.exists(record())
        resumed.err.contains("note: removed the resume record ${record()}: nothing is left to resume")

        when: 'a VM from the image shows what the steps wrote on the captured machine, each step once'
        def output = fromImage(sdk.computeManager().serviceClient().images.getByResourceGroup('images', 'web').id(),
                'cat /var/tmp/steps.log')

        then:
        output == [0, 'step-1\nstep-2\nstep-3\nstep-4\nstep-5\n']
    }

    /** Runs {@code command} over SSH on a new VM (in its own group) from the image. */
    List fromImage(String imageId, String command) {
        def compute = sdk.computeManager()
        def network = compute.networkManager()
        compute.resourceManager().resourceGroups().define('check').withRegion(Region.EUROPE_WEST).create()
        def vnet = network.networks().define('vnet').withRegion(Region.EUROPE_WEST).withExistingResourceGroup('check')
                .withAddressSpace('10.0.0.0/16').withSubnet('default', '10.0.0.0/24').create()
        def pip = network.publicIpAddresses().define('pip').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('check').withStaticIP().create()
        def nic = network.networkInterfaces().define('nic').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('check').withExistingPrimaryNetwork(vnet).withSubnet('default')
                .withPrimaryPrivateIPAddressDynamic().withExistingPrimaryPublicIPAddress(pip).create()
        def shell = new MachineShell(dir, 'checker')
        compute.virtualMachines().define('check-vm').withRegion(Region.EUROPE_WEST).withExistingResourceGroup('check')
                .withExistingPrimaryNetworkInterface(nic).withGeneralizedLinuxCustomImage(imageId)
                .withRootUsername('azureuser').withSsh(shell.publicKey()).create()
        shell.await(network.publicIpAddresses().getByResourceGroup('check', 'pip').ipAddress(), 'azureuser', command)
    }

    def "should refuse to resume after an earlier step changed, then start again where --from says"() {
        given:
        write(false)
        build(['--on-error=abort']).code == ExitCodes.FAILED
        String buildId = new JsonSlurper().parse(record()).builds.azure.details.buildId
        write(true, 'step-1-changed')

        when:
        def refused = build(['--resume'])

        then:
        refused.code == ExitCodes.RESUME_REFUSED
        refused.err.contains('Error: build azure cannot resume: steps that ran before the failure changed since:\n'
                + '  1. shell (line 9)\n')
        Files.isRegularFile(record())
        groups() == ["imagebake-${buildId}".toString(), "images"]

        when:
        def again = build(['--resume', '--from', '1'])

        then:
        again.code == ExitCodes.OK
        again.out =~ /(?m)log: step-1 step-2 step-1-changed step-2 step-3 step-4 step-5\r?$/
        groups() == ['images']
        vms() == []
        keptInTmp(buildId) == []
        !Files.exists(record())
    }

    def "gc should leave a build held for a resume alone within its lease, and collect it after"() {
        given:
        write(false)
        build(['--on-error=abort', '--resume-lease', '20s']).code == ExitCodes.FAILED
        Map details = new JsonSlurper().parse(record()).builds.azure.details as Map
        String buildId = details.buildId
        Instant until = Instant.parse(details.heldUntil as String)

        when: 'within the lease, even counting every build as over'
        def held = run(['gc', '--older-than', '0s'])

        then:
        held.code == 0
        held.out.contains("Held for build --resume until ${until}: build ${buildId} (resume record ${record()}); gc leaves it alone until then:")
        held.out.contains("  /subscriptions/${details.subscription}/resourceGroups/imagebake-${buildId}\n")
        held.out.contains('Nothing to clean up')
        groups() == ["imagebake-${buildId}".toString(), "images"]
        keptInTmp(buildId).size() == 1

        when: 'after the lease'
        Poll.until('the end of the lease', 60) { Instant.now().isAfter(until) }
        def collected = run(['gc', '--older-than', '0s'])
        def late = build(['--resume'])

        then:
        collected.code == 0
        collected.out.contains("deleting /subscriptions/${details.subscription}/resourceGroups/imagebake-${buildId}")
        collected.out.contains('deleting the key copy kept for the machine: ')
        groups() == ['images']
        vms() == []
        keptInTmp(buildId) == []
        late.code == ExitCodes.NOTHING_TO_RESUME
        late.err.contains("Error: the resume record ${record()} expired at ")
    }

    /** Everything in the build resource group but the destination image. */
    List<String> inBuildGroup() {
        def compute = sdk.computeManager().serviceClient()
        def network = sdk.networkManager().serviceClient()
        compute.virtualMachines.listByResourceGroup('images').collect { it.id() } +
                compute.disks.listByResourceGroup('images').collect { it.id() } +
                network.networkInterfaces.listByResourceGroup('images').collect { it.id() } +
                network.publicIpAddresses.listByResourceGroup('images').collect { it.id() } +
                network.networkSecurityGroups.listByResourceGroup('images').collect { it.id() } +
                network.virtualNetworks.listByResourceGroup('images').collect { it.id() }
    }

    def "in a build resource group, should hold the kept VM, and the resume should delete each resource the first run made"() {
        given:
        write(false, 'step-1', "; buildResourceGroup 'images'")

        when:
        def failed = build(['--on-error=abort'])
        Map entry = new JsonSlurper().parse(record()).builds.azure as Map
        Map details = entry.details as Map
        String buildId = details.buildId
        List<String> made = inBuildGroup()

        then: 'the VM carries the hold; the record lists VM, disk, NIC, address, security group and network'
        failed.code == ExitCodes.FAILED
        details.temporaryGroup == 'false'
        sdk.computeManager().serviceClient().virtualMachines.getByResourceGroup('images', "ib-${buildId}-vm")
                .tags().get('imagebake-resume-until') == details.heldUntil
        (entry.resources as List).collect { it.toLowerCase() } as Set == made.collect { it.toLowerCase() } as Set
        (entry.resources as List)[0].endsWith("/virtualMachines/ib-${buildId}-vm")
        made.size() == 6

        when: 'gc within the lease'
        def held = run(['gc', '--older-than', '0s'])

        then:
        held.out.contains("Held for build --resume until ${details.heldUntil}: build ${buildId}")
        inBuildGroup() == made

        when:
        write(true, 'step-1', "; buildResourceGroup 'images'")
        def resumed = build(['--resume'])

        then:
        resumed.code == ExitCodes.OK
        resumed.out =~ /(?m)log: step-1 step-2 step-3 step-4 step-5\r?$/
        sdk.computeManager().serviceClient().images.getByResourceGroup('images', 'web').provisioningState() == 'Succeeded'
        inBuildGroup() == []
        groups() == ['images']
        keptInTmp(buildId) == []
        !Files.exists(record())
    }

    def "should keep the build again when the resumed build fails again, and say so once the kept VM is gone"() {
        given:
        write(3)
        build(['--on-error=abort']).code == ExitCodes.FAILED
        Map first = new JsonSlurper().parse(record()).builds.azure.details as Map
        String buildId = first.buildId

        when: 'step 3 is fixed, and step 4 fails now'
        write(4)
        def again = build(['--resume', '--on-error=abort'])
        Map entry = new JsonSlurper().parse(record()).builds.azure as Map

        then: 'the record is brought up to date, with a new key copy in place of the first'
        again.code == ExitCodes.FAILED
        entry.succeeded*.number == [1, 2, 3]
        entry.failed == 'shell (line 12)'
        entry.details.buildId == buildId
        entry.details.keyFile != first.keyFile
        Files.isRegularFile(Path.of(entry.details.keyFile as String))
        !Files.exists(Path.of(first.keyFile as String))
        keptInTmp(buildId).size() == 1

        when: 'someone deletes the kept VM'
        Poll.until('the VM deleted', 60) {
            sdk.computeManager().virtualMachines().deleteByResourceGroup("imagebake-${buildId}", "ib-${buildId}-vm")
            true
        }
        write(0)
        def gone = build(['--resume'])

        then: 'nothing to resume, and nothing deleted: what is left stays held until gc may take it'
        gone.code == ExitCodes.NOTHING_TO_RESUME
        gone.out.contains("the VM ib-${buildId}-vm is no longer in resource group imagebake-${buildId} of subscription ")
        gone.err.contains('Error: nothing to resume for azure: the kept machine is gone; build afresh without --resume')
        groups() == ["imagebake-${buildId}".toString(), 'images']
        !gone.out.contains('deleting resource group')
    }

    def "a resumed build that fails again and cleans up deletes what was kept, and the record's entry with it"() {
        given:
        write(3)
        build(['--on-error=abort']).code == ExitCodes.FAILED
        String buildId = new JsonSlurper().parse(record()).builds.azure.details.buildId

        when: 'still failing at step 3, without --on-error=abort'
        def again = build(['--resume'])

        then:
        again.code == ExitCodes.FAILED
        again.out.contains('resuming on the kept machine: steps 1-2 ran before; from step 3 on')
        again.out.contains("deleting resource group imagebake-${buildId} and everything in it")
        again.err.contains('note: build azure failed again and deleted what the earlier run kept: nothing is left to resume for it')
        groups() == ['images']
        vms() == []
        keptInTmp(buildId) == []
        !Files.exists(record())
    }

    def "should delete nothing when the kept VM does not present the pinned host key"() {
        given:
        write(3)
        build(['--on-error=abort']).code == ExitCodes.FAILED
        Map json = new JsonSlurper().parse(record()) as Map
        String buildId = json.builds.azure.details.buildId
        json.builds.azure.hostKey = 'SHA256:' + 'A' * 43
        Files.writeString(record(), groovy.json.JsonOutput.toJson(json))
        write(0)

        when:
        def other = build(['--resume'])

        then: 'nothing to resume; the group, its VM and the key copy stay, held for the lease'
        other.code == ExitCodes.NOTHING_TO_RESUME
        other.out.contains('(host key SHA256:' + 'A' * 43 + ') is gone or no longer the same: cannot log in to the kept VM at ')
        other.err.contains('Error: nothing to resume for azure: the kept machine is gone; build afresh without --resume')
        !other.out.contains('deleting resource group')
        groups() == ["imagebake-${buildId}".toString(), 'images']
        vms().size() == 1
        keptInTmp(buildId).size() == 1
    }

    def "with the template's own sshPrivateKeyFile, should log in with it again and copy it nowhere"() {
        given:
        def keygen = new ProcessBuilder('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', dir.resolve('id_build').toString())
                .redirectErrorStream(true).start()
        assert keygen.waitFor() == 0
        write(3, 'step-1', "\n    sshPrivateKeyFile 'id_build'")

        when:
        build(['--on-error=abort']).code == ExitCodes.FAILED
        Map details = new JsonSlurper().parse(record()).builds.azure.details as Map
        String buildId = details.buildId

        then: 'the record points at the key file itself; the kept folder holds no key'
        details.keyFile == dir.resolve('id_build').toString()
        keptInTmp(buildId).size() == 1
        !Files.exists(keptInTmp(buildId)[0].resolve('id'))

        when:
        write(0, 'step-1', "\n    sshPrivateKeyFile 'id_build'")
        def resumed = build(['--resume'])

        then:
        resumed.code == ExitCodes.OK
        resumed.out =~ /(?m)log: step-1 step-2 step-3 step-4 step-5\r?$/
        groups() == ['images']
        keptInTmp(buildId) == []
        Files.isRegularFile(dir.resolve('id_build'))
    }
}
