package dev.imagebake.importer;

/** Input the import cannot read at all: the message names the file, and line and column where known. */
public final class UnreadableTemplateException extends Exception {
    public UnreadableTemplateException(String message) {
        super(message);
    }
}
