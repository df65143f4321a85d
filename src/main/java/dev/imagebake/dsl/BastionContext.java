package dev.imagebake.dsl;

import dev.imagebake.plan.SshBuilderSpec;

/** {@code bastion { ... }} in {@code builder ssh}: the jump host, with the same settings as the target. */
public final class BastionContext extends BlockContext {
    private final SshTarget target;

    BastionContext(Evaluation evaluation) {
        super(evaluation);
        this.target = new SshTarget(this, evaluation);
    }

    @Override
    protected String blockName() {
        return "bastion";
    }

    /** The jump host's address. */
    public void host(Object address) {
        target.host(address);
    }

    /** Its SSH port (default 22). */
    public void port(Object number) {
        target.port(number);
    }

    /** The user to log in as. */
    public void user(Object name) {
        target.user(name);
    }

    /** An OpenSSH private key's text. Sensitive. */
    public void privateKey(Object key) {
        target.privateKey(key);
    }

    /** A password. Sensitive. */
    public void password(Object secret) {
        target.password(secret);
    }

    /** Logs in to the jump host with the keys of the running ssh-agent. */
    public void agent(Object enabled) {
        target.agent(enabled);
    }

    /** Its expected host key fingerprint. */
    public void hostKey(Object fingerprint) {
        target.hostKey(fingerprint);
    }

    /** Accepts any host key for the jump host. */
    public void insecureHostKey(Object enabled) {
        target.insecureHostKey(enabled);
    }

    SshBuilderSpec.Bastion build() {
        target.check(blockName(), this::errorAtBlock);
        return new SshBuilderSpec.Bastion(target.host, target.port, target.user, target.privateKey,
                target.privateKeyFile, target.password, target.agent, target.hostKey, target.insecureHostKey);
    }
}
