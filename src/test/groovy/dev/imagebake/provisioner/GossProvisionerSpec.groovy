package dev.imagebake.provisioner

import dev.imagebake.dsl.TemplateEvaluatorSpec
import dev.imagebake.dsl.TemplateHarness
import dev.imagebake.plan.GossStep
import dev.imagebake.testsupport.StandIn
import dev.imagebake.testsupport.TemplateRun
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path

import static dev.imagebake.testsupport.StandIn.machineLines
import static dev.imagebake.testsupport.StandIn.sha256

/**
 * `provision goss`, the goss Packer plugin. goss cannot be installed here, so the builds run against the emulator
 * with a stand-in (testsupport/StandIn) installed as /usr/local/bin/goss that records how it was called: these
 * specs check the command line, the uploads and the outcome, not goss itself.
 */
class GossProvisionerSpec extends Specification {
    static final String SSH = TemplateEvaluatorSpec.SSH
    static final String PASSED = 'Total Duration: 0.001s\nCount: 2, Failed: 0, Skipped: 0\n'
    static final String FAILED = '''.F

Failures/Skipped:

File: /etc/nope: exists:
Expected
    <bool>: false
to equal
    <bool>: true

Total Duration: 0.001s
Count: 2, Failed: 1, Skipped: 0
'''

    @TempDir
    Path folder
    @TempDir
    Path emulatorData

    def setup() {
        Files.writeString(folder.resolve('goss.yaml'), 'file:\n  /etc/hostname:\n    exists: true\n')
        Files.createDirectories(folder.resolve('suite'))
        Files.writeString(folder.resolve('suite/web.yaml'), 'port:\n  tcp:80:\n    listening: true\n')
        Files.writeString(folder.resolve('vars.yaml'), 'role: web\n')
    }

    GossStep step(String settings) {
        def result = TemplateHarness.evaluate(SSH + "provision goss {\n${settings}\n}\n", [:], folder)
        assert result.diagnostics().isEmpty(): result.diagnostics()
        result.plan().builds()[0].steps()[0].spec() as GossStep
    }

    List<String> errors(String settings) {
        TemplateHarness.evaluate(SSH + "provision goss {\n${settings}\n}\n", [:], folder).diagnostics()
                .collect { "${it.at().line()}:${it.at().column()}: ${it.message()}".toString() }
    }

    def "defaults are the plugin's: release 0.3.9 for amd64 from GitHub, remote path /tmp/goss, no sudo"() {
        when:
        GossStep s = step("tests 'goss.yaml'")

        then:
        s.tests() == ['goss.yaml']
        s.url() == 'https://github.com/aelsabbahy/goss/releases/download/v0.3.9/goss-linux-amd64'
        s.downloadPath() == '/tmp/goss-0.3.9-linux-amd64'
        s.tool().stagingDirectory() == '/tmp/goss'
        s.tool().cleanStagingDirectory()
        s.tool().preventSudo() && !s.useSudo()
        s.retryTimeout() == '0s' && s.sleep() == '1s'
        s.format() == null && s.formatOptions() == null && s.gossFile() == null
        !s.inspect() && !s.skipInstall() && !s.skipSslChk()
    }

