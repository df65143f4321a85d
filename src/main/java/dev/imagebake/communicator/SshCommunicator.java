package dev.imagebake.communicator;

import dev.imagebake.util.PrivateKeys;
import net.schmizz.keepalive.KeepAliveProvider;
import net.schmizz.sshj.DefaultConfig;
import net.schmizz.sshj.SSHClient;
import net.schmizz.sshj.common.Buffer;
import net.schmizz.sshj.connection.channel.direct.DirectConnection;
import net.schmizz.sshj.connection.channel.direct.Session;
import net.schmizz.sshj.sftp.FileAttributes;
import net.schmizz.sshj.sftp.FileMode;
import net.schmizz.sshj.sftp.SFTPClient;
import net.schmizz.sshj.transport.TransportException;
import net.schmizz.sshj.transport.verification.HostKeyVerifier;
import net.schmizz.sshj.transport.verification.OpenSSHKnownHosts;
import net.schmizz.sshj.userauth.UserAuthException;
import net.schmizz.sshj.userauth.keyprovider.KeyProvider;
import net.schmizz.sshj.xfer.FileSystemFile;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** A {@link Communicator} over SSH (sshj): verified host keys, live output, one session per command. */
public final class SshCommunicator implements Communicator {
    private static final int KEEPALIVE_SECONDS = 15;

    static {
        // sshj would otherwise route all cryptography through BouncyCastle, whose pure-Java AES runs at a fifth of
        // the speed of the JDK's intrinsified AES-GCM. The JDK covers every algorithm used here (Ed25519, X25519,
        // ECDH, AES-GCM/CTR, ChaCha20).
        net.schmizz.sshj.common.SecurityUtils.setRegisterBouncyCastle(false);
        net.schmizz.sshj.common.SecurityUtils.setSecurityProvider(null);
    }

    private final SshEndpoint endpoint;
    private final SSHClient client;
    private final SSHClient jump;
    private final PublicKey hostKey;
    private volatile boolean broken;
    private final java.util.concurrent.atomic.AtomicReference<String> stall;
    private final java.util.Map<Session, Running> open = new java.util.concurrent.ConcurrentHashMap<>();

    /** A command in flight: its remote process group, learnt from the first line it writes to stderr. */
    private static final class Running {
        private static final long GROUP_WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);
        private final java.util.concurrent.CountDownLatch known = new java.util.concurrent.CountDownLatch(1);
        volatile String processGroup;
        final boolean sudo;

        Running(boolean sudo) {
            this.sudo = sudo;
        }

        void processGroup(String group) {
            processGroup = group;
            known.countDown();
        }

