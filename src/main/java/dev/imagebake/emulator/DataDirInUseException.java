package dev.imagebake.emulator;

import java.io.IOException;

/** Another emulator holds the data folder: a user's mistake to state plainly, not a failure to trace. */
public final class DataDirInUseException extends IOException {
    DataDirInUseException(String message) {
        super(message);
    }
}
