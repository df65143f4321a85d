package dev.imagebake.plan;

import java.util.List;
import java.util.Map;

/**
 * Runs {@code puppet agent --onetime} on the build machine against a Puppet server, as Packer's
 * {@code puppet-server} provisioner does: the client certificate and private key folders are uploaded to the
 * staging folder first.
 *
 * @param clientCertPath       a folder of client certificates, uploaded to {@code STAGING/certs} (--certdir), or null
 * @param clientPrivateKeyPath a folder of private keys, uploaded to {@code STAGING/private_keys} (--privatekeydir),
 *                             or null
 * @param facts                custom facts, as {@code FACTER_name} variables (besides packer_build_name and
 *                             packer_builder_type)
 * @param extraArguments       more arguments for puppet agent
 * @param puppetBinDir         the folder puppet is in when it is not on the PATH
 * @param puppetNode           the node's certificate name (--certname), or null
 * @param puppetServer         the Puppet server (--server), or null
 * @param workingDirectory     the folder puppet runs in (default: the staging folder)
 * @param ignoreExitCodes      any exit status counts as success (by default 0 and 2, "changes applied", do)
 * @param tool                 the staging folder, sudo, execute and install commands
 */
public record PuppetServerStep(String clientCertPath, String clientPrivateKeyPath, Map<String, String> facts,
                               List<String> extraArguments, String puppetBinDir, String puppetNode,
                               String puppetServer, String workingDirectory, boolean ignoreExitCodes,
                               ToolOptions tool) implements ToolStep {
    /** Packer's default {@code staging_dir} for puppet-server. */
    public static final String DEFAULT_STAGING_DIRECTORY = "/tmp/packer-puppet-server";
    /** The placeholders of {@code executeCommand}: Packer's ({@code {{.Sudo}}} stands for {@code sudo -n -E}). */
    public static final Map<String, Boolean> PLACEHOLDERS = ToolOptions.placeholders(".WorkingDir", true,
            ".FacterVars", false, ".Sudo", false, ".PuppetBinDir", false, ".PuppetServer", true, ".PuppetNode", true,
            ".ClientCertPath", true, ".ClientPrivateKeyPath", true, ".ExtraArguments", false);

    public PuppetServerStep {
        facts = Ordered.copy(facts);
        extraArguments = List.copyOf(extraArguments);
    }

    @Override
    public String kind() {
        return "puppetServer";
    }
}
