package dev.imagebake.dsl;

import dev.imagebake.util.PrivateKeys;

import java.util.function.Consumer;
import java.util.regex.Pattern;

/** The connection settings shared by {@code builder ssh} and its {@code bastion}. */
final class SshTarget {
    private static final Pattern FINGERPRINT = Pattern.compile("SHA256:[A-Za-z0-9+/]{43}=?");
    private final BlockContext block;
    private final Evaluation evaluation;
    String host;
    int port = 22;
    String user;
    String privateKey;
    String privateKeyFile;
    String password;
    boolean agent;
    String hostKey;
    String knownHosts;
    boolean insecureHostKey;

    SshTarget(BlockContext block, Evaluation evaluation) {
        this.block = block;
        this.evaluation = evaluation;
    }

    void host(Object address) {
        host = block.string("host", address);
    }

    void port(Object number) {
        port = block.integer("port", number, 1, 65535);
    }

    void user(Object name) {
        user = block.string("user", name);
    }

    void privateKey(Object key) {
        privateKey = block.string("privateKey", key);
        if (!privateKey.contains("PRIVATE KEY")) {
            throw new TemplateError("`privateKey` takes the key's text, usually privateKey file('id_ed25519')");
        }
        evaluation.markSensitive(privateKey);
        privateKeyFile = evaluation.files().readFrom(privateKey);
        if (PrivateKeys.encrypted(privateKey)) {
            throw new TemplateError("the private key " + (privateKeyFile == null ? "" : "'" + privateKeyFile + "' ")
                    + "is encrypted (it has a passphrase); " + PrivateKeys.encryptedAdvice(privateKeyFile));
        }
    }

    void password(Object secret) {
        password = block.string("password", secret);
        evaluation.markSensitive(password);
    }

    void agent(Object enabled) {
        agent = block.bool("agent", enabled);
    }

    void hostKey(Object fingerprint) {
        hostKey = block.string("hostKey", fingerprint);
        if (!FINGERPRINT.matcher(hostKey).matches()) {
            throw new TemplateError("`hostKey` takes a fingerprint like 'SHA256:' followed by 43 characters, as "
                    + "ssh-keygen -lf prints it; got '" + hostKey + "'");
        }
    }

    void knownHosts(Object path) {
        knownHosts = block.string("knownHosts", path);
    }

    void insecureHostKey(Object enabled) {
        insecureHostKey = block.bool("insecureHostKey", enabled);
    }

    void check(String blockName, Consumer<String> error) {
        if (host == null && !block.refused("host")) {
            error.accept(blockName + " needs `host`");
        }
        if (user == null && !block.refused("user")) {
            error.accept(blockName + " needs `user`");
        }
        if (privateKey == null && password == null && !agent && !block.refused("privateKey", "password", "agent")) {
            error.accept(blockName + " needs a way to log in: `privateKey`, `password` or `agent true`");
        }
        if (insecureHostKey && (hostKey != null || knownHosts != null)) {
            error.accept(blockName + ": `insecureHostKey true` cannot be combined with `hostKey` or `knownHosts`");
        }
    }
}
