package dev.imagebake.provisioner

import dev.imagebake.dsl.TemplateHarness
import dev.imagebake.testsupport.TemplateRun
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path

/**
 * `provision puppet` runs the real `puppet apply` (Debian's puppet-agent, installed on this host by .ci/run, and so
 * present in the emulated build VM, whose root is an overlay over the host's) inside an emulated Azure build VM.
 * Without Puppet on this host these fail (the step says puppet is not installed); they are not skipped.
 */
class PuppetProvisionerSpec extends Specification {
    @TempDir
    Path folder

    @TempDir
    Path emulator

    def setup() {
        write('manifests/site.pp', '''
include motd
file { '/etc/imagebake-role':
  content => "role=${facts['role']} build=${facts['packer_build_name']} builder=${facts['packer_builder_type']}\\n",
}
''')
        write('modules/motd/manifests/init.pp', '''
class motd {
  file { '/etc/motd-puppet': content => "baked by puppet\\n" }
}
''')
        write('hiera.yaml', '---\nversion: 5\n')
        write('manifests/fail.pp', '''
file { '/etc/before-failure': content => "x\\n" }
exec { 'fail on purpose': command => '/bin/false' }
''')
        write('manifests/secret.pp', '''
notify { "the token is ${facts['token']}": }
''')
    }

    def "should apply the manifest with its modules, Hiera configuration and facts, then remove the staging folder"() {
        when:
        def run = TemplateRun.emulated(folder, TemplateRun.EMULATED_AZURE_BUILDER + '''
provision puppet {
    manifest 'manifests/site.pp'
    modulePaths 'modules'
    hieraConfig 'hiera.yaml'
    facts role: 'web'
}
provision shell {
    inline 'cat /etc/imagebake-role /etc/motd-puppet', 'test ! -e /tmp/packer-puppet-masterless && echo staging-gone'
}
provision puppet {
    manifest 'manifests/site.pp'
    modulePaths 'modules'
    facts role: 'web'
    stagingDirectory '/var/tmp/puppet-kept'
    cleanStagingDirectory false
}
provision shell {
    inline 'cd /var/tmp/puppet-kept && find . -type f | sort && stat -c "mode %a owner %U" .'
}
''', emulator)

        then:
        run.code == 0
        run.out.contains('uploaded hiera.yaml to /tmp/packer-puppet-masterless/hiera.yaml')
        run.out.contains('uploaded modules to /tmp/packer-puppet-masterless/module-0')
        run.out.contains('uploaded manifests/site.pp to /tmp/packer-puppet-masterless/manifests/site.pp')
        run.out.contains('Notice: /Stage[main]/Motd/File[/etc/motd-puppet]/ensure: defined content')
        run.out.contains('puppet apply: changes applied (exit status 2, success with --detailed-exitcodes)')
        run.out.contains('removed the staging folder /tmp/packer-puppet-masterless')

        and: 'what puppet wrote, read back by the next step'
        run.out.contains('    azure: role=web build=azure builder=azure-arm\n    azure: baked by puppet\n    azure: staging-gone\n')

        and: 'the second run had nothing to change, and kept its staging folder as asked'
        run.out.contains('puppet apply: nothing to change (exit status 0)')
        run.out.contains('kept the staging folder /var/tmp/puppet-kept (cleanStagingDirectory false)')
        run.out.contains('    azure: ./manifests/site.pp\n    azure: ./module-0/motd/manifests/init.pp\n    azure: mode 700 owner imagebake\n')
    }

    def "a manifest with a failing resource should fail the build, name the resource and still remove the staging folder"() {
        when:
        def run = TemplateRun.emulated(folder, TemplateRun.EMULATED_AZURE_BUILDER + '''
provision puppet { manifest 'manifests/fail.pp' }
provision shell { inline 'echo never-reached' }
onError {
    provision shell { inline 'test ! -e /tmp/packer-puppet-masterless && echo staging-gone-after-failure; cat /etc/before-failure' }
}
''', emulator)

        then:
        run.code == 1
        run.out.contains('puppet apply failed: some resources could not be applied (exit status')
        run.out =~ /puppet apply failed: some resources could not be applied \(exit status [46]\): \/Stage\[main\]\/Main\/Exec\[fail on purpose\]\/returns: change from 'notrun' to \['0'\] failed/
        !run.out.contains('never-reached')
        run.out.contains('    azure: staging-gone-after-failure\n    azure: x\n')
    }

