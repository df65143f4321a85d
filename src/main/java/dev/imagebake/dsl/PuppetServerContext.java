package dev.imagebake.dsl;

import dev.imagebake.plan.PuppetServerStep;
import dev.imagebake.plan.StepSpec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code provision puppetServer { puppetServer 'puppet.example.com' }}: runs {@code puppet agent --onetime} on the
 * build machine against a Puppet server, with the client certificates and keys uploaded first. Packer's
 * {@code puppet-server}.
 */
public final class PuppetServerContext extends ToolContext {
    private String clientCertPath;
    private String clientPrivateKeyPath;
    private final Map<String, String> facts = new LinkedHashMap<>();
    private final List<String> extraArguments = new ArrayList<>();
    private String puppetBinDir;
    private String puppetNode;
    private String puppetServer;
    private String workingDirectory;
    private boolean ignoreExitCodes;

    PuppetServerContext(Evaluation evaluation) {
        super(evaluation);
    }

    @Override
    protected String kind() {
        return "puppetServer";
    }

    @Override
    protected String defaultStagingDirectory() {
        return PuppetServerStep.DEFAULT_STAGING_DIRECTORY;
    }

    @Override
    protected Map<String, Boolean> placeholders() {
        return PuppetServerStep.PLACEHOLDERS;
    }

    /** The Puppet server puppet agent asks for its catalog (--server). Packer's {@code puppet_server}. */
    public void puppetServer(Object host) {
        puppetServer = name("puppetServer", host);
    }

    /** The node's certificate name (--certname). Packer's {@code puppet_node}. */
    public void puppetNode(Object name) {
        puppetNode = name("puppetNode", name);
    }

    /**
     * A folder of client certificates, relative to the template's folder; uploaded to STAGING/certs and given as
     * --certdir. Packer's {@code client_cert_path}.
     */
    public void clientCertPath(Object path) {
        clientCertPath = localFolder("clientCertPath", path);
    }

    /**
     * A folder of client private keys, relative to the template's folder; uploaded to STAGING/private_keys and
     * given as --privatekeydir. Packer's {@code client_private_key_path}.
     */
    public void clientPrivateKeyPath(Object path) {
        clientPrivateKeyPath = localFolder("clientPrivateKeyPath", path);
    }

    /**
     * Custom facts: {@code facts role: 'web'} (each becomes {@code FACTER_role}); packer_build_name and
     * packer_builder_type are always set. Packer's {@code facter}.
     */
    public void facts(Map<?, ?> values) {
        Map<String, String> given = stringMap("facts", values);
        for (String name : given.keySet()) {
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new TemplateError("`facts`: '" + name + "' is not a valid fact name (letters, digits, _)");
            }
        }
        facts.putAll(given);
    }

    /** More arguments for puppet agent, for example {@code extraArguments '--environment', 'staging'}. Packer's {@code extra_arguments}. */
    public void extraArguments(Object... arguments) {
        extraArguments.addAll(strings("extraArguments", arguments));
    }

    /** The folder of the puppet command when it is not on the PATH, for example '/opt/puppetlabs/bin'. Packer's {@code puppet_bin_dir}. */
    public void puppetBinDir(Object path) {
        String text = string("puppetBinDir", path);
        if (!text.startsWith("/")) {
            throw new TemplateError("`puppetBinDir` takes an absolute path, for example '/opt/puppetlabs/bin'; got '"
                    + text + "'");
        }
        puppetBinDir = text.length() > 1 ? text.replaceAll("/+$", "") : text;
    }

    /** The folder puppet runs in (default: the staging folder). Packer's {@code working_directory}. */
    public void workingDirectory(Object path) {
        workingDirectory = string("workingDirectory", path);
    }

    /** Any exit status counts as success (by default 0, "no changes", and 2, "changes applied", do). Packer's {@code ignore_exit_codes}. */
    public void ignoreExitCodes(Object value) {
        ignoreExitCodes = bool("ignoreExitCodes", value);
    }

    private String name(String keyword, Object value) {
        String text = string(keyword, value);
        if (!text.matches("[A-Za-z0-9_.:-]+")) {
            throw new TemplateError("`" + keyword + "` takes a host or certificate name (letters, digits, . _ - :); "
                    + "got '" + text + "'");
        }
        return text;
    }

    @Override
    protected StepSpec spec() {
        return new PuppetServerStep(clientCertPath, clientPrivateKeyPath, facts, extraArguments, puppetBinDir,
                puppetNode, puppetServer, workingDirectory, ignoreExitCodes, toolOptions());
    }
}
