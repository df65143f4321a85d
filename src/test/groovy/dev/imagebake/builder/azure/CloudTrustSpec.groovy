package dev.imagebake.builder.azure

import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.arm.Operations
import groovy.json.JsonOutput
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/**
 * A cloud file whose CA does not match its endpoint: the CLI, run as users run it, against the emulator over real
 * HTTPS. An untrusted certificate is permanent, so it fails at once with one line naming the endpoint and the CA
 * file (it used to retry for 90 s, printing 57 SDK log lines); the console carries no SDK log line.
 */
class CloudTrustSpec extends Specification {
    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    Map cloud

    def setupSpec() {
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('emulator'), 0, Operations.Settings.DEFAULT,
                Emulator.Machines.NONE))
        cloud = new JsonSlurper().parse(emulator.cloudFile().toFile()) as Map
        Files.writeString(dir.resolve('t.imagebake.groovy'), '''
builder azure {
    location 'westeurope'
    vmSize 'Standard_B1s'
    source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
    managedImage 'web', resourceGroup: 'images'
}
''')
    }

    def cleanupSpec() {
        emulator?.close()
    }

    /** Another emulator's CA: a real CA certificate that did not sign this emulator's certificate. */
    Path otherCa() {
        Emulator other = Emulator.start(new Emulator.Settings(dir.resolve('other'), 0, Operations.Settings.DEFAULT,
                Emulator.Machines.NONE))
        other.close()
        dir.resolve('other').resolve('ca.pem')
    }

    Map build(Map settings) {
        Path file = dir.resolve("cloud-${UUID.randomUUID()}.json")
        Files.writeString(file, JsonOutput.toJson(settings))
        String java = Path.of(System.getProperty('java.home'), 'bin', 'java').toString()
        long started = System.nanoTime()
        def p = new ProcessBuilder(java, '-cp', System.getProperty('java.class.path'), 'dev.imagebake.cli.Main',
                'build', '--cloud', file.toString(), dir.resolve('t.imagebake.groovy').toString())
                .redirectErrorStream(true).start()
        String output = p.inputStream.getText('UTF-8')
        p.waitFor(200, TimeUnit.SECONDS)
        [code: p.exitValue(), output: output, file: file, seconds: (System.nanoTime() - started) / 1e9]
    }

    def "a cloud file naming the wrong CA fails within seconds, naming the endpoint and the CA file, with no SDK noise"() {
        given:
        Path ca = otherCa()

        when:
        def r = build(cloud + [caCertificate: ca.toString()])

        then:
        r.code == 1
        r.seconds < 30 // the JVM's start and the template's evaluation included; retrying took 90 s
        r.output.readLines().findAll { it.contains('FAILED') } == ["==> azure: FAILED after ${r.output.find(/FAILED after (\S+ \S+):/) { it[1] }}: the TLS certificate of ${cloud.resourceManagerEndpoint} is not trusted (no trusted authority signed it): it was not issued by the CA certificate ${ca} that ${r.file} names; is that the CA of this endpoint?".toString()]
        !r.output.contains('com.azure')
        !r.output.contains('Exception')
        !r.output.contains(cloud.clientSecret as String)
    }

    def "a cloud file without a CA fails at once too, saying that it names none"() {
        when:
        def r = build(cloud.findAll { it.key != 'caCertificate' })

        then:
        r.code == 1
        r.seconds < 30
        r.output.contains("the TLS certificate of ${cloud.resourceManagerEndpoint} is not trusted (no trusted " +
                "authority signed it): ${r.file} names no caCertificate, and the system's trust store does not trust it")
        !r.output.contains('com.azure')
        !r.output.contains('Exception')
    }

    def "an empty CA file is named and said to be empty, without Java in the message"() {
        given:
        Path empty = Files.createFile(dir.resolve('empty.pem'))

        when:
        def r = build(cloud + [caCertificate: empty.toString()])

        then:
        r.code == 1
        r.output.contains("the CA certificate ${empty} is empty; it should hold the PEM certificate of the authority " +
                'that signed the endpoint\'s certificate')
        !r.output.contains('java.')
        !r.output.contains('Could not parse')
    }
}
