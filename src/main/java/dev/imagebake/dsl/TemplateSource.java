package dev.imagebake.dsl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A template's text and where it came from.
 *
 * @param displayName how errors name the file (the path as the user typed it)
 * @param folder      the folder {@code file(...)} and step paths are relative to; null for none
 * @param root        the folder those paths must stay in: {@code folder}, or a folder above it ({@code --root})
 */
public record TemplateSource(String displayName, Path folder, String text, Path root) {
    /** A template whose paths stay in its own folder. */
    public TemplateSource(String displayName, Path folder, String text) {
        this(displayName, folder, text, folder);
    }

    public static TemplateSource read(Path path) throws IOException {
        byte[] bytes = Files.readAllBytes(path);
        Path folder = path.toAbsolutePath().getParent();
        return new TemplateSource(path.toString(), folder, new String(bytes, StandardCharsets.UTF_8));
    }

    /** The same template, with paths allowed anywhere below {@code root} (which holds its folder). */
    public TemplateSource withRoot(Path root) {
        return new TemplateSource(displayName, folder, text, root);
    }
}
