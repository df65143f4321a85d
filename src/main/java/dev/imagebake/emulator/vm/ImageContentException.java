package dev.imagebake.emulator.vm;

/** Files offered as an image's content that the emulator refuses; the message says what to change. */
public final class ImageContentException extends VmRuntimeException {
    public ImageContentException(String message) {
        super(message);
    }
}
