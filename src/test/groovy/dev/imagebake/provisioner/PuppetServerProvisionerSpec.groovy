package dev.imagebake.provisioner

import dev.imagebake.dsl.TemplateEvaluatorSpec
import dev.imagebake.dsl.TemplateHarness
import dev.imagebake.plan.PuppetServerStep
import dev.imagebake.testsupport.StandIn
import dev.imagebake.testsupport.TemplateRun
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path

import static dev.imagebake.testsupport.StandIn.machineLines
import static dev.imagebake.testsupport.StandIn.sha256

/**
 * `provision puppetServer`, Packer's puppet-server. There is no Puppet server here, so the builds run against the
 * emulator with a stand-in `puppet` (testsupport/StandIn) in a puppetBinDir of its own (the host's real puppet is
 * never run) that records how it was called: these specs check the command line, the uploads and the exit-status
 * handling, not a real agent run.
 */
class PuppetServerProvisionerSpec extends Specification {
    static final String SSH = TemplateEvaluatorSpec.SSH
    static final String INSTALL = "installCommand 'echo installCommand-ran >> /var/tmp/standin-record.txt; " +
            "sudo -n install -D -m 755 /tmp/standin /opt/standin/bin/puppet'"

    @TempDir
    Path folder
    @TempDir
    Path emulatorData

    def setup() {
        Files.createDirectories(folder.resolve('certs'))
        Files.createDirectories(folder.resolve('keys'))
        Files.writeString(folder.resolve('certs/ca.pem'), '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n')
        Files.writeString(folder.resolve('certs/web-01.pem'), '-----BEGIN CERTIFICATE-----\nWEB\n-----END CERTIFICATE-----\n')
        Files.writeString(folder.resolve('keys/web-01.pem'), '-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n')
    }

    PuppetServerStep step(String settings) {
        def result = TemplateHarness.evaluate(SSH + "provision puppetServer {\n${settings}\n}\n", [:], folder)
        assert result.diagnostics().isEmpty(): result.diagnostics()
        result.plan().builds()[0].steps()[0].spec() as PuppetServerStep
    }

    List<String> errors(String settings) {
        TemplateHarness.evaluate(SSH + "provision puppetServer {\n${settings}\n}\n", [:], folder).diagnostics()
                .collect { "${it.at().line()}:${it.at().column()}: ${it.message()}".toString() }
    }

    def "defaults are Packer's, with the staging folder removed afterwards"() {
        when:
        PuppetServerStep s = step("puppetServer 'puppet.example.com'")

        then:
        s.puppetServer() == 'puppet.example.com'
        s.puppetNode() == null && s.clientCertPath() == null && s.clientPrivateKeyPath() == null
        s.tool().stagingDirectory() == '/tmp/packer-puppet-server'
        s.tool().cleanStagingDirectory()
        !s.tool().preventSudo()
        !s.ignoreExitCodes()
    }

    def "mistakes are reported where they are written"() {
        expect:
        errors("    ${line}") == [expected]

        where:
        line                                      || expected
        "clientCertPath 'certs/ca.pem'"           || "9:5: `clientCertPath`: 'certs/ca.pem' is a file; give a folder"
        "clientPrivateKeyPath 'private'"          || "9:5: `clientPrivateKeyPath`: no folder 'private' next to the template"
        "puppetServer 'puppet example.com'"       || "9:5: `puppetServer` takes a host or certificate name (letters, digits, . _ - :); got 'puppet example.com'"
        "puppetNode 42"                           || "9:5: `puppetNode` takes a string; got the number 42"
        "facts 'a-b': 'x'"                        || "9:5: `facts`: 'a-b' is not a valid fact name (letters, digits, _)"
        "puppetBinDir 'bin'"                      || "9:5: `puppetBinDir` takes an absolute path, for example '/opt/puppetlabs/bin'; got 'bin'"
        "executeCommand 'puppet apply {{.ManifestFile}}'" || "9:5: `executeCommand`: unknown placeholder {{.ManifestFile}}; the known ones are {{.WorkingDir}}, {{.FacterVars}}, {{.Sudo}}, {{.PuppetBinDir}}, {{.PuppetServer}}, {{.PuppetNode}}, {{.ClientCertPath}}, {{.ClientPrivateKeyPath}}, {{.ExtraArguments}}"
        "guestOsType 'windows'"                   || "9:5: `guestOsType`: only 'unix' is supported (imagebake builds Linux images); got 'windows'"
        "ignoreExitCodes 'yes'"                   || "9:5: `ignoreExitCodes` takes true or false; got the string 'yes'"
    }

