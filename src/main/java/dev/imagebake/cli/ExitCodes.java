package dev.imagebake.cli;

/** The exit codes of every imagebake command (documented in the README). */
public final class ExitCodes {
    /** The command did what was asked. */
    public static final int OK = 0;
    /** The build, or another action, failed. */
    public static final int FAILED = 1;
    /** The template or the command line is invalid. */
    public static final int INVALID = 2;
    /**
     * {@code build --resume} found nothing to resume: no resume record beside the template, an expired one, no entry
     * for the build, or a kept machine that is gone (or no longer presents its host key).
     */
    public static final int NOTHING_TO_RESUME = 3;
    /** {@code build --resume} refused: a step that ran before the failure changed, and no {@code --from} was given. */
    public static final int RESUME_REFUSED = 4;
    /** Interrupted by Ctrl-C or SIGTERM. */
    public static final int INTERRUPTED = 130;

    private ExitCodes() {
    }
}
