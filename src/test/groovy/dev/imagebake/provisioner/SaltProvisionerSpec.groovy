package dev.imagebake.provisioner

import dev.imagebake.cli.Main
import dev.imagebake.dsl.TemplateHarness
import dev.imagebake.plan.SaltStep
import dev.imagebake.testsupport.TemplateRun
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.security.MessageDigest

/**
 * provision salt (Packer's salt-masterless). Salt cannot be installed here, so the builds run against a stand-in:
 * a shell script installed as /usr/bin/salt-call on the emulated build VM that records its command line, its
 * environment, the files under the remote roots and the staging folder (with their SHA-256) and /etc/salt, prints
 * what the spec asks for, and exits with the status the spec chooses. A following shell step prints the record.
 */
class SaltProvisionerSpec extends Specification {
    static final String RECORD = '/tmp/salt-call.record'
    static final Map<String, String> TREE = [
            'salt/top.sls'          : "base:\n  '*':\n    - web\n",
            'salt/web/init.sls'     : "nginx:\n  pkg.installed\n",
            'salt/web/nginx.sls'    : "/etc/nginx/nginx.conf:\n  file.managed:\n    - source: salt://web/nginx.conf\n",
            'pillar/top.sls'        : "base:\n  '*':\n    - web\n",
            'pillar/web.sls'        : "port: 8080\n",
            'minion'                : "file_client: local\nfile_roots:\n  base:\n    - /srv/salt\n",
            'grains'                : "role: web\n",
    ]
    /** What salt prints for a state whose result is False. */
    static final String FAILED_STATE_OUTPUT = '''local:
----------
          ID: web-config
    Function: file.managed
        Name: /etc/nginx/nginx.conf
      Result: False
     Comment: Source file salt://web/nginx.conf not found in saltenv 'base'
     Started: 12:00:00.000000
    Duration: 10.0 ms
     Changes:
----------
          ID: nginx
    Function: pkg.installed
      Result: True
     Comment: All specified packages are already installed
     Started: 12:00:00.100000

Summary for local
------------
Succeeded: 1
Failed:    1
'''

    @TempDir
    Path folder
    @TempDir
    Path emulator

    def setup() {
        TREE.each { path, text ->
            Path file = folder.resolve(path)
            Files.createDirectories(file.parent)
            Files.writeString(file, text)
        }
    }

    /** The stand-in for salt-call: records what it was given and what it finds, then exits with {@code status}. */
    void standIn(int status, String output = 'local:\n  Succeeded: 2\n', String staging = '/tmp/salt') {
        Files.writeString(folder.resolve('salt-call.sh'), """#!/bin/sh
{
  echo "ARGS: \$*"
  env | sort | sed 's/^/ENV: /'
  for d in /srv/salt /srv/pillar ${staging}; do
    test -d "\$d" && (cd "\$d" && find . -type f | sort | xargs -r sha256sum | sed "s|^|SUM: \$d |")
  done
  test -d ${staging} && find ${staging} | sort | sed 's/^/STAGED: /'
  test -f /etc/salt/minion && sed 's/^/MINION: /' /etc/salt/minion
  test -f /etc/salt/grains && sed 's/^/GRAINS: /' /etc/salt/grains
} > ${RECORD}
cat <<'OUT'
${output}OUT
exit ${status}
""")
    }

    /** A file step that puts the stand-in on the machine (as /tmp/salt-call.sh), and the command that installs it. */
    static final String UPLOAD_STAND_IN = "provision file { source 'salt-call.sh'; destination '/tmp/salt-call.sh' }\n"
    static final String INSTALL_STAND_IN = 'sudo install -m 0755 /tmp/salt-call.sh /usr/bin/salt-call'

    static final String PRINT_RECORD = """
provision shell {
    inline 'cat ${RECORD}', 'test ! -e /tmp/salt && echo staging-gone', 'test -e /tmp/bootstrapped && echo bootstrap-ran || echo no-bootstrap'
}
"""

    static String sha256(String text) {
        MessageDigest.getInstance('SHA-256').digest(text.getBytes('UTF-8')).encodeHex().toString()
    }

    /** The lines the machine printed, without the `    azure: ` prefix. */
    static List<String> machineLines(TemplateRun run) {
        run.out.readLines().findAll { it.startsWith('    azure: ') }.collect { it.substring('    azure: '.length()) }
    }

