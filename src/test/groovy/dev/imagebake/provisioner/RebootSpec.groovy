package dev.imagebake.provisioner

import dev.imagebake.emulator.vm.MachineShell
import dev.imagebake.emulator.vm.MachineSpec
import dev.imagebake.emulator.vm.SandboxVmRuntime
import dev.imagebake.testsupport.LoopbackSshd
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path

import static dev.imagebake.testsupport.TemplateRun.build
import static dev.imagebake.testsupport.TemplateRun.folderWithKey
import static dev.imagebake.testsupport.TemplateRun.sshBuilder

/**
 * `provision reboot` in whole builds: a real reboot of an emulated VM (its boot id changes), and on a loopback sshd
 * (which cannot reboot) every way a reboot can fail to happen. Never the default `sudo reboot` on the loopback sshd:
 * the test user may sudo, and that would reboot this host.
 */
class RebootSpec extends Specification {
    @Shared
    LoopbackSshd sshd = new LoopbackSshd()

    @TempDir
    @Shared
    Path dir

    Path folder

    def setup() {
        folder = folderWithKey(sshd)
    }

    def cleanup() {
        folder.toFile().deleteDir()
    }

    def cleanupSpec() {
        sshd.close()
    }

    def "reboots of an emulated VM pass, and report the boot ids before and after"() {
        given: 'an emulated VM, reached as any SSH machine'
        def runtime = SandboxVmRuntime.open(dir.resolve('data/vm'), dir.resolve('data'))
        def shell = new MachineShell(dir, 'vm-key')
        def vm = runtime.boot(new MachineSpec('reboot-vm', 'reboot-vm', [], 'azureuser', [shell.publicKey()], null,
                null))
        String hostKey = shell.await(vm.address(), 'azureuser',
                'ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub')[1].split(/\s+/)[1]
        Files.copy(shell.key, folder.resolve('vm-key'))

        when:
        def run = build(folder, """
builder ssh('vm') {
    host '${vm.address()}'
    port ${vm.port()}
    user 'azureuser'
    privateKey file('vm-key')
    hostKey '${hostKey}'
    connectTimeout '30s'
}
provision shell { inline 'echo "before: \$(cat /proc/sys/kernel/random/boot_id)"' }
provision reboot { waitTimeout '2m' }
provision shell { inline 'echo "between: \$(cat /proc/sys/kernel/random/boot_id)"' }
provision reboot { command 'sudo sh -c "(sleep 1; reboot) </dev/null >/dev/null 2>&1 &"; exit 5' }
provision shell { inline 'echo "after: \$(cat /proc/sys/kernel/random/boot_id)"' }
""")
        String before = (run.out =~ /vm: before: (\S+)/).with { it.find() ? it.group(1) : null }
        String between = (run.out =~ /vm: between: (\S+)/).with { it.find() ? it.group(1) : null }
        String after = (run.out =~ /vm: after: (\S+)/).with { it.find() ? it.group(1) : null }

        then:
        run.code == 0
        [before, between, after].every { it != null } && [before, between, after].toSet().size() == 3
        run.out.contains("vm: the machine is back (boot id ${before} before, ${between} now)")

        and: 'a command that fails as the machine goes down (its shell killed) is no failure when it reboots'
        run.out.contains("vm: the machine is back (boot id ${between} before, ${after} now)")

        cleanup:
        runtime?.close()
    }

    def "a reboot command that fails without going down fails the step at once, naming its status and output"() {
        when:
        def run = build(folder, sshBuilder(sshd) + """
provision reboot { command 'echo "sudo: a password is required" >&2; exit 3'; waitTimeout '20s' }
provision shell { inline 'echo never' }
""")

        then:
        run.code == 1
        run.out.contains('the reboot command `echo "sudo: a password is required" >&2; exit 3` exited with status 3 '
                + 'and the machine did not go down; its output: sudo: a password is required; check the command, and '
                + 'that the user may run it (sudo without a password)')
        !run.out.contains('box: never')
        failedWithin(run.out, 10)
    }

    def "a command that exits 0 but reboots nothing fails once the shutdown timeout is over, not the wait timeout"() {
        when:
        def run = build(folder, sshBuilder(sshd) + """
provision reboot { command 'echo pretending'; shutdownTimeout '2s'; waitTimeout '5m' }
""")
        String bootId = Files.readString(Path.of('/proc/sys/kernel/random/boot_id')).strip()

        then:
        run.code == 1
        run.out.contains('box: pretending')
        run.out.contains("the machine did not go down within 2.0 s of `echo pretending` (which exited with status 0): "
                + "the connection stayed up and the boot id is unchanged (${bootId}); its output: pretending; check "
                + "that the command reboots the machine, or give a slow shutdown more time with shutdownTimeout")
        failedWithin(run.out, 30)
    }

    def "a machine that drops the connection and answers again with the same boot id did not reboot"() {
        given: 'sshd stops (every connection drops) and starts again once the command runs'
        String flag = "/tmp/ib-reboot-${System.nanoTime()}"
        Thread restarter = Thread.start {
            long deadline = System.currentTimeMillis() + 30_000
            while (!new File(flag).exists() && System.currentTimeMillis() < deadline) {
                Thread.sleep(50)
            }
            sshd.stop()
            sshd.start()
        }

        when:
        def run = build(folder, sshBuilder(sshd) + """
provision reboot { command 'touch ${flag}; sleep 60'; shutdownTimeout '5s'; waitTimeout '30s' }
provision shell { inline 'echo never' }
""")
        restarter.join(30_000)
        String bootId = Files.readString(Path.of('/proc/sys/kernel/random/boot_id')).strip()

        then:
        run.code == 1
        run.out.contains("${LoopbackSshd.USER}@127.0.0.1:${sshd.port} did not reboot: boot id unchanged (${bootId}): "
                + "the connection dropped, but the machine answers as it did before `touch ${flag}; sleep 60`; check "
                + "that the command reboots the machine")
        !run.out.contains('box: never')

        cleanup:
        new File(flag).delete()
    }

    /** The reboot step failed after at most {@code seconds} (as the build reports it). */
    private static boolean failedWithin(String out, int seconds) {
        def took = (out =~ /reboot \(line \d+\) failed after (\d+)(?:\.\d+)? (ms|s)/)
        assert took.find(): out
        took.group(2) == 'ms' || (took.group(1) as int) < seconds
    }
}
