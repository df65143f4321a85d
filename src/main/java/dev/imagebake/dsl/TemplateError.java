package dev.imagebake.dsl;

/** A keyword was given a value it cannot use. Raised inside a keyword; the evaluation records it and goes on. */
public class TemplateError extends RuntimeException {
    public TemplateError(String message) {
        super(message, null, false, false);
    }
}
