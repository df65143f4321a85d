package dev.imagebake.provisioner

import dev.imagebake.testsupport.LoopbackSshd
import spock.lang.Shared
import spock.lang.Specification

import java.nio.charset.StandardCharsets
import java.nio.file.Files
import java.nio.file.Path

import static dev.imagebake.testsupport.TemplateRun.build
import static dev.imagebake.testsupport.TemplateRun.folderWithKey
import static dev.imagebake.testsupport.TemplateRun.sshBuilder

/**
 * `provision shell` with Packer's shell-provisioner semantics, through whole `builder ssh` builds against a real
 * OpenSSH sshd on loopback (as the dedicated test user, who may sudo without a password).
 */
class ShellProvisionerSpec extends Specification {
    /** Everything that breaks naive quoting: quotes of both kinds, $, backslashes, a newline, spaces, glob, `;`. */
    static final String NASTY = "it's \"quoted\" \$HOME `id` \\back\\slash\\ %s '\"'\"' *; && \nsecond  line "

    @Shared
    LoopbackSshd sshd = new LoopbackSshd()

    def cleanupSpec() {
        sshd.close()
    }

    Path folder
    String remote = "/tmp/ib-shell-${System.nanoTime()}"

    def setup() {
        folder = folderWithKey(sshd)
        sshd.asUser("mkdir -p ${remote}")
    }

    def cleanup() {
        folder.toFile().deleteDir()
        LoopbackSshd.run('rm', '-rf', remote)
    }

    /** A template string literal holding {@code text} exactly. */
    static String groovy(String text) {
        "'" + text.replace('\\', '\\\\').replace("'", "\\'").replace('\n', '\\n') + "'"
    }

    static String hex(String text) {
        text.getBytes(StandardCharsets.UTF_8).encodeHex().toString()
    }

    def "a #!/bin/bash script with bash-only syntax runs under bash"() {
        given:
        Files.writeString(folder.resolve('bashy.sh'), '''#!/bin/bash
set -euo pipefail
fruits=(apple banana cherry)
if [[ ${#fruits[@]} -eq 3 && ${fruits[1]} == b* ]]; then
    echo "bash ${BASH_VERSINFO[0]}: ${fruits[*]}"
fi
''')

        when:
        def run = build(folder, sshBuilder(sshd) + "provision shell { script 'bashy.sh' }\n")

        then:
        run.code == 0
        run.out =~ /box: bash \d+: apple banana cherry/
    }

    def "a #!/usr/bin/env python3 script runs under python"() {
        given: 'python3 is on the test machine (ansible, which CI installs, needs it)'
        assert Files.isExecutable(Path.of('/usr/bin/python3')): 'these specs need /usr/bin/python3'
        Files.writeString(folder.resolve('hello.py'), '''#!/usr/bin/env python3
import os, sys
print("python %d says %s to %s" % (sys.version_info[0], os.environ["GREETING"], os.environ["PACKER_BUILD_NAME"]))
''')

        when:
        def run = build(folder, sshBuilder(sshd) + "provision shell { script 'hello.py'; env GREETING: 'hello there' }\n")

        then:
        run.code == 0
        run.out.contains('box: python 3 says hello there to box')
    }

    def "inline commands become a script whose first line is the inline shebang: /bin/sh -e stops at the first failure"() {
        when:
        def failing = build(folder, sshBuilder(sshd) + """
provision shell { inline 'echo one', 'false', 'echo two'; remotePath '${remote}/inline.sh'; skipClean true }
""")
        String uploaded = sshd.asUser("cat ${remote}/inline.sh")
        def bash = build(folder, sshBuilder(sshd) + """
provision shell { inline 'arr=(x y)', 'echo "bash \${arr[1]}"', 'false', 'echo "no -e: goes on"'; inlineShebang '/bin/bash' }
""")

        then:
        failing.code == 1
        failing.out.contains('box: one')
        !failing.out.contains('box: two')
        failing.out.contains('the script exited with status 1')
        uploaded == '#!/bin/sh -e\necho one\nfalse\necho two\n'
        bash.code == 0
        bash.out.contains('box: bash y')
        bash.out.contains('box: no -e: goes on')
    }

