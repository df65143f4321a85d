package dev.imagebake.builder.azure;

import dev.imagebake.communicator.SshCommunicator;
import dev.imagebake.engine.StepFailedException;
import dev.imagebake.util.IoErrors;
import dev.imagebake.util.PrivateKeys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The user's own private key ({@code sshPrivateKeyFile}), read when the build starts: the build logs in with it
 * instead of a generated key, and the VM's admin user gets its public half. The text is a secret: whoever reads it
 * adds it to the build's secrets before anything can print it.
 *
 * @param file           the key's file, as a person would pass it to {@code ssh -i}
 * @param privateKeyText the key's text
 * @param publicLine     its public half as an {@code authorized_keys} line
 */
record OwnSshKey(Path file, String privateKeyText, String publicLine) {

    /**
     * Reads the key that the plan names; {@code given} is relative to the template's folder, absolute, or
     * {@code ~/...}, as the template gave it (and as validate checked it).
     */
    static OwnSshKey read(Path templateFolder, String given, String comment) throws StepFailedException {
        Path file = given.startsWith("~/") ? Path.of(System.getProperty("user.home"), given.substring(2))
                : Path.of(given).isAbsolute() || templateFolder == null ? Path.of(given)
                : templateFolder.resolve(given).normalize();
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new StepFailedException("sshPrivateKeyFile: no file " + file);
        } catch (IOException e) {
            throw new StepFailedException("sshPrivateKeyFile: cannot read " + file + ": " + IoErrors.reason(e));
        }
        if (PrivateKeys.encrypted(text)) {
            throw new StepFailedException("sshPrivateKeyFile: the private key " + file + " is encrypted (it has a "
                    + "passphrase), and imagebake cannot ask for it: use a copy without a passphrase");
        }
        try {
            return new OwnSshKey(file.toAbsolutePath(), text, SshCommunicator.publicKeyLine(text, comment));
        } catch (IOException | RuntimeException e) {
            throw new StepFailedException("sshPrivateKeyFile: " + file + " is not an SSH private key imagebake can read");
        }
    }

    @Override
    public String toString() {
        return "OwnSshKey[" + file + "]"; // never the key
    }
}
