package dev.imagebake.cli;

/** The exit codes of every imagebake command (documented in the README). */
public final class ExitCodes {
    /** The command did what was asked. */
    public static final int OK = 0;
    /** The build, or another action, failed. */
    public static final int FAILED = 1;
    /** The template or the command line is invalid. */
    public static final int INVALID = 2;
    /** Interrupted by Ctrl-C or SIGTERM. */
    public static final int INTERRUPTED = 130;

    private ExitCodes() {
    }
}