    def "a failed inline step names the inline command that failed when that can be known, and says so when not"() {
        when:
        def one = build(folder, sshBuilder(sshd) + """
provision shell { inline 'false' }
""")
        def reported = build(folder, sshBuilder(sshd) + '''
provision shell { inline 'echo one', """if true; then
  echo in
fi""", 'no-such-command-xyz', 'echo two' }
''')
        def silent = build(folder, sshBuilder(sshd) + """
provision shell { inline 'echo one', 'false', 'echo two' }
""")

        then: 'one command: it is the one'
        one.code == 1
        one.out.contains('inline command 1 of 1 failed: `false` (the script exited with status 1)')

        and: 'the shell reported an error: its line names the command, given as the last report, not a guess'
        reported.code == 1
        reported.out.contains('box: in')
        !reported.out.contains('box: two')
        reported.out.contains('the script exited with status 127; the last error the shell reported (line 6, above) '
                + 'is in inline command 3 of 4: `no-such-command-xyz`')

        and: 'a command that fails without a word: the exit status cannot tell which'
        silent.code == 1
        silent.out.contains('the script exited with status 1 (one of its 3 inline commands failed; the shell did '
                + 'not say which)')
        !silent.out.contains('inline command 2')
    }

    def "env values reach the script intact with every execute command form, with useEnvVarFile, and as root"() {
        given: 'a script that prints its variables as hex, so that nothing is lost in the printing'
        Files.writeString(folder.resolve('show.sh'), '''#!/bin/sh
printf '%s ' "$LABEL" "$(id -un)"
printf '%s' "$V" | od -An -tx1 | tr -d ' \\n'
printf ' %s %s\\n' "$PACKER_BUILD_NAME" "$W"
''')
        List<List<String>> forms = [
                ['default', ''],
                ['sudo-E', "executeCommand 'chmod +x {{ .Path }}; {{ .Vars }} sudo -E sh \\'{{ .Path }}\\''"],
                ['sudo-sh-c', "executeCommand 'sudo sh -c \\'{{ .Vars }} {{ .Path }}\\''"],
                ['sudo-S', "executeCommand 'echo \\'packer\\' | sudo -S sh -c \\'{{ .Vars }} {{ .Path }}\\''"],
                ['double', "executeCommand 'sudo sh -c \"{{.Vars}}{{.Path}}\"'"],
                ['env-file', 'useEnvVarFile true'],
                ['env-file-sudo', "useEnvVarFile true; executeCommand 'sudo sh -c \\'. {{.EnvVarFile}} && {{.Path}}\\''"],
                ['sudo-true', 'sudo true'],
                ['sudo-true-env-file', 'sudo true; useEnvVarFile true'],
                ['legacy', "executeCommand 'chmod +x {{path}} && {{env}} sh {{path}}'"],
        ]
        String steps = forms.collect { label, settings ->
            "provision shell { script 'show.sh'; env LABEL: '${label}', V: ${groovy(NASTY)}, W: 'w w'; ${settings} }"
        }.join('\n')

        when:
        def run = build(folder, sshBuilder(sshd) + steps + '\n')

        then:
        run.code == 0
        forms.each { label, settings ->
            String user = label.startsWith('sudo') || label.startsWith('double') || label == 'env-file-sudo' ? 'root'
                    : LoopbackSshd.USER
            assert run.out.contains("box: ${label} ${user} ${hex(NASTY)} box w w\n"): run.out
        }
    }

    def "scripts run with the login's umask: what they create as root stays readable, as with Packer"() {
        given: 'the umask of a plain OpenSSH session'
        Process ssh = new ProcessBuilder('ssh', '-i', sshd.clientKey.toString(), '-p', sshd.port.toString(), '-o',
                'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
                "${LoopbackSshd.USER}@127.0.0.1".toString(), 'umask').start()
        String login = ssh.inputStream.text.trim()
        assert ssh.waitFor() == 0

        when:
        def run = build(folder, sshBuilder(sshd) + """
provision shell { inline 'echo "umask=\$(umask)"', 'echo made-by-root | sudo tee ${remote}/root-file >/dev/null' }
provision shell { inline 'cat ${remote}/root-file' }
""")

        then:
        run.code == 0
        run.out.contains("box: umask=${login}")
        run.out.contains('box: made-by-root')
    }

