package dev.imagebake.dsl;

import dev.imagebake.plan.SourcePosition;

/** One problem found in a template, at the place the user must change. */
public record Diagnostic(SourcePosition at, String message) {
    private static final java.util.regex.Pattern OMITTED = java.util.regex.Pattern.compile(
            "(\\d+) more errors? (is|are) not shown");

    /** The last line of a list of errors cut short: how many more there were. */
    public static Diagnostic omitted(SourcePosition at, int count) {
        return new Diagnostic(at, count + (count == 1 ? " more error is" : " more errors are") + " not shown");
    }

    /** How many errors the diagnostics stand for: those shown, and those a last line says were not. */
    public static long count(java.util.List<Diagnostic> diagnostics) {
        long n = diagnostics.size();
        if (n > 0) {
            java.util.regex.Matcher m = OMITTED.matcher(diagnostics.get((int) n - 1).message());
            if (m.matches()) {
                n += Long.parseLong(m.group(1)) - 1;
            }
        }
        return n;
    }

    @Override
    public String toString() {
        return at + ": " + message;
    }
}
