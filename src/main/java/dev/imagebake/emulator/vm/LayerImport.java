package dev.imagebake.emulator.vm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A layer made from a local folder or tarball instead of a machine's disk. The folder is copied with {@code cp -a};
 * the tarball is copied (xz, bzip2 and zstd undone with the host's own commands), checked ({@link TarballCheck}) and
 * unpacked with GNU tar; both as root so that numeric owners, modes and links stay as given; the source is only read. Since the sandbox overlays only some top-level directories of the host (see
 * {@link Sandbox#overlaidHere()}), the content must consist of those directories and nothing else.
 */
final class LayerImport {
    private LayerImport() {
    }

    /** Stores the content of {@code source} as a layer and returns its id. */
    static String store(LayerStore layers, Path source) throws VmRuntimeException {
        List<String> allowed = Sandbox.overlaidHere();
        if (Files.isDirectory(source, LinkOption.NOFOLLOW_LINKS)) {
            checkTopLevel(source, allowed);
            return layers.store("the folder " + source, staging -> LayerStore.run("cannot copy the folder " + source,
                    "cp", "-a", "--", source + "/.", staging.toString()));
        }
        if (!isTarball(source)) {
            throw new ImageContentException(source + " is neither a folder nor a " + VmRuntime.TARBALLS + " file.");
        }
        // Checked and unpacked from a private copy, so that the file cannot change between the two; xz, bzip2 and
        // zstd are undone while copying (gzip is read as it is).
        Path copy = layers.scratch(".tar");
        try {
            copyDecompressed(source, copy);
            TarballCheck.check(copy, source, allowed);
            return layers.store("the tarball " + source, staging -> {
                // Second line of defence behind the check: GNU tar itself refuses '..' and strips leading '/'.
                LayerStore.run("cannot unpack the tarball " + source, "tar", "--extract", "--file", copy.toString(),
                        "--directory", staging.toString(), "--numeric-owner", "--same-owner", "--same-permissions",
                        "--no-xattrs", "--no-acls", "--no-selinux");
                checkTopLevel(staging, allowed);
            });
        } catch (IOException e) {
            throw new VmRuntimeException("cannot copy the tarball " + source + ": " + e.getMessage(), e);
        } finally {
            LayerStore.remove(copy);
        }
    }

    private static boolean isTarball(Path source) {
        String name = source.getFileName() == null ? "" : source.getFileName().toString();
        return Files.isRegularFile(source) && VmRuntime.TARBALL_SUFFIXES.stream().anyMatch(name::endsWith);
    }

    /** Copies {@code source} to {@code copy}, decompressing xz, bzip2 and zstd (told by their magic bytes). */
    private static void copyDecompressed(Path source, Path copy) throws IOException, VmRuntimeException {
        byte[] magic = new byte[6];
        int read;
        try (var in = Files.newInputStream(source)) {
            read = in.readNBytes(magic, 0, magic.length);
        }
        String[] tool = read >= 6 && magic[0] == (byte) 0xfd && magic[1] == '7' && magic[2] == 'z' && magic[3] == 'X'
                && magic[4] == 'Z' && magic[5] == 0 ? new String[] {"xz", "xz-utils"}
                : read >= 3 && magic[0] == 'B' && magic[1] == 'Z' && magic[2] == 'h' ? new String[] {"bzip2", "bzip2"}
                : read >= 4 && magic[0] == 0x28 && magic[1] == (byte) 0xb5 && magic[2] == 0x2f
                && magic[3] == (byte) 0xfd ? new String[] {"zstd", "zstd"} : null;
        if (tool == null) {
            Files.copy(source, copy);
            return;
        }
        Process process;
        try {
            process = new ProcessBuilder(tool[0], "-dc", "--", source.toString())
                    .redirectOutput(copy.toFile()).start();
        } catch (IOException e) {
            throw new ImageContentException("The tarball " + source + " is " + tool[0] + "-compressed, and the "
                    + tool[0] + " command is not on the emulator's host (Debian package " + tool[1] + ").");
        }
        process.getOutputStream().close();
        String errors = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        try {
            if (process.waitFor() != 0) {
                throw new ImageContentException("cannot decompress the tarball " + source + " with " + tool[0] + ": "
                        + errors);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new VmRuntimeException("interrupted while decompressing " + source, e);
        }
    }

    /** Only real directories named like an overlaid directory of the host; a link there would lead out of it. */
    private static void checkTopLevel(Path tree, List<String> allowed) throws VmRuntimeException {
        try (Stream<Path> entries = Files.list(tree)) {
            for (Path entry : entries.sorted().toList()) {
                String name = entry.getFileName().toString();
                if (!allowed.contains(name)) {
                    throw new ImageContentException(notOverlaid(name, allowed));
                }
                if (!Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
                    throw new ImageContentException("'" + name + "' at the top of the image content must be a"
                            + " directory, not a link or file.");
                }
            }
        } catch (IOException e) {
            throw new VmRuntimeException("cannot read " + tree + ": " + e.getMessage(), e);
        }
    }

    static String notOverlaid(String name, List<String> allowed) {
        return "'" + name + "' at the top of the image content is not a directory the emulator's machines take"
                + " from images on this host; use only " + String.join(", ", allowed) + " (the files are laid over"
                + " the host's root, which stays below them).";
    }
}
