package dev.imagebake.testsupport

import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.attribute.PosixFilePermissions
import java.util.concurrent.TimeUnit

/**
 * A real OpenSSH sshd on a free loopback port, with its own config and host key, admitting only a dedicated
 * test user (created on first use when running as root, as CI does). Never the system service.
 */
class LoopbackSshd implements Closeable {
    static final String USER = 'imagebake-test'
    static final Path SSHD = Path.of('/usr/sbin/sshd')

    final Path dir
    final int port
    final Path clientKey
    final String clientKeyText
    final String hostKeyFingerprint
    final String password = machinePassword()
    private Process process

    LoopbackSshd() {
        this(null)
    }

    /**
     * @param stdinFilter a command every session's standard input passes through before the session's command
     *                    reads it (for example {@code pv -q -L 2m}, a machine that drains its input slowly), with
     *                    PATH set to {@code path} when given; null for a plain sshd
     */
    LoopbackSshd(String stdinFilter, String path = null) {
        ensureUser()
        dir = Files.createTempDirectory('imagebake-sshd-')
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString('rwxr-xr-x'))
        run('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', dir.resolve('host_ed25519').toString())
        run('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'imagebake-test', '-f', dir.resolve('client').toString())
        clientKey = dir.resolve('client')
        clientKeyText = Files.readString(clientKey)
        hostKeyFingerprint = run('ssh-keygen', '-lf', dir.resolve('host_ed25519.pub').toString()).split(/\s+/)[1]
        authorize(Files.readString(dir.resolve('client.pub')))
        setPassword(password)
        port = freePort()
        String forced = stdinFilter == null ? '' : "ForceCommand ${filtering(stdinFilter, path)}\n"
        Files.writeString(dir.resolve('sshd_config'), """\
ListenAddress 127.0.0.1
Port ${port}
HostKey ${dir.resolve('host_ed25519')}
PidFile ${dir.resolve('sshd.pid')}
AuthorizedKeysFile .ssh/authorized_keys
AllowUsers ${USER}
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM no
StrictModes yes
ClientAliveInterval 5
Subsystem sftp internal-sftp
${forced}""")
        Files.createDirectories(Path.of('/run/sshd'))
        start()
    }

    String getHome() { "/home/${USER}" }

