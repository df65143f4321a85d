package dev.imagebake.communicator;

import java.io.IOException;

/**
 * An SSH connection could not be made or used. {@code retryable} tells whether trying again may help (the machine
 * is still booting) or not (wrong key, wrong host key).
 */
public class ConnectionFailedException extends IOException {
    private final boolean retryable;

    public ConnectionFailedException(String message, boolean retryable, Throwable cause) {
        super(message, cause);
        this.retryable = retryable;
    }

    public boolean retryable() {
        return retryable;
    }
}
