package dev.imagebake.builder.ssh

import dev.imagebake.testsupport.LoopbackSshd
import dev.imagebake.testsupport.TemplateRun
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification

import java.nio.file.Files
import java.nio.file.Path

import static dev.imagebake.testsupport.TemplateRun.build
import static dev.imagebake.testsupport.TemplateRun.folderWithKey
import static dev.imagebake.testsupport.TemplateRun.sshBuilder

/** `imagebake build` with `builder ssh` against a real OpenSSH sshd on loopback, as a dedicated user. */
class SshBuildSpec extends Specification {
    @Shared
    LoopbackSshd sshd = new LoopbackSshd()

    def cleanupSpec() {
        sshd.close()
    }

    Path folder

    def setup() {
        folder = folderWithKey(sshd)
    }

    def cleanup() {
        folder.toFile().deleteDir()
    }

    def "inline commands run on the machine as the user, with env values passed verbatim"() {
        when:
        def run = build(folder, sshBuilder(sshd) + '''
provision shell {
    inline 'echo "user=$(whoami)"', 'printf "%s|" "$A" "$B" "$C"; echo', 'echo to-stderr >&2'
    env A: "it's", B: 'a $HOME `x` "q"', C: 'two\\nlines'
}
''')

        then:
        run.code == 0
        run.out.contains("box: user=${LoopbackSshd.USER}")
        run.out.contains('box: it\'s|a $HOME `x` "q"|two')
        run.out.contains('box: lines|')
        run.out.contains('box (stderr): to-stderr')
    }

    def "a failing command fails the step with its exit status, and later steps do not run"() {
        when:
        def run = build(folder, sshBuilder(sshd) + '''
provision shell { inline 'echo before', 'exit 7', 'echo after' }
provision shell { inline 'echo second step' }
''')

        then:
        run.code == 1
        run.out.contains('box: before')
        !run.out.contains('box: after')
        !run.out.contains('second step')
        run.out =~ /shell \(line \d+\) failed after/
        run.out.contains('the script exited with status 7')
        run.out =~ /box\s+failed/
    }

    def "validExitCodes accepts other exit statuses"() {
        expect:
        build(folder, sshBuilder(sshd) + "provision shell { inline 'exit 3'; validExitCodes 0, 3 }\n").code == 0
    }

    def "scripts, sudo and a custom execute command run in order"() {
        given:
        Files.writeString(folder.resolve('one.sh'), 'echo "one as $(whoami) with $GREETING"\n')
        Files.writeString(folder.resolve('two.sh'), 'echo "two: $0"\n')

        when:
        def run = build(folder, sshBuilder(sshd) + '''
provision shell { scripts 'one.sh', 'two.sh'; env GREETING: 'hi there' }
provision shell { script 'one.sh'; sudo true; env GREETING: 'root' }
provision shell { script 'two.sh'; executeCommand 'chmod +x {{path}} && {{env}} sh {{path}}' }
''')

        then:
        run.code == 0
        run.out.contains("box: one as ${LoopbackSshd.USER} with hi there")
        run.out.contains('box: one as root with root')
        def two = run.out =~ /box: two: (\/tmp\/script_\d+\.sh)/
        two.find()
        sshd.asUser("test -e ${two.group(1)} && echo left || echo removed").trim() == 'removed'
    }

    def "a pty step sees a terminal"() {
        when:
        def run = build(folder, sshBuilder(sshd) + "provision shell { inline 'test -t 1 && echo has-tty'; pty true }\n")

        then:
        run.code == 0
        run.out.contains('box: has-tty')
    }

    def "huge and unicode output is streamed line by line"() {
        when:
        def run = build(folder, sshBuilder(sshd) + '''
provision shell { inline 'seq 1 20000', 'echo "héllo wörld ✓ 日本語"' }
''')

        then:
        run.code == 0
        run.out.contains('box: 20000\n')
        run.out.readLines().count { it.startsWith('    box: ') && it.substring(9).isInteger() } == 20000
        run.out.contains('box: héllo wörld ✓ 日本語')
    }

