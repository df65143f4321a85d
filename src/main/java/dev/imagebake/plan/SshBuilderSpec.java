package dev.imagebake.plan;

import java.time.Duration;

/**
 * An existing machine reached over SSH (like Packer's {@code null} builder). Nothing is created or captured.
 *
 * @param privateKey      an OpenSSH private key's text (sensitive)
 * @param privateKeyFile  the file below the template's folder the key was read from ({@code file('...')}), or null
 * @param hostKey         the expected host key fingerprint, {@code SHA256:...}
 * @param knownHosts      a known_hosts file to verify the host key against instead
 * @param insecureHostKey accept any host key (a warning is printed)
 * @param readWriteTimeout how long the machine may send nothing before the connection is taken as dead (Packer's
 *                         {@code ssh_read_write_timeout}), or null for no limit
 */
public record SshBuilderSpec(String host, int port, String user, String privateKey, String privateKeyFile,
                             String password, boolean agent, String hostKey, String knownHosts,
                             boolean insecureHostKey, Bastion bastion, Duration connectTimeout,
                             Duration readWriteTimeout) implements BuilderSpec {
    /** A machine with no read/write timeout. */
    public SshBuilderSpec(String host, int port, String user, String privateKey, String privateKeyFile,
                          String password, boolean agent, String hostKey, String knownHosts,
                          boolean insecureHostKey, Bastion bastion, Duration connectTimeout) {
        this(host, port, user, privateKey, privateKeyFile, password, agent, hostKey, knownHosts, insecureHostKey,
                bastion, connectTimeout, null);
    }

    /** A machine whose key, if any, was not read from a file. */
    public SshBuilderSpec(String host, int port, String user, String privateKey, String password, boolean agent,
                          String hostKey, String knownHosts, boolean insecureHostKey, Bastion bastion,
                          Duration connectTimeout) {
        this(host, port, user, privateKey, null, password, agent, hostKey, knownHosts, insecureHostKey, bastion,
                connectTimeout);
    }

    @Override
    public String type() {
        return "ssh";
    }

    /**
     * A jump host the connection goes through.
     *
     * @param privateKeyFile the file below the template's folder its key was read from, or null
     */
    public record Bastion(String host, int port, String user, String privateKey, String privateKeyFile,
                          String password, boolean agent, String hostKey, boolean insecureHostKey) {
        /** A jump host whose key, if any, was not read from a file. */
        public Bastion(String host, int port, String user, String privateKey, String password, boolean agent,
                       String hostKey, boolean insecureHostKey) {
            this(host, port, user, privateKey, null, password, agent, hostKey, insecureHostKey);
        }
    }
}
