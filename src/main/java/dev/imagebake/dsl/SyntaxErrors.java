package dev.imagebake.dsl;

import dev.imagebake.plan.SourcePosition;

import java.util.regex.Pattern;

/**
 * Groovy's parser says what it could not read ("Unexpected input: '{'", "Unexpected character: '\''") and where it
 * gave up. This says what is probably wrong in the common cases, and what to do, at the place to change.
 */
final class SyntaxErrors {
    private static final Pattern UNEXPECTED_QUOTE = Pattern.compile("Unexpected character: '(\\\\'|\")'");
    private static final Pattern UNEXPECTED_INPUT = Pattern.compile("Unexpected input: '.*'", Pattern.DOTALL);

    private SyntaxErrors() {
    }

    static Diagnostic explain(TemplateSource source, int line, int column, String message) {
        String text = source.text().lines().skip(line - 1).findFirst().orElse("");
        int index = Math.min(column - 1, text.length());
        if (UNEXPECTED_QUOTE.matcher(message).matches()) {
            // The lexer gives up at a quote: either a string that never ends, or a "${" inside one that never closes.
            int interpolation = text.lastIndexOf("${", index);
            if (interpolation >= 0 && text.substring(interpolation, index).indexOf('}') < 0) {
                return at(source, line, interpolation + 1,
                        "`${` is not closed: end the expression with `}` before the string's closing quote");
            }
            char quote = index < text.length() ? text.charAt(index) : '\'';
            return at(source, line, column, "this string is not closed: end it with " + quote + " on the same line, "
                    + "or use " + quote + quote + quote + " for text over several lines");
        }
        if (message.equals("Unexpected input: '{'")) {
            return at(source, line, column, "the block that opens here does not parse: check that it ends with `}` "
                    + "and that every `(`, `[` and string inside it is closed");
        }
        String token = tokenAt(text, index);
        if (UNEXPECTED_INPUT.matcher(message).matches() && !token.isEmpty()) {
            return at(source, line, column, "unexpected `" + token + "`: remove it if it is extra, or close the "
                    + "bracket or string that is open before it");
        }
        // The lexer quotes the character it stopped at as it is: a NUL or DEL would reach the terminal raw.
        return at(source, line, column, String.join("\n", message.lines()
                .map(dev.imagebake.util.IoErrors::visible).toList()));
    }

    /** The word or the single character at {@code index}. */
    private static String tokenAt(String text, int index) {
        int end = index;
        while (end < text.length() && Character.isJavaIdentifierPart(text.charAt(end))) {
            end++;
        }
        if (end == index && index < text.length()) {
            end = index + 1;
        }
        return text.substring(index, end).trim();
    }

    private static Diagnostic at(TemplateSource source, int line, int column, String message) {
        return new Diagnostic(new SourcePosition(source.displayName(), line, column), message);
    }
}
