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

    /**
     * Copies a local file, or a folder and everything in it, to {@code remote}; file modes are kept. Every file's
     * size on the machine is checked against what was sent, and its SHA-256 too when {@code verifyHash} is set
     * and the machine has {@code sha256sum}.
     *
     * @throws TransferFailedException when a file did not arrive whole
     */
    Transfer upload(Path local, String remote, boolean verifyHash) throws IOException;

    /** {@link #upload(Path, String, boolean)} with every checksum compared. */
    default Transfer upload(Path local, String remote) throws IOException {
        return upload(local, remote, true);
    }

    /** Writes {@code content} to the remote file {@code remote} with the given mode, checked like any upload. */
    Transfer upload(byte[] content, String remote, int mode) throws IOException;

    /**
     * Copies a remote file to exactly {@code local}, or a remote folder's contents into the folder {@code local};
     * each file is checked against the machine's copy as uploads are.
     */
    Transfer download(String remote, Path local, boolean verifyHash) throws IOException;

    /** {@link #download(String, Path, boolean)} with every checksum compared. */
    default Transfer download(String remote, Path local) throws IOException {
        return download(remote, local, true);
    }

    /** A short description for messages, for example {@code deploy@10.1.2.3:22}. */
    String describe();

    @Override
    void close();
}
