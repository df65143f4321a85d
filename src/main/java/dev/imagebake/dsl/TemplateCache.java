package dev.imagebake.dsl;

import dev.imagebake.dsl.sandbox.SandboxCompiler;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Compiled templates, kept per user so that evaluating an unchanged template skips the Groovy compiler (most of
 * the time of {@code validate}). An entry is keyed by the SHA-256 of the template's text and of the imagebake jar
 * that compiled it (its path, size and time), so a new build of imagebake never reuses old bytecode. Only
 * templates that compiled cleanly are stored; the folder is private to the user (0700).
 */
public final class TemplateCache {
    private static final int MAX_ENTRY_BYTES = 16 << 20;
    private final Path folder;
    private final String compilerIdentity;

    private TemplateCache(Path folder, String compilerIdentity) {
        this.folder = folder;
        this.compilerIdentity = compilerIdentity;
    }

    /**
     * The cache for this user, or null when imagebake does not run from a jar (tests, IDE) or
     * {@code IMAGEBAKE_NO_CACHE} is set.
     */
    public static TemplateCache forUser(Map<String, String> environment) {
        if (environment.containsKey("IMAGEBAKE_NO_CACHE")) {
            return null;
        }
        String identity = jarIdentity();
        if (identity == null) {
            return null;
        }
        String base = environment.get("XDG_CACHE_HOME");
        Path root = base != null && !base.isBlank() ? Path.of(base)
                : Path.of(System.getProperty("user.home"), ".cache");
        return new TemplateCache(root.resolve("imagebake").resolve("templates"), identity);
    }

    /** A cache in {@code folder} for a given compiler identity (for specs and the training run). */
    public static TemplateCache at(Path folder, String compilerIdentity) {
        return new TemplateCache(folder, compilerIdentity);
    }

    private static String jarIdentity() {
        try {
            Path jar = Path.of(SandboxCompiler.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (!Files.isRegularFile(jar)) {
                return null;
            }
            return jar.toAbsolutePath() + "|" + Files.size(jar) + "|" + Files.getLastModifiedTime(jar).toMillis();
        } catch (IOException | URISyntaxException | SecurityException | NullPointerException e) {
            return null;
        }
    }

    SandboxCompiler.Compiled get(String source) {
        Path entry = folder.resolve(key(source));
        if (!Files.isRegularFile(entry)) {
            return null;
        }
        try (DataInputStream in = new DataInputStream(Files.newInputStream(entry))) {
            String main = in.readUTF();
            int count = in.readInt();
            Map<String, byte[]> classes = new LinkedHashMap<>();
            for (int i = 0; i < count; i++) {
                String name = in.readUTF();
                int length = in.readInt();
                if (length < 0 || length > MAX_ENTRY_BYTES) {
                    return null;
                }
                classes.put(name, in.readNBytes(length));
            }
            return new SandboxCompiler.Compiled(main, classes);
        } catch (IOException e) {
            return null; // a damaged entry is a miss; the next put replaces it
        }
    }

    void put(String source, SandboxCompiler.Compiled compiled) {
        try {
            if (!Files.isDirectory(folder)) {
                Files.createDirectories(folder, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeUTF(compiled.mainClass());
                out.writeInt(compiled.classes().size());
                for (Map.Entry<String, byte[]> c : compiled.classes().entrySet()) {
                    out.writeUTF(c.getKey());
                    out.writeInt(c.getValue().length);
                    out.write(c.getValue());
                }
            }
            Path temporary = Files.createTempFile(folder, ".entry-", ".tmp");
            Files.write(temporary, bytes.toByteArray());
            Files.move(temporary, folder.resolve(key(source)), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | UnsupportedOperationException e) {
            // a cache that cannot be written only costs speed
        }
    }

    private String key(String source) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(compilerIdentity.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            digest.update(source.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