    def "every script gets Packer's and imagebake's build variables, which the step's env may override"() {
        when:
        def run = build(folder, sshBuilder(sshd) + '''
provision shell { inline 'echo "$PACKER_BUILD_NAME/$PACKER_BUILDER_TYPE/$IMAGEBAKE_BUILD_NAME/$IMAGEBAKE_BUILDER_TYPE"' }
provision shell { inline 'echo "override: $PACKER_BUILD_NAME"'; env PACKER_BUILD_NAME: 'mine' }
''')

        then:
        run.code == 0
        run.out.contains('box: box/null/box/ssh')
        run.out.contains('box: override: mine')
    }

    def "scripts go to remoteFolder/remoteFile or remotePath and are removed, unless skipClean; they never hold the env values"() {
        given:
        Files.writeString(folder.resolve('where.sh'), '#!/bin/sh\necho "at $0"\nls ' + remote + '\n')
        String secret = 'secret-' + UUID.randomUUID()

        when:
        def run = build(folder, sshBuilder(sshd) + """
provision shell { script 'where.sh'; remoteFolder '${remote}'; remoteFile 'named.sh'; env S: '${secret}' }
provision shell { script 'where.sh'; remoteFolder '${remote}'; env S: '${secret}'; useEnvVarFile true }
provision shell { script 'where.sh'; remotePath '${remote}/kept.sh'; skipClean true; env S: '${secret}' }
provision shell { script 'where.sh'; remoteFolder '${remote}'; remoteFile 'kept-too.sh'; useEnvVarFile true; skipClean true; env S: '${secret}' }
""")
        List<String> left = sshd.asUser("ls ${remote}").readLines().sort()
        String varFile = left.find { it.startsWith('varfile_') }

        then:
        run.code == 0
        run.out.contains("box: at ${remote}/named.sh")
        run.out =~ /box: at ${remote}\/script_\d+\.sh/
        run.out =~ /box: varfile_\d+\.sh/
        run.out.contains("box: at ${remote}/kept.sh")
        run.out.contains("box: at ${remote}/kept-too.sh")

        and: 'only what skipClean kept is left, the script without the secret, the variables file private'
        left.size() == 3
        left.containsAll(['kept.sh', 'kept-too.sh'])
        varFile ==~ /varfile_\d+\.sh/
        sshd.asUser("cat ${remote}/kept.sh") == Files.readString(folder.resolve('where.sh'))
        !sshd.asUser("cat ${remote}/kept-too.sh").contains(secret)
        sshd.asUser("stat -c %a ${remote}/kept.sh").trim() == '755'
        sshd.asUser("stat -c %a ${remote}/${varFile}").trim() == '600'
        sshd.asUser("cat ${remote}/${varFile}").contains("export S='${secret}'")
        !run.out.contains(secret)
    }

    def "Windows line endings are turned into Unix ones, unless binary"() {
        given:
        Files.writeString(folder.resolve('crlf.sh'), '#!/bin/sh\r\necho "crlf ok"\r\nprintf "%s|" "end"')

        when:
        def converted = build(folder, sshBuilder(sshd) + "provision shell { script 'crlf.sh'; remotePath '${remote}/c.sh'; skipClean true }\n")
        String sent = sshd.asUser("cat ${remote}/c.sh")
        def binary = build(folder, sshBuilder(sshd) + "provision shell { script 'crlf.sh'; remotePath '${remote}/b.sh'; skipClean true; binary true; executeCommand 'sh {{.Path}}' }\n")

        then:
        converted.code == 0
        converted.out.contains('box: crlf ok')
        sent == '#!/bin/sh\necho "crlf ok"\nprintf "%s|" "end"\n'
        binary.code == 0
        sshd.asUser("od -c ${remote}/b.sh").contains('\\r')
    }

    def "a script that is not UTF-8 arrives byte for byte"() {
        given:
        byte[] script = '#!/bin/sh\necho "latin: $(printf \'%s\' \'\u00e9\' | wc -c)"\n'.getBytes('ISO-8859-1')
        Files.write(folder.resolve('latin1.sh'), script)

        when:
        def run = build(folder, sshBuilder(sshd) + "provision shell { script 'latin1.sh'; remotePath '${remote}/l.sh'; skipClean true; binary true }\n")

        then:
        run.code == 0
        run.out.contains('box: latin: 1')
        LoopbackSshd.run('cmp', "${remote}/l.sh", folder.resolve('latin1.sh').toString()) == ''
    }

