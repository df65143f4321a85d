package dev.imagebake.repl

import com.azure.resourcemanager.resources.fluent.models.ResourceGroupInner
import dev.imagebake.builder.azure.AzureBuildFaultsSpec
import dev.imagebake.emulator.AzureSdkClients
import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.arm.Operations
import dev.imagebake.testsupport.ReplRun
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Path

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

        cleanup:
        emulator?.close()
    }
}
