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

/**
 * The build machine as steps see it: an SSH endpoint and a connection to it that is re-made when it drops (a
 * reboot, a network restart). Tools that connect on their own (Ansible) get the key and the verified host key as
 * files, deleted when the build ends.
 */
public final class Machine implements AutoCloseable {
    private final SshEndpoint endpoint;
    private final Duration connectTimeout;
    private final BuildContext context;
    private SshCommunicator current;
    private Path toolFiles;

    public Machine(SshEndpoint endpoint, Duration connectTimeout, BuildContext context) {
        this.endpoint = endpoint;
        this.connectTimeout = connectTimeout;
        this.context = context;
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
            return SshCommunicator.connect(endpoint, timeout, message -> { });
        } catch (ConnectionFailedException | InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Ends the commands running on the machine now; the connection stays. */
    public synchronized void interruptCommands() {
        if (current != null) {
            current.interruptCommands();
        }
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
     * A copy of the private key (0600, in a 0700 folder of its own) that outlives the build, for a person to log in
     * to a machine kept by {@code --on-error=abort}; null when the machine is not reached with a key.
     */
    public synchronized Path keptPrivateKeyFile() throws IOException {
        String text = endpoint.privateKey();
        if (text == null) {
            return null;
        }
        Path folder = Files.createTempDirectory("imagebake-kept-", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Path file = Files.createFile(folder.resolve("id"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, text.endsWith("\n") ? text : text + "\n", StandardCharsets.UTF_8);
        return file;
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
                context.warn("could not delete " + toolFiles + ": " + e.getMessage());
            }
            toolFiles = null;
        }
    }
}