        /**
         * The process group, waiting (while the channel is open) for a command that has just been sent to report
         * it: a Ctrl-C right after Enter would otherwise only close the channel, and the command would start anyway
         * and run on, unseen.
         */
        String awaitProcessGroup(Session session) {
            long deadline = System.nanoTime() + GROUP_WAIT_NANOS;
            try {
                while (processGroup == null && session.isOpen() && System.nanoTime() - deadline < 0) {
                    known.await(50, TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return processGroup;
        }
    }

    /**
     * Every command first reports its process id, which is its process group (sshd makes each session's shell a
     * session leader, and exec keeps the id), so that it and all its children can be stopped on a timeout or Ctrl-C:
     * closing the channel alone leaves them running.
     */
    private static final String GROUP_MARKER = "imagebake-process-group:";

    private SshCommunicator(SshEndpoint endpoint, SSHClient client, SSHClient jump, PublicKey hostKey,
                            java.util.concurrent.atomic.AtomicReference<String> stall) {
        this.endpoint = endpoint;
        this.client = client;
        this.jump = jump;
        this.hostKey = hostKey;
        this.stall = stall;
    }

    /**
     * Why the connection was given up as stalled (nothing arrived within the endpoint's read/write timeout), naming
     * the timeout; null while it has not stalled.
     */
    public String stalled() {
        return stall.get();
    }

    /** The host key the machine presented (and that was verified), for tools that connect on their own. */
    public PublicKey hostKey() {
        return hostKey;
    }

    /** The host key as a known_hosts line for this endpoint. */
    public String knownHostsLine() {
        String name = endpoint.port() == 22 ? endpoint.host() : "[" + endpoint.host() + "]:" + endpoint.port();
        byte[] blob = new Buffer.PlainBuffer().putPublicKey(hostKey).getCompactData();
        return name + " " + net.schmizz.sshj.common.KeyType.fromKey(hostKey) + " "
                + Base64.getEncoder().encodeToString(blob);
    }

    /**
     * What {@link #interruptCommands()} did to one command.
     *
     * @param processGroup the command's process group on the machine, or null when it never reported it
     * @param sudo         whether the command ran with sudo (so that only root can end it)
     * @param problem      null when the machine confirmed that the group is gone; else why that is not known
     */
    public record Stop(String processGroup, boolean sudo, String problem) {
        public boolean confirmed() {
            return problem == null;
        }
    }

    /**
     * Ends the process group on the machine: TERM, then KILL if it is still there after two seconds. Exits 0 only
     * once no live process of the group is left (zombies, waiting for their parent, do not count), so that its exit
     * status is the machine's word that the command is gone. Without pgrep it falls back to {@code kill -0}.
     */
    private static String killGroup(String group) {
        return "g=" + group + """

                alive() {
                    pgrep -g $g -r D,R,S,T,t >/dev/null 2>&1; s=$?
                    [ $s -le 1 ] && return $s
                    kill -0 -$g 2>/dev/null
                }
                gone() { n=0; while alive; do [ $n -ge 20 ] && return 1; sleep 0.1; n=$((n+1)); done; }
                kill -TERM -$g 2>/dev/null; gone && exit 0
                kill -KILL -$g 2>/dev/null; gone
                """;
    }

    /**
     * Ends every command running now (the connection stays): for timeouts and Ctrl-C. Each command's process group
     * is ended from a session of its own, then its channel is closed.
     *
     * @return one entry per command, saying whether the machine confirmed that it is gone
     */
    public List<Stop> interruptCommands() {
        List<Stop> stops = new ArrayList<>();
        for (var entry : open.entrySet()) {
            Running running = entry.getValue();
            String group = running.awaitProcessGroup(entry.getKey());
            String problem;
            if (group == null || !group.matches("[1-9][0-9]*")) {
                group = null;
                problem = "the command never reported its process group";
            } else {
                String kill = killGroup(group);
                try (Session killer = client.startSession()) {
                    Session.Command k = killer.exec((running.sudo ? "sudo -n sh -c " : "sh -c ")
                            + ShellQuoting.quote(kill));
                    k.join(10, TimeUnit.SECONDS);
                    Integer status = k.getExitStatus();
                    problem = status == null ? "the machine did not say whether the kill worked"
                            : status != 0 ? "the kill did not end the process group (exit status " + status + ")"
                            : null;
                } catch (IOException e) {
                    problem = "the kill could not be sent (" + e.getMessage() + ")";
                }
            }
            stops.add(new Stop(group, running.sudo, problem));
            closeQuietly(entry.getKey());
        }
        return stops;
    }

    /**
     * Connects, retrying while the machine is not reachable yet, until {@code deadline} has passed. Wrong
     * credentials and wrong host keys fail at once: retrying cannot fix them.
     *
     * @param progress told about each failed attempt, for people watching
     */
    public static SshCommunicator connect(SshEndpoint endpoint, Duration deadline, Consumer<String> progress)
            throws ConnectionFailedException, InterruptedException {
        long end = System.nanoTime() + deadline.toNanos();
        long pause = 250;
        ConnectionFailedException last = null;
        int attempt = 0;
        while (true) {
            attempt++;
            try {
                return connectOnce(endpoint, deadline);
            } catch (ConnectionFailedException e) {
                if (!e.retryable()) {
                    throw e;
                }
                last = e;
            }
            if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pause) - end > 0) {
                throw new ConnectionFailedException("could not connect to " + endpoint.describe() + " within "
                        + deadline.toSeconds() + " s (" + attempt + " attempts); last error: " + last.getMessage(),
                        false, last);
            }
            progress.accept("waiting for SSH on " + endpoint.host() + ":" + endpoint.port() + " (" + last.getMessage()
                    + ")");
            Thread.sleep(pause);
            pause = Math.min(pause * 2, 5_000);
        }
    }

    private static SshCommunicator connectOnce(SshEndpoint endpoint, Duration deadline)
            throws ConnectionFailedException {
        SSHClient jump = null;
        PublicKey[] seen = new PublicKey[1];
        var stall = new java.util.concurrent.atomic.AtomicReference<String>();
        SSHClient client = newClient(endpoint, deadline, seen, stall);
        try {
            if (endpoint.via() != null) {
                jump = newClient(endpoint.via(), deadline, new PublicKey[1], stall);
                jump.connect(endpoint.via().host(), endpoint.via().port());
                authenticate(jump, endpoint.via());
                DirectConnection tunnel = jump.newDirectConnection(endpoint.host(), endpoint.port());
                client.connectVia(tunnel);
            } else {
                client.connect(endpoint.host(), endpoint.port());
            }
            authenticate(client, endpoint);
            return new SshCommunicator(endpoint, client, jump, seen[0], stall);
        } catch (IOException e) {
            closeQuietly(client);
            closeQuietly(jump);
            throw classify(endpoint, e, seen[0]);
        }
    }

