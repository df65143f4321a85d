package dev.imagebake.builder;

import dev.imagebake.plan.Build;
import dev.imagebake.plan.FileStep;
import dev.imagebake.plan.ShellStep;
import dev.imagebake.plan.Step;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * The hash of each provisioning step of a build, for {@code build --resume}: the step's definition as evaluated
 * (variable values included, sensitive ones too: they only ever enter the hash), its options, and the content of
 * the local files it sends (shell scripts, uploaded files and folders). Where a step is declared does not count, so
 * that inserting a comment above it changes nothing.
 */
public final class StepHashes {
    private StepHashes() {
    }

    public static List<String> of(Build build, Path templateFolder) {
        List<String> hashes = new ArrayList<>();
        for (Step step : build.steps()) {
            hashes.add(of(step, templateFolder));
        }
        return hashes;
    }

    static String of(Step step, Path folder) {
        MessageDigest digest = sha256();
        update(digest, step.kind());
        update(digest, step.spec().toString());
        // Written out as the record printed itself before `checkpoint` existed: marking a checkpoint changes no hash.
        var o = step.options();
        update(digest, "StepOptions[timeout=" + o.timeout() + ", retries=" + o.retries() + ", pauseBefore="
                + o.pauseBefore() + ", only=" + o.only() + ", except=" + o.except() + "]");
        for (Path input : inputs(step, folder)) {
            file(digest, input);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** The local files a step sends: its shell scripts, or the file or folder it uploads. */
    private static List<Path> inputs(Step step, Path folder) {
        List<Path> inputs = new ArrayList<>();
        if (step.spec() instanceof ShellStep shell) {
            for (String script : shell.scripts()) {
                inputs.add(folder.resolve(script));
            }
        } else if (step.spec() instanceof FileStep file && "upload".equals(file.direction()) && file.source() != null) {
            inputs.add(folder.resolve(file.source()));
        }
        return inputs;
    }

    /**
     * What the files a step sends look like from outside (names, sizes, modification times), cheap to take as the
     * step starts: when a later {@link #of(Step, Path)} finds the same stamp, its hash describes what the step sent.
     */
    public static String stamp(Step step, Path folder) {
        StringBuilder stamp = new StringBuilder();
        try {
            for (Path input : inputs(step, folder)) {
                if (Files.isDirectory(input)) {
                    List<Path> files;
                    try (Stream<Path> walk = Files.walk(input)) {
                        files = walk.filter(Files::isRegularFile).sorted().toList();
                    }
                    for (Path f : files) {
                        stamp.append(input.relativize(f)).append(' ').append(Files.size(f)).append(' ')
                                .append(Files.getLastModifiedTime(f)).append('\n');
                    }
                } else if (Files.isRegularFile(input)) {
                    stamp.append(input).append(' ').append(Files.size(input)).append(' ')
                            .append(Files.getLastModifiedTime(input)).append('\n');
                } else {
                    stamp.append("missing ").append(input).append('\n');
                }
            }
        } catch (IOException e) {
            return "unreadable: " + e; // never equal to a stamp taken later, so the step counts as changed
        }
        return stamp.toString();
    }

    /** A file's bytes, or a folder's files (relative names and bytes, in name order); a missing path as such. */
    private static void file(MessageDigest digest, Path path) {
        try {
            if (Files.isDirectory(path)) {
                List<Path> files;
                try (Stream<Path> walk = Files.walk(path)) {
                    files = walk.filter(Files::isRegularFile).sorted().toList();
                }
                for (Path f : files) {
                    update(digest, path.relativize(f).toString());
                    content(digest, f);
                }
            } else if (Files.isRegularFile(path)) {
                content(digest, path);
            } else {
                update(digest, "missing " + path.getFileName());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A file's length and bytes, as {@link #update(MessageDigest, byte[])} would add them, read in 64 KiB pieces:
     * one call over a whole large array stays in the interpreter, where SHA-256 runs at a tenth of its compiled speed.
     */
    private static void content(MessageDigest digest, Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            digest.update(java.nio.ByteBuffer.allocate(8).putLong(Files.size(file)).array());
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                digest.update(buffer, 0, n);
            }
        }
    }

    private static void update(MessageDigest digest, String text) {
        update(digest, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Length-prefixed, so that two fields cannot run into each other. */
    private static void update(MessageDigest digest, byte[] bytes) {
        digest.update(java.nio.ByteBuffer.allocate(8).putLong(bytes.length).array());
        digest.update(bytes);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
