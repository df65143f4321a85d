package dev.imagebake.provisioner

import dev.imagebake.cli.Main
import dev.imagebake.dsl.TemplateHarness
import dev.imagebake.plan.ChefClientStep
import dev.imagebake.plan.ChefSoloStep
import dev.imagebake.plan.NodeJson
import dev.imagebake.testsupport.TemplateRun
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path

import static dev.imagebake.testsupport.TemplateRun.EMULATED_AZURE_BUILDER

/**
 * `provision chef` (Packer's chef-solo) and `provision chefClient` (Packer's chef-client). Chef cannot be installed
 * here, so the builds run against a STAND-IN on the emulated build VM: a shell script installed as chef-solo,
 * chef-client and knife that records its command line, its environment, the staged tree (find and sha256sum), the
 * configuration file and the node JSON into /var/tmp/chef-record, then exits with the status a spec chooses (from
 * /var/tmp/chef-exit). A later shell step prints the record; the specs compare it with chef's documented CLI
 * (-c CONFIG, -j JSON) and Packer's templates.
 */
class ChefProvisionerSpec extends Specification {
    static final String STAND_IN = '''#!/bin/sh
tool=$(basename "$0")
{
  echo "== $tool"
  echo "argv: $*"
  echo "-- env"; env | sort
  if [ "$tool" != knife ]; then
    staging=$(dirname "$3")
    echo "-- tree"; (cd "$staging" && find . | sort && find . -type f | sort | xargs sha256sum)
    echo "-- config"; cat "$3"
    echo "-- json"; cat "$5"; echo
  else
    echo "-- knife.rb"; cat "$6"
  fi
  echo "== end"
} >> /var/tmp/chef-record
code=$(cat /var/tmp/chef-exit 2>/dev/null || echo 0)
if [ "$tool" != knife ] && [ "$code" != 0 ]; then
  echo "[2026-12-07T10:00:00+00:00] INFO: Chef Infra Client, version 18.5.0"
  echo "[2026-12-07T10:00:01+00:00] FATAL: Chef::Exceptions::ChildConvergeError: stand-in run failed with $code" >&2
  exit "$code"
fi
exit 0
'''

    /** Installs the stand-in under the names given, from standin.sh uploaded to /tmp. */
    static String installStandIn(String... names) {
        names.collect { "sudo -n install -m 0755 /tmp/standin.sh /usr/local/bin/${it}" }.join(' && ')
    }

    static final String UPLOAD_STAND_IN = "provision file { source 'standin.sh'; destination '/tmp/standin.sh' }\n"
    static final String PRINT_RECORD = "provision shell { inline 'cat /var/tmp/chef-record', " +
            "'test ! -e /tmp/packer-chef-solo && echo solo-staging-gone', " +
            "'test ! -e /tmp/packer-chef-client && echo client-staging-gone' }\n"

    @TempDir
    Path folder

    @TempDir
    Path emulatorData

    def setup() {
        write('standin.sh', STAND_IN)
        write('cookbooks/web/recipes/default.rb', 'package "nginx"\n')
        write('site-cookbooks/base/recipes/default.rb', 'log "base"\n')
        write('roles/web.json', '{"name": "web"}\n')
        write('data_bags/users/deploy.json', '{"id": "deploy"}\n')
        write('environments/staging.json', '{"name": "staging"}\n')
        write('secrets/data_bag_key', 'not-a-real-key\n')
        write('keys/validation.pem', '-----BEGIN RSA PRIVATE KEY-----\nstand-in\n-----END RSA PRIVATE KEY-----\n')
        write('node.json', '{\n  "nginx": {"port": 8080},\n  "motd": "<baked & checked>"\n}\n')
    }

    private void write(String path, String text) {
        Path file = folder.resolve(path)
        Files.createDirectories(file.parent)
        Files.writeString(file, text)
    }

    /** The lines a shell step printed, without the `    azure: ` prefix, between the record's markers. */
    private static List<String> record(TemplateRun run, String tool) {
        List<String> lines = run.out.readLines().findAll { it.startsWith('    azure: ') }
                .collect { it.substring('    azure: '.length()) }
        int start = lines.indexOf("== ${tool}".toString())
        assert start >= 0: "no record of ${tool} in:\n${run.out}"
        lines.subList(start + 1, start + lines.subList(start, lines.size()).indexOf('== end'))
    }

