package dev.imagebake.communicator;

import java.io.IOException;

/** An upload or download that did not arrive whole, or could not be checked: what arrived is not to be trusted. */
public final class TransferFailedException extends IOException {
    public TransferFailedException(String message) {
        super(message);
    }
}
