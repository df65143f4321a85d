package dev.imagebake.communicator;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 of what a transfer sends or receives, computed while the bytes pass, not by reading them twice. */
final class Digests {
    private Digests() {
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hex(MessageDigest digest) {
        return HexFormat.of().formatHex(digest.digest());
    }

    /** Copies {@code in} (at most {@code limit} bytes of it) to {@code out}, and describes what was copied. */
    static FileEntry copy(String name, InputStream in, OutputStream out, long limit) throws IOException {
        MessageDigest digest = sha256();
        byte[] buffer = new byte[64 * 1024];
        long size = 0;
        for (int n; size < limit && (n = in.read(buffer, 0, (int) Math.min(buffer.length, limit - size))) >= 0; ) {
            digest.update(buffer, 0, n);
            out.write(buffer, 0, n);
            size += n;
        }
        return new FileEntry(name, size, hex(digest));
    }

    /** Describes a local file as it is now. */
    static FileEntry of(String name, Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return copy(name, in, OutputStream.nullOutputStream(), Long.MAX_VALUE);
        }
    }
}