    private static List<String> section(List<String> record, String name) {
        int start = record.indexOf("-- ${name}".toString())
        int end = (start + 1..<record.size()).find { record[it].startsWith('-- ') } ?: record.size()
        record.subList(start + 1, end)
    }

    private static String sha256(Path file) {
        java.security.MessageDigest.getInstance('SHA-256').digest(Files.readAllBytes(file)).encodeHex().toString()
    }

    def "chef-solo runs with Packer's command line, solo.rb and node JSON, installed only because it was missing"() {
        when:
        def run = TemplateRun.emulated(folder, """
variable 'dbPassword', sensitive: true, default: 'hunter2-db-secret'
${EMULATED_AZURE_BUILDER}
${UPLOAD_STAND_IN}
provision chef {
    cookbookPaths 'cookbooks', 'site-cookbooks'
    remoteCookbookPaths '/srv/chef/cookbooks'
    rolesPath 'roles'
    dataBagsPath 'data_bags'
    environmentsPath 'environments'
    chefEnvironment 'staging'
    encryptedDataBagSecretPath 'secrets/data_bag_key'
    runList 'recipe[web]', 'role[web]'
    json app: [db: [password: var.dbPassword, port: 5432]], motd: '<baked & checked>', ratio: 1.50
    version '18'
    installCommand '${installStandIn('chef-solo')} && echo stand-in-installed'
}
${PRINT_RECORD}
""", emulatorData)
        def solo = record(run, 'chef-solo')

        then: 'the build passed; the install command ran because chef-solo was missing'
        run.code == 0
        run.out.contains('chef-solo is not installed on the machine; installing it with its installCommand')
        run.out.contains('    azure: stand-in-installed')

        and: "chef-solo's documented CLI, as Packer's template has it, through sudo -n env with the build's variables"
        solo[0] == 'argv: --no-color -c /tmp/packer-chef-solo/solo.rb -j /tmp/packer-chef-solo/node.json'
        section(solo, 'env').contains('SUDO_COMMAND=/usr/bin/env IMAGEBAKE_BUILDER_TYPE=azure IMAGEBAKE_BUILD_NAME=azure '
                + 'PACKER_BUILDER_TYPE=azure-arm PACKER_BUILD_NAME=azure chef-solo --no-color -c '
                + '/tmp/packer-chef-solo/solo.rb -j /tmp/packer-chef-solo/node.json')
        section(solo, 'env').contains('USER=root')
        section(solo, 'env').contains('PACKER_BUILD_NAME=azure')

        and: "every folder at Packer's remote path, the files intact"
        def tree = section(solo, 'tree')
        tree.takeWhile { !(it ==~ /[0-9a-f]{64} .*/) } == ['.', './cookbooks-0', './cookbooks-0/web',
                './cookbooks-0/web/recipes', './cookbooks-0/web/recipes/default.rb', './cookbooks-1',
                './cookbooks-1/base', './cookbooks-1/base/recipes', './cookbooks-1/base/recipes/default.rb',
                './data_bags', './data_bags/users', './data_bags/users/deploy.json', './encrypted_data_bag_secret',
                './environments', './environments/staging.json', './node.json', './roles', './roles/web.json',
                './solo.rb']
        tree.contains("${sha256(folder.resolve('cookbooks/web/recipes/default.rb'))}  ./cookbooks-0/web/recipes/default.rb".toString())
        tree.contains("${sha256(folder.resolve('site-cookbooks/base/recipes/default.rb'))}  ./cookbooks-1/base/recipes/default.rb".toString())
        tree.contains("${sha256(folder.resolve('secrets/data_bag_key'))}  ./encrypted_data_bag_secret".toString())
        tree.contains("${sha256(folder.resolve('data_bags/users/deploy.json'))}  ./data_bags/users/deploy.json".toString())

        and: "solo.rb is Packer's template filled in: remote cookbook paths first; no licence with an installCommand"
        section(solo, 'config').join('\n') == '''
chef_license \t\t""
cookbook_path \t["/srv/chef/cookbooks","/tmp/packer-chef-solo/cookbooks-0","/tmp/packer-chef-solo/cookbooks-1"]

role_path\t\t"/tmp/packer-chef-solo/roles"


data_bag_path\t"/tmp/packer-chef-solo/data_bags"


encrypted_data_bag_secret "/tmp/packer-chef-solo/encrypted_data_bag_secret"


environment_path "/tmp/packer-chef-solo/environments"
environment "staging"
'''

        and: "the node JSON as Packer's Go code writes it: keys sorted, run_list added, HTML characters escaped; the secret masked in the output"
        section(solo, 'json').join('\n') == '''{
  "app": {
    "db": {
      "password": "<sensitive>",
      "port": 5432
    }
  },
  "motd": "\\u003cbaked \\u0026 checked\\u003e",
  "ratio": 1.5,
  "run_list": [
    "recipe[web]",
    "role[web]"
  ]
}'''
        !run.out.contains('hunter2-db-secret')
        !run.err.contains('hunter2-db-secret')

        and: 'the staging folder is removed afterwards'
        run.out.contains('    azure: solo-staging-gone')
    }

