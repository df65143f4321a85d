package dev.imagebake.engine;

import dev.imagebake.communicator.Communicator;
import dev.imagebake.communicator.ConnectionFailedException;
import dev.imagebake.communicator.SshCommunicator;
import dev.imagebake.communicator.SshEndpoint;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

/**
 * The build machine as steps see it: an SSH endpoint and a connection to it that is re-made when it drops (a
 * reboot, a network restart). Tools that connect on their own (Ansible) get the key and the verified host key as
 * files, deleted when the build ends.
 */
public final class Machine implements AutoCloseable {
    private static final Duration JUMP_KEY_TIMEOUT = Duration.ofSeconds(15);
    private final SshEndpoint endpoint;
    private final Path ownKeyFile;
    private final Path ownJumpKeyFile;
    private final Duration connectTimeout;
    private final BuildContext context;
    private volatile SshCommunicator current;
    /** What the last {@link #interruptCommands()} did, until {@link #takeInterruption()} takes it. */
    private final java.util.concurrent.atomic.AtomicReference<List<SshCommunicator.Stop>> interruption =
            new java.util.concurrent.atomic.AtomicReference<>();
    private String knownHostsLine;
    private String jumpKnownHostsLine;
    private Path toolFiles;
    private String keptFolderPrefix = "imagebake-kept-";

    public Machine(SshEndpoint endpoint, Duration connectTimeout, BuildContext context) {
        this(endpoint, null, null, connectTimeout, context);
    }

    /**
     * @param ownKeyFile     the file the template read the endpoint's private key from, or null: a person logging
     *                       in is pointed at it rather than at a copy
     * @param ownJumpKeyFile the same for the jump host's key
     */
    public Machine(SshEndpoint endpoint, Path ownKeyFile, Path ownJumpKeyFile, Duration connectTimeout,
                   BuildContext context) {
        this.endpoint = endpoint;
        this.ownKeyFile = ownKeyFile;
        this.ownJumpKeyFile = ownJumpKeyFile;
        this.connectTimeout = connectTimeout;
        this.context = context;
    }

    /**
     * How the folder that {@code --on-error=abort} keeps files in is named (then a random part): a builder that
     * records this name with its resources lets {@code gc} remove the folder with them.
     */
    public synchronized void keptFolderPrefix(String prefix) {
        this.keptFolderPrefix = prefix;
    }

    public SshEndpoint endpoint() {
        return endpoint;
    }

    /** A live connection: the current one, or a new one (waiting up to the connect timeout). */
    public synchronized SshCommunicator communicator() throws ConnectionFailedException, InterruptedException {
        if (current == null || !current.isConnected()) {
            if (current != null) {
                current.close();
            }
            current = connect(connectTimeout);
        }
        return current;
    }

    /**
     * A live connection: the current one, or a new one, waiting up to {@code timeout} for the machine to answer (for
     * example while it reboots) instead of the connect timeout.
     */
    public synchronized SshCommunicator communicator(Duration timeout) throws ConnectionFailedException,
            InterruptedException {
        if (current == null || !current.isConnected()) {
            return reconnect(timeout);
        }
        return current;
    }

    /** Connects anew, waiting up to {@code timeout}, and makes that the current connection. */
    public synchronized SshCommunicator reconnect(Duration timeout) throws ConnectionFailedException,
            InterruptedException {
        if (current != null) {
            current.close();
        }
        current = connect(timeout);
        return current;
    }

