package dev.imagebake.dsl;

import dev.imagebake.plan.SourcePosition;

/** One problem found in a template, at the place the user must change. */
public record Diagnostic(SourcePosition at, String message) {
    @Override
    public String toString() {
        return at + ": " + message;
    }
}
