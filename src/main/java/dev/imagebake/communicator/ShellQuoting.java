package dev.imagebake.communicator;

/** POSIX shell quoting, so that values reach remote commands unchanged whatever they contain. */
public final class ShellQuoting {
    private ShellQuoting() {
    }

    /** {@code value} as one single-quoted shell word: quotes, spaces, {@code $} and newlines stay literal. */
    public static String quote(String value) {
        return "'" + value.replace("'", "'\"'\"'") + "'";
    }
}
