package dev.imagebake.dsl;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * The only part of the host a template can see: files below the template's own folder, read-only. Paths are
 * relative; {@code ..}, absolute paths and symbolic links that lead out of the folder are refused.
 */
public final class TemplateFiles {
    static final int MAX_FILE_BYTES = 1 << 20;
    private final Path root;
    private final java.util.Map<String, String> readFrom = new java.util.HashMap<>();

    /** @param root the template's folder, or null when the template has none (text from standard input) */
    public TemplateFiles(Path root) {
        this.root = root == null ? null : root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    /** The file {@code relative} names, checked to be inside the template's folder. */
    Path resolve(String relative) {
        if (root == null) {
            throw new TemplateError("this template has no folder to read '" + relative + "' from");
        }
        if (relative.isEmpty() || relative.indexOf('\0') >= 0) {
            throw new TemplateError("a file path must not be empty");
        }
        Path given = Path.of(relative);
        if (given.isAbsolute()) {
            throw new TemplateError("'" + relative + "' is absolute; give a path relative to the template's folder");
        }
        Path target = root.resolve(given).normalize();
        if (!target.startsWith(root)) {
            throw new TemplateError("'" + relative + "' leads out of the template's folder; templates can only use "
                    + "files in their own folder and below");
        }
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Path real = target.toRealPath();
                if (!real.startsWith(root.toRealPath())) {
                    throw new TemplateError("'" + relative + "' is a link that leads out of the template's folder");
                }
            } catch (IOException e) {
                throw new TemplateError("cannot read '" + relative + "': " + dev.imagebake.util.IoErrors.reason(e));
            }
        }
        return target;
    }

    /** Whether a file or folder exists at {@code relative}; for checking paths that steps will use later. */
    boolean exists(String relative) {
        return Files.exists(resolve(relative));
    }

    /** The path (as the template gave it) of a file whose whole text is {@code text}, or null. */
    String readFrom(String text) {
        return readFrom.get(text);
    }

    String read(String relative) {
        Path target = resolve(relative);
        if (!Files.isRegularFile(target)) {
            throw new TemplateError("no file '" + relative + "' next to the template");
        }
        try {
            if (Files.size(target) > MAX_FILE_BYTES) {
                throw new TemplateError("'" + relative + "' is larger than " + (MAX_FILE_BYTES >> 20)
                        + " MiB; upload it with a file provisioner instead of reading it into the template");
            }
            String text = StandardCharsets.UTF_8.newDecoder()
                    .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(target))).toString();
            readFrom.put(text, relative);
            return text;
        } catch (CharacterCodingException e) {
            throw new TemplateError("'" + relative + "' is not UTF-8 text");
        } catch (IOException e) {
            throw new TemplateError("cannot read '" + relative + "': " + dev.imagebake.util.IoErrors.reason(e));
        }
    }
}