    def "the version, arch, URL, remote folder and sudo settings give the plugin's paths"() {
        expect:
        step("tests 'goss.yaml'; version '0.4.2'; arch 'arm64'").url() ==
                'https://github.com/aelsabbahy/goss/releases/download/v0.4.2/goss-linux-arm64'
        step("tests 'goss.yaml'; version '0.4.2'; arch 'arm64'").downloadPath() == '/tmp/goss-0.4.2-linux-arm64'
        step("tests 'goss.yaml'; varsEnv GOSS_USE_ALPHA: '1'").url() ==
                'https://github.com/aelsabbahy/goss/releases/download/v0.3.9/goss-alpha-linux-amd64'
        step("tests 'goss.yaml'; url 'https://mirror.example.com/goss/v0.3.16/goss-linux-arm'").downloadPath() ==
                '/tmp/goss-0.3.16-linux-arm'
        step("tests 'goss.yaml'; url 'https://mirror.example.com/goss'; downloadPath '/opt/goss'").downloadPath() ==
                '/opt/goss'
        step("tests 'goss.yaml'; remoteFolder '/var/tmp'").tool().stagingDirectory() == '/var/tmp/goss'
        step("tests 'goss.yaml'; remotePath '/var/tmp/tests'").tool().stagingDirectory() == '/var/tmp/tests'
        step("tests 'goss.yaml'; stagingDirectory '/var/tmp/t'").tool().stagingDirectory() == '/var/tmp/t'
        !step("tests 'goss.yaml'; useSudo true").tool().preventSudo()
        !step("tests 'goss.yaml'; preventSudo false").tool().preventSudo()
        step("tests 'goss.yaml'; useSudo false; preventSudo true").tool().preventSudo()
    }

    def "the download is the plugin's: curl, else wget, to the download path, then chmod 555 and --version"() {
        expect:
        GossProvisioner.downloadCommand(step("tests 'goss.yaml'")) == "{ 'curl' '-L' '-o' " +
                "'/tmp/goss-0.3.9-linux-amd64' 'https://github.com/aelsabbahy/goss/releases/download/v0.3.9/goss-linux-amd64' " +
                "|| 'wget' '-O' '/tmp/goss-0.3.9-linux-amd64' " +
                "'https://github.com/aelsabbahy/goss/releases/download/v0.3.9/goss-linux-amd64'; } " +
                "&& chmod 555 '/tmp/goss-0.3.9-linux-amd64' && '/tmp/goss-0.3.9-linux-amd64' --version"
        GossProvisioner.downloadCommand(step("tests 'goss.yaml'; url 'https://m.example.com/v1.0/goss-linux-amd64'\n" +
                "skipSslChk true; username 'ci'; password 'p w'")) == "{ 'curl' '-L' '-k' '-u' 'ci:p w' '-o' " +
                "'/tmp/goss-1.0-linux-amd64' 'https://m.example.com/v1.0/goss-linux-amd64' || 'wget' " +
                "'--no-check-certificate' '--user=ci' '--password=p w' '-O' '/tmp/goss-1.0-linux-amd64' " +
                "'https://m.example.com/v1.0/goss-linux-amd64'; } && chmod 555 '/tmp/goss-1.0-linux-amd64' " +
                "&& '/tmp/goss-1.0-linux-amd64' --version"
    }

    def "mistakes are reported where they are written"() {
        expect:
        errors("    tests 'goss.yaml'\n    ${line}") == [expected]

        where:
        line                                      || expected
        "tests 'missing.yaml'"                    || "10:5: `tests`: no file or folder 'missing.yaml' next to the template"
        "varsFile 'suite'"                        || "10:5: `varsFile`: 'suite' is a folder; give a file"
        "targetOs 'Windows'"                      || "10:5: `targetOs`: only 'Linux' is supported (imagebake builds Linux images); got 'Windows'"
        "format 'jsonn'"                          || "10:5: `format` takes one of documentation, json, json_oneline, junit, nagios, nagios_verbose, rspecish, silent, tap; got 'jsonn'. Did you mean `json`?"
        "formatOptions 'fast'"                    || "10:5: `formatOptions` takes one of perfdata, verbose, pretty; got 'fast'."
        "retryTimeout '10 minutes'"               || "10:5: `retryTimeout` takes a Go duration such as '30s', '5m' or '1m30s'; got '10 minutes'"
        "version 'v0.3.9'"                        || "10:5: `version` takes a goss release number such as '0.3.9' (without the v); got 'v0.3.9'"
        "remotePath '/goss'"                      || "10:5: `remotePath` takes an absolute path at least 2 levels deep, without `..` or spaces, for example '/tmp/goss'; got '/goss'"
        "url 'ftp://example.com/goss'"            || "10:5: `url` takes an http:// or https:// URL; got 'ftp://example.com/goss'"
        "executeCommand 'goss {{.Path}}'"         || "10:5: `executeCommand`: unknown placeholder {{.Path}}; the known ones are {{.RemotePath}}, {{.Sudo}}, {{.Env}}, {{.Goss}}, {{.GlobalOptions}}, {{.ValidateOptions}}"
        "varsEnv 'A-B': 'x'"                      || "10:5: `varsEnv`: 'A-B' is not a valid environment variable name"
        "useSudo true; preventSudo true"          || "8:11: goss: `useSudo true` and `preventSudo true` contradict each other; keep one"
        "remotePath '/tmp/a'; stagingDirectory '/tmp/b'" || "8:11: goss: `stagingDirectory` and `remotePath`/`remoteFolder` name the same folder; keep one"
    }

