package dev.imagebake.communicator;

import java.util.Map;

/** POSIX shell quoting, so that values reach remote commands unchanged whatever they contain. */
public final class ShellQuoting {
    private ShellQuoting() {
    }

    /** {@code value} as one single-quoted shell word: quotes, spaces, {@code $} and newlines stay literal. */
    public static String quote(String value) {
        return "'" + value.replace("'", "'\"'\"'") + "'";
    }

    /** {@code export NAME='value'} lines for a script's prelude. Names must already be valid identifiers. */
    public static String exports(Map<String, String> env) {
        StringBuilder out = new StringBuilder();
        env.forEach((name, value) -> out.append("export ").append(name).append('=').append(quote(value)).append('\n'));
        return out.toString();
    }
}
