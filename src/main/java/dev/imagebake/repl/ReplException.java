package dev.imagebake.repl;

/** A REPL command that cannot be done, with a message that says why and what to do. */
public final class ReplException extends RuntimeException {
    public ReplException(String message) {
        super(message);
    }
}