    def "a goss block without tests, or without a goss.yaml to run, says what to add"() {
        expect:
        errors("    retryTimeout '1m'") == ["8:11: goss needs `tests`, for example tests 'goss.yaml'"]
        errors("    tests 'suite'") == ["8:11: goss reads ./goss.yaml in the remote path, and none of `tests` is a " +
                "file named goss.yaml: name the goss file with gossFile, for example gossFile 'suite/goss.yaml'"]
    }

    def "goss is installed because it is missing, the tests and variables land in the remote path, and validate runs as the plugin builds it"() {
        given:
        String template = TemplateRun.EMULATED_AZURE_BUILDER + StandIn.steps(folder, 0, PASSED) + '''
provision goss {
    tests 'goss.yaml', 'suite'
    gossFile 'suite/web.yaml'
    varsFile 'vars.yaml'
    varsEnv ROLE: 'web'
    varsInline port: '80'
    installCommand 'echo installCommand-ran >> /var/tmp/standin-record.txt; sudo -n install -m 755 /tmp/standin /usr/local/bin/goss'
    useSudo true
    retryTimeout '30s'
    sleep '2s'
    format 'documentation'
    formatOptions 'verbose'
}
provision shell { inline 'cat /var/tmp/standin-record.txt', 'test ! -e /tmp/goss && echo remote-path-gone' }
'''

        when:
        def run = TemplateRun.emulated(folder, template, emulatorData)
        List<String> lines = machineLines(run.out)

        then:
        run.code == 0
        lines.contains('goss is not installed on the machine; installing it with its installCommand')
        lines.contains('goss: /usr/local/bin/goss (stand-in 1.0)')
        lines.count('installCommand-ran') == 1
        lines.indexOf('installCommand-ran') < lines.findIndexOf { it.startsWith('argv:') }
        lines.findAll { it.startsWith('argv:') } == ['argv: [/usr/local/bin/goss] [--gossfile] [suite/web.yaml] ' +
                '[--vars] [/tmp/goss/vars.yaml] [--vars-inline] [{"port":"80"}] [validate] [--retry-timeout] [30s] ' +
                '[--sleep] [2s] [-f] [documentation] [-o] [verbose]']
        lines.contains('env: SUDO_COMMAND=/usr/bin/env IMAGEBAKE_BUILDER_TYPE=azure IMAGEBAKE_BUILD_NAME=azure ' +
                'PACKER_BUILDER_TYPE=azure-arm PACKER_BUILD_NAME=azure ROLE=web /usr/local/bin/goss --gossfile ' +
                'suite/web.yaml --vars /tmp/goss/vars.yaml --vars-inline {"port":"80"} validate --retry-timeout 30s ' +
                '--sleep 2s -f documentation -o verbose')
        lines.contains('user: root')
        lines.contains('pwd: /tmp/goss')
        lines.contains('env: ROLE=web')
        lines.findAll { it.startsWith('file: ') } == [
                "file: ${sha256(folder.resolve('goss.yaml'))}  /tmp/goss/goss.yaml".toString(),
                "file: ${sha256(folder.resolve('suite/web.yaml'))}  /tmp/goss/suite/web.yaml".toString(),
                "file: ${sha256(folder.resolve('vars.yaml'))}  /tmp/goss/vars.yaml".toString()]
        lines.contains('goss validate: the tests passed (Count: 2, Failed: 0, Skipped: 0)')
        lines.contains('remote-path-gone')
    }