    static List<String> recorded(TemplateRun run, String kind) {
        machineLines(run).findAll { it.startsWith(kind + ': ') }.collect { it.substring(kind.length() + 2) }
    }

    // ---- builds against the stand-in ---------------------------------------------------------------------------

    def "should bootstrap a missing salt-call, move the trees into the remote roots and run state.sls with the stateFiles"() {
        given:
        standIn(0)
        String template = TemplateRun.EMULATED_AZURE_BUILDER + """
variable 'pw', sensitive: true
${UPLOAD_STAND_IN}
provision shell { inline 'sudo mkdir -p /srv/salt && echo stale | sudo tee /srv/salt/stale.sls >/dev/null' }
provision salt {
    localStateTree 'salt'
    localPillarRoots 'pillar'
    stateFiles 'web', 'web.nginx'
    saltCallArgs "--state-output=changes pillar='{\\"pw\\": \\"\${var.pw}\\"}'"
    env DEPLOY_ENV: 'staging', DEPLOY_TOKEN: var.pw
    installCommand '${INSTALL_STAND_IN} && touch /tmp/bootstrapped'
}
provision shell {
    inline 'grep -q "pw.: .s3cr3t-salt-pw" ${RECORD} && grep -q "^ENV: DEPLOY_TOKEN=s3cr3t-salt-pw\$" ${RECORD} && echo secret-arrived'
}
""" + PRINT_RECORD

        when:
        def run = TemplateRun.emulated(folder, template, emulator, ['-var', 'pw=s3cr3t-salt-pw'])

        then:
        run.code == 0
        // salt-call's documented CLI, in Packer's order: --local, the state function, the roots,
        // --retcode-passthrough, -l LEVEL, then salt_call_args.
        recorded(run, 'ARGS') == ['--local state.sls web,web.nginx --file-root=/srv/salt --pillar-root=/srv/pillar '
                                          + '--retcode-passthrough -l info --state-output=changes pillar={"pw": "<sensitive>"}']
        recorded(run, 'ENV').contains('DEPLOY_ENV=staging')
        recorded(run, 'ENV').contains('DEPLOY_TOKEN=<sensitive>')
        recorded(run, 'ENV').contains('PACKER_BUILD_NAME=azure')
        recorded(run, 'ENV').find { it.startsWith('SUDO_COMMAND=') }.contains(' salt-call --local state.sls web,web.nginx ')
        // the trees replaced what was in the remote roots, with the content sent
        recorded(run, 'SUM').toSorted() == [
                "/srv/pillar ${sha256(TREE['pillar/top.sls'])}  ./top.sls",
                "/srv/pillar ${sha256(TREE['pillar/web.sls'])}  ./web.sls",
                "/srv/salt ${sha256(TREE['salt/top.sls'])}  ./top.sls",
                "/srv/salt ${sha256(TREE['salt/web/init.sls'])}  ./web/init.sls",
                "/srv/salt ${sha256(TREE['salt/web/nginx.sls'])}  ./web/nginx.sls",
        ]*.toString().toSorted()
        // while salt-call ran, the staging folder was empty: everything had been moved out of it
        recorded(run, 'STAGED') == ['/tmp/salt']
        machineLines(run).contains('salt is not installed on the machine; installing it with its installCommand')
        machineLines(run).contains('moved /tmp/salt/states to /srv/salt')
        machineLines(run).contains('moved /tmp/salt/pillar to /srv/pillar')
        machineLines(run).contains('bootstrap-ran')
        machineLines(run).contains('staging-gone')
        machineLines(run).contains('secret-arrived')
        !(run.out + run.err).contains('s3cr3t-salt-pw')
    }

