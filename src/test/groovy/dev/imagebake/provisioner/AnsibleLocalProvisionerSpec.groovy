package dev.imagebake.provisioner

import dev.imagebake.cli.Main
import dev.imagebake.dsl.TemplateHarness
import dev.imagebake.plan.AnsibleLocalStep
import dev.imagebake.testsupport.TemplateRun
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path

/**
 * {@code provision ansibleLocal}: the block's errors and plan without a machine, then the real ansible-playbook
 * (this host's, which the emulated build VM shares) running playbooks with roles, variables and Galaxy
 * requirements inside a build against the built-in emulator.
 */
class AnsibleLocalProvisionerSpec extends Specification {
    static final String SSH = "builder ssh { host '10.0.0.5'; user 'deploy'; agent true }\n"
    static final String STAGING_PARENT = '/tmp/packer-provisioner-ansible-local'
    static final String TOKEN = 'tok-9f2e-sensitive'
    static final String API_KEY = 'key-77c1-sensitive'

    @TempDir
    Path folder
    @TempDir
    Path emulatorData

    // ---- the block, without a machine ---------------------------------------------------------------------------

    def "should report a missing playbook at the block"() {
        expect:
        errors('provision ansibleLocal {\n    extraArguments "-v"\n}\n') == [
                '1:11: ansibleLocal needs a `playbook`, for example playbook \'site.yml\' (or `playbookFiles` for several)']
    }

    def "should refuse #what at the keyword, with its line and column"() {
        given:
        layout()

        expect:
        errors("provision ansibleLocal {\n    playbook 'ansible/site.yml'\n    ${line}\n}\n") == ["3:5: ${message}".toString()]

        where:
        what                              | line                                   | message
        'a playbook outside the folder'   | "playbookFile '../site.yml'"           | "`playbookFile`: '../site.yml' leads out of the template's folder; templates can only use files in their own folder and below (or below a folder given with --root)"
        'an absolute path'                | "galaxyFile '/etc/passwd'"             | "`galaxyFile`: '/etc/passwd' is absolute; give a path relative to the template's folder"
        'a missing role folder'           | "rolePaths 'roles/db'"                 | "`rolePaths`: no folder 'roles/db' next to the template"
        'a file as group_vars'            | "groupVars 'ansible/site.yml'"         | "`groupVars`: 'ansible/site.yml' is a file; give a folder"
        'a bad group name'                | "inventoryGroups 'web,1db'"            | "`inventoryGroups`: '1db' is not a valid inventory group name (letters, digits, _ and -, not starting with a digit)"
        'a command without a program'     | "command 'A=1 B=2'"                    | "`command` takes variable assignments followed by a program, for example 'PYTHONUNBUFFERED=1 ansible-playbook'; got 'A=1 B=2'"
        'an unknown placeholder'          | "executeCommand '{{.Vars}} x'"         | "`executeCommand`: unknown placeholder {{.Vars}}; the known ones are {{.StagingDir}}, {{.Command}}, {{.PlaybookFile}}, {{.ExtraArguments}}, {{.Inventory}}"
        'a misspelt keyword'              | "rolePath 'roles/web'"                 | "Unknown setting `rolePath` in ansibleLocal. Did you mean `rolePaths`?"
    }

    def "should refuse playbook and playbookFiles together"() {
        given:
        layout()

        expect:
        errors("provision ansibleLocal {\n    playbook 'ansible/site.yml'\n    playbookFiles 'ansible/site.yml'\n}\n") ==
                ['1:11: ansibleLocal takes `playbook` or `playbookFiles`, not both']
    }

    def "should plan Packer's defaults: the staging folder with a <uuid>, the command, ansible-galaxy"() {
        given:
        layout()

        when:
        def result = TemplateHarness.evaluate(SSH + '''
provision ansibleLocal {
    playbookFile 'ansible/site.yml'
    inventoryGroups 'web,db', 'staging'
}
''', [:], folder)
        def step = result.plan().builds()[0].steps()[0].spec() as AnsibleLocalStep

        then:
        result.diagnostics().isEmpty()
        step.playbookFile() == 'ansible/site.yml'
        step.inventoryGroups() == ['web', 'db', 'staging']
        step.command() == 'ANSIBLE_FORCE_COLOR=1 PYTHONUNBUFFERED=1 ansible-playbook'
        step.galaxyCommand() == 'ansible-galaxy'
        step.tool().stagingDirectory() == '/tmp/packer-provisioner-ansible-local/<uuid>'
        step.tool().cleanStagingDirectory()
        AnsibleLocalProvisioner.withStaging(step.tool(), 'u-1').stagingDirectory() == '/tmp/packer-provisioner-ansible-local/u-1'
    }

