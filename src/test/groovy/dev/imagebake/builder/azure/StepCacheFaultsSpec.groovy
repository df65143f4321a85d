package dev.imagebake.builder.azure

import com.azure.resourcemanager.resources.fluent.models.ResourceGroupInner
import com.azure.resourcemanager.resources.fluentcore.utils.ResourceManagerUtils
import dev.imagebake.cli.Main
import dev.imagebake.emulator.AzureSdkClients
import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.arm.Conditions
import dev.imagebake.emulator.arm.Operations
import dev.imagebake.testsupport.ChildImagebake
import dev.imagebake.testsupport.Poll
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration
import java.util.concurrent.TimeUnit

/**
 * The step cache when snapshots go wrong: a snapshot Azure fails is deleted and the build goes on without it; Ctrl-C
 * (a real SIGINT to a build in its own process) while snapshots are being made deletes them and everything else the
 * build made.
 */
class StepCacheFaultsSpec extends Specification {
    @TempDir
    Path dir

    Emulator emulator

    def cleanup() {
        emulator?.close()
    }

    AzureSdkClients start(String fault) {
        ResourceManagerUtils.InternalRuntimeContext.setDelayProvider({ Duration d -> Duration.ofMillis(10) })
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('emulator'), 0,
                new Operations.Settings(0, 1, Duration.ofSeconds(10)), Emulator.Machines.SANDBOX)
                .withConditions(Conditions.DEFAULT.withFaults(fault)))
        def sdk = new AzureSdkClients(emulator.cloudFile())
        sdk.resourceManager().serviceClient().resourceGroups.createOrUpdate('images',
                new ResourceGroupInner().withLocation('westeurope'))
        Files.writeString(dir.resolve('payload.txt'), 'payload\n')
        Files.writeString(dir.resolve('t.imagebake.groovy'), StepCacheSpec.template('web', 'five'))
        sdk
    }

    static List<String> snapshots(AzureSdkClients sdk) {
        sdk.computeManager().serviceClient().snapshots.list().collect { it.id() }
    }

    def "a snapshot that Azure fails is deleted, and the build still succeeds without that cache entry"() {
        given: 'the first snapshot fails in Azure'
        def sdk = start('PUT snapshots:lro-failed=InternalExecutionError')
        def out = new ByteArrayOutputStream()

        when:
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(new ByteArrayOutputStream(), true),
                [:], ['build', '--cloud', emulator.cloudFile().toString(),
                      dir.resolve('t.imagebake.groovy').toString()] as String[])
        String text = out.toString('UTF-8')

        then:
        code == 0
        (text =~ /warning: cache: the snapshot after step (\d) \(ibc-\S+\) did not complete: creating snapshot ibc-\S+ failed: InternalExecutionError: .*; it is deleted, and the cache has no entry for that step/)
                .collect { it[1] } == ['1']
        text.contains('cache: 4 snapshot(s) of this build are in resource group imagebake-cache')
        (text =~ /cache: deleting the incomplete snapshot ibc-/).size() == 1
        sdk.computeManager().serviceClient().snapshots.list().collect { it.tags()[StepCache.TAG_STEP] }.sort() ==
                ['2', '3', '4', '5']
        AzureBuildFaultsSpec.leftovers(sdk) == ['imagebake-cache']
        sdk.computeManager().serviceClient().images.listByResourceGroup('images')*.name() == ['web']
    }

    def "Ctrl-C while the snapshots are being made deletes them, and all the build made"() {
        given: 'snapshots that Azure never completes'
        def sdk = start('PUT snapshots:hangx*')
        def p = new ProcessBuilder(ChildImagebake.command(['build', '--cloud', emulator.cloudFile().toString(),
                dir.resolve('t.imagebake.groovy').toString()])).redirectErrorStream(true).start()
        def output = new StringBuffer()
        Thread.start { p.inputStream.eachLine('UTF-8') { output.append(it).append('\n') } }

        when: 'the build waits for its five snapshots'
        Poll.until('the build waits for its snapshots', 240) {
            output.toString().contains('==> azure: complete the cache snapshots') || !p.alive
        }
        assert p.alive: output
        assert snapshots(sdk).size() == 5
        new ProcessBuilder('kill', '-INT', p.pid().toString()).start().waitFor()
        boolean ended = p.waitFor(120, TimeUnit.SECONDS)

        then:
        assert ended, "still running after Ctrl-C; its output:\n${output}"
        p.exitValue() == 130
        output.toString().contains('Interrupted: stopping and cleaning up')
        (output.toString() =~ /cache: deleting the incomplete snapshot ibc-/).size() == 5
        snapshots(sdk) == []
        AzureBuildFaultsSpec.leftovers(sdk) == ['imagebake-cache']
        sdk.computeManager().serviceClient().images.listByResourceGroup('images').collect { it.name() } == []

        cleanup:
        p?.destroyForcibly()
    }
}