    def "by default a missing chef-solo is installed with Packer's omnitruck bootstrap, given -v VERSION, and the licence is accepted"() {
        given: 'a curl stand-in whose "install.sh" records how it was run and installs the chef-solo stand-in'
        write('fake-curl.sh', '''#!/bin/sh
echo "curl $*" >> /var/tmp/chef-record
while [ $# -gt 0 ]; do [ "$1" = -o ] && out=$2; shift; done
cat > "$out" <<'EOS'
echo "install.sh $* as $(id -un)" >> /var/tmp/chef-record
install -m 0755 /tmp/standin.sh /usr/local/bin/chef-solo
EOS
''')

        when:
        def run = TemplateRun.emulated(folder, """
${EMULATED_AZURE_BUILDER}
${UPLOAD_STAND_IN}
provision file { source 'fake-curl.sh'; destination '/tmp/fake-curl.sh' }
provision shell { inline 'sudo -n install -m 0755 /tmp/fake-curl.sh /usr/local/bin/curl' }
provision chef {
    cookbookPaths 'cookbooks'
    runList 'recipe[web]'
    version '18'
}
${PRINT_RECORD}
""", emulatorData)
        def solo = record(run, 'chef-solo')

        then:
        run.code == 0
        run.out.contains('chef-solo is not installed on the machine; installing it with the bootstrap script '
                + 'https://omnitruck.chef.io/install.sh')
        run.out.contains('    azure: curl -fsSL https://omnitruck.chef.io/install.sh -o '
                + '/tmp/packer-chef-solo/install-chef-solo.sh\n    azure: install.sh -v 18 as root\n    azure: == chef-solo')
        section(solo, 'config')[1] == 'chef_license \t\t"accept-silent"'
    }

    def "chef-solo already on the machine is not installed again; cleanStagingDirectory false keeps the staged files"() {
        when:
        def run = TemplateRun.emulated(folder, """
${EMULATED_AZURE_BUILDER}
${UPLOAD_STAND_IN}
provision shell { inline '${installStandIn('chef-solo')}' }
provision chef {
    cookbookPaths 'cookbooks'
    json file('node.json')
    runList 'recipe[web]'
    cleanStagingDirectory false
    installCommand 'echo install-should-not-run; exit 1'
}
${PRINT_RECORD}
provision shell { inline 'cat /tmp/packer-chef-solo/node.json; echo; ls /tmp/packer-chef-solo' }
""", emulatorData)
        def solo = record(run, 'chef-solo')

        then:
        run.code == 0
        !run.out.contains('install-should-not-run')
        !run.out.contains('installing it with')
        solo[0] == 'argv: --no-color -c /tmp/packer-chef-solo/solo.rb -j /tmp/packer-chef-solo/node.json'
        section(solo, 'json').join('\n') == '''{
  "motd": "\\u003cbaked \\u0026 checked\\u003e",
  "nginx": {
    "port": 8080
  },
  "run_list": [
    "recipe[web]"
  ]
}'''
        run.out.contains('kept the staging folder /tmp/packer-chef-solo (cleanStagingDirectory false)')
        !run.out.contains('    azure: solo-staging-gone')
        run.out.contains('    azure: cookbooks-0\n    azure: node.json\n    azure: solo.rb')
    }

