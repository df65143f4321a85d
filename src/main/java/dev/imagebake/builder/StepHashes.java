package dev.imagebake.builder;

import dev.imagebake.plan.Build;
import dev.imagebake.plan.FileStep;
import dev.imagebake.plan.ShellStep;
import dev.imagebake.plan.Step;

import java.io.IOException;
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
        if (step.spec() instanceof ShellStep shell) {
            for (String script : shell.scripts()) {
                file(digest, folder.resolve(script));
            }
        } else if (step.spec() instanceof FileStep file && "upload".equals(file.direction()) && file.source() != null) {
            file(digest, folder.resolve(file.source()));
        }
        return HexFormat.of().formatHex(digest.digest());
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
                    update(digest, Files.readAllBytes(f));
                }
            } else if (Files.isRegularFile(path)) {
                update(digest, Files.readAllBytes(path));
            } else {
                update(digest, "missing " + path.getFileName());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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
