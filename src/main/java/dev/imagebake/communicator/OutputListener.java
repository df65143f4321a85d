package dev.imagebake.communicator;

/** Receives a remote command's output as it arrives, one line at a time. */
@FunctionalInterface
public interface OutputListener {
    enum Stream { STDOUT, STDERR }

    void line(Stream stream, String line);

    OutputListener IGNORE = (stream, line) -> { };
}