    def "a failing chef-solo run fails the build with exit code 1 and quotes chef's FATAL line"() {
        when:
        def run = TemplateRun.emulated(folder, """
${EMULATED_AZURE_BUILDER}
${UPLOAD_STAND_IN}
provision shell { inline '${installStandIn('chef-solo')}', 'echo 1 > /var/tmp/chef-exit' }
provision chef {
    cookbookPaths 'cookbooks'
    runList 'recipe[web]'
    skipInstall true
}
onError {
    provision shell { inline 'test ! -e /tmp/packer-chef-solo && echo staging-gone-after-failure' }
}
""", emulatorData)

        then:
        run.code == 1
        (run.out + run.err).contains('chef-solo failed with exit status 1: FATAL: Chef::Exceptions::ChildConvergeError: '
                + 'stand-in run failed with 1')
        run.out.contains('    azure: staging-gone-after-failure')
    }

    def "skipInstall with chef-solo missing fails clearly and installs nothing"() {
        when:
        def run = TemplateRun.emulated(folder, """
${EMULATED_AZURE_BUILDER}
provision chef {
    cookbookPaths 'cookbooks'
    runList 'recipe[web]'
    skipInstall true
}
""", emulatorData)

        then:
        run.code == 1
        (run.out + run.err).contains('chef-solo is not installed on the machine and skipInstall is true')
    }

    def "chef-client runs with Packer's client.rb and first-boot.json, then deletes the node and client with knife"() {
        when:
        def run = TemplateRun.emulated(folder, """
${EMULATED_AZURE_BUILDER}
${UPLOAD_STAND_IN}
provision chefClient {
    serverUrl 'https://chef.example.com/organizations/web'
    runList 'role[web]'
    json nginx: [port: 8080]
    nodeName 'web-image-build'
    chefEnvironment 'production'
    validationClientName 'web-validator'
    validationKeyPath 'keys/validation.pem'
    encryptedDataBagSecretPath 'secrets/data_bag_key'
    sslVerifyMode 'verify_peer'
    trustedCertsDir '/etc/chef/trusted_certs'
    installCommand '${installStandIn('chef-client', 'knife')}'
}
${PRINT_RECORD}
""", emulatorData)
        def client = record(run, 'chef-client')
        List<String> knifeRuns = run.out.readLines().findAll { it.startsWith('    azure: argv: node') || it.startsWith('    azure: argv: client') }

        then:
        run.code == 0
        client[0] == 'argv: --no-color -c /tmp/packer-chef-client/client.rb -j /tmp/packer-chef-client/first-boot.json'
        section(client, 'tree').takeWhile { !(it ==~ /[0-9a-f]{64} .*/) } == ['.', './client.rb',
                './encrypted_data_bag_secret', './first-boot.json', './validation.pem']
        section(client, 'tree').contains("${sha256(folder.resolve('keys/validation.pem'))}  ./validation.pem".toString())
        section(client, 'config').join('\n') == '''
log_level        :info
log_location     STDOUT
chef_server_url  "https://chef.example.com/organizations/web"
client_key       "/tmp/packer-chef-client/client.pem"
chef_license     ""

encrypted_data_bag_secret "/tmp/packer-chef-client/encrypted_data_bag_secret"


validation_client_name "web-validator"


validation_key "/tmp/packer-chef-client/validation.pem"

node_name "web-image-build"

environment "production"




ssl_verify_mode :verify_peer


trusted_certs_dir "/etc/chef/trusted_certs"
'''
        section(client, 'json').join('\n') == '''{
  "nginx": {
    "port": 8080
  },
  "run_list": [
    "role[web]"
  ]
}'''

        and: "knife deletes the node, then the client, on the machine, as Packer's knife command does"
        knifeRuns == ['    azure: argv: node delete web-image-build -y -c /tmp/packer-chef-client/knife.rb',
                      '    azure: argv: client delete web-image-build -y -c /tmp/packer-chef-client/knife.rb']
        section(record(run, 'knife'), 'knife.rb').join('\n') == '''
log_level        :info
log_location     STDOUT
chef_server_url  "https://chef.example.com/organizations/web"
client_key       "/tmp/packer-chef-client/client.pem"
node_name "web-image-build"

ssl_verify_mode :verify_peer


trusted_certs_dir "/etc/chef/trusted_certs"
'''
        run.out.contains('deleted the node web-image-build from the Chef server')
        run.out.contains('deleted the client web-image-build from the Chef server')
        run.out.contains('    azure: client-staging-gone')
    }