    def "should not bootstrap when salt-call is there, and should install the minion config and grains, run the customState and keep the staging folder when asked"() {
        given:
        standIn(0, 'local:\n  Succeeded: 1\n', '/tmp/salt-staging')
        String template = TemplateRun.EMULATED_AZURE_BUILDER + """
${UPLOAD_STAND_IN}
provision shell { inline '${INSTALL_STAND_IN}' }
provision salt {
    localStateTree 'salt'
    minionConfig 'minion'
    grainsFile 'grains'
    customState 'web.nginx'
    logLevel 'debug'
    tempConfigDir '/tmp/salt-staging'
    cleanStagingDirectory false
    installCommand 'touch /tmp/bootstrapped'
}
provision shell { inline 'test -d /tmp/salt-staging && echo staging-kept' }
""" + PRINT_RECORD

        when:
        def run = TemplateRun.emulated(folder, template, emulator)

        then:
        run.code == 0
        // with a minion config, its roots count: no --file-root / --pillar-root (as in Packer)
        recorded(run, 'ARGS') == ['--local state.sls web.nginx --retcode-passthrough -l debug']
        recorded(run, 'MINION') == TREE['minion'].readLines()
        recorded(run, 'GRAINS') == ['role: web']
        recorded(run, 'STAGED') == ['/tmp/salt-staging']
        recorded(run, 'SUM').any { it.startsWith('/srv/salt ') && it.endsWith('./web/nginx.sls') }
        machineLines(run).contains('moved /tmp/salt-staging/minion to /etc/salt/minion')
        machineLines(run).contains('moved /tmp/salt-staging/grains to /etc/salt/grains')
        machineLines(run).contains('kept the staging folder /tmp/salt-staging (cleanStagingDirectory false)')
        machineLines(run).contains('staging-kept')
        machineLines(run).contains('no-bootstrap')
        !machineLines(run).any { it.contains('installing it') }
    }

    def "should fail the build with exit code 1, naming the failing state, when salt-call exits non-zero"() {
        given:
        standIn(2, FAILED_STATE_OUTPUT)
        String template = TemplateRun.EMULATED_AZURE_BUILDER + """
${UPLOAD_STAND_IN}
provision salt {
    localStateTree 'salt'
    installCommand '${INSTALL_STAND_IN}'
}
"""

        when:
        def run = TemplateRun.emulated(folder, template, emulator)

        then:
        run.code == 1
        (run.out + run.err).contains("salt-call failed (exit status 2): failed states: web-config (file.managed): "
                + "Source file salt://web/nginx.conf not found in saltenv 'base'")
        !(run.out + run.err).contains('failed states: web-config (file.managed): Source file salt://web/nginx.conf '
                + "not found in saltenv 'base'; nginx")
    }

    def "should let the build pass with noExitOnFailure, leaving out --retcode-passthrough and warning with the failing state"() {
        given:
        standIn(2, FAILED_STATE_OUTPUT)
        String template = TemplateRun.EMULATED_AZURE_BUILDER + """
${UPLOAD_STAND_IN}
provision salt {
    localStateTree 'salt'
    noExitOnFailure true
    installCommand '${INSTALL_STAND_IN}'
}
""" + PRINT_RECORD

        when:
        def run = TemplateRun.emulated(folder, template, emulator)

        then:
        run.code == 0
        recorded(run, 'ARGS') == ['--local state.highstate --file-root=/srv/salt --pillar-root=/srv/pillar -l info']
        (run.out + run.err).contains('salt-call exited with status 2, ignored (noExitOnFailure): failed states: '
                + 'web-config (file.managed)')
        machineLines(run).contains('staging-gone')
    }

    def "should fail when the install command leaves salt-call missing"() {
        given:
        String template = TemplateRun.EMULATED_AZURE_BUILDER + """
provision salt {
    localStateTree 'salt'
    installCommand 'true'
}
"""

        when:
        def run = TemplateRun.emulated(folder, template, emulator)

        then:
        run.code == 1
        (run.out + run.err).contains('installing salt with its installCommand exited 0, but salt is still not found '
                + '(`command -v salt-call >/dev/null 2>&1` fails)')
    }

    // ---- the plan ----------------------------------------------------------------------------------------------

    def "should mask a sensitive value in env and saltCallArgs in the plan"() {
        given:
        Path file = folder.resolve('t.imagebake.groovy')
        Files.writeString(file, TemplateRun.EMULATED_AZURE_BUILDER + """
variable 'pw', sensitive: true
provision salt {
    localStateTree 'salt'
    saltCallArgs "pillar='{\\"pw\\": \\"\${var.pw}\\"}'"
    env DEPLOY_TOKEN: var.pw
}
""")
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()

        when:
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(err, true, 'UTF-8'),
                ['plan', '-var', 'pw=s3cr3t-salt-pw', file.toString()] as String[])
        String text = out.toString('UTF-8') + err.toString('UTF-8')

