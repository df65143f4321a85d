package dev.imagebake.engine;

/**
 * A build that resumes ({@code build --resume}) found what the earlier run kept gone or changed: a resource no
 * longer there or no longer tagged with that build's id, a key copy removed. Nothing can be resumed.
 */
public class KeptMachineGoneException extends StepFailedException {
    public KeptMachineGoneException(String message) {
        super(message);
    }

    public KeptMachineGoneException(String message, Throwable cause) {
        super(message, cause);
    }
}