    def "a chef-client run that asks for a reboot fails the step, and the node is still cleaned up"() {
        when:
        def run = TemplateRun.emulated(folder, """
${EMULATED_AZURE_BUILDER}
${UPLOAD_STAND_IN}
provision shell { inline '${installStandIn('chef-client', 'knife')}', 'echo 35 > /var/tmp/chef-exit' }
provision chefClient {
    serverUrl 'https://chef.example.com'
    runList 'recipe[web]'
    skipCleanClient true
}
onError {
    provision shell { inline 'grep "^argv" /var/tmp/chef-record' }
}
""", emulatorData)

        then:
        run.code == 1
        (run.out + run.err).contains('chef-client failed with exit status 35 (Chef scheduled a reboot): FATAL: '
                + 'Chef::Exceptions::ChildConvergeError: stand-in run failed with 35; only exit status 0 is success')
        run.out =~ /    azure: argv: --no-color -c \/tmp\/packer-chef-client\/client.rb -j \/tmp\/packer-chef-client\/first-boot.json\n    azure: argv: node delete packer-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12} -y -c \/tmp\/packer-chef-client\/knife.rb\n/
        !run.out.contains('argv: client delete')
    }

    // ---- the template language, no machine -------------------------------------------------------------------

    private List<String> errors(String text) {
        TemplateHarness.evaluate(text, [:], folder).diagnostics()
                .collect { "${it.at().line()}:${it.at().column()}: ${it.message()}".toString() }
    }

    def "chef without a run list is refused at the block"() {
        expect:
        errors("""builder ssh { host '10.0.0.5'; user 'deploy'; agent true }
provision chef {
    cookbookPaths 'cookbooks'
}
""") == ["2:11: chef needs a `runList` (or a run_list in `json`), for example runList 'recipe[web]'; without one "
                 + "chef-solo changes nothing"]
    }

    def "a cookbook folder outside the template's folder, or missing, is refused where it is named"() {
        expect:
        errors("""builder ssh { host '10.0.0.5'; user 'deploy'; agent true }
provision chef {
    runList 'recipe[web]'
    cookbookPaths '../cookbooks'
}
""") == ["4:5: `cookbookPaths`: '../cookbooks' leads out of the template's folder; templates can only use files "
                 + "in their own folder and below (or below a folder given with --root)"]
        errors("""builder ssh { host '10.0.0.5'; user 'deploy'; agent true }
provision chef {
    runList 'recipe[web]'
    cookbookPaths 'cookbooks', 'nope'
}
""") == ["4:5: `cookbookPaths`: no folder 'nope' next to the template"]
    }

    def "json that is not a JSON object is refused with its line and column"() {
        given:
        write('bad.json', '{\n  "a": 1,\n  "b": [1, 2\n}\n')
        write('list.json', '["recipe[web]"]')

        expect:
        errors("""builder ssh { host '10.0.0.5'; user 'deploy'; agent true }
provision chef {
    runList 'recipe[web]'
    json file('bad.json')
}
""") == ["4:5: `json`: the text is not valid JSON (at line:column 4:1: expected ',' or ']'); give a JSON object, "
                 + "for example json file('node.json'), or a map"]
        errors("""builder ssh { host '10.0.0.5'; user 'deploy'; agent true }
provision chef {
    runList 'recipe[web]'
    json file('list.json')
}
""") == ['4:5: `json` takes a JSON object ({ ... }) of node attributes; the text is an array']
        errors("""builder ssh { host '10.0.0.5'; user 'deploy'; agent true }
provision chef {
    runList 'recipe[web]'
    json 42
}
""") == ['4:5: `json` takes a map of node attributes or the text of a JSON object; got the number 42']
    }

    def "chefClient needs a serverUrl, and policyGroup goes with policyName"() {
        expect:
        errors("""builder ssh { host '10.0.0.5'; user 'deploy'; agent true }
provision chefClient {
    policyGroup 'prod'
}
""") == ["2:11: chefClient needs a `serverUrl`, for example serverUrl 'https://chef.example.com/organizations/web'",
         '2:11: chefClient: give both `policyGroup` and `policyName`, or neither']
    }

    def "a configTemplate with Go template logic imagebake does not run is refused with its line"() {
        given:
        write('solo.rb.tmpl', 'cookbook_path [{{.CookbookPaths}}]\n{{range .RunList}}x{{end}}\n')

        expect:
        errors("""builder ssh { host '10.0.0.5'; user 'deploy'; agent true }
provision chef {
    runList 'recipe[web]'
    configTemplate 'solo.rb.tmpl'
}
""") == ['4:5: `configTemplate` \'solo.rb.tmpl\': line 2: {{range .RunList}} is not supported (only {{.Field}}, '
                 + '{{if .Field}}, {{if ne .Field ""}}, {{else}} and {{end}} are)']
    }

    def "Packer's defaults: staging folders, the omnitruck install with the licence accepted, no install with skipInstall"() {
        when:
        def plan = TemplateHarness.evaluate("""builder ssh { host '10.0.0.5'; user 'deploy'; agent true }
provision chef { cookbookPaths 'cookbooks'; runList 'recipe[web]' }
provision chefClient { serverUrl 'https://chef.example.com'; skipInstall true }
""", [:], folder).plan()
        ChefSoloStep solo = plan.builds()[0].steps()[0].spec() as ChefSoloStep
        ChefClientStep client = plan.builds()[0].steps()[1].spec() as ChefClientStep

        then:
        solo.tool().stagingDirectory() == '/tmp/packer-chef-solo'
        solo.tool().install() == 'https://omnitruck.chef.io/install.sh'
        solo.chefLicense() == 'accept-silent'
        client.tool().stagingDirectory() == '/tmp/packer-chef-client'
        client.tool().install() == null
        client.chefLicense() == ''
    }

    def "a sensitive value inside json is masked in imagebake plan"() {
        given:
        Path file = folder.resolve('t.imagebake.groovy')
        Files.writeString(file, """variable 'dbPassword', sensitive: true
builder ssh { host '10.0.0.5'; user 'deploy'; agent true }
provision chef {
    cookbookPaths 'cookbooks'
    runList 'recipe[web]'
    json app: [db: [password: var.dbPassword]], text: "{\\"pw\\": \\"\${var.dbPassword}\\"}"
}
provision chefClient {
    serverUrl 'https://chef.example.com'
    json '{"token": "' + var.dbPassword + '"}'
}
""")
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()

        when:
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(err, true, 'UTF-8'), [:],
                ['plan', '-var', 'dbPassword=hunter2-db-secret', file.toString()] as String[])
        int jsonCode = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(err, true, 'UTF-8'), [:],
                ['plan', '--json', '-var', 'dbPassword=hunter2-db-secret', file.toString()] as String[])

        then:
        code == 0
        jsonCode == 0
        out.toString('UTF-8').contains('<sensitive>')
        !out.toString('UTF-8').contains('hunter2')
        !err.toString('UTF-8').contains('hunter2')
    }

    def "the node JSON is written as Go's MarshalIndent writes it"() {
        expect:
        NodeJson.write([:], []) == '{}'
        NodeJson.write([b: [], a: [:], c: null, d: true, e: new BigDecimal('2.50')], ['recipe[x]']) == '''{
  "a": {},
  "b": [],
  "c": null,
  "d": true,
  "e": 2.5,
  "run_list": [
    "recipe[x]"
  ]
}'''
    }
}
