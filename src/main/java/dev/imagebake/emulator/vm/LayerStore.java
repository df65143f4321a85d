package dev.imagebake.emulator.vm;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Immutable image layers under {@code DATA/vm/layers/ID/}: a frozen copy of a machine's overlay upper directories
 * (whiteouts and overlay attributes included), or of a local folder or tarball ({@link LayerImport}). The ID is
 * the SHA-256 of the content, so capturing the same content twice stores it once.
 */
final class LayerStore {
    private final Path root;

    LayerStore(Path root) {
        this.root = root;
    }

    Path path(String id) throws VmRuntimeException {
        if (!id.matches("[0-9a-f]{64}")) {
            throw new VmRuntimeException("'" + id + "' is not a layer id");
        }
        Path layer = root.resolve(id);
        if (!Files.isDirectory(layer)) {
            throw new VmRuntimeException("the image layer " + id + " is missing from " + root);
        }
        return layer;
    }

    /** Copies {@code upper} (with owners, modes, devices and attributes) into a new layer and returns its id. */
    String freeze(Path upper) throws VmRuntimeException {
        return store("the machine's layer " + upper, staging -> run("cannot copy the machine's layer " + upper,
                "cp", "-a", upper + "/.", staging.toString()));
    }

    /** Writes a layer's content into an empty folder. */
    interface Filler {
        void fill(Path staging) throws IOException, InterruptedException, VmRuntimeException;
    }

    /**
     * Fills a staging folder and moves it into place under the id of its content, or throws it away if a layer
     * with that content exists. Returns the id.
     */
    String store(String what, Filler filler) throws VmRuntimeException {
        Path staging = root.resolve(".staging-" + UUID.randomUUID());
        try {
            Files.createDirectories(staging);
            filler.fill(staging);
            String id = digest(staging);
            Path target = root.resolve(id);
            if (Files.isDirectory(target)) {
                remove(staging);
            } else {
                try {
                    Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (FileSystemException e) {
                    // An import of the same content may have stored it meanwhile.
                    if (!Files.isDirectory(target)) {
                        throw e;
                    }
                    remove(staging);
                }
            }
            return id;
        } catch (IOException | InterruptedException e) {
            remove(staging);
            throw new VmRuntimeException("cannot freeze " + what + ": " + e.getMessage(), e);
        } catch (VmRuntimeException | RuntimeException e) {
            remove(staging);
            throw e;
        }
    }

    /** A fresh path next to the layers (same file system, hidden from machines) for a temporary file. */
    Path scratch(String suffix) {
        return root.resolve(".scratch-" + UUID.randomUUID() + suffix);
    }

    /** Runs a host tool and throws with its output when it fails. */
    static void run(String failure, String... command) throws IOException, InterruptedException,
            VmRuntimeException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new VmRuntimeException(failure + ": " + output.strip());
        }
    }

    /** Paths, types, owners, modes, device numbers, link targets, user attributes and contents, in path order. */
    private static String digest(Path tree) throws IOException {
        MessageDigest sha = sha256();
        try (Stream<Path> walk = Files.walk(tree)) {
            for (Path path : walk.sorted().toList()) {
                Map<String, Object> a = Files.readAttributes(path, "unix:mode,uid,gid,rdev,size",
                        LinkOption.NOFOLLOW_LINKS);
                sha.update((tree.relativize(path) + "\0" + a.get("mode") + "\0" + a.get("uid") + "\0" + a.get("gid")
                        + "\0" + a.get("rdev") + "\0").getBytes(StandardCharsets.UTF_8));
                if (Files.isSymbolicLink(path)) {
                    sha.update(Files.readSymbolicLink(path).toString().getBytes(StandardCharsets.UTF_8));
                } else {
                    if (Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
                        try (InputStream in = Files.newInputStream(path)) {
                            byte[] buffer = new byte[65536];
                            for (int n; (n = in.read(buffer)) > 0; ) {
                                sha.update(buffer, 0, n);
                            }
                        }
                    }
                    // Overlay keeps its markers (opaque directories) in user.* attributes of directories;
                    // reading attributes of a whiteout (a device node) would open the device.
                    UserDefinedFileAttributeView xattrs = Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)
                            ? Files.getFileAttributeView(path, UserDefinedFileAttributeView.class,
                            LinkOption.NOFOLLOW_LINKS) : null;
                    if (xattrs != null) {
                        for (String name : xattrs.list().stream().sorted().toList()) {
                            ByteBuffer value = ByteBuffer.allocate(xattrs.size(name));
                            xattrs.read(name, value);
                            sha.update(name.getBytes(StandardCharsets.UTF_8));
                            sha.update(value.flip());
                        }
                    }
                }
                sha.update((byte) '\n');
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Deletes a folder tree (machine disks and staging copies), whatever odd files it holds. */
    static void remove(Path tree) {
        if (!Files.exists(tree, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Process rm = new ProcessBuilder("rm", "-rf", "--one-file-system", tree.toString())
                    .redirectErrorStream(true).start();
            rm.getInputStream().readAllBytes();
            rm.waitFor(5, TimeUnit.MINUTES);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    List<Path> paths(List<String> ids) throws VmRuntimeException {
        Path[] paths = new Path[ids.size()];
        for (int i = 0; i < paths.length; i++) {
            paths[i] = path(ids.get(i));
        }
        return List.of(paths);
    }
}
