package dev.imagebake.engine;

import dev.imagebake.communicator.SshEndpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The OpenSSH command line that logs a person in to a build machine, to be pasted into a shell as printed: it
 * names the key, a known_hosts file holding the host key the build verified (so ssh does not ask), the port and
 * the jump host.
 */
final class LoginCommand {
    private static final Pattern PLAIN_WORD = Pattern.compile("[A-Za-z0-9_./:@%+=,-]+");

    private LoginCommand() {
    }

    /** @param key a private key file, or null; @param knownHosts a known_hosts file, or null */
    static String of(SshEndpoint endpoint, Path key, Path knownHosts) {
        List<String> words = new ArrayList<>(List.of("ssh"));
        if (key != null) {
            words.add("-i");
            words.add(key.toAbsolutePath().toString());
        }
        if (knownHosts != null) {
            words.add("-o");
            words.add("UserKnownHostsFile=" + knownHosts.toAbsolutePath());
        }
        if (endpoint.port() != 22) {
            words.add("-p");
            words.add(String.valueOf(endpoint.port()));
        }
        if (endpoint.via() != null) {
            SshEndpoint via = endpoint.via();
            words.add("-J");
            words.add(via.user() + "@" + via.host() + (via.port() == 22 ? "" : ":" + via.port()));
        }
        words.add(endpoint.user() + "@" + endpoint.host());
        StringBuilder line = new StringBuilder();
        for (String word : words) {
            line.append(line.isEmpty() ? "" : " ").append(quoted(word));
        }
        return line.toString() + notes(endpoint, key);
    }

    /** What the command cannot do by itself, said after it. */
    private static String notes(SshEndpoint endpoint, Path key) {
        StringBuilder notes = new StringBuilder();
        if (endpoint.via() != null) {
            notes.append(" (ssh reaches the jump host ").append(endpoint.via().host())
                    .append(" with your own keys and ~/.ssh/known_hosts)");
        }
        if (key != null && readableByOthers(key)) {
            notes.append(" (ssh ignores a key others can read: chmod 600 ").append(quoted(key.toString()))
                    .append(" first)");
        }
        return notes.toString();
    }

    private static boolean readableByOthers(Path key) {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(key);
            return permissions.contains(PosixFilePermission.GROUP_READ)
                    || permissions.contains(PosixFilePermission.OTHERS_READ);
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static String quoted(String word) {
        return PLAIN_WORD.matcher(word).matches() ? word : "'" + word.replace("'", "'\"'\"'") + "'";
    }
}