    def "should generate Packer's inventory and extra variables"() {
        expect:
        AnsibleLocalProvisioner.inventory([]) == '127.0.0.1'
        AnsibleLocalProvisioner.inventory(['web', 'db']) == '[web]\n127.0.0.1\n[db]\n127.0.0.1\n'
        AnsibleLocalProvisioner.keyValues([packer_build_name: 'eu', packer_builder_type: 'azure-arm', packer_http_addr: '']) ==
                'packer_build_name=eu packer_builder_type=azure-arm packer_http_addr='
        AnsibleLocalProvisioner.keyValues([packer_build_name: 'a "b"']) == 'packer_build_name="a \\"b\\""'
    }

    def "should quote the fatal line of the task that failed, not one that was ignored"() {
        given:
        def failure = new AnsibleLocalProvisioner.Failure()
        [
                'TASK [may fail] ****************',
                '\u001B[0;31mfatal: [127.0.0.1]: FAILED! => {"changed": true, "msg": "ignored one", "rc": 1}\u001B[0m',
                '\u001B[0;36m...ignoring\u001B[0m',
                'TASK [web : fail on purpose] ***',
                '\u001B[0;31mfatal: [127.0.0.1]: FAILED! => {"changed": true, "cmd": ["/bin/false"], "msg": "non-zero \\"return\\" code", "rc": 1}\u001B[0m',
        ].each { failure.see(it) }

        expect:
        failure.describe() == " in task 'web : fail on purpose': fatal: [127.0.0.1]: FAILED! => non-zero \"return\" code"
    }

    def "should mask a sensitive value given in extraArguments or env in the plan"() {
        given:
        layout()
        Path template = folder.resolve('t.imagebake.groovy')
        Files.writeString(template, """
variable 'token', default: '${TOKEN}', sensitive: true
variable 'apiKey', default: '${API_KEY}', sensitive: true
${SSH}
provision ansibleLocal {
    playbook 'ansible/site.yml'
    extraArguments '-e', "token=\${var.token}"
    env API_KEY: var.apiKey
}
""")
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()

        when:
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(err, true, 'UTF-8'), [:],
                ['plan', template.toString()] as String[])
        String plan = out.toString('UTF-8')

