package dev.imagebake.communicator;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A connection to a build machine: runs commands with live output and moves files. Provisioners see only this,
 * so a spec can stand in for it; {@link SshCommunicator} is the real one.
 */
public interface Communicator extends AutoCloseable {
    /**
     * Runs a command in one remote session and waits for it.
     *
     * @return its exit status, or that the connection dropped while it ran
     */
    CommandResult run(RemoteCommand command, OutputListener output) throws IOException, InterruptedException;

    /** Copies a local file, or a folder and everything in it, to {@code remote}; file modes are kept. */
    void upload(Path local, String remote) throws IOException;

    /** Writes {@code content} to the remote file {@code remote} with the given mode. */
    void upload(byte[] content, String remote, int mode) throws IOException;

    /** Copies a remote file or folder to {@code local}. */
    void download(String remote, Path local) throws IOException;

    /** A short description for messages, for example {@code deploy@10.1.2.3:22}. */
    String describe();

    @Override
    void close();
}
