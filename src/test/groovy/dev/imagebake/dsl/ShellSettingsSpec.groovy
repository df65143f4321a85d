package dev.imagebake.dsl

import dev.imagebake.plan.PlanJson
import dev.imagebake.plan.PlanRenderer
import dev.imagebake.plan.ShellStep
import spock.lang.Specification

import java.time.Duration

/** `provision shell`'s Packer settings: defaults, and the mistakes reported at their line and column. */
class ShellSettingsSpec extends Specification {
    static final String SSH = TemplateEvaluatorSpec.SSH

    static ShellStep step(String settings) {
        def result = TemplateHarness.evaluate(SSH + "provision shell {\n${settings}\n}\n")
        assert result.diagnostics().isEmpty(): result.diagnostics()
        result.plan().builds()[0].steps()[0].spec() as ShellStep
    }

    def "defaults are Packer's, filled in"() {
        when:
        ShellStep plain = step("inline 'true'")
        ShellStep file = step("inline 'true'; useEnvVarFile true")
        ShellStep sudo = step("inline 'true'; sudo true")

        then:
        plain.executeCommand() == 'chmod +x {{.Path}}; {{.Vars}} {{.Path}}'
        plain.envVarFormat() == "%s='%s' "
        plain.inlineShebang() == '/bin/sh -e'
        plain.remoteFolder() == '/tmp'
        plain.remoteFile() == null
        plain.remotePath() == null
        plain.startRetryTimeout() == Duration.ofMinutes(5)
        !plain.skipClean() && !plain.binary() && !plain.useEnvVarFile() && !plain.expectDisconnect()
        file.executeCommand() == 'chmod +x {{.Path}}; . {{.EnvVarFile}} && {{.Path}}'
        file.envVarFormat() == "export %s='%s'\n"
        sudo.executeCommand() == 'chmod +x {{.Path}}; sudo -n env {{.Vars}} {{.Path}}'
    }

    def "settings are kept as written"() {
        when:
        ShellStep s = step('''inline 'true'
executeCommand "echo 'packer' | sudo -S sh -c '{{ .Vars }} {{ .Path }}'"
envVarFormat "%s=\\"%s\\" "
inlineShebang '/bin/bash -eu'
remoteFolder '/var/tmp'
remoteFile 'setup.sh'
remotePath '/opt/x/run.sh'
binary true
skipClean true
startRetryTimeout '30m'
''')

        then:
        s.executeCommand() == "echo 'packer' | sudo -S sh -c '{{ .Vars }} {{ .Path }}'"
        s.envVarFormat() == '%s="%s" '
        s.inlineShebang() == '/bin/bash -eu'
        s.remoteFolder() == '/var/tmp'
        s.remoteFile() == 'setup.sh'
        s.remotePath() == '/opt/x/run.sh'
        s.binary() && s.skipClean()
        s.startRetryTimeout() == Duration.ofMinutes(30)
    }

    def "mistakes are reported where they are written"() {
        expect:
        TemplateHarness.errors(SSH + "provision shell {\n    inline 'true'\n    ${line}\n}\n") == [expected]

        where:
        line                                            || expected
        "executeCommand 'sh -c true'"                   || '10:5: `executeCommand` must contain {{.Path}} (or {{path}}), where the script goes'
        "executeCommand 'sh {{.Script}}'"               || '10:5: `executeCommand`: unknown placeholder {{.Script}}; the known ones are {{.Path}}, {{.Vars}} and {{.EnvVarFile}} (or imagebake\'s {{path}} and {{env}})'
        "envVarFormat '%s=%s=%s'"                       || '10:5: `envVarFormat` needs exactly two %s (the name, then the value); it has 3'
        "envVarFormat 'export %s'"                      || '10:5: `envVarFormat` needs exactly two %s (the name, then the value); it has 1'
        "envVarFormat '%s=%d'"                          || "10:5: `envVarFormat` has '%d'; only %s (twice: the name, then the value) and %% may appear"
        "remoteFile 'a/b.sh'"                           || '10:5: `remoteFile` is a file name; for a full path use `remotePath`'
        "remotePath '/tmp/my script.sh'"                || "10:5: `remotePath` may hold letters, digits and . _ - / @ % + = : , only (it goes into command lines as it is); got '/tmp/my script.sh'"
        "remoteFolder '\$HOME'"                         || "10:5: `remoteFolder` may hold letters, digits and . _ - / @ % + = : , only (it goes into command lines as it is); got '\$HOME'"
        "inlineShebang '#!/bin/bash'"                   || "10:5: `inlineShebang` takes an interpreter and its options, without #!, for example '/bin/bash -e'"
        "startRetryTimeout 'soon'"                      || "10:5: `startRetryTimeout` takes a duration like '90s', '10m' or '1h30m'; got 'soon'"
        "skipClean 'yes'"                               || "10:5: `skipClean` takes true or false; got the string 'yes'"
        "sudo true; executeCommand 'sh {{.Path}}'"      || "8:11: shell: `sudo true` changes only the default execute command; with `executeCommand`, write sudo into the command, for example 'chmod +x {{.Path}}; sudo -n env {{.Vars}} {{.Path}}'"
        "executeCommand '. {{.EnvVarFile}}; {{.Path}}'" || '8:11: shell: `executeCommand` uses {{.EnvVarFile}}, which needs `useEnvVarFile true`'
    }

    def "the text plan leaves Packer's defaults out; the JSON plan has them all"() {
        given:
        def plan = TemplateHarness.evaluate(SSH + """
provision shell { inline 'true' }
provision shell { script 'x.sh'; useEnvVarFile true; remoteFolder '/var/tmp'; skipClean true }
""", [:], java.nio.file.Files.createTempDirectory('ib').tap {
            it.toFile().deleteOnExit() // after x.sh: files registered later are deleted first
            java.nio.file.Files.writeString(it.resolve('x.sh'), 'true').toFile().deleteOnExit()
        }).plan()

        when:
        String text = PlanRenderer.render(plan)
        Map json = dev.imagebake.util.Json.parse(PlanJson.render(plan)) as Map

        then:
        !text.contains('executeCommand')
        !text.contains('inlineShebang')
        !text.contains('startRetryTimeout')
        text.contains('useEnvVarFile')
        text =~ /remoteFolder\s+\/var\/tmp/
        text =~ /skipClean\s+true/
        json.builds[0].steps[0].settings.executeCommand == 'chmod +x {{.Path}}; {{.Vars}} {{.Path}}'
        json.builds[0].steps[0].settings.startRetryTimeout == '5m'
        json.builds[0].steps[0].settings.remotePath == null
        json.builds[0].steps[1].settings.envVarFormat == "export %s='%s'\n"
    }
}
