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
public final class LoginCommand {
    private static final Pattern PLAIN_WORD = Pattern.compile("[A-Za-z0-9_./:@%+=,-]+");

    private LoginCommand() {
    }

    /**
     * How to go through the jump host: its key file (null for ssh-agent or a password), checked against the same
     * known_hosts file, which then holds its host key too.
     */
    record Jump(Path key) {
    }

    /**
     * @param command the command line, to be printed last on its line so that it can be pasted as it stands
     * @param notes   what the command cannot do by itself, as parenthesised remarks (each starting with a space), or
     *                empty
     * @param key     the private key file the command uses, or null
     */
    public record Login(String command, String notes, Path key) {
    }

    /**
     * @param key        a private key file, or null
     * @param knownHosts a known_hosts file, or null
     * @param jump       how to go through {@code endpoint.via()}, or null when its host key is not known: then
     *                   {@code -J}, with the person's own ssh settings for the jump host
     */
    static Login of(SshEndpoint endpoint, Path key, Path knownHosts, Jump jump) {
        List<String> words = new ArrayList<>(List.of("ssh"));
        words.addAll(options(key, knownHosts, endpoint.port()));
        SshEndpoint via = endpoint.via();
        if (via != null && jump != null) {
            List<String> proxy = new ArrayList<>(List.of("ssh"));
            proxy.addAll(options(jump.key(), knownHosts, via.port()));
            proxy.addAll(List.of("-W", "%h:%p", via.user() + "@" + via.host()));
            words.add("-o");
            words.add("ProxyCommand=" + String.join(" ", proxy.stream().map(LoginCommand::quoted).toList()));
        } else if (via != null) {
            words.add("-J");
            words.add(via.user() + "@" + via.host() + (via.port() == 22 ? "" : ":" + via.port()));
        }
        words.add(endpoint.user() + "@" + endpoint.host());
        return new Login(String.join(" ", words.stream().map(LoginCommand::quoted).toList()),
                notes(endpoint, jump, key, jump == null ? null : jump.key()), key);
    }

    private static List<String> options(Path key, Path knownHosts, int port) {
        List<String> words = new ArrayList<>();
        if (key != null) {
            words.add("-i");
            words.add(key.toAbsolutePath().toString());
        }
        if (knownHosts != null) {
            words.add("-o");
            words.add("UserKnownHostsFile=" + knownHosts.toAbsolutePath());
        }
        if (port != 22) {
            words.add("-p");
            words.add(String.valueOf(port));
        }
        return words;
    }

    /** What the command cannot do by itself. */
    private static String notes(SshEndpoint endpoint, Jump jump, Path... keys) {
        StringBuilder notes = new StringBuilder();
        if (endpoint.via() != null && jump == null) {
            notes.append(" (the jump host ").append(endpoint.via().host()).append(" did not answer just now, so its ")
                    .append("host key is not in that known_hosts file: ssh reaches it with your own keys and ")
                    .append("~/.ssh/known_hosts)");
        }
        for (Path key : new java.util.LinkedHashSet<>(java.util.Arrays.asList(keys))) {
            if (key != null && readableByOthers(key)) {
                notes.append(" (ssh ignores a key others can read: chmod 600 ").append(quoted(key.toString()))
                        .append(" first)");
            }
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
