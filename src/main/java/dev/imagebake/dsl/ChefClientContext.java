package dev.imagebake.dsl;

import dev.imagebake.communicator.CommandTemplate;
import dev.imagebake.plan.ChefClientStep;
import dev.imagebake.plan.StepSpec;
import dev.imagebake.plan.ToolOptions;

import java.util.List;
import java.util.Map;

/**
 * {@code provision chefClient { serverUrl 'https://chef.example.com'; validationKeyPath 'keys/validation.pem' }}:
 * runs chef-client on the build machine against a Chef server, then deletes the node and its client from the server
 * with knife. Packer's {@code chef-client}.
 */
public final class ChefClientContext extends ChefBaseContext {
    private String serverUrl;
    private String clientKey;
    private String knifeCommand;
    private String nodeName;
    private String policyGroup;
    private String policyName;
    private boolean skipCleanClient;
    private boolean skipCleanNode;
    private String sslVerifyMode;
    private String trustedCertsDir;
    private String validationClientName;
    private String validationKeyPath;

    ChefClientContext(Evaluation evaluation) {
        super(evaluation);
    }

    @Override
    protected String kind() {
        return "chefClient";
    }

    @Override
    protected String defaultStagingDirectory() {
        return ChefClientStep.DEFAULT_STAGING_DIRECTORY;
    }

    @Override
    protected Map<String, Boolean> placeholders() {
        return ChefClientStep.PLACEHOLDERS;
    }

    @Override
    protected List<String> templateFields() {
        return ChefClientStep.TEMPLATE_FIELDS;
    }

    /** The Chef server's URL (required). Packer's {@code server_url}. */
    public void serverUrl(Object url) {
        String text = string("serverUrl", url);
        if (!text.matches("https?://.+")) {
            throw new TemplateError("`serverUrl` takes the Chef server's http(s):// URL; got '" + text + "'");
        }
        serverUrl = text;
    }

    /** Where the client's key is written on the machine (default: STAGING/client.pem). Packer's {@code client_key}. */
    public void clientKey(Object path) {
        clientKey = string("clientKey", path);
    }

    /**
     * The command that deletes the node and the client, with {@code {{.Args}}} (for example
     * {@code node delete NAME}), {@code {{.Flags}}} ({@code -y -c STAGING/knife.rb}) and {@code {{.Sudo}}}. Packer's
     * {@code knife_command}.
     */
    public void knifeCommand(Object command) {
        String text = string("knifeCommand", command);
        try {
            CommandTemplate.parse(text, ChefClientStep.KNIFE_PLACEHOLDERS,
                    ToolOptions.describe(ChefClientStep.KNIFE_PLACEHOLDERS));
        } catch (IllegalArgumentException e) {
            throw new TemplateError("`knifeCommand`: " + e.getMessage());
        }
        knifeCommand = text;
    }

    /** The node's name (default: packer- and a time-ordered UUID, as Packer). Packer's {@code node_name}. */
    public void nodeName(Object name) {
        nodeName = string("nodeName", name);
    }

    /** The policy group the node belongs to (with policyName). Packer's {@code policy_group}. */
    public void policyGroup(Object name) {
        policyGroup = string("policyGroup", name);
    }

    /** The policy the node runs (with policyGroup). Packer's {@code policy_name}. */
    public void policyName(Object name) {
        policyName = string("policyName", name);
    }

    /** Keeps the client on the Chef server after the run. Packer's {@code skip_clean_client}. */
    public void skipCleanClient(Object value) {
        skipCleanClient = bool("skipCleanClient", value);
    }

    /** Keeps the node on the Chef server after the run. Packer's {@code skip_clean_node}. */
    public void skipCleanNode(Object value) {
        skipCleanNode = bool("skipCleanNode", value);
    }

    /** client.rb's ssl_verify_mode: {@code 'verify_peer'} or {@code 'verify_none'}. Packer's {@code ssl_verify_mode}. */
    public void sslVerifyMode(Object mode) {
        String text = string("sslVerifyMode", mode);
        if (!text.equals("verify_peer") && !text.equals("verify_none")) {
            throw new TemplateError("`sslVerifyMode` takes 'verify_peer' or 'verify_none'; got '" + text + "'");
        }
        sslVerifyMode = text;
    }

    /** A folder on the machine with certificates chef-client trusts. Packer's {@code trusted_certs_dir}. */
    public void trustedCertsDir(Object path) {
        trustedCertsDir = string("trustedCertsDir", path);
    }

    /** The validator's name (default: chef-validator). Packer's {@code validation_client_name}. */
    public void validationClientName(Object name) {
        validationClientName = string("validationClientName", name);
    }

    /** The validator's key, a file next to the template, uploaded to STAGING/validation.pem. Packer's {@code validation_key_path}. */
    public void validationKeyPath(Object path) {
        validationKeyPath = localFile("validationKeyPath", path);
    }

    @Override
    protected StepSpec spec() {
        if (serverUrl == null && !refused("serverUrl")) {
            errorAtBlock("chefClient needs a `serverUrl`, for example serverUrl 'https://chef.example.com/"
                    + "organizations/web'");
        }
        if ((policyGroup == null) != (policyName == null) && !refused("policyGroup", "policyName")) {
            errorAtBlock("chefClient: give both `policyGroup` and `policyName`, or neither");
        }
        ToolOptions options = chefToolOptions();
        return new ChefClientStep(serverUrl, runList, json, chefEnvironment, license(options), clientKey,
                configTemplate, encryptedDataBagSecretPath, knifeCommand, nodeName, policyGroup, policyName,
                skipCleanClient, skipCleanNode, skipInstall, sslVerifyMode, trustedCertsDir, validationClientName,
                validationKeyPath, version, options);
    }
}