    def "files, folders (modes kept) and content are uploaded and downloaded where Packer (scp) would put them, each checked"() {
        given:
        Files.writeString(folder.resolve('a.txt'), 'alpha\n')
        Path tree = Files.createDirectories(folder.resolve('tree/sub'))
        Files.writeString(tree.resolve('run.sh'), '#!/bin/sh\necho run\n')
        tree.resolve('run.sh').toFile().setExecutable(true)
        String remote = "/tmp/ib-files-${System.nanoTime()}"

        when:
        def run = build(folder, sshBuilder(sshd) + """
provision file { source 'a.txt'; destination '${remote}/a.txt' }
provision shell { inline 'mkdir ${remote}/named' }
provision file { source 'tree'; destination '${remote}/named' }
provision file { source 'tree'; destination '${remote}/fresh' }
provision file { source 'tree/'; destination '${remote}/contents' }
provision file { source 'a.txt'; destination '${remote}/into/'; verify false }
provision file { content 'inline text'; destination '${remote}/c.txt' }
provision shell { inline 'cat ${remote}/a.txt ${remote}/c.txt; echo', '${remote}/named/tree/sub/run.sh', '${remote}/fresh/sub/run.sh', '${remote}/contents/sub/run.sh', 'cat ${remote}/into/a.txt', 'test ! -e ${remote}/fresh/tree && echo fresh-has-no-tree' }
provision file { direction 'download'; source '${remote}/c.txt'; destination 'back/deeper/back.txt' }
provision file { direction 'download'; source '${remote}/c.txt'; destination 'logs/' }
provision file { direction 'download'; source '${remote}/named/tree'; destination 'fetched' }
""")

        then:
        run.code == 0
        run.out.contains('box: alpha')
        run.out.contains('box: inline text')
        run.out.readLines().count { it == '    box: run' } == 3
        run.out.contains('box: fresh-has-no-tree')
        run.out =~ /uploaded a\.txt to \/tmp\/ib-files-\d+\/a\.txt \(0\.0 MiB in \d+\.\d\d s, SHA-256 verified\)/
        run.out =~ /uploaded tree to \/tmp\/ib-files-\d+\/named\/tree \(0\.0 MiB in \d+\.\d\d s, SHA-256 verified\)/
        run.out =~ /uploaded tree to \/tmp\/ib-files-\d+\/fresh \(0\.0 MiB in \d+\.\d\d s, SHA-256 verified\)/
        run.out =~ /uploaded a\.txt to \/tmp\/ib-files-\d+\/into\/a\.txt \(0\.0 MiB in \d+\.\d\d s, size verified\)/
        run.out.contains("wrote 11 characters to ${remote}/c.txt (SHA-256 verified)")
        Files.readString(folder.resolve('back/deeper/back.txt')) == 'inline text'
        Files.readString(folder.resolve('logs/c.txt')) == 'inline text'
        Files.isExecutable(folder.resolve('fetched/sub/run.sh'))
        run.out.contains("downloaded ${remote}/named/tree to ${folder.resolve('fetched')} (0.0 MiB in")

        cleanup:
        sshd.asUser("rm -rf ${remote}")
    }

    def "a transfer that cannot happen names the path and the side it failed on"() {
        when:
        def missingLocal = build(folder, sshBuilder(sshd) + "provision file { source 'gone/'; destination '/tmp/x' }\n")
        def unwritable = build(folder, sshBuilder(sshd) + "provision file { content 'x'; destination '/proc/ib/x' }\n")
        def missingRemote = build(folder, sshBuilder(sshd) +
                "provision file { direction 'download'; source '/nonexistent/ib'; destination 'x' }\n")

        then:
        missingLocal.code == 2
        missingLocal.err.contains("t.imagebake.groovy:11:18: `source`: no file or folder 'gone/' next to the template")
        unwritable.code == 1
        unwritable.out.contains('upload to /proc/ib/x failed on the machine: mkdir: cannot create directory')
        missingRemote.code == 1
        missingRemote.out.contains("download of /nonexistent/ib to ${folder.resolve('x')} failed: no file or folder " +
                '/nonexistent/ib on the machine')
    }

    def "shellLocal runs on this host with the build's facts"() {
        when:
        def run = build(folder, sshBuilder(sshd) + '''
provision shellLocal { inline 'echo "local $IMAGEBAKE_BUILD_NAME $IMAGEBAKE_HOST $IMAGEBAKE_USER $EXTRA"'; env EXTRA: 'x y' }
''')

        then:
        run.code == 0
        run.out.contains("box: local box 127.0.0.1 ${LoopbackSshd.USER} x y")
    }

