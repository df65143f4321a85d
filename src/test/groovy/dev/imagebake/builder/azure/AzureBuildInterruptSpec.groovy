package dev.imagebake.builder.azure

import dev.imagebake.cli.Main
import dev.imagebake.emulator.AzureSdkClients
import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.arm.Operations
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir
import spock.lang.Unroll

import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/**
 * A bake in its own process, stopped at several points as a person (Ctrl-C) or the machine (kill -9) would:
 * Ctrl-C cleans up before exiting; after kill -9 nothing can, and `gc` finds and removes every leftover because the
 * process that owned them is gone. Also: a canary secret never reaches any output.
 */
class AzureBuildInterruptSpec extends Specification {
    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    AzureSdkClients sdk

    static final String CANARY = 'canary-' + UUID.randomUUID()

    def setupSpec() {
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('emulator'), 0, Operations.Settings.DEFAULT,
                Emulator.Machines.SANDBOX))
        sdk = new AzureSdkClients(emulator.cloudFile())
        AzureBuildFaultsSpec.seed(sdk)
        Files.writeString(dir.resolve('t.imagebake.groovy'), """
variable 'token', sensitive: true
builder azure {
    location 'westeurope'
    vmSize 'Standard_B1s'
    source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
    managedImage 'web', resourceGroup: 'images'
    sshTimeout '30s'
}
provision shell { inline 'echo "token is \$TOKEN"', 'echo waiting-now', 'sleep \$PAUSE'; env TOKEN: var.token, PAUSE: '0' }
post manifest { output '${dir.resolve('manifest.json')}' }
""")
    }

    def cleanupSpec() {
        emulator?.close()
    }

    Process start(String pause, List<String> extra = []) {
        Files.writeString(dir.resolve('t.imagebake.groovy'),
                Files.readString(dir.resolve('t.imagebake.groovy')).replaceAll(/PAUSE: '\d+'/, "PAUSE: '${pause}'"))
        String java = Path.of(System.getProperty('java.home'), 'bin', 'java').toString()
        def command = [java, '-cp', System.getProperty('java.class.path'), 'dev.imagebake.cli.Main', 'build',
                       '--cloud', emulator.cloudFile().toString(), '-var', "token=${CANARY}".toString()] + extra +
                [dir.resolve('t.imagebake.groovy').toString()]
        new ProcessBuilder(command).redirectErrorStream(true).start()
    }

    /** Reads the child's output until a line contains {@code marker}; returns everything read. */
    static String readUntil(Process p, String marker, StringBuilder all) {
        def reader = new BufferedReader(new InputStreamReader(p.inputStream, 'UTF-8'))
        String line
        while ((line = reader.readLine()) != null) {
            all.append(line).append('\n')
            if (line.contains(marker)) {
                return all.toString()
            }
        }
        all.toString()
    }

    @Unroll
    def "Ctrl-C while '#marker' is showing cleans up and exits 130"() {
        given:
        def p = start('60')
        def out = new StringBuilder()

        when:
        readUntil(p, marker, out)
        new ProcessBuilder('kill', '-INT', p.pid().toString()).start().waitFor()
        out.append(p.inputStream.getText('UTF-8'))
        p.waitFor(120, TimeUnit.SECONDS)

        then:
        p.exitValue() == 130
        out.toString().contains('Interrupted: stopping and cleaning up')
        AzureBuildFaultsSpec.leftovers(sdk) == []
        !out.toString().contains(CANARY)

        where:
        marker << ['==> azure: create network', '==> azure: connect over SSH', 'waiting-now']
    }

    @Unroll
    def "kill -9 while '#marker' is showing leaves resources that gc finds and removes"() {
        given:
        def p = start('60')
        def out = new StringBuilder()
        def gcOut = new ByteArrayOutputStream()

        when:
        readUntil(p, marker, out)
        Thread.sleep(500)
        p.destroyForcibly().waitFor(30, TimeUnit.SECONDS)
        def left = AzureBuildFaultsSpec.leftovers(sdk)
        int gc = Main.run(new PrintStream(gcOut, true, 'UTF-8'), new PrintStream(gcOut, true, 'UTF-8'), [:],
                ['gc', '--cloud', emulator.cloudFile().toString()] as String[])

        then: 'gc tells the dead process from a running one by its pid tag, without --older-than'
        !left.isEmpty()
        gc == 0
        gcOut.toString('UTF-8') =~ /its imagebake process \(\d+ on .+\) is gone/
        AzureBuildFaultsSpec.leftovers(sdk) == []

        where:
        marker << ['created resource group', '==> azure: create VM', 'waiting-now']
    }

    def "should never show a sensitive variable or the client secret: console, log file, JSON events, manifest, plan"() {
        given:
        String secret = new groovy.json.JsonSlurper().parse(emulator.cloudFile().toFile()).clientSecret
        Path log = dir.resolve('build.log')

        when:
        def console = start('0', ['--log-file', log.toString()])
        String consoleText = console.inputStream.getText('UTF-8')
        console.waitFor(120, TimeUnit.SECONDS)
        def json = start('0', ['--json', '--force'])
        String jsonText = json.inputStream.getText('UTF-8')
        json.waitFor(120, TimeUnit.SECONDS)
        def plan = new ByteArrayOutputStream()
        Main.run(new PrintStream(plan, true, 'UTF-8'), new PrintStream(plan, true, 'UTF-8'), [:],
                ['plan', '-var', "token=${CANARY}".toString(), dir.resolve('t.imagebake.groovy').toString()] as String[])
        String everything = consoleText + jsonText + Files.readString(log) + Files.readString(dir.resolve('manifest.json')) +
                plan.toString('UTF-8')

        then:
        console.exitValue() == 0
        json.exitValue() == 0
        consoleText.contains('token is <sensitive>')
        jsonText.contains('token is <sensitive>')
        !everything.contains(CANARY)
        !everything.contains(secret)
        !everything.contains('BEGIN OPENSSH PRIVATE KEY')
    }
}
