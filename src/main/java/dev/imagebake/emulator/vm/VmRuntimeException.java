package dev.imagebake.emulator.vm;

/** A machine could not be booted, captured or set up; the message says why and what to do. */
public class VmRuntimeException extends Exception {
    public VmRuntimeException(String message) {
        super(message);
    }

    public VmRuntimeException(String message, Throwable cause) {
        super(message, cause);
    }
}
