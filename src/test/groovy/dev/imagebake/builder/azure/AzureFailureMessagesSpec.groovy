package dev.imagebake.builder.azure

import dev.imagebake.cli.Main
import dev.imagebake.emulator.AzureSdkClients
import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.arm.Conditions
import dev.imagebake.emulator.arm.Operations
import spock.lang.Specification
import spock.lang.TempDir
import spock.lang.Unroll

import java.nio.file.Files
import java.nio.file.Path

/**
 * Whatever step an Azure call fails in, and however it fails (an error Azure keeps answering, one it answers once
 * and for all, an operation that ends Failed), the message names the operation and the resource, gives Azure's code
 * and message and the HTTP status, and says whether it was retried; no Java class name and no raw SDK text.
 */
class AzureFailureMessagesSpec extends Specification {
    @TempDir
    Path dir

    static final String TEMPLATE = '''
builder azure {
    location 'westeurope'
    vmSize 'Standard_B1s'
    source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
    managedImage 'web', resourceGroup: 'images'
}
'''

    @Unroll
    def "with '#fault' the failure reads: #expected"() {
        given:
        Emulator emulator = Emulator.start(new Emulator.Settings(dir.resolve('emulator'), 0,
                Operations.Settings.DEFAULT, Emulator.Machines.NONE).withConditions(Conditions.DEFAULT.withFaults(fault)))
        AzureBuildFaultsSpec.seed(new AzureSdkClients(emulator.cloudFile()))
        Path template = dir.resolve('t.imagebake.groovy')
        Files.writeString(template, TEMPLATE)
        def out = new ByteArrayOutputStream()

        when:
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(out, true, 'UTF-8'), [:],
                ['build', '--cloud', emulator.cloudFile().toString(), template.toString()] as String[])
        String text = out.toString('UTF-8')
        String failure = text.readLines().find { it.startsWith('==> azure: FAILED after') }
                ?.replaceFirst(/^==> azure: FAILED after [^:]+: /, '')
                ?.replaceAll(/imagebake-azure-[0-9a-f]{8}/, 'RG')?.replaceAll(/ib-azure-[0-9a-f]{8}/, 'ib-azure-ID')?.replaceAll(/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}/, 'SUB')

        then:
        code == 1
        failure != null
        failure.startsWith(expected)
        failure.matches(/.*\(HTTP \d{3} [a-z ]+; (retried 6 times|not retried, as it would fail the same way)\)$/) ||
                failure.endsWith('in Azure; not retried)')
        !text.contains('Exception')
        !text.contains('Status code')
        !text.contains('com.azure')

        cleanup:
        emulator?.close()

        where:
        fault                                                  | expected
        'HEAD resourcegroups:429x*,retry-after=1'              | 'cannot use subscription SUB on the cloud described by '
        'GET */images/web:403x*,code=AuthorizationFailed'      | "reading managed image web in resource group images failed: AuthorizationFailed: Injected fault 'GET */images/web:403x*,code=AuthorizationFailed' (imagebake emulator). (HTTP 403 forbidden; not retried, as it would fail the same way)"
        'PUT */resourcegroups/imagebake-*:500x*,retry-after=1' | "creating or updating resource group RG failed: InternalServerError: Injected fault 'PUT */resourcegroups/imagebake-*:500x*,retry-after=1' (imagebake emulator). (HTTP 500 internal server error; retried 6 times)"
        'PUT networkSecurityGroups:400,code=InvalidParameter'  | "creating or updating network security group ib-azure-ID-nsg in resource group RG failed: InvalidParameter: Injected fault 'PUT networkSecurityGroups:400,code=InvalidParameter' (imagebake emulator). (HTTP 400 bad request; not retried, as it would fail the same way)"
        'PUT virtualNetworks:409x*,code=Conflict'              | "creating or updating virtual network ib-azure-ID-vnet in resource group RG failed: Conflict: Injected fault 'PUT virtualNetworks:409x*,code=Conflict' (imagebake emulator). (HTTP 409 conflict; not retried, as it would fail the same way)"
        'PUT publicIPAddresses:lro-failed=InternalServerError' | 'creating public IP address failed: InternalServerError: The operation failed (fault injected by the emulator). (the operation ended Failed in Azure; not retried)'
        'PUT virtualMachines:503x*,retry-after=1'              | "creating VM ib-azure-ID-vm failed: ServiceUnavailable: Injected fault 'PUT virtualMachines:503x*,retry-after=1' (imagebake emulator). (HTTP 503 service unavailable; retried 6 times)"
    }

    def "a persistent 429 on the sign-in check names the read, the status and the retries"() {
        given:
        Emulator emulator = Emulator.start(new Emulator.Settings(dir.resolve('emulator'), 0,
                Operations.Settings.DEFAULT, Emulator.Machines.NONE).withConditions(
                Conditions.DEFAULT.withFaults('HEAD resourcegroups:429x*,retry-after=1')))
        Path template = dir.resolve('t.imagebake.groovy')
        Files.writeString(template, TEMPLATE)
        def out = new ByteArrayOutputStream()

        when:
        Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(out, true, 'UTF-8'), [:],
                ['build', '--cloud', emulator.cloudFile().toString(), template.toString()] as String[])

        then:
        out.toString('UTF-8') =~ /sign in to Azure failed after .*: cannot use subscription \S+ on the cloud described by \S+: reading resource group imagebake-azure-[0-9a-f]{8} failed: no error code \(a reply to HEAD has no body\) \(HTTP 429 too many requests; retried 6 times\)/

        cleanup:
        emulator?.close()
    }
}
