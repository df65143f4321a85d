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
 * @param readWriteTimeout how long the machine may send nothing before the connection is taken as dead, or null for
 *                         no limit (the connection then waits as long as TCP keeps it)
 */
public record SshEndpoint(String host, int port, String user, String privateKey, KeyPair keyPair, String password,
                          boolean agent, List<String> hostKeys, Path knownHosts, boolean insecureHostKey,
                          SshEndpoint via, ReadWriteTimeout readWriteTimeout) {
    public SshEndpoint {
        hostKeys = List.copyOf(hostKeys);
    }

    /** An endpoint with no read/write timeout. */
    public SshEndpoint(String host, int port, String user, String privateKey, KeyPair keyPair, String password,
                       boolean agent, List<String> hostKeys, Path knownHosts, boolean insecureHostKey,
                       SshEndpoint via) {
        this(host, port, user, privateKey, keyPair, password, agent, hostKeys, knownHosts, insecureHostKey, via, null);
    }

    /**
     * Packer's {@code ssh_read_write_timeout}: a connection on which nothing arrives for {@code duration} is dead
     * (the machine is asked to answer well within it, so a live but quiet machine never trips it).
     *
     * @param setting the template keyword that set it, for messages
     */
    public record ReadWriteTimeout(java.time.Duration duration, String setting) {
    }

    public String describe() {
        return user + "@" + host + ":" + port + (via == null ? "" : " via " + via.describe());
    }
}