    private SshCommunicator connect(Duration timeout) throws ConnectionFailedException, InterruptedException {
        try (AutoCloseable waiting = context.reporter().waiting(context.name(), "connecting to "
                + endpoint.describe())) {
            SshCommunicator connected = SshCommunicator.connect(endpoint, timeout, message -> { });
            knownHostsLine = connected.knownHostsLine();
            return connected;
        } catch (ConnectionFailedException | InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Ends the commands running on the machine now; the connection stays. Not synchronized: a step that is
     * (re)connecting holds the lock for up to the connect timeout, and a timeout or Ctrl-C must not wait for that.
     */
    public List<SshCommunicator.Stop> interruptCommands() {
        SshCommunicator communicator = current;
        List<SshCommunicator.Stop> stops = communicator == null ? List.of() : communicator.interruptCommands();
        interruption.set(stops);
        return stops;
    }

    /**
     * What the last {@link #interruptCommands()} since the previous call did to each command it found (null when
     * there was none), so that whoever reports an interruption can say whether the commands are really gone.
     */
    public List<SshCommunicator.Stop> takeInterruption() {
        return interruption.getAndSet(null);
    }

    /** A private key file (0600) for tools, when the machine is reached with a key. */
    public synchronized Path privateKeyFile() throws IOException {
        Path file = files().resolve("id");
        if (!Files.exists(file)) {
            String text = endpoint.privateKey();
            if (text == null) {
                return null;
            }
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, text.endsWith("\n") ? text : text + "\n", StandardCharsets.UTF_8);
        }
        return file;
    }

    /**
     * An {@code ssh} command a person can paste to log in while the build runs (at a breakpoint): its key and
     * known_hosts files live in this build's owner-only folder, deleted when the build ends.
     */
    public synchronized LoginCommand.Login loginCommand() throws IOException {
        return login(files());
    }

    /**
     * An {@code ssh} command that logs in to a machine kept by {@code --on-error=abort}, after the build has ended.
     * Its known_hosts file (the host keys this build verified) and, for a key that lived only in memory, a copy of
     * the key (0600) go in a new owner-only (0700) folder that outlives the build; a key the template read from a
     * file is used from that file, never copied.
     */
    public synchronized LoginCommand.Login keptLoginCommand() throws IOException {
        Path folder = Files.createTempDirectory(keptFolderPrefix, PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        LoginCommand.Login command = login(folder);
        try (var left = Files.list(folder)) {
            if (left.findAny().isEmpty()) {
                Files.delete(folder);
            }
        }
        return command;
    }

    private LoginCommand.Login login(Path folder) throws IOException {
        Path key = ownKeyFile != null ? ownKeyFile : keyCopy(folder, "id", endpoint.privateKey());
        StringBuilder known = new StringBuilder();
        if (knownHostsLine != null) {
            known.append(knownHostsLine).append('\n');
        }
        LoginCommand.Jump jump = null;
        if (endpoint.via() != null && jumpKnownHostsLine() != null) {
            known.append(jumpKnownHostsLine).append('\n');
            jump = new LoginCommand.Jump(ownJumpKeyFile != null ? ownJumpKeyFile
                    : keyCopy(folder, "jump_id", endpoint.via().privateKey()));
        }
        Path knownHosts = null;
        if (!known.isEmpty()) {
            knownHosts = folder.resolve("known_hosts");
            Files.writeString(knownHosts, known, StandardCharsets.UTF_8);
        }
        return LoginCommand.of(endpoint, key, knownHosts, jump);
    }

    /** A copy (0600) of a key that lives only in memory; null when there is no key. */
    private static Path keyCopy(Path folder, String name, String text) throws IOException {
        if (text == null) {
            return null;
        }
        Path file = folder.resolve(name);
        if (!Files.exists(file)) {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, text.endsWith("\n") ? text : text + "\n", StandardCharsets.UTF_8);
        }
        return file;
    }

    /**
     * The jump host's key as a known_hosts line, learnt from a connection of its own (verified as the build's was);
     * null when the jump host cannot be reached now.
     */
    private String jumpKnownHostsLine() {
        if (jumpKnownHostsLine == null) {
            try (SshCommunicator jump = SshCommunicator.connect(endpoint.via(), JUMP_KEY_TIMEOUT, message -> { })) {
                jumpKnownHostsLine = jump.knownHostsLine();
            } catch (ConnectionFailedException e) {
                return null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return jumpKnownHostsLine;
    }

    /** A known_hosts file holding the host key this build verified. */
    public synchronized Path knownHostsFile() throws IOException, ConnectionFailedException, InterruptedException {
        Path file = files().resolve("known_hosts");
        Files.writeString(file, communicator().knownHostsLine() + "\n");
        return file;
    }

    private Path files() throws IOException {
        if (toolFiles == null) {
            toolFiles = Files.createTempDirectory("imagebake-", PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
        }
        return toolFiles;
    }

    @Override
    public synchronized void close() {
        if (current != null) {
            current.close();
            current = null;
        }
        if (toolFiles != null) {
            try (var files = Files.walk(toolFiles)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                context.warn(dev.imagebake.util.IoErrors.cannot("delete", toolFiles, e));
            }
            toolFiles = null;
        }
    }
}