    def "a pty step writes the script through the command line and still runs it with its shebang and variables"() {
        when:
        def run = build(folder, sshBuilder(sshd) + """
provision shell { inline '[[ -t 1 ]] && echo "tty with \$V"'; inlineShebang '/bin/bash'; pty true; env V: ${groovy("a 'b' \"c\"")} }
provision shell { inline 'printf "%s\\\\n" "\$V"'; pty true; useEnvVarFile true; env V: 'from the file' }
""")

        then:
        run.code == 0
        run.out.contains('box: tty with a \'b\' "c"')
        run.out.contains('box: from the file')
    }

    /** Stops sshd once the flag file appears, and starts it again after {@code away} ms: a reboot. */
    Thread rebootWhen(String flag, long away) {
        Thread.start {
            long deadline = System.currentTimeMillis() + 30_000
            while (!new File(flag).exists() && System.currentTimeMillis() < deadline) {
                Thread.sleep(50)
            }
            sshd.stop()
            Thread.sleep(away)
            sshd.start()
            new File(flag).delete()
        }
    }

    def "a script that cannot start while the machine reboots is tried until startRetryTimeout; an expected disconnect still cleans up"() {
        given: 'a connect timeout far shorter than the reboot'
        String flag = "/tmp/ib-reboot-${System.nanoTime()}"
        String builder = sshBuilder(sshd).replace("connectTimeout '10s'", "connectTimeout '1s'")
        String reboot = "provision shell { inline 'touch ${flag}', 'sleep 8'; expectDisconnect true; remotePath '${remote}/reboot.sh'; skipClean true }\n"

        when:
        def waiter = rebootWhen(flag, 4000)
        def waited = build(folder, builder + reboot + "provision shell { inline 'echo back again' }\n")
        waiter.join()
        def impatient = rebootWhen(flag, 10_000) // down far longer than startRetryTimeout, however slow the machine
        def gaveUp = build(folder, builder + reboot + "provision shell { inline 'echo too soon'; startRetryTimeout '1s' }\n")
        impatient.join()
        def cleaner = rebootWhen(flag, 3000)
        def cleaned = build(folder, builder + reboot.replace('reboot.sh', 'cleaned.sh').replace('; skipClean true', '')
                + "provision shell { inline 'echo cleaned up' }\n")
        cleaner.join()

        then:
        waited.code == 0
        waited.out.contains('the connection dropped, as expected')
        waited.out.contains('box: back again')
        gaveUp.code == 1
        gaveUp.out =~ /could not start the inline commands within 1\.0 s \(startRetryTimeout\)/
        !gaveUp.out.contains('box: too soon')
        cleaned.code == 0
        cleaned.out.contains('box: cleaned up')
        sshd.asUser("ls ${remote}").readLines() == ['reboot.sh']
    }

    def "a timed-out script's processes die and its file is removed"() {
        given:
        String sleep = "sleep 30.${System.nanoTime() % 100000}"

        when:
        def run = build(folder, sshBuilder(sshd) + "provision shell { inline '${sleep}'; remotePath '${remote}/slow.sh'; timeout '2s' }\n")

        then:
        run.code == 1
        run.out.contains('timed out after 2.0 s')
        eventually { sshd.asUser("pgrep -u ${LoopbackSshd.USER} -f '[${sleep[0]}]${sleep.substring(1)}' || true").trim() == '' }
        eventually { sshd.asUser("ls ${remote}").trim() == '' }
    }

    def "a sudo script that times out dies too"() {
        given:
        String sleep = "sleep 40.${System.nanoTime() % 100000}"

        when:
        def run = build(folder, sshBuilder(sshd) + "provision shell { inline '${sleep}'; sudo true; timeout '2s' }\n")

        then:
        run.code == 1
        run.out.contains('timed out after 2.0 s')
        eventually { LoopbackSshd.run(['sh', '-c', "pgrep -f '[${sleep[0]}]${sleep.substring(1)}' || true".toString()]).trim() == '' }
    }

    /** Whether {@code condition} holds within 15 s (remote processes end a little after the build returns). */
    static boolean eventually(Closure<Boolean> condition) {
        long deadline = System.nanoTime() + 15_000_000_000L
        while (!condition()) {
            if (System.nanoTime() > deadline) {
                return false
            }
            Thread.onSpinWait()
        }
        true
    }
}