    def "puppet agent runs as Packer builds it, with the certificates and keys staged, and exit 2 passes"() {
        given:
        String template = TemplateRun.EMULATED_AZURE_BUILDER + StandIn.steps(folder, 2, 'Notice: Applied catalog in 0.5 seconds\n') + """
provision puppetServer {
    puppetServer 'puppet.example.com'
    puppetNode 'web-01'
    clientCertPath 'certs'
    clientPrivateKeyPath 'keys'
    facts role: 'web', tier: "it's"
    extraArguments '--environment', 'staging'
    puppetBinDir '/opt/standin/bin'
    ${INSTALL}
}
provision shell { inline 'cat /var/tmp/standin-record.txt', 'test ! -e /tmp/packer-puppet-server && echo staging-gone' }
"""

        when:
        def run = TemplateRun.emulated(folder, template, emulatorData)
        List<String> lines = machineLines(run.out)

        then:
        run.code == 0
        lines.contains('puppet is not installed on the machine; installing it with its installCommand')
        lines.count('installCommand-ran') == 1
        lines.findAll { it.startsWith('argv:') } == ['argv: [/opt/standin/bin/puppet] [agent] [--onetime] ' +
                '[--no-daemonize] [--detailed-exitcodes] [--color=false] [--server=puppet.example.com] ' +
                '[--certname=web-01] [--certdir=/tmp/packer-puppet-server/certs] ' +
                '[--privatekeydir=/tmp/packer-puppet-server/private_keys] [--environment] [staging]']
        lines.contains("env: SUDO_COMMAND=/usr/bin/env FACTER_packer_build_name=azure " +
                "FACTER_packer_builder_type=azure-arm FACTER_role=web FACTER_tier=it's IMAGEBAKE_BUILDER_TYPE=azure " +
                "IMAGEBAKE_BUILD_NAME=azure PACKER_BUILDER_TYPE=azure-arm PACKER_BUILD_NAME=azure " +
                "/opt/standin/bin/puppet agent --onetime --no-daemonize --detailed-exitcodes --color=false " +
                "--server=puppet.example.com --certname=web-01 --certdir=/tmp/packer-puppet-server/certs " +
                "--privatekeydir=/tmp/packer-puppet-server/private_keys --environment staging")
        lines.contains('user: root')
        lines.contains('pwd: /tmp/packer-puppet-server')
        lines.contains("env: FACTER_tier=it's")
        lines.findAll { it.startsWith('file: ') } == [
                "file: ${sha256(folder.resolve('certs/ca.pem'))}  /tmp/packer-puppet-server/certs/ca.pem".toString(),
                "file: ${sha256(folder.resolve('certs/web-01.pem'))}  /tmp/packer-puppet-server/certs/web-01.pem".toString(),
                "file: ${sha256(folder.resolve('keys/web-01.pem'))}  /tmp/packer-puppet-server/private_keys/web-01.pem".toString()]
        lines.contains('puppet agent: changes applied (exit status 2, success with --detailed-exitcodes)')
        lines.contains('staging-gone')
    }

    def "failed resources (exit 4) fail the build, quoting puppet's Error line; the staging folder is kept on request"() {
        given:
        String output = "Info: Using environment 'production'\nError: /Stage[main]/Web/Package[nginx]/ensure: " +
                "change from 'purged' to 'present' failed: Could not find package nginx\n"
        String template = TemplateRun.EMULATED_AZURE_BUILDER + StandIn.steps(folder, 4, output) + """
provision shell { inline 'sudo -n install -D -m 755 /tmp/standin /opt/standin/bin/puppet' }
provision puppetServer {
    puppetBinDir '/opt/standin/bin'
    ${INSTALL}
    preventSudo true
    stagingDirectory '/var/tmp/ps'
    cleanStagingDirectory false
}
onError {
    provision shell { inline 'cat /var/tmp/standin-record.txt', 'test -d /var/tmp/ps && echo staging-kept' }
}
"""

        when:
        def run = TemplateRun.emulated(folder, template, emulatorData)
        List<String> lines = machineLines(run.out)

        then:
        run.code == 1
        run.out.contains("puppetServer (line 14) failed after")
        run.out.contains(": puppet agent failed: some resources could not be applied (exit status 4): " +
                "/Stage[main]/Web/Package[nginx]/ensure: change from 'purged' to 'present' failed: Could not find " +
                "package nginx\n")
        !lines.contains('installCommand-ran')
        lines.findAll { it.startsWith('argv:') } == ['argv: [/opt/standin/bin/puppet] [agent] [--onetime] ' +
                '[--no-daemonize] [--detailed-exitcodes] [--color=false]']
        lines.contains('user: imagebake')
        lines.contains('pwd: /var/tmp/ps')
        lines.contains('env: FACTER_packer_build_name=azure')
        lines.contains('kept the staging folder /var/tmp/ps (cleanStagingDirectory false)')
        lines.contains('staging-kept')
    }

    def "an executeCommand gets Packer's placeholders filled; ignoreExitCodes lets exit 6 pass with a warning"() {
        given:
        String template = TemplateRun.EMULATED_AZURE_BUILDER + StandIn.steps(folder, 6, '') + """
provision puppetServer {
    puppetServer 'puppet.example.com'
    puppetNode 'web-01'
    clientCertPath 'certs'
    extraArguments '--verbose'
    puppetBinDir '/opt/standin/bin'
    ${INSTALL}
    executeCommand 'cd {{.WorkingDir}} && {{.FacterVars}} {{.Sudo}} {{.PuppetBinDir}}/puppet agent --onetime --server={{.PuppetServer}} --certname={{.PuppetNode}} --certdir={{.ClientCertPath}} --privatekeydir={{.ClientPrivateKeyPath}} {{.ExtraArguments}}'
    ignoreExitCodes true
}
provision shell { inline 'cat /var/tmp/standin-record.txt' }
"""

        when:
        def run = TemplateRun.emulated(folder, template, emulatorData)
        List<String> lines = machineLines(run.out)

        then:
        run.code == 0
        (run.out + run.err).contains('puppet agent exited with status 6, ignored (ignoreExitCodes)')
        lines.findAll { it.startsWith('argv:') } == ['argv: [/opt/standin/bin/puppet] [agent] [--onetime] ' +
                '[--server=puppet.example.com] [--certname=web-01] [--certdir=/tmp/packer-puppet-server/certs] ' +
                '[--privatekeydir=] [--verbose]']
        lines.contains('user: root')
        lines.contains('env: FACTER_packer_builder_type=azure-arm')
        lines.contains('env: PACKER_BUILD_NAME=azure')
    }
}
