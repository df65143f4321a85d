package dev.imagebake.plan;

import java.time.Duration;

/**
 * An existing machine reached over SSH (like Packer's {@code null} builder). Nothing is created or captured.
 *
 * @param privateKey      an OpenSSH private key's text (sensitive)
 * @param hostKey         the expected host key fingerprint, {@code SHA256:...}
 * @param knownHosts      a known_hosts file to verify the host key against instead
 * @param insecureHostKey accept any host key (a warning is printed)
 */
public record SshBuilderSpec(String host, int port, String user, String privateKey, String password, boolean agent,
                             String hostKey, String knownHosts, boolean insecureHostKey, Bastion bastion,
                             Duration connectTimeout) implements BuilderSpec {
    @Override
    public String type() {
        return "ssh";
    }

    /** A jump host the connection goes through. */
    public record Bastion(String host, int port, String user, String privateKey, String password, boolean agent,
                          String hostKey, boolean insecureHostKey) {
    }
}
