package dev.imagebake.emulator;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/** The emulator's folder: what lives where, and the one way files in it are written. */
public record DataDir(Path root) {
    public DataDir {
        root = root.toAbsolutePath().normalize();
    }

    public Path cloudFile() {
        return root.resolve("cloud.json");
    }

    public Path identityFile() {
        return root.resolve("identity.json");
    }

    /** The federated identity credentials of the emulator's application (workload identity federation). */
    public Path federatedCredentialsFile() {
        return root.resolve("federated-credentials.json");
    }

    /** The tenant's subscriptions besides the default one (which is in the identity file). */
    public Path subscriptionsFile() {
        return root.resolve("subscriptions.json");
    }

    public Path stateFile() {
        return root.resolve("state.json");
    }

    public Path requestLog() {
        return root.resolve("requests.log");
    }

    public Path caCertificate() {
        return root.resolve("ca.pem");
    }

    public Path caKey() {
        return root.resolve("ca-key.pem");
    }

    public Path serverCertificate() {
        return root.resolve("server.pem");
    }

    public Path serverKey() {
        return root.resolve("server-key.pem");
    }

    void create() throws IOException {
        Files.createDirectories(root);
    }

    /**
     * Replaces {@code file} with {@code text} so that a crash leaves either the old or the new content, never a
     * torn file: write a temporary sibling, force it to disk, then rename it over the target.
     */
    public static void writeAtomically(Path file, String text, boolean secret) throws IOException {
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(temp);
        Files.createFile(temp);
        if (secret) {
            restrictToOwner(temp);
        }
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
            channel.force(true);
        }
        try {
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void restrictToOwner(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system (Windows): the folder's own permissions apply.
        }
    }
}
