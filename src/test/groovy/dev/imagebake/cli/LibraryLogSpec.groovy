package dev.imagebake.cli

import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.arm.Operations
import groovy.json.JsonOutput
import groovy.json.JsonSlurper
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/** The Azure SDK's own log lines go to --log-file only, never to the console (build run as users run it). */
class LibraryLogSpec extends Specification {
    @TempDir
    Path dir

    def "a refused secret prints imagebake's message and no SDK log line; the SDK's lines are in the log file"() {
        given: 'a cloud file whose secret the emulator refuses'
        Emulator emulator = Emulator.start(new Emulator.Settings(dir.resolve('emulator'), 0,
                Operations.Settings.DEFAULT, Emulator.Machines.NONE))
        Map cloud = new JsonSlurper().parse(emulator.cloudFile().toFile()) as Map
        String secret = 'canary-' + UUID.randomUUID()
        Path bad = dir.resolve('bad.json')
        Files.writeString(bad, JsonOutput.toJson(cloud + [clientSecret: secret]))
        Path template = dir.resolve('t.imagebake.groovy')
        Files.writeString(template, '''
builder azure {
    location 'westeurope'
    vmSize 'Standard_B1s'
    source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
    managedImage 'web', resourceGroup: 'images'
}
''')
        Path log = dir.resolve('build.log')
        String java = Path.of(System.getProperty('java.home'), 'bin', 'java').toString()

        when:
        def p = new ProcessBuilder(java, '-cp', System.getProperty('java.class.path'), 'dev.imagebake.cli.Main',
                'build', '--cloud', bad.toString(), '--log-file', log.toString(), template.toString())
                .redirectErrorStream(true).start()
        String console = p.inputStream.getText('UTF-8')
        p.waitFor(120, TimeUnit.SECONDS)
        String logged = Files.readString(log)

        then: 'the console has only imagebake lines'
        p.exitValue() == 1
        console.contains('sign in to Azure failed')
        console.readLines().findAll { it =~ /^(WARN|ERROR|INFO)\b|com\.azure|Exception/ } == []

        and: 'the log file has the SDK lines, with the secret redacted'
        logged.contains('[library] ')
        logged.contains('com.azure.')
        !logged.contains(secret)
        !console.contains(secret)

        cleanup:
        emulator?.close()
    }
}