    def "a sensitive fact should be masked in the plan and in puppet's own output"() {
        given:
        String template = TemplateRun.EMULATED_AZURE_BUILDER + '''
variable 'token', default: 'tok-9f8e7d6c5b', sensitive: true
provision puppet {
    manifest 'manifests/secret.pp'
    facts token: var.token
}
'''

        when:
        def run = TemplateRun.emulated(folder, template, emulator)
        def plan = TemplateRun.plan(folder, template)

        then:
        run.code == 0
        run.out.contains('Notice: the token is <sensitive>')
        !(run.out + run.err).contains('tok-9f8e7d6c5b')
        plan.code == 0
        plan.out =~ /facts +\[token: <sensitive>\]/
        !(plan.out + plan.err).contains('tok-9f8e7d6c5b')
    }

    def "a missing puppet should be installed only when the step asks, by its command or the distribution's package"() {
        given: 'puppet looked for where it is not, and an apt-get that records its call and installs puppet there'
        String template = TemplateRun.EMULATED_AZURE_BUILDER + '''
provision shell {
    inline """sudo tee /usr/local/bin/apt-get > /dev/null <<'EOF'
#!/bin/sh
echo "apt-get \\$*" >> /var/tmp/apt-calls
[ "\\$1" = install ] && [ "\\$4" = puppet-agent ] && mkdir -p /opt/pkg/bin && ln -sf /usr/bin/puppet /opt/pkg/bin/puppet
exit 0
EOF""", 'sudo chmod 755 /usr/local/bin/apt-get'
}
provision puppet {
    manifest 'manifests/site.pp'
    modulePaths 'modules'
    puppetBinDir '/opt/cmd/bin'
    installCommand 'sudo mkdir -p /opt/cmd/bin && sudo ln -s /usr/bin/puppet /opt/cmd/bin/puppet'
}
provision puppet {
    manifest 'manifests/site.pp'
    modulePaths 'modules'
    puppetBinDir '/opt/pkg/bin'
    install 'package'
}
provision puppet {
    manifest 'manifests/site.pp'
    modulePaths 'modules'
    puppetBinDir '/opt/pkg/bin'
    install 'package'
}
provision shell { inline 'cat /var/tmp/apt-calls' }
provision puppet {
    manifest 'manifests/site.pp'
    modulePaths 'modules'
    puppetBinDir '/opt/none/bin'
}
'''

        when:
        def run = TemplateRun.emulated(folder, template, emulator)

        then: 'the install command ran because puppet was missing, and puppet ran from where it put it'
        run.out.contains('puppet is not installed on the machine; installing it with its installCommand')
        run.out =~ /(?s)installing it with its installCommand.*installed puppet.*changes applied \(exit status 2/

        and: 'the package was installed once: the second step found it'
        run.out.contains("installing it with the distribution's package (puppet-agent or puppet)")
        (run.out =~ /installing it with the distribution's package/).size() == 1
        run.out.contains('    azure: apt-get install -y -q puppet-agent\n')

        and: 'without a way to install it, the step fails and says what to do'
        run.code == 1
        run.out.contains("puppet is not installed on the machine (`test -x '/opt/none/bin/puppet'` failed); install it " +
                "in an earlier step, or add install 'package'")
    }

    def "an executeCommand of the template's own should get Packer's placeholders, quoted for where they stand"() {
        when:
        def run = TemplateRun.emulated(folder, TemplateRun.EMULATED_AZURE_BUILDER + '''
provision puppet {
    manifest 'manifests/site.pp'
    modulePaths 'modules'
    facts role: "db's"
    executeCommand 'cd {{.WorkingDir}} && {{.FacterVars}} {{.Sudo}} puppet apply --detailed-exitcodes --modulepath={{.ModulePath}} {{.ManifestFile}}; echo "ran in $(pwd) for $PACKER_BUILD_NAME"'
}
provision shell { inline 'cat /etc/imagebake-role' }
''', emulator)

        then:
        run.code == 0
        run.out.contains('ran in /tmp/packer-puppet-masterless for azure')
        run.out.contains("    azure: role=db's build=azure builder=azure-arm\n")
    }

    def "the Puppet example in dsl-examples should bake against the emulator: nginx installed, the site on port 8080"() {
        given: 'the example and its Puppet tree in a folder of its own, its manifest written there'
        Path example = folder.resolve('example')
        Files.createDirectories(example)
        Path puppet = Path.of('dsl-examples/puppet')
        Files.walk(puppet).withCloseable { paths ->
            paths.each { Path p ->
                Path target = example.resolve('puppet').resolve(puppet.relativize(p).toString())
                Files.isDirectory(p) ? Files.createDirectories(target) : Files.copy(p, target)
            }
        }
        String template = Files.readString(Path.of('dsl-examples/puppet-web.imagebake.groovy'))
                .replace("output 'manifest.json'", "output '${example.resolve('manifest.json')}'")

        when:
        def run = TemplateRun.emulated(example, template, emulator)

        then:
        run.code == 0
        run.out.contains('Notice: /Stage[main]/Web/Package[nginx]/ensure: created')
        run.out.contains('puppet apply: changes applied (exit status 2, success with --detailed-exitcodes)')
        run.out.contains('nginx version: nginx/')
        run.out.contains('    azure:     listen 8080;\n')
        run.out.contains('    azure: puppet, build azure\n')
        Files.readString(example.resolve('manifest.json')).contains('/providers/Microsoft.Compute/images/puppet-web-')
    }

    def "bad settings should be reported at their line and column"() {
        given:
        Files.createDirectories(folder.resolve('outside'))

        expect:
        errors(body) == [expected]

        where:
        body                                                       || expected
        "provision puppet { facts role: 'web' }"                   || "1:11: puppet needs a `manifest`, for example manifest 'manifests/site.pp'"
        "provision puppet {\n  manifest 'nope.pp' }"               || "2:3: `manifest`: no file or folder 'nope.pp' next to the template"
        "provision puppet {\n  manifest '../x.pp' }"               || "2:3: `manifest`: '../x.pp' leads out of the template's folder; templates can only use files in their own folder and below (or below a folder given with --root)"
        "provision puppet { manifest 'manifests/site.pp'\n  modulePaths 'hiera.yaml' }" || "2:3: `modulePaths`: 'hiera.yaml' is a file; give a folder"
        "provision puppet { manifest 'manifests/site.pp'\n  stagingDirectory '/tmp' }" || "2:3: `stagingDirectory` takes an absolute path at least two levels deep, without `..`, for example '/tmp/imagebake-puppet' (it is removed when the step ends); got '/tmp'"
        "provision puppet { manifest 'manifests/site.pp'\n  guestOsType 'windows' }" || "2:3: `guestOsType`: only 'unix' is supported (imagebake builds Linux images); got 'windows'"
        "provision puppet { manifest 'manifests/site.pp'\n  install 'http://x/i.sh' }" || "2:3: `install` takes 'package' or the https:// URL of a bootstrap script; got 'http://x/i.sh'"
        "provision puppet { manifest 'manifests/site.pp'\n  executeCommand '{{if .Sudo}}sudo{{end}} puppet apply {{.ManifestFile}}' }" || "2:3: `executeCommand`: unknown placeholder {{if .Sudo}} (Go template logic such as {{if}} is not supported: write the command as it should run); the known ones are {{.WorkingDir}}, {{.FacterVars}}, {{.Sudo}}, {{.PuppetBinDir}}, {{.ModulePath}}, {{.HieraConfigPath}}, {{.ManifestDir}}, {{.ManifestFile}}, {{.ExtraArguments}}"
        "provision puppet { manifest 'manifests/site.pp'\n  facts 'a-b': 'x' }" || "2:3: `facts`: 'a-b' is not a valid fact name (letters, digits, _)"
    }

    def "a link in an uploaded folder that leads out of the template's folder should be refused, for puppet and file alike"() {
        given:
        Files.createSymbolicLink(folder.resolve('modules/motd/passwd'), Path.of('/etc/passwd'))

        expect:
        errors("provision puppet { manifest 'manifests/site.pp'\n  modulePaths 'modules' }") ==
                ["2:3: `modulePaths`: 'modules/motd/passwd' is a link that leads out of the template's folder (to /etc/passwd); uploading 'modules' would copy what it points to"]
        errors("provision file { source 'modules'\n  destination '/tmp/' }") ==
                ["1:18: `source`: 'modules/motd/passwd' is a link that leads out of the template's folder (to /etc/passwd); uploading 'modules' would copy what it points to"]
    }

    private List<String> errors(String body) {
        String text = "builder ssh { host '127.0.0.1'; user 'ubuntu'; password 'pw-1234'; insecureHostKey true }\n" + body
        TemplateHarness.evaluate(text, [:], folder).diagnostics().collect {
            "${it.at().line() - 1}:${it.at().column()}: ${it.message()}".toString()
        }
    }

    private void write(String path, String text) {
        Path file = folder.resolve(path)
        Files.createDirectories(file.parent)
        Files.writeString(file, text)
    }
}