    def "a breakpoint is skipped with a warning when nobody is at a terminal"() {
        when:
        def run = build(folder, sshBuilder(sshd) + "provision breakpoint { note 'look around' }\n")

        then:
        run.code == 0
        run.out.contains('warning: breakpoint skipped: not an interactive run (look around)')
    }

    def "a step's timeout ends the remote command, and retries try again"() {
        given:
        String counter = "/tmp/ib-retry-${System.nanoTime()}"
        String sleep = "sleep 30.${System.nanoTime() % 100000}" // unique, so that pgrep finds only this one

        when:
        def slow = build(folder, sshBuilder(sshd) + "provision shell { inline '${sleep}'; timeout '1s' }\n")
        def flaky = build(folder, sshBuilder(sshd) + """
provision shell {
    inline 'n=\$(cat ${counter} 2>/dev/null || echo 0); echo \$((n+1)) > ${counter}; [ \$n -ge 1 ]'
    retries 2
}
""")

        then:
        slow.code == 1
        slow.out.contains('timed out after 1.0 s')
        sshd.asUser("pgrep -u ${LoopbackSshd.USER} -f '[${sleep[0]}]${sleep.substring(1)}' || true").trim() == ''
        flaky.code == 0
        flaky.out.contains('trying again in 1 s (attempt 2 of 3)')
        sshd.asUser("cat ${counter}").trim() == '2'

        cleanup:
        sshd.asUser("rm -f ${counter}")
    }

    def "onError steps run when provisioning fails, before cleanup"() {
        when:
        def run = build(folder, sshBuilder(sshd) + '''
provision shell { inline 'exit 1' }
onError { provision shell { inline 'echo collecting logs' } }
''')

        then:
        run.code == 1
        run.out.contains('provisioning failed; running the 1 onError step')
        run.out.contains('box: collecting logs')
    }

    def "several builds run in parallel, each with its own only/except steps"() {
        when:
        def run = build(folder, sshBuilder(sshd, 'a') + sshBuilder(sshd, 'b') + '''
provision shell { inline 'sleep 1; echo everyone' }
provision shell { only 'a'; inline 'echo only-a' }
provision shell { except 'a'; inline 'echo not-a' }
''')
        def lines = run.out.readLines()

        then:
        run.code == 0
        lines.contains('    a: everyone')
        lines.contains('    b: everyone')
        lines.contains('    a: only-a')
        !lines.contains('    b: only-a')
        lines.contains('    b: not-a')
        !lines.contains('    a: not-a')
        run.out =~ /(?m)^a\s+succeeded/
        run.out =~ /(?m)^b\s+succeeded/
    }

    def "--on-error=abort keeps the machine and says how to reach it; --fail-fast cancels the other builds"() {
        when:
        def abort = build(folder, sshBuilder(sshd) + "provision shell { inline 'exit 1' }\n", ['--on-error=abort'])
        def fast = build(folder, sshBuilder(sshd, 'a') + sshBuilder(sshd, 'b') + '''
provision shell { only 'a'; inline 'exit 1' }
provision shell { only 'b'; inline 'sleep 20' }
''', ['--fail-fast'])

        then:
        abort.code == 1
        def printed = (abort.out =~ /kept for inspection; log in with: (ssh -i (\S+) -o UserKnownHostsFile=\S+ -p ${sshd.port} ${LoopbackSshd.USER}@127\.0\.0\.1)/)
        printed.find()
        printed.group(2) == folder.resolve('id_ed25519').toAbsolutePath().toString()

        and: 'the printed command logs in with the real OpenSSH client'
        Files.setPosixFilePermissions(folder.resolve('id_ed25519'),
                java.nio.file.attribute.PosixFilePermissions.fromString('rw-------'))
        def login = new ProcessBuilder((printed.group(1).split(' ') as List).plus(1, ['-o', 'BatchMode=yes'])
                .plus('echo kept-machine-reached')).redirectErrorStream(true).start()
        login.inputStream.getText('UTF-8').contains('kept-machine-reached')
        login.waitFor() == 0

        fast.code == 1
        fast.out.contains('--fail-fast: cancelling the other builds')
        fast.out =~ /(?m)^b\s+cancelled/
    }

