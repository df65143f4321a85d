package dev.imagebake.communicator;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Writes a folder as a POSIX tar stream (ustar; long names in PAX headers), so that a whole tree crosses one SSH
 * session into {@code tar -x} with its file modes.
 */
final class TarStream {
    private static final int BLOCK = 512;

    private TarStream() {
    }

    /** @return the regular files written, with the size and SHA-256 of the bytes that went into the stream */
    static List<FileEntry> write(Path root, OutputStream out) throws IOException {
        List<FileEntry> written = new java.util.ArrayList<>();
        List<Path> entries;
        try (Stream<Path> walk = Files.walk(root)) {
            entries = walk.sorted().toList();
        }
        for (Path path : entries) {
            String name = root.relativize(path).toString().replace('\\', '/');
            if (name.isEmpty()) {
                continue;
            }
            boolean dir = Files.isDirectory(path);
            if (dir) {
                name += "/";
            }
            long size = dir ? 0 : Files.size(path);
            header(out, name, mode(path, dir), size, dir ? '5' : '0');
            if (!dir) {
                FileEntry entry;
                try (InputStream in = Files.newInputStream(path)) {
                    // At most the size the header announced: a file that grows meanwhile must not corrupt the stream.
                    entry = Digests.copy(name, in, out, size);
                }
                if (entry.size() != size) {
                    throw new TransferFailedException(path + " shrank while it was being uploaded (" + size
                            + " bytes when the upload started, " + entry.size() + " then)");
                }
                written.add(entry);
                pad(out, size);
            }
        }
        out.write(new byte[BLOCK * 2]);
        return written;
    }

    private static int mode(Path path, boolean dir) throws IOException {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(path);
            int mode = 0;
            for (PosixFilePermission p : perms) {
                mode |= 1 << (8 - p.ordinal());
            }
            return mode;
        } catch (UnsupportedOperationException e) {
            return dir || Files.isExecutable(path) ? 0755 : 0644;
        }
    }

    private static void header(OutputStream out, String name, int mode, long size, char type) throws IOException {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        if (nameBytes.length > 100) {
            // A PAX extended header carries the full path; the ustar name field keeps a truncated copy.
            String record = " path=" + name + "\n";
            int length = record.getBytes(StandardCharsets.UTF_8).length;
            int total = length + String.valueOf(length).length();
            total = length + String.valueOf(total).length();
            byte[] pax = (total + record).getBytes(StandardCharsets.UTF_8);
            header(out, "PaxHeader", 0644, pax.length, 'x');
            out.write(pax);
            pad(out, pax.length);
            nameBytes = java.util.Arrays.copyOf(nameBytes, 100);
        }
        byte[] h = new byte[BLOCK];
        System.arraycopy(nameBytes, 0, h, 0, nameBytes.length);
        octal(h, 100, 8, mode);
        octal(h, 108, 8, 0);
        octal(h, 116, 8, 0);
        octal(h, 124, 12, size);
        octal(h, 136, 12, System.currentTimeMillis() / 1000);
        java.util.Arrays.fill(h, 148, 156, (byte) ' ');
        h[156] = (byte) type;
        System.arraycopy("ustar\u000000".getBytes(StandardCharsets.US_ASCII), 0, h, 257, 8);
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        octal(h, 148, 7, sum);
        out.write(h);
    }

    private static void octal(byte[] h, int offset, int length, long value) {
        String text = Long.toOctalString(value);
        String padded = "0".repeat(Math.max(0, length - 1 - text.length())) + text;
        byte[] bytes = padded.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(bytes, 0, h, offset, Math.min(bytes.length, length - 1));
        h[offset + length - 1] = 0;
    }

    private static void pad(OutputStream out, long size) throws IOException {
        int rest = (int) (size % BLOCK);
        if (rest != 0) {
            out.write(new byte[BLOCK - rest]);
        }
    }
}
