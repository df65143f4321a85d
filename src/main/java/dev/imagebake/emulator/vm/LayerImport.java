package dev.imagebake.emulator.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A layer made from a local folder or tarball instead of a machine's disk. The folder is copied with {@code cp -a};
 * the tarball is copied, checked ({@link TarballCheck}) and unpacked with GNU tar; both as root so that numeric owners, modes and links stay as given; the
 * source is only read. Since the sandbox overlays only some top-level directories of the host (see
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
            throw new ImageContentException(source + " is neither a folder nor a .tar, .tar.gz or .tgz file.");
        }
        // Checked and unpacked from a private copy, so that the file cannot change between the two.
        Path copy = layers.scratch(".tar");
        try {
            Files.copy(source, copy);
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
        return Files.isRegularFile(source) && (name.endsWith(".tar") || name.endsWith(".tar.gz")
                || name.endsWith(".tgz"));
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