    def "a dropped connection fails the step, unless the step expects it"() {
        given: "a helper that cuts the connection (every sshd process of the session) once the step is running"
        String flag = "/tmp/ib-drop-${System.nanoTime()}"
        def cutter = { ->
            Thread.start {
                long deadline = System.currentTimeMillis() + 20_000
                while (!new File(flag).exists() && System.currentTimeMillis() < deadline) {
                    Thread.sleep(50)
                }
                sshd.dropConnections()
                new File(flag).delete()
            }
        }

        when:
        def first = cutter()
        def dropped = build(folder, sshBuilder(sshd) + "provision shell { inline 'echo going', 'touch ${flag}', 'sleep 20' }\n")
        first.join()
        def second = cutter()
        def expected = build(folder, sshBuilder(sshd) + """
provision shell { inline 'touch ${flag}', 'sleep 20'; expectDisconnect true }
provision shell { inline 'echo reconnected' }
""")
        second.join()

        then:
        dropped.code == 1
        dropped.out.contains('box: going')
        dropped.out.contains('dropped while the script ran')
        expected.code == 0
        expected.out.contains('the connection dropped, as expected')
        expected.out.contains('box: reconnected')
    }

    def "a wrong host key is refused, and a wrong key fails the login with a clear message"() {
        when:
        def wrongHost = build(folder, sshBuilder(sshd).replace(sshd.hostKeyFingerprint,
                'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA') + "provision shell { inline 'echo no' }\n")
        LoopbackSshd.run('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', folder.resolve('other').toString())
        def wrongKey = build(folder, sshBuilder(sshd).replace("file('id_ed25519')", "file('other')")
                + "provision shell { inline 'echo no' }\n")

        then:
        wrongHost.code == 1
        wrongHost.out.contains('is not the expected one: refusing to connect (expected SHA256:AAAA')
        !wrongHost.out.contains('box: no')
        wrongKey.code == 1
        wrongKey.out.contains("login to ${LoopbackSshd.USER}@127.0.0.1:${sshd.port} failed")
        wrongKey.out.contains('check the user and the key or password')
    }

    def "password login, a known_hosts file and a bastion (jump) host all work"() {
        given:
        Files.copy(sshd.knownHosts(), folder.resolve('known_hosts'))

        when:
        def password = build(folder, sshBuilder(sshd).replace("privateKey file('id_ed25519')",
                "password '${sshd.password}'") + "provision shell { inline 'echo by password' }\n")
        def knownHosts = build(folder, sshBuilder(sshd).replace("hostKey '${sshd.hostKeyFingerprint}'",
                "knownHosts 'known_hosts'") + "provision shell { inline 'echo known host' }\n")
        def jump = build(folder, sshBuilder(sshd, 'box', """
    bastion {
        host '127.0.0.1'
        port ${sshd.port}
        user '${LoopbackSshd.USER}'
        privateKey file('id_ed25519')
        hostKey '${sshd.hostKeyFingerprint}'
    }""") + "provision shell { inline 'echo through the bastion' }\n")

        then:
        password.code == 0
        password.out.contains('box: by password')
        !password.out.contains(sshd.password)
        knownHosts.code == 0
        knownHosts.out.contains('box: known host')
        jump.code == 0
        jump.out.contains("via ${LoopbackSshd.USER}@127.0.0.1:${sshd.port}")
        jump.out.contains('box: through the bastion')
    }

    def "agent true logs in with the keys of a running ssh-agent"() {
        given:
        Path socket = folder.resolve('agent.sock')
        Process agent = new ProcessBuilder('ssh-agent', '-D', '-a', socket.toString()).redirectErrorStream(true).start()
        long deadline = System.currentTimeMillis() + 10_000
        while (!Files.exists(socket) && System.currentTimeMillis() < deadline) {
            Thread.sleep(20)
        }
        ProcessBuilder add = new ProcessBuilder('ssh-add', sshd.clientKey.toString()).redirectErrorStream(true)
        add.environment().put('SSH_AUTH_SOCK', socket.toString())
        assert add.start().waitFor() == 0
        Path file = folder.resolve('t.imagebake.groovy')
        Files.writeString(file, sshBuilder(sshd).replace("privateKey file('id_ed25519')", 'agent true')
                + "provision shell { inline 'echo signed by the agent' }\n")
        def imagebake = new ProcessBuilder('java', '-cp', System.getProperty('java.class.path'),
                'dev.imagebake.cli.Main', 'build', file.toString()).redirectErrorStream(true)
        imagebake.environment().put('SSH_AUTH_SOCK', socket.toString())

        when:
        Process process = imagebake.start()
        String output = process.inputStream.text
        int code = process.waitFor()
        imagebake.environment().remove('SSH_AUTH_SOCK')
        Process without = imagebake.start()
        String withoutOutput = without.inputStream.text

        then:
        assert code == 0: output
        output.contains('box: signed by the agent')
        without.waitFor() == 1
        withoutOutput.contains('agent true needs a running ssh-agent, but SSH_AUTH_SOCK is not set')

        cleanup:
        agent?.destroy()
    }

