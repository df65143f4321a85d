package dev.imagebake.dsl;

import dev.imagebake.plan.PuppetServerStep;
import dev.imagebake.plan.StepSpec;

import java.util.Map;

/**
 * {@code provision puppetServer { puppetServer 'puppet.example.com' }}: runs {@code puppet agent --onetime} on the
 * build machine against a Puppet server, with the client certificates and keys uploaded first. Packer's
 * {@code puppet-server}.
 */
public final class PuppetServerContext extends PuppetBaseContext {
    private String clientCertPath;
    private String clientPrivateKeyPath;
    private String puppetNode;
    private String puppetServer;

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
