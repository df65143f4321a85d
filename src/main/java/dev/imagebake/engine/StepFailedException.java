package dev.imagebake.engine;

/** A step failed in a way that is fully explained by its message (no stack trace is useful to users). */
public class StepFailedException extends Exception {
    public StepFailedException(String message) {
        super(message, null, false, false);
    }

    public StepFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
