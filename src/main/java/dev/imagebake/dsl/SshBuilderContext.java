package dev.imagebake.dsl;

import dev.imagebake.plan.SshBuilderSpec;
import groovy.lang.Closure;
import groovy.lang.DelegatesTo;

import java.time.Duration;

/**
 * {@code builder ssh { ... }}: an existing machine. Required: {@code host}, {@code user}, and one way to log in
 * ({@code privateKey}, {@code password} or {@code agent true}). The host key is verified against {@code hostKey},
 * a {@code knownHosts} file, or {@code ~/.ssh/known_hosts}; {@code insecureHostKey true} turns that off.
 */
public final class SshBuilderContext extends BuilderContext {
    private final SshTarget target;
    private SshBuilderSpec.Bastion bastion;
    private Duration connectTimeout = Duration.ofMinutes(5);
    private Duration readWriteTimeout;

    SshBuilderContext(Evaluation evaluation, String name) {
        super(evaluation, name);
        this.target = new SshTarget(this, evaluation);
    }

    @Override
    protected String blockName() {
        return "builder ssh '" + name + "'";
    }

    /** The machine's address or host name. */
    public void host(Object address) {
        target.host(address);
    }

    /** The SSH port (default 22). */
    public void port(Object number) {
        target.port(number);
    }

    /** The user to log in as. */
    public void user(Object name) {
        target.user(name);
    }

    /**
     * An OpenSSH private key's text, usually {@code privateKey file('id_ed25519')}. Sensitive. A key with a
     * passphrase is refused (there is no passphrase setting): use a copy without one, or ssh-agent and
     * {@code agent true}.
     */
    public void privateKey(Object key) {
        target.privateKey(key);
    }

    /** A password to log in with. Sensitive: pass it from a sensitive variable. */
    public void password(Object secret) {
        target.password(secret);
    }

    /** Logs in with the keys of the running ssh-agent. */
    public void agent(Object enabled) {
        target.agent(enabled);
    }

    /** The expected host key fingerprint, as {@code ssh-keygen -lf} prints it: {@code 'SHA256:...'}. */
    public void hostKey(Object fingerprint) {
        target.hostKey(fingerprint);
    }

    /** A known_hosts file to check the host key against. */
    public void knownHosts(Object path) {
        target.knownHosts(path);
    }

    /** Accepts any host key (a warning is printed each time). */
    public void insecureHostKey(Object enabled) {
        target.insecureHostKey(enabled);
    }

    /** How long to keep trying to connect (default 5m). */
    public void connectTimeout(Object value) {
        connectTimeout = duration("connectTimeout", value);
    }

    /**
     * How long the machine may send nothing before the connection is taken as dead and the step fails, naming this
     * setting: for a machine that stops answering without closing the connection (hung, or its network gone), which
     * would otherwise leave the build waiting. imagebake asks the machine to answer every third of this time, so a
     * live machine running a long, quiet command never trips it. Also applies to the bastion's connection. Packer's
     * {@code ssh_read_write_timeout}. Default {@code '0s'}: no limit. At least {@code '5s'} otherwise.
     */
    public void readWriteTimeout(Object value) {
        readWriteTimeout = readWriteTimeout("readWriteTimeout", value);
    }

    /** A jump host to connect through: {@code bastion { host '...'; user '...'; privateKey ... }}. */
    public void bastion(@DelegatesTo(BastionContext.class) Closure<?> body) {
        BastionContext context = new BastionContext(evaluation);
        context.runBlock(body);
        bastion = context.build();
    }

    @Override
    Evaluation.BuilderDeclaration build() {
        target.check(blockName(), this::errorAtBlock);
        return new Evaluation.BuilderDeclaration(name, new SshBuilderSpec(target.host, target.port, target.user,
                target.privateKey, target.privateKeyFile, target.password, target.agent, target.hostKey, target.knownHosts,
                target.insecureHostKey, bastion, connectTimeout, readWriteTimeout), declaredAt);
    }
}
