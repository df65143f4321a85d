package dev.imagebake.communicator;

import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;

/**
 * Where and how to log in over SSH.
 *
 * @param privateKey   an OpenSSH private key's text, or null
 * @param keyPair      an in-memory key pair (generated per build), or null
 * @param password     a password, or null
 * @param hostKeys     accepted host key fingerprints ({@code SHA256:...}); empty to use {@code knownHosts}
 * @param knownHosts   a known_hosts file, used when {@code hostKeys} is empty and not {@code insecureHostKey}
 * @param insecureHostKey accept any host key
 * @param via          a jump host to connect through, or null
 */
public record SshEndpoint(String host, int port, String user, String privateKey, KeyPair keyPair, String password,
                          boolean agent, List<String> hostKeys, Path knownHosts, boolean insecureHostKey,
                          SshEndpoint via) {
    public SshEndpoint {
        hostKeys = List.copyOf(hostKeys);
    }

    public String describe() {
        return user + "@" + host + ":" + port + (via == null ? "" : " via " + via.describe());
    }
}
