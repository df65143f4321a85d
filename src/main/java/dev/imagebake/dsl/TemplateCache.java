package dev.imagebake.dsl;

import dev.imagebake.dsl.sandbox.SandboxCompiler;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Compiled templates, kept per user so that evaluating an unchanged template skips the Groovy compiler (most of
 * the time of {@code validate}). An entry is keyed by the SHA-256 of the template's text and of the imagebake jar
 * that compiled it (its path, size and time), so a new build of imagebake never reuses old bytecode. Only
 * templates that compiled cleanly are stored.
 *
 * <p>Cached bytecode runs as the user, so the cache trusts only what the user wrote: every entry carries an
 * HMAC-SHA256 under a random key kept in the folder ({@code key}, mode 0600), and the folder, the key and each entry
 * must belong to the user and give no permission to group or others. Anything else (a folder someone else owns or
 * can write, a link, an entry whose tag does not match) is not used: the template is compiled from source, and a
 * cache that fails the ownership checks is ignored altogether with one warning.
 */
public final class TemplateCache {
    private static final int MAX_ENTRY_BYTES = 16 << 20;
    private static final int TAG_BYTES = 32;
    private static final int KEY_BYTES = 32;
    private static final String KEY_FILE = "key";
    private static final Set<PosixFilePermission> OPEN_TO_OTHERS = Set.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private final Path folder;
    private final String compilerIdentity;
    private final Consumer<String> warnings;
    private boolean refused;
    private byte[] key;

    private TemplateCache(Path folder, String compilerIdentity, Consumer<String> warnings) {
        this.folder = folder.toAbsolutePath().normalize();
        this.compilerIdentity = compilerIdentity;
        this.warnings = warnings;
    }

    /**
     * The cache for this user, or null when imagebake does not run from a jar (tests, IDE), neither
     * {@code XDG_CACHE_HOME} nor {@code HOME} is set, or {@code IMAGEBAKE_NO_CACHE} is set.
     *
     * @param warnings where the one line explaining why an untrustworthy cache is ignored goes
     */
    public static TemplateCache forUser(Map<String, String> environment, Consumer<String> warnings) {
        if (environment.containsKey("IMAGEBAKE_NO_CACHE")) {
            return null;
        }
        String identity = jarIdentity();
        Path folder = folderFor(environment);
        if (identity == null || folder == null) {
            return null;
        }
        return new TemplateCache(folder, identity, warnings);
    }

    /** {@code $XDG_CACHE_HOME/imagebake/templates}, else {@code $HOME/.cache/imagebake/templates}, else null. */
    static Path folderFor(Map<String, String> environment) {
        String xdg = environment.get("XDG_CACHE_HOME");
        String home = environment.get("HOME");
        Path root = xdg != null && !xdg.isBlank() ? Path.of(xdg)
                : home != null && !home.isBlank() ? Path.of(home, ".cache") : null;
        return root == null || !root.isAbsolute() ? null : root.resolve("imagebake").resolve("templates");
    }