        then:
        code == 0
        text.contains('salt')
        text.contains('<sensitive>')
        !text.contains('s3cr3t-salt-pw')
    }

    // ---- defaults and the command line, without a machine ------------------------------------------------------

    SaltStep step(String block) {
        def result = TemplateHarness.evaluate(TemplateRun.EMULATED_AZURE_BUILDER + block, [:], folder)
        assert result.diagnostics()*.toString() == []
        result.plan().builds()[0].steps()[0].spec() as SaltStep
    }

    def "should default to Packer's roots, staging folder and bootstrap script, and bootstrap nothing with skipBootstrap"() {
        when:
        SaltStep defaults = step("provision salt { localStateTree 'salt' }")
        SaltStep skipped = step("provision salt { localStateTree 'salt'; skipBootstrap true }")

        then:
        defaults.remoteStateTree() == '/srv/salt'
        defaults.remotePillarRoots() == '/srv/pillar'
        defaults.tool().stagingDirectory() == '/tmp/salt'
        defaults.tool().cleanStagingDirectory()
        defaults.tool().install() == 'https://bootstrap.saltstack.com'
        skipped.tool().install() == null
        new SaltProvisioner(defaults, 'salt').cmdArgs() ==
                'state.highstate --file-root=/srv/salt --pillar-root=/srv/pillar --retcode-passthrough -l info'
    }

    def "should run salt-call from saltBinDir and build the arguments in Packer's order"() {
        when:
        def salt = new SaltProvisioner(step('''provision salt {
    localStateTree 'salt'
    saltBinDir '/opt/saltstack/salt/'
    remoteStateTree '/srv/states'
    remotePillarRoots '/srv/pillars'
    customState 'web,db'
    logLevel 'warning'
    saltCallArgs '--state-output=changes --force-color'
}'''), 'salt')

        then:
        salt.saltCall() == '/opt/saltstack/salt/salt-call'
        salt.cmdArgs() == 'state.sls web,db --file-root=/srv/states --pillar-root=/srv/pillars --retcode-passthrough ' +
                '-l warning --state-output=changes --force-color'
    }

    def "should read the failed states from salt's output"() {
        given:
        def failed = new SaltProvisioner.FailedStates()

        when:
        FAILED_STATE_OUTPUT.readLines().each { failed.read(it) }

        then:
        failed.quoted == ["web-config (file.managed): Source file salt://web/nginx.conf not found in saltenv 'base'"]
    }

    // ---- template errors ---------------------------------------------------------------------------------------

    List<String> errors(String block) {
        TemplateHarness.evaluate(TemplateRun.EMULATED_AZURE_BUILDER + block, [:], folder).diagnostics()
                .collect { "${it.at().line()}:${it.at().column()}: ${it.message()}".toString() }
    }

    def "should refuse a salt block without localStateTree"() {
        expect:
        errors("provision salt {\n    stateFiles 'web'\n}\n") ==
                ['8:11: salt needs a `localStateTree`, for example localStateTree \'salt\'']
    }

    def "should refuse a state tree outside the template's folder"() {
        given:
        Files.createDirectories(folder.parent.resolve('elsewhere'))

        expect:
        errors("provision salt {\n    localStateTree '../elsewhere'\n}\n") == [
                "9:5: `localStateTree`: '../elsewhere' leads out of the template's folder; templates can only use files in their own "
                        + "folder and below (or below a folder given with --root)"]
    }

    def "should refuse stateFiles together with customState"() {
        expect:
        errors("provision salt {\n    localStateTree 'salt'\n    stateFiles 'web'\n    customState 'db'\n}\n") ==
                ['11:5: `customState` and `stateFiles` both choose the states salt-call applies; give only one']
    }

    def "should refuse formulas, which are not supported yet"() {
        expect:
        errors("provision salt {\n    localStateTree 'salt'\n    formulas 'https://github.com/saltstack-formulas/nginx-formula.git//nginx'\n}\n") ==
                ['10:5: `formulas` is not supported yet: check the formulas out into the state tree (localStateTree) instead']
    }

    def "should refuse a minion config together with remote roots, and an unknown log level"() {
        expect:
        errors("provision salt {\n    localStateTree 'salt'\n    minionConfig 'minion'\n    remoteStateTree '/srv/states'\n    logLevel 'loud'\n}\n") == [
                "12:5: `logLevel` takes one of salt-call's levels (all, critical, debug, error, garbage, info, "
                        + "profile, quiet, trace, warning); got 'loud'",
                '8:11: salt takes `minionConfig` or `remoteStateTree`/`remotePillarRoots`, not both: with a minion '
                        + 'configuration, its file_roots and pillar_roots say where the states are']
    }
}
