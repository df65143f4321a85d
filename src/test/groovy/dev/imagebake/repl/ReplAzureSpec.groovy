package dev.imagebake.repl

import com.azure.resourcemanager.resources.fluent.models.ResourceGroupInner
import dev.imagebake.builder.azure.AzureBuildFaultsSpec
import dev.imagebake.emulator.AzureSdkClients
import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.arm.Operations
import dev.imagebake.testsupport.ReplRun
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/** The REPL on an azure builder's machine: an emulated VM over real SSH, started, used and cleaned up. */
class ReplAzureSpec extends Specification {
    @TempDir
    Path dir

    def "should start an azure build machine, run steps on it at once, and delete everything on :stop"() {
        given:
        Emulator emulator = Emulator.start(new Emulator.Settings(dir.resolve('emulator'), 0, Operations.Settings.DEFAULT,
                Emulator.Machines.SANDBOX))
        def sdk = new AzureSdkClients(emulator.cloudFile())
        sdk.resourceManager().serviceClient().resourceGroups.createOrUpdate('images',
                new ResourceGroupInner().withLocation('westeurope'))
        String input = """builder azure { location 'westeurope'; vmSize 'Standard_B1s'; source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2'); managedImage 'repl', resourceGroup: 'images'; sshTimeout '30s' }
:start
provision shell { inline 'echo from-repl | sudo tee /etc/repl-marker' }
!cat /etc/repl-marker
:stop
:quit
"""

        when:
        def run = ReplRun.repl(dir, input, [:], null, emulator.cloudFile())

        then:
        run.code == 0
        run.out.contains('connected to imagebake@127.')
        run.out.count('from-repl') >= 2
        run.out.contains('deleting resource group imagebake-')
        AzureBuildFaultsSpec.leftovers(sdk) == []

        and: "the build VM's machine went with its resource group: gone, and its address refuses SSH"
        Files.list(dir.resolve('emulator/vm/machines')).withCloseable { it.count() } == 0
        String address = (run.out =~ /connected to imagebake@(127\.\d+\.\d+\.\d+)/)[0][1]
        sshRefused(address)

        cleanup:
        emulator?.close()
    }

    def "after :bake, :start again is refused with advice that applies, and :start --force replaces the image"() {
        given:
        Emulator emulator = Emulator.start(new Emulator.Settings(dir.resolve('emulator'), 0, Operations.Settings.DEFAULT,
                Emulator.Machines.SANDBOX))
        def sdk = new AzureSdkClients(emulator.cloudFile())
        sdk.resourceManager().serviceClient().resourceGroups.createOrUpdate('images',
                new ResourceGroupInner().withLocation('westeurope'))
        String input = """builder azure { location 'westeurope'; vmSize 'Standard_B1s'; source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2'); managedImage 'again', resourceGroup: 'images'; sshTimeout '30s' }
:start
provision shell { inline 'echo baked | sudo tee /etc/repl-baked' }
:bake
:start
:start --force
:run
:bake
:quit
"""

        when:
        def run = ReplRun.repl(dir, input, [:], null, emulator.cloudFile())
        def lines = run.lines()

        then: 'the second :start names the option the REPL has'
        lines.contains('error: could not start azure: managed image again already exists in images; to replace it, '
                + 'build with --force (in the REPL: :start --force)')

        and: 'with --force, it starts, replays the step and bakes over the image'
        run.out.contains('managed image again exists and will be replaced (--force)')
        run.out.count('box: baked') + run.out.count('azure: baked') == 2
        lines.findAll { it ==~ /artifact: .*\/resourceGroups\/images\/providers\/Microsoft.Compute\/images\/again/ }.size() == 2
        AzureBuildFaultsSpec.leftovers(sdk) == []

        cleanup:
        emulator?.close()
    }

    def "repl --emulator -var-file: :start makes the gallery the template publishes to, and :bake publishes there"() {
        given: 'a template whose gallery does not exist, and its version in a variables file'
        Files.writeString(dir.resolve('web.imagebake.groovy'), """\
variable 'version', default: '0.0.1'
builder azure {
    location 'westeurope'
    vmSize 'Standard_B1s'
    source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
    gallery 'corp', resourceGroup: 'gallery-rg', image: 'web', version: var.version
    sshTimeout '30s'
}
""")
        Files.writeString(dir.resolve('vars.json'), '{"version": "2.3.4"}')
        String java = Path.of(System.getProperty('java.home'), 'bin', 'java').toString()
        def builder = new ProcessBuilder(java, '-cp', System.getProperty('java.class.path'), 'dev.imagebake.cli.Main',
                'repl', '--emulator', '-var-file', 'vars.json', 'web.imagebake.groovy')
                .directory(dir.toFile()).redirectErrorStream(true)
        builder.environment().put('IMAGEBAKE_REPL_HISTORY', dir.resolve('history').toString())

        when:
        def p = builder.start()
        p.outputStream.withWriter('UTF-8') {
            it << 'println "version=${var.version}"\n:start\n'
            it << 'provision shell { inline "echo baked | sudo tee /etc/repl-baked" }\n:bake\n:quit\n'
        }
        String out = p.inputStream.getText('UTF-8')
        p.waitFor(120, TimeUnit.SECONDS)

        then:
        p.exitValue() == 0
        out.contains('version=2.3.4')
        out.readLines().any { it ==~ /artifact: \/subscriptions\/.*\/resourceGroups\/gallery-rg\/providers\/Microsoft.Compute\/galleries\/corp\/images\/web\/versions\/2.3.4/ }
        out.contains('stopped azure: cleaned up, nothing left behind')
    }

    private static boolean sshRefused(String address) {
        try {
            new Socket().withCloseable { it.connect(new InetSocketAddress(address, 22), 10_000) }
            false
        } catch (ConnectException e) {
            true
        }
    }
}