    /** A forced command that runs the client's command with its input through {@code filter} (SFTP unchanged). */
    private Path filtering(String filter, String path) {
        Path script = dir.resolve('filtered-session')
        Files.writeString(script, """\
#!/bin/sh
case "\$SSH_ORIGINAL_COMMAND" in internal-sftp|*sftp-server) exec /usr/lib/openssh/sftp-server ;; esac
${path == null ? '' : "PATH='${path}'; export PATH"}
${filter} | /bin/sh -c "\$SSH_ORIGINAL_COMMAND"
""")
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString('rwxr-xr-x'))
        script
    }

    void start() {
        process = new ProcessBuilder(SSHD.toString(), '-D', '-f', dir.resolve('sshd_config').toString(),
                '-E', dir.resolve('sshd.log').toString()).redirectErrorStream(true).start()
        long deadline = System.currentTimeMillis() + 10_000
        while (System.currentTimeMillis() < deadline) {
            try {
                new Socket('127.0.0.1', port).close()
                return
            } catch (IOException ignored) {
                Thread.sleep(50)
            }
        }
        throw new IllegalStateException("sshd did not start: ${Files.readString(dir.resolve('sshd.log'))}")
    }

    /** Cuts every connection this sshd serves (its per-connection processes), as a network failure would. */
    void dropConnections() {
        if (process != null) {
            // Each connection is a privileged monitor (a child of sshd) and the user's process under it; both
            // hold the socket, so both must go for the connection to drop.
            List<String> monitors = (run(['pgrep', '-P', process.pid().toString()], true) ?: '').readLines()*.trim()
            List<String> sessions = monitors.collectMany { (run(['pgrep', '-P', it], true) ?: '').readLines()*.trim() }
            List<String> all = (monitors + sessions).findAll { it }
            if (all) {
                run(['kill', '-9'] + all, true)
            }
        }
    }

    /**
     * Freezes (SIGSTOP) every connection this sshd serves, without closing any: the machine stops answering while
     * TCP stays up, as a hung machine or a lost network path looks to the client. {@link #thawConnections} undoes it.
     *
     * @return the process ids frozen
     */
    List<String> freezeConnections() {
        List<String> all = connectionProcesses()
        assert all, 'no connection to freeze'
        run(['kill', '-STOP'] + all)
        all
    }

    void thawConnections(List<String> pids) {
        if (pids) {
            run(['kill', '-CONT'] + pids, true)
        }
    }

    private List<String> connectionProcesses() {
        List<String> monitors = (run(['pgrep', '-P', process.pid().toString()], true) ?: '').readLines()*.trim()
        List<String> sessions = monitors.collectMany { (run(['pgrep', '-P', it], true) ?: '').readLines()*.trim() }
        (monitors + sessions).findAll { it }
    }

    /** Stops sshd and every session it serves (as a reboot would). */
    void stop() {
        if (process != null) {
            // Frozen first, so that no client can slip in a new connection between the old ones' end and the
            // listener's (a client that reconnects at once, on a busy machine, otherwise does).
            run(['kill', '-STOP', process.pid().toString()], true)
            dropConnections()
            process.destroyForcibly()
            process.waitFor(5, TimeUnit.SECONDS)
            process = null
        }
    }

    /**
     * Whether a process of the test user whose command line holds {@code text} runs on the machine (this host), as
     * {@code pgrep -f} sees it: for checking that a command was stopped.
     */
    boolean runs(String text) {
        (run(['pgrep', '-u', USER, '-f', text], true) ?: '').trim() as boolean
    }

    /** Runs a command as the test user on the host, for checking what a build did. */
    String asUser(String command) {
        run('su', '-s', '/bin/sh', USER, '-c', command)
    }

    @Override
    void close() {
        stop()
        unauthorize(Files.readString(dir.resolve('client.pub')))
        dir.toFile().deleteDir()
    }

    private static void ensureUser() {
        boolean root = run('id', '-u').trim() == '0'
        if (run(['id', '-u', USER], true) != null) {
            if (root) {
                allowSudo()
            }
            return
        }
        if (!root) {
            throw new IllegalStateException("The SSH specs need the user ${USER}; run them once as root (CI does) or " +
                    "create it: useradd -m -s /bin/sh ${USER} && usermod -p '*' ${USER}")
        }
        run('useradd', '-m', '-s', '/bin/sh', USER)
        run('usermod', '-p', '*', USER) // useradd leaves the account locked, which sshd refuses without PAM
        allowSudo()
    }

    /** The shell provisioner's `sudo true` is tested for real: the test user may sudo without a password. */
    private static void allowSudo() {
        Path rule = Path.of("/etc/sudoers.d/${USER}")
        if (Files.isDirectory(rule.parent) && !Files.exists(rule)) {
            Files.writeString(rule, "${USER} ALL=(ALL) NOPASSWD:ALL\n")
            Files.setPosixFilePermissions(rule, PosixFilePermissions.fromString('r--r-----'))
        }
    }

    private static void authorize(String publicKey) {
        Path ssh = Path.of("/home/${USER}/.ssh")
        if (run('id', '-u').trim() == '0') {
            Files.createDirectories(ssh)
            Path keys = ssh.resolve('authorized_keys')
            // Append: other test runs on this machine may be using the same user at the same time.
            Files.writeString(keys, publicKey, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND)
            run('chown', '-R', "${USER}:${USER}".toString(), ssh.toString())
            run('chmod', '700', ssh.toString())
            run('chmod', '600', keys.toString())
        } else {
            throw new IllegalStateException('installing a key for the test user needs root')
        }
    }

    /**
     * The test user's password: made once per machine and kept root-only, so that test runs sharing the machine
     * (and the user) agree on it.
     */
    private static String machinePassword() {
        Path file = Path.of('/etc/imagebake-test.password')
        if (!Files.exists(file)) {
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString('rw-------')))
                Files.writeString(file, 'pw-' + UUID.randomUUID())
            } catch (java.nio.file.FileAlreadyExistsException ignored) {
                // another run made it first
            }
        }
        Files.readString(file).trim()
    }

    private static void setPassword(String password) {
        Process p = new ProcessBuilder('chpasswd').redirectErrorStream(true).start()
        p.outputStream.withWriter { it.write("${USER}:${password}\n") }
        if (p.waitFor() != 0) {
            throw new IllegalStateException("chpasswd failed: ${p.inputStream.text}")
        }
    }

    /** A known_hosts file with this sshd's host key. */
    Path knownHosts() {
        Path file = dir.resolve('known_hosts')
        Files.writeString(file, "[127.0.0.1]:${port} ${Files.readString(dir.resolve('host_ed25519.pub'))}")
        file
    }

    private static void unauthorize(String publicKey) {
        Path keys = Path.of("/home/${USER}/.ssh/authorized_keys")
        if (Files.exists(keys)) {
            Files.writeString(keys, Files.readAllLines(keys).findAll { it.trim() != publicKey.trim() }
                    .collect { it + '\n' }.join(''))
        }
    }

    static int freePort() {
        new ServerSocket(0, 1, InetAddress.getByName('127.0.0.1')).withCloseable { it.localPort }
    }

    static String run(List<String> command, boolean tolerate = false) {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start()
        String out = p.inputStream.text
        if (p.waitFor() != 0) {
            if (tolerate) {
                return null
            }
            throw new IllegalStateException("${command.join(' ')} failed: ${out}")
        }
        out
    }

    static String run(String... command) {
        run(command as List<String>)
    }
}