    def "goss already on the machine is not installed again; failing tests fail the build and are quoted"() {
        given:
        String template = TemplateRun.EMULATED_AZURE_BUILDER + StandIn.steps(folder, 1, FAILED) + '''
provision shell { inline 'sudo -n install -m 755 /tmp/standin /usr/local/bin/goss' }
provision goss {
    tests 'goss.yaml'
    installCommand 'echo installCommand-ran >> /var/tmp/standin-record.txt; exit 1'
    cleanStagingDirectory false
}
onError {
    provision shell { inline 'cat /var/tmp/standin-record.txt', 'ls /tmp/goss | sed "s/^/listed: /"' }
}
'''

        when:
        def run = TemplateRun.emulated(folder, template, emulatorData)
        List<String> lines = machineLines(run.out)

        then:
        run.code == 1
        run.out.contains('goss (line 14) failed after')
        run.out.contains(': goss validate failed (exit status 1): Count: 2, Failed: 1, Skipped: 0; failed: File: /etc/nope: exists\n')
        !lines.contains('installCommand-ran')
        !lines.any { it.contains('not installed') }
        lines.findAll { it.startsWith('argv:') } == ['argv: [/usr/local/bin/goss] [validate] [--retry-timeout] [0s] ' +
                '[--sleep] [1s]']
        lines.contains('user: imagebake')
        lines.contains('env: PACKER_BUILD_NAME=azure')
        lines.contains('kept the staging folder /tmp/goss (cleanStagingDirectory false)')
        lines.findAll { it.startsWith('file: ') } == ["file: ${sha256(folder.resolve('goss.yaml'))}  /tmp/goss/goss.yaml".toString()]
        lines.findAll { it.startsWith('listed: ') } == ['listed: goss.yaml']
    }

    def "with inspect, failing tests are a warning and the build goes on; an executeCommand gets its placeholders filled"() {
        given:
        String template = TemplateRun.EMULATED_AZURE_BUILDER + StandIn.steps(folder, 1, FAILED) + '''
provision goss {
    tests 'goss.yaml'
    varsEnv ROLE: "it's db"
    installCommand 'sudo -n install -m 755 /tmp/standin /usr/local/bin/goss'
    executeCommand 'cd {{.RemotePath}} && {{.Env}} {{.Goss}} {{.GlobalOptions}} validate --no-color {{.ValidateOptions}}'
    inspect true
}
provision shell { inline 'cat /var/tmp/standin-record.txt' }
'''

        when:
        def run = TemplateRun.emulated(folder, template, emulatorData)
        List<String> lines = machineLines(run.out)

        then:
        run.code == 0
        (run.out + run.err).contains('goss validate failed (exit status 1): Count: 2, Failed: 1, Skipped: 0; failed: ' +
                'File: /etc/nope: exists; inspect is true, so the build goes on')
        lines.findAll { it.startsWith('argv:') } == ['argv: [/usr/local/bin/goss] [validate] [--no-color] ' +
                '[--retry-timeout] [0s] [--sleep] [1s]']
        lines.contains("env: ROLE=it's db")
        lines.contains('env: PACKER_BUILD_NAME=azure')
        lines.contains('user: imagebake')
    }

    def "with skipInstall, a machine without goss fails the step before any upload"() {
        given:
        String template = TemplateRun.EMULATED_AZURE_BUILDER + '''
provision goss {
    tests 'goss.yaml'
    skipInstall true
}
'''

        when:
        def run = TemplateRun.emulated(folder, template, emulatorData)

        then:
        run.code == 1
        run.out.contains('goss is not on the machine (neither /tmp/goss-0.3.9-linux-amd64 nor goss on the PATH) and ' +
                'skipInstall is true; install it in an earlier step')
        !run.out.contains('uploaded goss.yaml')
    }
}
