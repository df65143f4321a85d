package dev.imagebake.emulator.vm;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * Reads the headers of a tarball (POSIX ustar, pax and GNU long names; plain or gzip, the other compressions undone
 * before) before anything is unpacked,
 * and refuses every entry that could write outside the layer: absolute paths, {@code ..}, entries at or below a
 * symbolic link of the same archive, hard links to anything but a file given earlier, and device nodes other than
 * overlay whiteouts (character device 0:0). Symbolic links themselves may point anywhere: they are resolved inside
 * the machine, never while unpacking.
 */
final class TarballCheck {
    private static final int BLOCK = 512;
    private static final int MAX_HEADER_DATA = 1 << 20;

    private final Path tarball;
    private final List<String> allowed;
    private final Set<String> symlinks = new HashSet<>();
    private final Set<String> files = new HashSet<>();

    private TarballCheck(Path tarball, List<String> allowed) {
        this.tarball = tarball;
        this.allowed = allowed;
    }

    /**
     * @param tarball the file to read
     * @param shown   the name messages give it
     * @param allowed the top-level directories the content may hold
     */
    static void check(Path tarball, Path shown, List<String> allowed) throws VmRuntimeException {
        try (InputStream in = open(tarball)) {
            new TarballCheck(shown, allowed).read(in);
        } catch (EOFException e) {
            throw new ImageContentException("The tarball " + shown + " is truncated.");
        } catch (IOException e) {
            throw new ImageContentException("cannot read the tarball " + shown + ": " + e.getMessage());
        }
    }