        then:
        code == 0
        plan.contains('token=<sensitive>')
        plan.contains('API_KEY')
        plan.contains('<sensitive>')
        !plan.contains(TOKEN) && !plan.contains(API_KEY)
        !err.toString('UTF-8').contains(TOKEN)
    }

    // ---- the real ansible-playbook in an emulated build VM ------------------------------------------------------

    def "should run a playbook with a role, group_vars, inventory groups, Galaxy requirements and extra vars, then remove the staging folder"() {
        given:
        layout()

        when:
        def run = TemplateRun.emulated(folder, """
variable 'token', default: '${TOKEN}', sensitive: true
variable 'apiKey', default: '${API_KEY}', sensitive: true
${TemplateRun.EMULATED_AZURE_BUILDER}
provision ansibleLocal {
    playbookFiles 'ansible/site.yml', 'ansible/galaxy.yml'
    playbookDir 'ansible'
    rolePaths 'roles/web'
    groupVars 'group_vars'
    inventoryGroups 'webservers'
    galaxyFile 'ansible/requirements.yml'
    extraArguments '-e', 'x=1', '-e', "token=\${var.token}"
    env API_KEY: var.apiKey
}
provision shell {
    inline 'cat /etc/ib-play /etc/ib-web /etc/ib-greet', 'test -z "\$(ls -A ${STAGING_PARENT})" && echo staging-gone',
           "grep -qx 'token=\${var.token} key=\${var.apiKey}' /etc/ib-secret && echo secrets-arrived"
}
""", emulatorData)
        def lines = azureLines(run)

        then:
        run.code == 0
        lines.contains('greeting=from-group-vars x=1 build=azure type=azure-arm http=[]')
        lines.contains('groups=webservers')
        lines.contains('role web port=8080')
        lines.contains('greeted by a Galaxy role')
        lines.contains('staging-gone')
        lines.contains('secrets-arrived')
        run.out =~ /installing the Galaxy requirements: cd '\/tmp\/packer-provisioner-ansible-local\/[0-9a-f-]{36}' && sudo -n env .* ansible-galaxy install -r '\/tmp\/packer-provisioner-ansible-local\/[0-9a-f-]{36}\/requirements.yml' -p '\/tmp\/packer-provisioner-ansible-local\/[0-9a-f-]{36}\/roles'/
        run.out =~ /running cd '(\/tmp\/packer-provisioner-ansible-local\/[0-9a-f-]{36})' && sudo -n env .*PACKER_BUILD_NAME='azure' ANSIBLE_FORCE_COLOR=1 PYTHONUNBUFFERED=1 ansible-playbook '\1\/site.yml' --extra-vars 'packer_build_name=azure packer_builder_type=azure-arm packer_http_addr=' '-e' 'x=1' '-e' 'token=<sensitive>' -c local -i '\1\/packer-provisioner-ansible-local\d{9}'/
        !run.out.contains(TOKEN) && !run.err.contains(TOKEN)
        !run.out.contains(API_KEY) && !run.err.contains(API_KEY)
    }

    def "should keep the staging folder with cleanStagingDirectory false"() {
        given:
        layout()

        when:
        def run = TemplateRun.emulated(folder, TemplateRun.EMULATED_AZURE_BUILDER + """
provision ansibleLocal {
    playbook 'ansible/site.yml'
    rolePaths 'roles/web'
    groupVars 'group_vars'
    hostVars 'host_vars'
    extraArguments '-e', 'x=2'
    cleanStagingDirectory false
}
provision shell {
    inline 'cd ${STAGING_PARENT}/* && find . -type f | sort && cat packer-provisioner-ansible-local* && echo', 'cat /etc/ib-play'
}
""", emulatorData)
        def lines = azureLines(run)

        then:
        run.code == 0
        lines.containsAll(['./group_vars/all.yml', './group_vars/webservers.yml', './host_vars/127.0.0.1.yml',
                           './roles/web/tasks/main.yml', './site.yml'])
        lines.find { it ==~ /\.\/packer-provisioner-ansible-local\d{9}/ }
        !lines.any { it.startsWith('./requirements') }
        lines.contains('127.0.0.1')
        lines.contains('groups=ungrouped')
        lines.contains('greeting=from-host-vars x=2 build=azure type=azure-arm http=[]')
        run.out.contains('kept the staging folder /tmp/packer-provisioner-ansible-local/')
    }

    def "should fail the build when a task fails, naming the task, and still remove the staging folder"() {
        given:
        layout()
        Files.writeString(folder.resolve('ansible/fail.yml'), '''
- hosts: all
  tasks:
    - name: write before failing
      file: {path: /etc/ib-before-failure, state: touch}
    - name: fail on purpose
      command: /bin/false
    - name: never reached
      file: {path: /etc/ib-after-failure, state: touch}
''')

        when:
        def run = TemplateRun.emulated(folder, TemplateRun.EMULATED_AZURE_BUILDER + """
provision ansibleLocal {
    playbook 'ansible/fail.yml'
}
onError {
    provision shell {
        inline 'test -e /etc/ib-before-failure && echo before-ran', 'test -e /etc/ib-after-failure || echo after-skipped',
               'test -z "\$(ls -A ${STAGING_PARENT})" && echo staging-gone'
    }
}
""", emulatorData)
        def lines = azureLines(run)

        then:
        run.code == 1
        lines.containsAll(['before-ran', 'after-skipped', 'staging-gone'])
        (run.out + run.err).contains("ansible-playbook fail.yml failed (exit status 2) in task 'fail on purpose': "
                + 'fatal: [127.0.0.1]: FAILED! => non-zero return code')
    }

    def "should install a missing command with installCommand, and run it as the SSH user with preventSudo"() {
        given:
        layout()
        write('wrapper.sh', '#!/bin/sh\necho "ib-wrapper: user=$(id -un) args=$*"\nexec ansible-playbook "$@"\n')

        when:
        def run = TemplateRun.emulated(folder, TemplateRun.EMULATED_AZURE_BUILDER + """
provision file {
    source 'wrapper.sh'
    destination '/tmp/ib-wrapper'
}
provision ansibleLocal {
    playbook 'ansible/site.yml'
    rolePaths 'roles/web'
    groupVars 'group_vars'
    extraArguments '--become'
    command 'PYTHONUNBUFFERED=1 ib-ansible-playbook'
    installCommand 'sudo -n install -m 755 /tmp/ib-wrapper /usr/local/bin/ib-ansible-playbook'
    preventSudo true
}
provision shell {
    inline 'cat /etc/ib-play'
}
""", emulatorData)
        def lines = azureLines(run)

        then:
        run.code == 0
        lines.contains('ib-ansible-playbook is not installed on the machine; installing it with its installCommand')
        lines.contains('installed ib-ansible-playbook')
        lines.find { it ==~ /ib-wrapper: user=imagebake args=.* -c local -i \/tmp\/packer-provisioner-ansible-local\/[0-9a-f-]{36}\/packer-provisioner-ansible-local\d{9}/ }
        lines.contains('greeting=from-group-vars x=none build=azure type=azure-arm http=[]')
        run.out =~ /running cd '\/tmp\/packer-provisioner-ansible-local\/[0-9a-f-]{36}' && env .* PYTHONUNBUFFERED=1 ib-ansible-playbook /
    }

    def "should fail, without installing anything, when the command is missing and no install is given"() {
        given:
        layout()

        when:
        def run = TemplateRun.emulated(folder, TemplateRun.EMULATED_AZURE_BUILDER + """
provision ansibleLocal {
    playbook 'ansible/site.yml'
    command 'PYTHONUNBUFFERED=1 ib-missing-playbook'
}
""", emulatorData)

        then:
        run.code == 1
        run.out.contains("FAILED after")
        run.out.contains("ib-missing-playbook is not installed on the machine (`command -v 'ib-missing-playbook' "
                + ">/dev/null 2>&1` failed); install it in an earlier step, or add install 'package'")
        !run.out.contains('uploaded ansible/site.yml')
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private List<String> errors(String body) {
        TemplateHarness.evaluate(SSH + body, [:], folder).diagnostics().collect {
            "${it.at().line() - 1}:${it.at().column()}: ${it.message()}".toString()
        }
    }

    /** What the build printed as `    azure: LINE` (the machine's output and the steps' messages). */
    private static List<String> azureLines(TemplateRun run) {
        run.out.readLines().findAll { it.startsWith('    azure: ') }.collect { it.substring('    azure: '.length()) }
    }

    /**
     * The template's folder: a playbook using the role 'web' (from rolePaths), one using the role 'greet' (from
     * the Galaxy requirements: a tarball next to the playbooks, installed without a network), group_vars for all
     * hosts and for the group 'webservers', host_vars for 127.0.0.1.
     */
    private void layout() {
        write('ansible/site.yml', '''
- hosts: all
  tasks:
    - name: write the play's variables
      copy:
        dest: /etc/ib-play
        content: "greeting={{ greeting }} x={{ x | default('none') }} build={{ packer_build_name }} type={{ packer_builder_type }} http=[{{ packer_http_addr }}]\\n"
    - name: list the groups
      lineinfile: {path: /etc/ib-play, line: "groups={{ group_names | join(',') }}"}
    - name: write the secrets
      copy:
        dest: /etc/ib-secret
        content: "token={{ token | default('none') }} key={{ lookup('env', 'API_KEY') }}\\n"
      no_log: true
  roles:
    - web
''')
        write('ansible/galaxy.yml', '- hosts: all\n  roles:\n    - greet\n')
        write('ansible/requirements.yml', '- src: ./greet.tar.gz\n  name: greet\n')
        write('roles/web/tasks/main.yml', '''
- name: write the role file
  copy: {dest: /etc/ib-web, content: "role web port={{ web_port }}\\n"}
''')
        write('galaxy-src/greet/tasks/main.yml', '''
- name: greet
  copy: {dest: /etc/ib-greet, content: "greeted by a Galaxy role\\n"}
''')
        write('galaxy-src/greet/meta/main.yml', 'galaxy_info: {author: spec, description: greets, license: MIT, ' +
                'min_ansible_version: "2.9", platforms: []}\ndependencies: []\n')
        def tar = new ProcessBuilder('tar', 'czf', folder.resolve('ansible/greet.tar.gz').toString(), '-C',
                folder.resolve('galaxy-src').toString(), 'greet').inheritIO().start()
        assert tar.waitFor() == 0
        write('group_vars/all.yml', 'greeting: from-group-vars\nweb_port: 80\n')
        write('group_vars/webservers.yml', 'web_port: 8080\n')
        write('host_vars/127.0.0.1.yml', 'greeting: from-host-vars\n')
    }

    private void write(String path, String text) {
        Path file = folder.resolve(path)
        Files.createDirectories(file.parent)
        Files.writeString(file, text)
    }
}
