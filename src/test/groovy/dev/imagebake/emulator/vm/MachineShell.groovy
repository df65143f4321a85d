package dev.imagebake.emulator.vm

import net.schmizz.sshj.SSHClient
import net.schmizz.sshj.common.IOUtils
import net.schmizz.sshj.transport.verification.PromiscuousVerifier

import java.nio.charset.StandardCharsets
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/** Real SSH (sshj) to an emulated machine with a key pair made by ssh-keygen in a test folder. */
class MachineShell {
    final Path key

    MachineShell(Path dir, String name) {
        key = dir.resolve(name)
        def p = new ProcessBuilder('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', key.toString())
                .redirectErrorStream(true).start()
        assert p.waitFor() == 0
    }

    String publicKey() {
        Files.readString(key.resolveSibling(key.fileName.toString() + '.pub')).strip()
    }

    /** [exit status, stdout + stderr] of one command. */
    List run(String host, String user, String command) {
        new SSHClient().withCloseable { ssh ->
            ssh.addHostKeyVerifier(new PromiscuousVerifier())
            ssh.connect(host, 22)
            ssh.authPublickey(user, ssh.loadKeys(key.toString()))
            ssh.startSession().withCloseable { session ->
                def cmd = session.exec(command)
                def out = IOUtils.readFully(cmd.inputStream).toString(StandardCharsets.UTF_8) +
                        IOUtils.readFully(cmd.errorStream).toString(StandardCharsets.UTF_8)
                cmd.join(60, TimeUnit.SECONDS)
                [cmd.exitStatus == null ? -1 : cmd.exitStatus, out]
            }
        }
    }

    /** The output of the command once the machine answers over SSH (it boots after the create operation). */
    List await(String host, String user, String command) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60)
        while (true) {
            try {
                return run(host, user, command)
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw e
                }
            }
            Thread.sleep(20)
        }
    }
}