    private static InputStream open(Path tarball) throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(tarball), 65536);
        raw.mark(2);
        boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
        raw.reset();
        return gzip ? new GZIPInputStream(raw, 65536) : raw;
    }

    private void read(InputStream in) throws IOException, ImageContentException {
        byte[] header = new byte[BLOCK];
        String longName = null;
        String longLink = null;
        Map<String, String> pax = new HashMap<>();
        while (true) {
            int read = in.readNBytes(header, 0, BLOCK);
            if (read == 0 || read == BLOCK && isZero(header)) {
                return;
            }
            if (read < BLOCK) {
                throw new EOFException();
            }
            if (!checksumMatches(header)) {
                throw refuse("is not a tar archive (plain, or compressed with gzip, xz, bzip2 or zstd)");
            }
            char type = (char) header[156];
            long size = pax.containsKey("size") ? paxSize(pax.get("size")) : number(header, 124, 12);
            switch (type) {
                case 'L' -> longName = cString(data(in, size));
                case 'K' -> longLink = cString(data(in, size));
                case 'x' -> pax = paxRecords(data(in, size));
                case 'g' -> skip(in, size);
                default -> {
                    String name = pax.getOrDefault("path", longName != null ? longName : ustarName(header));
                    String link = pax.getOrDefault("linkpath", longLink != null ? longLink
                            : cString(header, 157, 100));
                    entry(type, name, link, number(header, 329, 8), number(header, 337, 8));
                    skip(in, size);
                    longName = null;
                    longLink = null;
                    pax = new HashMap<>();
                }
            }
        }
    }

    private void entry(char type, String name, String link, long major, long minor) throws ImageContentException {
        String path = relative(name);
        if (path.isEmpty()) {
            if (type != '5') {
                throw refuse("has an entry '" + name + "' that is not a path");
            }
            return;
        }
        String top = path.split("/", 2)[0];
        if (!allowed.contains(top)) {
            throw new ImageContentException("In the tarball " + tarball + ": " + LayerImport.notOverlaid(top,
                    allowed));
        }
        if (top.equals(path) && type != '5') {
            throw refuse("has '" + name + "' at the top, which must be a directory");
        }
        checkNotThroughLink(name, path);
        switch (type) {
            case '0', '\0', '7' -> files.add(path);
            case '5', '6' -> files.remove(path);
            case '2' -> {
                files.remove(path);
                symlinks.add(path);
            }
            case '1' -> {
                String target = relative(link);
                checkNotThroughLink(link, target);
                if (!files.contains(target)) {
                    throw refuse("has a hard link '" + name + "' to '" + link + "', which is not a file given"
                            + " earlier in the archive");
                }
                files.add(path);
            }
            case '3' -> {
                if (major != 0 || minor != 0) {
                    throw refuse("has a device node '" + name + "'; only overlay whiteouts (character device 0:0)"
                            + " are accepted");
                }
                files.remove(path);
            }
            default -> throw refuse("has an entry '" + name + "' of type '" + type + "', which the emulator does"
                    + " not unpack (files, directories, links, FIFOs and whiteouts only)");
        }
    }

    /** The path inside the layer, without "." parts; refuses absolute paths and "..". */
    private String relative(String name) throws ImageContentException {
        if (name.startsWith("/")) {
            throw refuse("has an absolute path '" + name + "'; entries must be relative to the image's root");
        }
        List<String> parts = new ArrayList<>();
        for (String part : name.split("/")) {
            if (part.equals("..")) {
                throw refuse("has a path '" + name + "' with '..'; entries must stay inside the image's root");
            }
            if (!part.isEmpty() && !part.equals(".")) {
                parts.add(part);
            }
        }
        return String.join("/", parts);
    }

    /** An entry at or below a symbolic link of the archive would be written wherever the link points. */
    private void checkNotThroughLink(String name, String path) throws ImageContentException {
        for (int slash = path.indexOf('/'); ; slash = path.indexOf('/', slash + 1)) {
            String prefix = slash < 0 ? path : path.substring(0, slash);
            if (symlinks.contains(prefix)) {
                throw refuse("has an entry '" + name + "' at or below the symbolic link '" + prefix
                        + "' of the same archive");
            }
            if (slash < 0) {
                return;
            }
        }
    }

    private ImageContentException refuse(String what) {
        return new ImageContentException("The tarball " + tarball + " " + what + ".");
    }

    private static byte[] data(InputStream in, long size) throws IOException, ImageContentException {
        if (size < 0 || size > MAX_HEADER_DATA) {
            throw new ImageContentException("a tar extension header of " + size + " bytes is too large");
        }
        byte[] data = in.readNBytes((int) size);
        if (data.length < size) {
            throw new EOFException();
        }
        in.skipNBytes(padding(size));
        return data;
    }

    private static void skip(InputStream in, long size) throws IOException {
        in.skipNBytes(size + padding(size));
    }

    private static long padding(long size) {
        return (BLOCK - size % BLOCK) % BLOCK;
    }

    /** pax records: "LENGTH KEY=VALUE\n", LENGTH counting the whole record in bytes. */
    private static Map<String, String> paxRecords(byte[] data) throws ImageContentException {
        Map<String, String> records = new HashMap<>();
        int at = 0;
        while (at < data.length) {
            int space = indexOf(data, (byte) ' ', at);
            int length;
            try {
                length = Integer.parseInt(new String(data, at, space - at, StandardCharsets.US_ASCII));
            } catch (RuntimeException e) {
                throw new ImageContentException("a pax header of the tarball is malformed");
            }
            if (space < 0 || length <= space - at + 1 || at + length > data.length) {
                throw new ImageContentException("a pax header of the tarball is malformed");
            }
            String record = new String(data, space + 1, at + length - space - 2, StandardCharsets.UTF_8);
            int equals = record.indexOf('=');
            if (equals > 0) {
                records.put(record.substring(0, equals), record.substring(equals + 1));
            }
            at += length;
        }
        return records;
    }

    private static long paxSize(String text) throws ImageContentException {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new ImageContentException("a pax header of the tarball gives the size '" + text + "'");
        }
    }

    private static int indexOf(byte[] data, byte wanted, int from) {
        for (int i = from; i < data.length; i++) {
            if (data[i] == wanted) {
                return i;
            }
        }
        return -1;
    }

    private static String ustarName(byte[] header) {
        String name = cString(header, 0, 100);
        boolean posix = cString(header, 257, 6).equals("ustar") && header[262] == 0;
        String prefix = posix ? cString(header, 345, 155) : "";
        return prefix.isEmpty() ? name : prefix + "/" + name;
    }

    private static String cString(byte[] data) {
        return cString(data, 0, data.length);
    }

    private static String cString(byte[] data, int offset, int length) {
        int end = offset;
        while (end < offset + length && data[end] != 0) {
            end++;
        }
        return new String(data, offset, end - offset, StandardCharsets.UTF_8);
    }

    /** Octal, or base-256 when the first byte has its high bit set (GNU, for large values). */
    private static long number(byte[] header, int offset, int length) throws ImageContentException {
        if ((header[offset] & 0x80) != 0) {
            long value = header[offset] & 0x7f;
            for (int i = offset + 1; i < offset + length; i++) {
                value = (value << 8) | (header[i] & 0xff);
            }
            return value;
        }
        String text = cString(header, offset, length).trim();
        try {
            return text.isEmpty() ? 0 : Long.parseLong(text, 8);
        } catch (NumberFormatException e) {
            throw new ImageContentException("a tar header holds '" + text + "' where a number belongs");
        }
    }

    private static boolean checksumMatches(byte[] header) throws ImageContentException {
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += i >= 148 && i < 156 ? ' ' : header[i] & 0xff;
        }
        String stored = cString(header, 148, 8).trim();
        return !stored.isEmpty() && stored.chars().allMatch(c -> c >= '0' && c <= '7')
                && Long.parseLong(stored, 8) == sum;
    }

    private static boolean isZero(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }
}
