package dev.imagebake.dsl.sandbox;

/**
 * A value of the template language's own (for example {@code var} or an image source) that templates may read
 * properties of, and nothing else.
 */
public interface TemplateValue {
    /** The value of {@code name}, or a {@link SandboxException} explaining which names exist. */
    Object templateProperty(String name);
}
