package dev.imagebake.dsl;

import dev.imagebake.plan.ScaleSetPost;

import java.time.Duration;

/** {@code health { ... }} in {@code post scaleSet}: when an upgraded instance counts as healthy. */
public final class HealthContext extends BlockContext {
    private String command;
    private String user;
    private String privateKeyFile;
    private Integer port;
    private String url;
    private Duration timeout = Duration.ofMinutes(5);

    HealthContext(Evaluation evaluation) {
        super(evaluation);
    }

    @Override
    protected String blockName() {
        return "health";
    }

    /** A command run on the instance over SSH; exit status 0 means healthy. Needs `user` and `privateKeyFile`. */
    public void command(Object text) {
        command = string("command", text);
    }

    /** The SSH user for `command` (the scale set's admin user, typically). */
    public void user(Object name) {
        user = string("user", name);
    }

    /** The SSH private key file for `command`, relative to the template's folder. */
    public void privateKeyFile(Object path) {
        privateKeyFile = string("privateKeyFile", path);
    }

    /** The SSH port (default: the one the instance publishes, else 22). */
    public void port(Object number) {
        port = integer("port", number, 1, 65535);
    }

    /** An HTTP URL that answers 2xx when healthy; {@code {address}} stands for the instance's private IP. */
    public void url(Object address) {
        url = string("url", address);
    }

    /** How long an instance may take to become healthy after its upgrade (default 5m). */
    public void timeout(Object value) {
        timeout = duration("timeout", value);
    }

    ScaleSetPost.Health build() {
        if (command == null && url == null) {
            errorAtBlock("health needs a `command` (run over SSH) or a `url` (an HTTP probe)");
        }
        if (command != null && (user == null || privateKeyFile == null)) {
            errorAtBlock("health: `command` runs over SSH and needs `user` and `privateKeyFile`");
        }
        return new ScaleSetPost.Health(command, user, privateKeyFile, port, url, timeout);
    }
}