    /** A cache in {@code folder} for a given compiler identity (for specs and the training run). */
    public static TemplateCache at(Path folder, String compilerIdentity, Consumer<String> warnings) {
        return new TemplateCache(folder, compilerIdentity, warnings);
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

    synchronized SandboxCompiler.Compiled get(String source) {
        if (!usable(false)) {
            return null;
        }
        String name = entryName(source);
        Path entry = folder.resolve(name);
        byte[] bytes;
        try (InputStream in = Files.newInputStream(entry, LinkOption.NOFOLLOW_LINKS)) {
            if (!trusted(entry)) {
                return null;
            }
            bytes = in.readNBytes(MAX_ENTRY_BYTES + 1);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            return null; // not a regular file, or unreadable: a miss
        }
        if (bytes.length <= TAG_BYTES || bytes.length > MAX_ENTRY_BYTES) {
            return null;
        }
        int length = bytes.length - TAG_BYTES;
        byte[] expected = tag(name, bytes, length);
        if (!MessageDigest.isEqual(expected, Arrays.copyOfRange(bytes, length, bytes.length))) {
            return null; // not written by this user's imagebake: compiled again, and replaced
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, 0, length))) {
            String main = in.readUTF();
            int count = in.readInt();
            Map<String, byte[]> classes = new LinkedHashMap<>();
            for (int i = 0; i < count; i++) {
                String className = in.readUTF();
                int size = in.readInt();
                if (size < 0 || size > length) {
                    return null;
                }
                classes.put(className, in.readNBytes(size));
            }
            return new SandboxCompiler.Compiled(main, classes);
        } catch (IOException e) {
            return null;
        }
    }

    synchronized void put(String source, SandboxCompiler.Compiled compiled) {
        try {
            if (!usable(true)) {
                return;
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
            String name = entryName(source);
            byte[] payload = bytes.toByteArray();
            bytes.write(tag(name, payload, payload.length));
            Path temporary = Files.createTempFile(folder, ".entry-", ".tmp", PRIVATE_FILE);
            try {
                Files.write(temporary, bytes.toByteArray());
                Files.move(temporary, folder.resolve(name), StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(temporary);
            }
        } catch (IOException | UnsupportedOperationException e) {
            // a cache that cannot be written only costs speed
        }
    }

    private static final java.nio.file.attribute.FileAttribute<Set<PosixFilePermission>> PRIVATE_FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    /**
     * Whether the folder (created when {@code create}) is the user's own and private, and the key is loaded. The
     * first failed check warns and turns this cache off for good.
     */
    private boolean usable(boolean create) {
        if (refused) {
            return false;
        }
        try {
            if (create && !Files.exists(folder, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(folder, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            }
            if (!Files.exists(folder, LinkOption.NOFOLLOW_LINKS) || !trusted(folder)) {
                return false;
            }
            if (key == null) {
                key = loadKey(create);
            }
            return key != null;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /**
     * The folder's key, made when there is none and {@code create}. It is written to a private temporary file and
     * linked into place, so that two processes making it at once agree on one key and no one reads a partial key.
     */
    private byte[] loadKey(boolean create) throws IOException {
        Path file = folder.resolve(KEY_FILE);
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            if (!create) {
                return null;
            }
            byte[] fresh = new byte[KEY_BYTES];
            new SecureRandom().nextBytes(fresh);
            Path temporary = Files.createTempFile(folder, ".key-", ".tmp", PRIVATE_FILE);
            try {
                Files.write(temporary, fresh, StandardOpenOption.WRITE);
                Files.createLink(file, temporary);
            } catch (FileAlreadyExistsException e) {
                // another imagebake made it first: use that one
            } finally {
                Files.deleteIfExists(temporary);
            }
        }
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            if (!trusted(file)) {
                return null;
            }
            byte[] bytes = in.readNBytes(KEY_BYTES + 1);
            return bytes.length == KEY_BYTES ? bytes : null;
        }
    }

    /**
     * Whether {@code path} is not a link, belongs to the user and gives nothing to group or others; warns (once)
     * and turns the cache off when not.
     */
    private boolean trusted(Path path) throws IOException {
        PosixFileAttributes attributes = Files.readAttributes(path, PosixFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS);
        String problem = null;
        if (attributes.isSymbolicLink()) {
            problem = "is a symbolic link";
        } else {
            int owner = (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            long me = currentUid();
            Set<PosixFilePermission> open = attributes.permissions();
            if (owner != me) {
                problem = "belongs to uid " + owner + ", not to you (uid " + me + ")";
            } else if (open.stream().anyMatch(OPEN_TO_OTHERS::contains)) {
                problem = "is open to group or others (" + PosixFilePermissions.toString(open) + ")";
            }
        }
        if (problem != null) {
            refused = true;
            warnings.accept("warning: ignoring the template cache: " + path + " " + problem
                    + "; compiling templates from source");
            return false;
        }
        return true;
    }

    private static long currentUid() {
        return new com.sun.security.auth.module.UnixSystem().getUid();
    }

    private byte[] tag(String name, byte[] payload, int length) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(name.getBytes(StandardCharsets.UTF_8));
            mac.update((byte) 0);
            mac.update(payload, 0, length);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private String entryName(String source) {
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
