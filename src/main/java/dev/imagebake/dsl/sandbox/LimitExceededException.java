package dev.imagebake.dsl.sandbox;

/** Evaluation went over a time, size or memory limit. */
public final class LimitExceededException extends SandboxException {
    public LimitExceededException(String message, int line, int column) {
        super(message, line, column);
    }
}