    private static SSHClient newClient(SshEndpoint endpoint, Duration deadline, PublicKey[] seen,
                                       java.util.concurrent.atomic.AtomicReference<String> stall) {
        DefaultConfig config = new DefaultConfig();
        config.setKeepAliveProvider(KeepAliveProvider.KEEP_ALIVE);
        preferFastCiphers(config);
        SSHClient client = new SSHClient(config);
        SshEndpoint.ReadWriteTimeout limit = endpoint.readWriteTimeout();
        boolean limited = limit != null && !limit.duration().isZero();
        // Without TCP_NODELAY every small request (open a channel, exec) waits out the peer's delayed ACK, about
        // 40 ms on Linux: most of the time of a short remote command.
        client.setSocketFactory(new NoDelaySocketFactory(limited ? limit : null, stall));
        client.setConnectTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1000, Math.min(deadline.toMillis(),
                30_000))));
        // With a read/write timeout, a read of the socket (the server's banner, then every packet) that waits longer
        // fails, and with it the connection. The keep-alive requests go out at a third of it, so a machine that is
        // alive but quiet (a long command with no output) always answers in time.
        client.setTimeout(limited ? (int) Math.min(Integer.MAX_VALUE, limit.duration().toMillis()) : 0);
        client.getConnection().getKeepAlive().setKeepAliveInterval(limited ? (int) Math.max(1, Math.min(
                KEEPALIVE_SECONDS, limit.duration().toSeconds() / 3)) : KEEPALIVE_SECONDS);
        HostKeyVerifier verifier = verifier(endpoint);
        client.addHostKeyVerifier(new HostKeyVerifier() {
            @Override
            public boolean verify(String host, int port, PublicKey key) {
                seen[0] = key;
                return verifier.verify(host, port, key);
            }

            @Override
            public List<String> findExistingAlgorithms(String host, int port) {
                return verifier.findExistingAlgorithms(host, port);
            }
        });
        return client;
    }

    private static final class NoDelaySocketFactory extends javax.net.SocketFactory {
        private final SshEndpoint.ReadWriteTimeout limit;
        private final java.util.concurrent.atomic.AtomicReference<String> stall;

        NoDelaySocketFactory(SshEndpoint.ReadWriteTimeout limit,
                             java.util.concurrent.atomic.AtomicReference<String> stall) {
            this.limit = limit;
            this.stall = stall;
        }

        private static java.net.Socket tuned(java.net.Socket socket) throws java.net.SocketException {
            socket.setTcpNoDelay(true);
            return socket;
        }

        @Override
        public java.net.Socket createSocket() throws IOException {
            return tuned(limit == null ? new java.net.Socket() : new StallSocket(limit, stall));
        }

        @Override
        public java.net.Socket createSocket(String host, int port) throws IOException {
            return tuned(new java.net.Socket(host, port));
        }

        @Override
        public java.net.Socket createSocket(String host, int port, java.net.InetAddress local, int localPort)
                throws IOException {
            return tuned(new java.net.Socket(host, port, local, localPort));
        }

        @Override
        public java.net.Socket createSocket(java.net.InetAddress host, int port) throws IOException {
            return tuned(new java.net.Socket(host, port));
        }

        @Override
        public java.net.Socket createSocket(java.net.InetAddress host, int port, java.net.InetAddress local,
                                            int localPort) throws IOException {
            return tuned(new java.net.Socket(host, port, local, localPort));
        }
    }

    /**
     * A socket whose reads time out after the read/write timeout (sshj sets it as the socket's timeout): the timeout
     * is recorded, and reported with a message that names the setting, as the reason the connection ended. A write
     * that blocks because the machine stopped reading ends too: the reader's timeout closes the socket under it.
     */
    private static final class StallSocket extends java.net.Socket {
        private final SshEndpoint.ReadWriteTimeout limit;
        private final java.util.concurrent.atomic.AtomicReference<String> stall;

        StallSocket(SshEndpoint.ReadWriteTimeout limit, java.util.concurrent.atomic.AtomicReference<String> stall) {
            this.limit = limit;
            this.stall = stall;
        }

        @Override
        public InputStream getInputStream() throws IOException {
            InputStream in = super.getInputStream();
            return new java.io.FilterInputStream(in) {
                @Override
                public int read() throws IOException {
                    try {
                        return super.read();
                    } catch (SocketTimeoutException e) {
                        throw stalled();
                    }
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    try {
                        return super.read(b, off, len);
                    } catch (SocketTimeoutException e) {
                        throw stalled();
                    }
                }
            };
        }

        private SocketTimeoutException stalled() {
            String why = "the machine sent nothing for " + dev.imagebake.util.DurationText.format(limit.duration())
                    + " (" + limit.setting() + "), so the connection is taken as dead";
            stall.compareAndSet(null, why);
            return new SocketTimeoutException(why);
        }
    }

    /** AES-GCM first: the JVM has hardware intrinsics for it, so bulk transfers run near line speed. */
    private static void preferFastCiphers(DefaultConfig config) {
        List<net.schmizz.sshj.common.Factory.Named<net.schmizz.sshj.transport.cipher.Cipher>> ciphers =
                new ArrayList<>(config.getCipherFactories());
        ciphers.sort((a, b) -> Integer.compare(rank(a.getName()), rank(b.getName())));
        config.setCipherFactories(ciphers);
    }

    private static int rank(String cipher) {
        return switch (cipher) {
            case "aes128-gcm@openssh.com" -> 0;
            case "aes256-gcm@openssh.com" -> 1;
            case "aes128-ctr" -> 2;
            case "chacha20-poly1305@openssh.com" -> 3;
            default -> 10;
        };
    }

    private static HostKeyVerifier verifier(SshEndpoint endpoint) {
        if (endpoint.insecureHostKey()) {
            return new HostKeyVerifier() {
                @Override
                public boolean verify(String host, int port, PublicKey key) {
                    return true;
                }

                @Override
                public List<String> findExistingAlgorithms(String host, int port) {
                    return List.of();
                }
            };
        }
        if (!endpoint.hostKeys().isEmpty()) {
            return new HostKeyVerifier() {
                @Override
                public boolean verify(String host, int port, PublicKey key) {
                    return endpoint.hostKeys().contains(fingerprint(key));
                }

                @Override
                public List<String> findExistingAlgorithms(String host, int port) {
                    return List.of();
                }
            };
        }
        Path knownHosts = endpoint.knownHosts() != null ? endpoint.knownHosts()
                : Path.of(System.getProperty("user.home"), ".ssh", "known_hosts");
        if (!Files.isRegularFile(knownHosts)) {
            return new HostKeyVerifier() {
                @Override
                public boolean verify(String host, int port, PublicKey key) {
                    return false; // nothing to verify against: refuse rather than trust on first use
                }

                @Override
                public List<String> findExistingAlgorithms(String host, int port) {
                    return List.of();
                }
            };
        }
        try {
            return new OpenSSHKnownHosts(knownHosts.toFile()) {
                @Override
                protected boolean hostKeyUnverifiableAction(String hostname, PublicKey key) {
                    return false;
                }

                @Override
                protected boolean hostKeyChangedAction(String hostname, PublicKey key) {
                    return false;
                }
            };
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + knownHosts, e);
        }
    }

    /** The SHA-256 fingerprint of a host key, as {@code ssh-keygen -lf} prints it. */
    public static String fingerprint(PublicKey key) {
        byte[] blob = new Buffer.PlainBuffer().putPublicKey(key).getCompactData();
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(blob);
            return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The public half of a private key's text as an {@code authorized_keys} line ({@code TYPE BASE64 comment}), for
     * a key in any format sshj reads (OpenSSH, PEM, PKCS#8, PuTTY). The key must not be encrypted.
     *
     * @throws IOException when the text is not a private key this can read (the message never quotes the text)
     */
    public static String publicKeyLine(String privateKey, String comment) throws IOException {
        net.schmizz.sshj.userauth.keyprovider.KeyFormat format =
                net.schmizz.sshj.userauth.keyprovider.KeyProviderUtil.detectKeyFileFormat(privateKey, false);
        net.schmizz.sshj.userauth.keyprovider.FileKeyProvider provider = net.schmizz.sshj.common.Factory.Named.Util
                .create(new DefaultConfig().getFileKeyProviderFactories(), format.toString());
        if (provider == null) {
            throw new IOException("not a private key in a format imagebake reads (OpenSSH, PEM, PKCS#8 or PuTTY)");
        }
        provider.init(privateKey, null);
        PublicKey key;
        try {
            key = provider.getPublic();
        } catch (IOException | RuntimeException e) {
            throw new IOException("not a private key imagebake can read (" + format + " format)");
        }
        byte[] blob = new Buffer.PlainBuffer().putPublicKey(key).getCompactData();
        return net.schmizz.sshj.common.KeyType.fromKey(key) + " " + Base64.getEncoder().encodeToString(blob)
                + (comment == null ? "" : " " + comment);
    }

    private static void authenticate(SSHClient client, SshEndpoint endpoint) throws IOException {
        List<KeyProvider> keys = new ArrayList<>();
        if (endpoint.keyPair() != null) {
            keys.add(client.loadKeys(endpoint.keyPair()));
        }
        if (endpoint.privateKey() != null) {
            if (PrivateKeys.encrypted(endpoint.privateKey())) {
                throw new EncryptedKeyException();
            }
            keys.add(client.loadKeys(endpoint.privateKey(), null, null));
        }
        if (!keys.isEmpty()) {
            client.authPublickey(endpoint.user(), keys);
        } else if (endpoint.password() != null) {
            client.authPassword(endpoint.user(), endpoint.password());
        } else if (endpoint.agent()) {
            try (SshAgent agent = SshAgent.connect(System.getenv("SSH_AUTH_SOCK"))) {
                client.auth(endpoint.user(), agent.authMethods());
            }
        } else {
            throw new UserAuthException("no way to log in was given");
        }
    }

    /** A private key with a passphrase, which imagebake has no way to be given. */
    private static final class EncryptedKeyException extends UserAuthException {
        EncryptedKeyException() {
            super("the private key is encrypted (it has a passphrase); " + PrivateKeys.encryptedAdvice(null));
        }
    }

    private static ConnectionFailedException classify(SshEndpoint endpoint, IOException e, PublicKey seen) {
        String where = endpoint.describe();
        if (e instanceof EncryptedKeyException) {
            return new ConnectionFailedException("login to " + where + " failed: " + e.getMessage(), false, e);
        }
        if (e instanceof UserAuthException) {
            return new ConnectionFailedException("login to " + where + " failed: " + e.getMessage()
                    + " (check the user and the key or password)", false, e);
        }
        String message = String.valueOf(e.getMessage());
        if (e instanceof TransportException && (message.contains("HostKeyVerifier")
                || message.contains("Could not verify") && message.contains("host key"))) {
            if (endpoint.hostKeys().isEmpty() && !endpoint.insecureHostKey()) {
                return new ConnectionFailedException(knownHostsRefusal(endpoint, seen), false, e);
            }
            return new ConnectionFailedException("the host key of " + endpoint.host() + ":" + endpoint.port()
                    + " is not the expected one: refusing to connect (" + expectedKeys(endpoint)
                    + (seen == null ? "" : ", got " + fingerprint(seen)) + ")", false, e);
        }
        if (e instanceof ConnectException || e instanceof NoRouteToHostException || e instanceof SocketTimeoutException
                || e instanceof TransportException) {
            return new ConnectionFailedException(String.valueOf(e.getMessage()), true, e);
        }
        if (e instanceof UnknownHostException) {
            return new ConnectionFailedException("unknown host " + endpoint.host(), true, e);
        }
        return new ConnectionFailedException(e.getClass().getSimpleName() + ": " + e.getMessage(), true, e);
    }

    /** Why a known_hosts file refused the host's key (not listed, or listed with another key), and what to do. */
    private static String knownHostsRefusal(SshEndpoint endpoint, PublicKey seen) {
        Path file = endpoint.knownHosts() != null ? endpoint.knownHosts()
                : Path.of(System.getProperty("user.home"), ".ssh", "known_hosts");
        String shown = endpoint.knownHosts() != null ? endpoint.knownHosts().toString() : "~/.ssh/known_hosts";
        String machine = endpoint.host() + ":" + endpoint.port();
        String got = seen == null ? null : fingerprint(seen);
        if (seen != null && listsAnotherKey(file, endpoint, seen)) {
            String name = endpoint.port() == 22 ? endpoint.host() : "'[" + endpoint.host() + "]:" + endpoint.port()
                    + "'";
            return "the host key of " + machine + " has changed: " + shown + " lists another key for it, and the "
                    + "machine presented " + got + ": refusing to connect (another machine answers there, or its "
                    + "keys were made anew; once you trust the new key, write hostKey '" + got + "', or remove the "
                    + "old line with ssh-keygen -R " + name + " -f " + shown + ")";
        }
        return "the host key of " + machine + " is unknown: " + shown
                + (Files.isRegularFile(file) ? " does not list it" : " does not exist") + ": refusing to connect. "
                + (got == null ? "Once you have checked the machine's key fingerprint"
                : "The machine presented " + got + "; once you have checked that it is the machine's")
                + " (on the machine: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), trust it with hostKey '"
                + (got == null ? "SHA256:..." : got) + "', or with knownHosts 'FILE' naming a known_hosts file that "
                + "lists the host, or turn the check off with insecureHostKey true";
    }

    private static boolean listsAnotherKey(Path file, SshEndpoint endpoint, PublicKey seen) {
        if (!Files.isRegularFile(file)) {
            return false;
        }
        boolean[] changed = new boolean[1];
        try {
            new OpenSSHKnownHosts(file.toFile()) {
                @Override
                protected boolean hostKeyUnverifiableAction(String hostname, PublicKey key) {
                    return false;
                }

                @Override
                protected boolean hostKeyChangedAction(String hostname, PublicKey key) {
                    changed[0] = true;
                    return false;
                }
            }.verify(endpoint.host(), endpoint.port(), seen);
        } catch (IOException e) {
            return false;
        }
        return changed[0];
    }

    private static String expectedKeys(SshEndpoint endpoint) {
        if (!endpoint.hostKeys().isEmpty()) {
            return "expected " + String.join(" or ", endpoint.hostKeys());
        }
        return "not in " + (endpoint.knownHosts() != null ? endpoint.knownHosts() : "~/.ssh/known_hosts");
    }

    // ---- commands ----------------------------------------------------------------------------------------------

    @Override
    public CommandResult run(RemoteCommand command, OutputListener output) throws IOException, InterruptedException {
        Session session;
        try {
            session = client.startSession();
        } catch (IOException | IllegalStateException e) {
            if (!isConnected() || e instanceof IllegalStateException) {
                broken = true;
                return new CommandResult(-1, null, true);
            }
            throw e;
        }
        Thread errors = null;
        Running tracked = new Running(command.command().contains("sudo "));
        open.put(session, tracked);
        try {
            if (command.pty()) {
                session.allocateDefaultPTY();
            }
            Session.Command running = session.exec("printf '" + GROUP_MARKER + "%s\\n' $$ >&2; exec sh -c "
                    + ShellQuoting.quote(command.command()));
            OutputListener filtered = new OutputListener() {
                private volatile boolean seen;

                @Override
                public void line(Stream stream, String line) {
                    if (!seen && line.startsWith(GROUP_MARKER)) {
                        seen = true; // with a PTY it arrives on stdout, otherwise on stderr
                        tracked.processGroup(line.substring(GROUP_MARKER.length()).trim());
                        return;
                    }
                    output.line(stream, line);
                }
            };
            OutputListener stderr = filtered;
            errors = new Thread(() -> pump(running.getErrorStream(), OutputListener.Stream.STDERR, stderr),
                    "ssh-stderr");
            errors.setDaemon(true);
            errors.start();
            byte[] stdin = command.stdin() == null ? null : command.stdin().getBytes(StandardCharsets.UTF_8);
            // A command may end without reading all of its input; how it ended is told by its exit status.
            sendQuietly(running, stdin == null ? null : out -> out.write(stdin));
            pump(running.getInputStream(), OutputListener.Stream.STDOUT, filtered);
            try {
                running.join();
            } catch (IOException e) {
                // the channel ended without a proper close: the connection went away
            }
            errors.join(5_000);
            Integer status = running.getExitStatus();
            String signal = running.getExitSignal() == null ? null : running.getExitSignal().name();
            boolean dropped = status == null && signal == null;
            if (dropped) {
                broken = true;
            }
            return new CommandResult(status == null ? -1 : status, signal, dropped);
        } catch (TransportException | net.schmizz.sshj.connection.ConnectionException e) {
            broken = true;
            return new CommandResult(-1, null, true);
        } finally {
            open.remove(session);
            closeQuietly(session);
            if (errors != null) {
                errors.interrupt();
            }
        }
    }

    private static void pump(InputStream stream, OutputListener.Stream which, OutputListener output) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                output.line(which, line);
            }
        } catch (IOException e) {
            // the channel closed under us; the caller learns how the command ended from the exit status
        }
    }

    // ---- files ----------------------------------------------------------------------------------------------

    @Override
    public Transfer upload(Path local, String remote, boolean verifyHash) throws IOException {
        String what = "upload of " + local + " to " + remote;
        if (Files.isDirectory(local)) {
            String folder = ShellQuoting.quote(remote);
            List<List<FileEntry>> sent = new ArrayList<>(1);
            exec("d=" + folder + "; mkdir -p \"$d\" && tar -x -m -o -f - -C \"$d\"",
                    out -> sent.add(TarStream.write(local, out)), what);
            List<FileEntry> files = sent.get(0);
            List<String> report = exec(RemoteChecks.ofFilesIn(folder, verifyHash),
                    out -> out.write(RemoteChecks.names(files)), "check of the " + what);
            return RemoteChecks.compare(what, true, files, RemoteChecks.parseFiles(files, report), true);
        }
        int mode = Files.isExecutable(local) ? 0755 : 0644;
        try (InputStream in = Files.newInputStream(local)) {
            return stream(in, remote, mode, verifyHash, what);
        }
    }

    @Override
    public Transfer upload(byte[] content, String remote, int mode) throws IOException {
        return stream(new java.io.ByteArrayInputStream(content), remote, mode, true, "upload to " + remote);
    }

    /**
     * Streams bytes into {@code cat} on the machine: one session, no per-packet acknowledgements (unlike SFTP), so
     * the transfer runs at the speed of the channel's encryption. The same session then reports the size (and sum)
     * of what landed on the machine's disk.
     */
    private Transfer stream(InputStream in, String remote, int mode, boolean verifyHash, String what)
            throws IOException {
        String command = "f=" + ShellQuoting.quote(remote) + "; mkdir -p \"$(dirname \"$f\")\" && cat > \"$f\" && chmod "
                + Integer.toOctalString(mode) + " \"$f\" && " + RemoteChecks.ofFileIn("f", verifyHash);
        String name = remote.substring(remote.lastIndexOf('/') + 1);
        List<FileEntry> sent = new ArrayList<>(1);
        List<String> report = exec(command, out -> sent.add(Digests.copy(name, in, out, Long.MAX_VALUE)), what);
        FileEntry landed = RemoteChecks.parseFile(name, report, verifyHash);
        return RemoteChecks.compare(what, true, sent, List.of(landed), false);
    }

    private interface Writer {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Runs {@code command} with {@code content} (or nothing) as its standard input, in one session; fails on a
     * non-zero exit, naming {@code what} and the command's error output.
     *
     * @return the lines the command printed
     */
    private List<String> exec(String command, Writer content, String what) throws IOException {
        try (Session session = client.startSession()) {
            // Tracked like any command, so that a timeout or Ctrl-C also ends a transfer stuck on the machine.
            Running tracked = new Running(false);
            open.put(session, tracked);
            try {
                Session.Command running = session.exec("printf '" + GROUP_MARKER + "%s\\n' $$ >&2; exec sh -c "
                        + ShellQuoting.quote(command));
                StringBuffer errors = new StringBuffer();
                Thread stderr = new Thread(() -> pump(running.getErrorStream(), OutputListener.Stream.STDERR,
                        (stream, line) -> {
                            if (tracked.processGroup == null && line.startsWith(GROUP_MARKER)) {
                                tracked.processGroup(line.substring(GROUP_MARKER.length()).trim());
                            } else {
                                errors.append(errors.isEmpty() ? "" : "\n").append(line);
                            }
                        }), "ssh-transfer-stderr");
                stderr.setDaemon(true);
                stderr.start();
                // A command that fails early (mkdir refused) stops reading: its own error says why, not the
                // closed stream.
                IOException unsent = sendQuietly(running, content);
                List<String> lines = new String(running.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                        .lines().toList();
                running.join(1, TimeUnit.HOURS);
                joinQuietly(stderr);
                Integer status = running.getExitStatus();
                if (status == null || status != 0) {
                    String text = errors.toString().trim();
                    throw new IOException(what + " failed on the machine" + (text.isEmpty()
                            ? " (exit status " + status + ")" : ": " + text));
                }
                if (unsent != null) {
                    throw new TransferFailedException(what + " failed: the machine stopped reading before the end ("
                            + unsent.getMessage() + ")");
                }
                return lines;
            } finally {
                open.remove(session);
            }
        }
    }

    private static void joinQuietly(Thread thread) throws InterruptedIOException {
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        }
    }

    /**
     * Writes a command's whole standard input, then closes it. sshj's close() alone sends EOF without waiting for
     * the remote window: what is still buffered when the window is full (up to a packet, 32 KiB) is silently
     * dropped. Here every write is flushed, so nothing is left for close() to drop.
     */
    private static void sendAll(Session.Command command, Writer content) throws IOException {
        OutputStream out = command.getOutputStream();
        if (content != null) {
            WindowedOutput windowed = new WindowedOutput(command, out);
            content.writeTo(windowed);
            windowed.flush();
        }
        out.close();
    }

    /**
     * Writes to a channel without ever waiting inside sshj's stream. sshj waits for the remote window while it
     * holds the stream's lock, and the transport's only reader needs that lock when the channel closes: a command
     * that ended without reading all of its input froze the whole connection until sshj's wait timed out (30 s).
     * Here each write goes out only once the window has room for it, and is flushed at once; the wait for room
     * happens outside sshj, and ends when the channel closes.
     */
    private static final class WindowedOutput extends OutputStream {
        private static final long LONGEST_PAUSE_NANOS = 2_000_000;
        private final Session.Command channel;
        private final OutputStream out;

        WindowedOutput(Session.Command channel, OutputStream out) {
            this.channel = channel;
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            while (length > 0) {
                int n = (int) Math.min(length, room());
                out.write(bytes, offset, n);
                out.flush(); // the window has room for all of it: sshj sends it without waiting
                offset += n;
                length -= n;
            }
        }

        /** Waits until the remote window is open; fails when the channel closed (the command ended) meanwhile. */
        private long room() throws IOException {
            long pause = 20_000;
            while (true) {
                if (!channel.isOpen()) {
                    throw new net.schmizz.sshj.connection.ConnectionException("the command ended before it read "
                            + "all of its input");
                }
                long window = channel.getRemoteWinSize();
                if (window > 0) {
                    return window;
                }
                if (Thread.currentThread().isInterrupted()) {
                    throw new InterruptedIOException("interrupted while the machine was not reading");
                }
                java.util.concurrent.locks.LockSupport.parkNanos(pause);
                pause = Math.min(pause * 2, LONGEST_PAUSE_NANOS);
            }
        }
    }

    /**
     * {@link #sendAll}, returning (not throwing) a failure of the channel: the command may have ended without
     * reading all of its input, and how it ended says more. A failure to read what is being sent is thrown.
     */
    private static IOException sendQuietly(Session.Command command, Writer content) throws IOException {
        try {
            sendAll(command, content);
            return null;
        } catch (net.schmizz.sshj.common.SSHException e) {
            return e;
        }
    }

    @Override
    public Transfer download(String remote, Path local, boolean verifyHash) throws IOException {
        String what = "download of " + remote + " to " + local;
        try (SFTPClient sftp = client.newSFTPClient()) {
            FileAttributes attributes;
            try {
                attributes = sftp.stat(remote);
            } catch (net.schmizz.sshj.sftp.SFTPException e) {
                throw new IOException(what + " failed: no file or folder " + remote + " on the machine ("
                        + e.getMessage() + ")");
            }
            if (attributes.getType() == FileMode.Type.DIRECTORY) {
                List<FileEntry> received = new ArrayList<>();
                Files.createDirectories(local);
                fetchFolder(sftp, remote, "", local, received, verifyHash, 0);
                List<String> report = exec(RemoteChecks.ofFilesIn(ShellQuoting.quote(remote), verifyHash),
                        out -> out.write(RemoteChecks.names(received)), "check of the " + what);
                return RemoteChecks.compare(what, false, RemoteChecks.parseFiles(received, report), received, true);
            }
            if (Files.isDirectory(local)) {
                throw new IOException(what + " failed: " + local + " is a folder on this host");
            }
            if (local.getParent() != null) {
                Files.createDirectories(local.getParent());
            }
            String name = remote.substring(remote.lastIndexOf('/') + 1);
            FileEntry got = fetchFile(sftp, remote, name, local, verifyHash);
            List<String> report = exec("f=" + ShellQuoting.quote(remote) + "; " + RemoteChecks.ofFileIn("f",
                    verifyHash), null, "check of the " + what);
            return RemoteChecks.compare(what, false, List.of(RemoteChecks.parseFile(name, report, verifyHash)),
                    List.of(got), false);
        }
    }

    private static FileEntry fetchFile(SFTPClient sftp, String remote, String name, Path local, boolean hash)
            throws IOException {
        sftp.get(remote, new FileSystemFile(local.toFile()));
        return hash ? Digests.of(name, local) : new FileEntry(name, Files.size(local), null);
    }

    /** Fetches a remote folder's files into {@code local}, following links (as {@code cp -rL} would). */
    private static void fetchFolder(SFTPClient sftp, String remote, String prefix, Path local,
                                    List<FileEntry> received, boolean hash, int depth) throws IOException {
        if (depth > 40) {
            throw new IOException("download of " + remote + " failed: folders nested over 40 deep (a link loop?)");
        }
        List<net.schmizz.sshj.sftp.RemoteResourceInfo> entries = new ArrayList<>(sftp.ls(remote));
        entries.sort(java.util.Comparator.comparing(net.schmizz.sshj.sftp.RemoteResourceInfo::getName));
        for (var entry : entries) {
            String path = remote + "/" + entry.getName();
            FileMode.Type type = entry.getAttributes().getType();
            if (type == FileMode.Type.SYMLINK) {
                type = sftp.stat(path).getType();
            }
            Path target = local.resolve(entry.getName());
            if (type == FileMode.Type.DIRECTORY) {
                Files.createDirectories(target);
                fetchFolder(sftp, path, prefix + entry.getName() + "/", target, received, hash, depth + 1);
            } else if (type == FileMode.Type.REGULAR) {
                received.add(fetchFile(sftp, path, prefix + entry.getName(), target, hash));
            }
        }
    }

    @Override
    public String describe() {
        return endpoint.describe();
    }

    /** False once the connection is known to be gone (sshj may notice a dropped connection only later). */
    public boolean isConnected() {
        return !broken && client.isConnected() && client.getTransport().isRunning();
    }

    @Override
    public void close() {
        closeQuietly(client);
        closeQuietly(jump);
    }

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable != null) {
            try {
                closeable.close();
            } catch (Exception e) {
                // closing is best effort: the other side may be gone already
            }
        }
    }
}
