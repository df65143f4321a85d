package dev.imagebake.communicator;

import java.util.ArrayList;
import java.util.List;

/**
 * Checks, on the machine, what a transfer left there: every file's size always, and its SHA-256 where the machine
 * has {@code sha256sum} and the caller asked for it. The commands print sizes and sums only, never file names, so
 * that names with spaces, quotes or newlines cannot confuse the reading; files are given in the same order as they
 * were sent.
 */
final class RemoteChecks {
    static final String NO_SHA256SUM = "no-sha256sum";
    private static final String SEPARATOR = "--";

    private RemoteChecks() {
    }

    /** Prints the size of the file in {@code $f}, then (if asked) its sum or {@value #NO_SHA256SUM}. */
    static String ofFileIn(String variable, boolean hash) {
        String size = "wc -c < \"$" + variable + "\"";
        if (!hash) {
            return size;
        }
        return size + " && { if command -v sha256sum >/dev/null 2>&1; then sha256sum < \"$" + variable
                + "\"; else echo " + NO_SHA256SUM + "; fi; }";
    }

    /**
     * A command that reads NUL-separated file names (relative to {@code folderQuoted}) on its standard input and
     * prints each one's size, a separator line, then each one's sum (or {@value #NO_SHA256SUM}).
     */
    static String ofFilesIn(String folderQuoted, boolean hash) {
        String sums = hash ? "if command -v sha256sum >/dev/null 2>&1; then xargs -0 -r sha256sum -- < \"$l\" || exit 4;"
                + " else echo " + NO_SHA256SUM + "; fi" : "true";
        return "cd " + folderQuoted + " || exit 2; l=$(mktemp) || exit 2; trap 'rm -f \"$l\"' EXIT; cat > \"$l\";"
                + " xargs -0 -r stat -L -c %s -- < \"$l\" || exit 3; echo " + SEPARATOR + "; " + sums;
    }

    /** The names as {@link #ofFilesIn} reads them. */
    static byte[] names(List<FileEntry> files) {
        StringBuilder out = new StringBuilder();
        for (FileEntry file : files) {
            out.append(file.name()).append('\0');
        }
        return out.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** What the machine reported of one file. */
    static FileEntry parseFile(String name, List<String> lines, boolean hash) throws TransferFailedException {
        if (lines.isEmpty() || (hash && lines.size() < 2)) {
            throw new TransferFailedException("the machine did not report the size and checksum of " + name
                    + " (got: " + String.join(" | ", lines) + ")");
        }
        return new FileEntry(name, size(name, lines.get(0)), hash ? sum(lines.get(1)) : null);
    }

    /** What the machine reported of several files, in the order they were asked about. */
    static List<FileEntry> parseFiles(List<FileEntry> asked, List<String> lines) throws TransferFailedException {
        int separator = lines.indexOf(SEPARATOR);
        if (separator != asked.size()) {
            throw new TransferFailedException("the machine reported " + Math.max(separator, 0) + " file sizes for "
                    + asked.size() + " files");
        }
        List<String> sums = lines.subList(separator + 1, lines.size());
        boolean hashed = !sums.isEmpty() && !sums.get(0).equals(NO_SHA256SUM) && !sums.get(0).equals("true");
        if (hashed && sums.size() != asked.size()) {
            throw new TransferFailedException("the machine reported " + sums.size() + " checksums for "
                    + asked.size() + " files");
        }
        List<FileEntry> seen = new ArrayList<>();
        for (int i = 0; i < asked.size(); i++) {
            String name = asked.get(i).name();
            seen.add(new FileEntry(name, size(name, lines.get(i)), hashed ? sum(sums.get(i)) : null));
        }
        return seen;
    }

    private static long size(String name, String line) throws TransferFailedException {
        try {
            return Long.parseLong(line.trim());
        } catch (NumberFormatException e) {
            throw new TransferFailedException("the machine reported '" + line + "' as the size of " + name);
        }
    }

    /** The sum from a {@code sha256sum} line ({@code HEX  -}, or {@code \HEX  name} for an escaped name); null for none. */
    private static String sum(String line) throws TransferFailedException {
        if (line.equals(NO_SHA256SUM)) {
            return null;
        }
        String text = line.startsWith("\\") ? line.substring(1) : line;
        if (text.length() < 64 || !text.substring(0, 64).matches("[0-9a-f]{64}")) {
            throw new TransferFailedException("the machine's sha256sum printed '" + line + "'");
        }
        return text.substring(0, 64);
    }

    /**
     * Compares what was sent with what arrived, file by file.
     *
     * @param what     the transfer, for messages ({@code upload of a.txt to /tmp/a.txt})
     * @param upload   whether the sending side is this host (else the machine)
     * @param sent     each file as the sending side had it
     * @param received each file as the receiving side has it (sum null when it could not be computed)
     */
    static Transfer compare(String what, boolean upload, List<FileEntry> sent, List<FileEntry> received,
                            boolean multiple) throws TransferFailedException {
        long bytes = 0;
        boolean hashed = true;
        for (int i = 0; i < sent.size(); i++) {
            FileEntry from = sent.get(i);
            FileEntry to = received.get(i);
            String file = multiple ? "'" + from.name() + "'" : "the file";
            String there = upload ? "the machine has" : "this host received";
            if (from.size() != to.size()) {
                throw new TransferFailedException(what + ": " + file + " did not arrive whole: " + from.size()
                        + " bytes sent, " + there + " " + to.size());
            }
            if (from.sha256() != null && to.sha256() != null && !from.sha256().equals(to.sha256())) {
                throw new TransferFailedException(what + ": " + file + " arrived corrupted: SHA-256 sent "
                        + from.sha256() + ", " + there + " " + to.sha256());
            }
            hashed &= from.sha256() != null && to.sha256() != null;
            bytes += to.size();
        }
        return new Transfer(bytes, sent.size(), hashed);
    }
}
