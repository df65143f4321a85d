package dev.imagebake.dsl

import dev.imagebake.builder.azure.AzureCloud
import dev.imagebake.plan.AzureBuilderSpec
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path

/**
 * A template's {@code cloud} file is read only from the template's folder; a path on the command line may be
 * anywhere. A cloud file that does not parse is reported by what is wrong and where, never by quoting it.
 */
class CloudFileSpec extends Specification {
    @TempDir
    Path dir

    static String template(String cloud) {
        """builder azure('eu') {
    location 'westeurope'
    cloud '$cloud'
    source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
    managedImage 'web', resourceGroup: 'images'
}
"""
    }

    def "should refuse a template's cloud file outside the template's folder: #cloud"() {
        given:
        Files.writeString(dir.resolve('secret.json'), '{"resourceManagerEndpoint": "https://x"}')
        Path folder = Files.createDirectories(dir.resolve('t'))
        Files.createSymbolicLink(folder.resolve('link.json'), dir.resolve('secret.json'))

        when:
        def result = TemplateHarness.evaluate(template(cloud), [:], folder)

        then:
        !result.ok()
        result.diagnostics().collect { "${it.at().line()}:${it.at().column()}: ${it.message()}".toString() } == [message]

        where:
        cloud            | message
        '/etc/hostname'  | "3:5: '/etc/hostname' is absolute; give a path relative to the template's folder"
        '../secret.json' | "3:5: '../secret.json' leads out of the template's folder; templates can only use files in their own folder and below (or below a folder given with --root)"
        'link.json'      | "3:5: 'link.json' is a link that leads out of the template's folder"
        'missing.json'   | "3:5: no cloud file 'missing.json' next to the template"
    }

    def "validate should exit 2 naming the cloud line, without a stack trace"() {
        given:
        Path file = dir.resolve('t.imagebake.groovy')
        Files.writeString(file, template('/etc/hostname'))
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()

        when:
        int code = dev.imagebake.cli.Main.run(new PrintStream(out, true), new PrintStream(err, true), [:],
                'validate', file.toString())

        then:
        code == 2
        err.toString('UTF-8').contains("t.imagebake.groovy:3:5: '/etc/hostname' is absolute; give a path relative to " +
                "the template's folder")
        !err.toString('UTF-8').contains('Exception')
    }

    def "should accept a cloud file next to the template, and named clouds"() {
        given:
        Files.writeString(dir.resolve('cloud.json'), '{}')

        expect:
        TemplateHarness.evaluate(template('cloud.json'), [:], dir).ok()
        TemplateHarness.evaluate(template('china'), [:], dir).ok()
    }

    def "should not read a template's cloud file outside its folder when building, even from a plan"() {
        given:
        Path folder = Files.createDirectories(dir.resolve('t'))
        def auth = new AzureBuilderSpec.Auth('/etc/hostname', 'sub', null, null, null, null)

        when:
        AzureCloud.resolve(auth, null, folder, [:])

        then:
        def e = thrown(IOException)
        e.message == "the cloud file '/etc/hostname' is not in the template's folder " + folder.toRealPath() +
                "; give its path relative to the template, or pass --cloud"
    }

    def "should say what is wrong with a cloud file without quoting it: #what"() {
        given:
        Path file = dir.resolve('cloud.json')
        Files.writeString(file, content)

        when:
        AzureCloud.resolve(new AzureBuilderSpec.Auth('public', 'sub', null, null, null, null), file, dir, [:])

        then:
        def e = thrown(IOException)
        e.message == "cloud file $file $message".toString()
        !e.message.contains('Xq')

        where:
        what            | content                       | message
        'not JSON'      | 'Xq-secret-text'              | 'is not JSON: syntax error at line 1, column 1'
        'bad number'    | '{"a": 1Xq}'                  | 'is not JSON: syntax error at line 1, column 8'
        'not an object' | '["Xq"]'                      | 'must hold a JSON object'
        'no endpoint'   | '{"clientSecret": "Xq"}'      | 'has no "resourceManagerEndpoint"'
    }
}