    def "a host missing from known_hosts is refused"() {
        given:
        Files.writeString(folder.resolve('known_hosts'), '')

        when:
        def run = build(folder, sshBuilder(sshd).replace("hostKey '${sshd.hostKeyFingerprint}'",
                "knownHosts 'known_hosts'") + "provision shell { inline 'echo no' }\n")

        then:
        run.code == 1
        run.out.contains("the host key of 127.0.0.1:${sshd.port} is unknown: ${folder.resolve('known_hosts')} does not " +
                "list it: refusing to connect. The machine presented ${sshd.hostKeyFingerprint}")
    }

    def "secrets never appear in the console, JSON events, log file or manifest"() {
        given:
        String canary = 'canary-' + UUID.randomUUID()
        String template = """
variable 'token', sensitive: true
""" + sshBuilder(sshd) + '''
provision shell { inline 'echo "token=$TOKEN"', 'echo "$TOKEN" >&2', 'exit 1'; env TOKEN: var.token }
onError { provision shell { inline "echo failing with ${var.token}" } }
post manifest { output 'manifest.json'; customData token: var.token }
'''
        Path log = folder.resolve('build.log')

        when:
        def console = build(folder, template, ['-var', "token=${canary}".toString(), '--log-file', log.toString()])
        def json = build(folder, template.replace('exit 1', 'true'), ['--json'], [IMAGEBAKE_VAR_token: canary])
        def manifest = Path.of('manifest.json')

        then:
        console.code == 1
        console.out.contains('token=<sensitive>')
        json.code == 0
        json.out.readLines().every { new JsonSlurper().parseText(it).event }
        !(console.out + console.err + json.out + json.err + Files.readString(log)).contains(canary)
        Files.readString(log).contains('token=<sensitive>')
        Files.exists(manifest) && !Files.readString(manifest).contains(canary)

        cleanup:
        Files.deleteIfExists(Path.of('manifest.json'))
    }

    def "Ctrl-C during a step ends the remote command, cleans up and exits 130"() {
        given:
        Path file = folder.resolve('t.imagebake.groovy')
        String sleep = "sleep 300.${System.nanoTime() % 100000}"
        Files.writeString(file, sshBuilder(sshd) + "provision shell { inline 'echo started', '${sleep}' }\n")
        Process process = new ProcessBuilder('java', '-cp', System.getProperty('java.class.path'),
                'dev.imagebake.cli.Main', 'build', file.toString()).redirectErrorStream(true).start()
        def output = new StringBuffer()
        Thread reader = Thread.start { process.inputStream.eachLine { output.append(it).append('\n') } }

        when:
        long deadline = System.currentTimeMillis() + 30_000
        while (!output.toString().contains('box: started') && System.currentTimeMillis() < deadline) {
            Thread.sleep(50)
        }
        assert process.alive: output
        LoopbackSshd.run('kill', '-INT', process.pid().toString())
        boolean exited = process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)
        reader.join(5_000)

        then:
        assert exited: output
        assert process.exitValue() == 130: output
        output.toString().contains('Interrupted: stopping and cleaning up')
        output.toString() =~ /box\s+cancelled/
        sshd.asUser("pgrep -u ${LoopbackSshd.USER} -f '[${sleep[0]}]${sleep.substring(1)}' || true").trim() == ''
    }

    def "ansible runs a playbook against the machine, checking the host key imagebake verified"() {
        given:
        String marker = "/tmp/ib-ansible-${System.nanoTime()}"
        Files.writeString(folder.resolve('site.yml'), """
- hosts: all
  gather_facts: false
  tasks:
    - name: write a marker
      ansible.builtin.shell: echo "{{ greeting }}" > ${marker}
""")

        when:
        def run = build(folder, sshBuilder(sshd) + "provision ansible { playbook 'site.yml'; extraVars greeting: 'from ansible' }\n")

        then:
        run.code == 0
        sshd.asUser("cat ${marker}").trim() == 'from ansible'

        cleanup:
        sshd.asUser("rm -f ${marker}")
    }
}
