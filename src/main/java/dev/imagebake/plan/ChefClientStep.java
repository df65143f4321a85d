package dev.imagebake.plan;

import java.util.List;
import java.util.Map;

/**
 * Runs {@code chef-client} on the build machine against a Chef server, as Packer's {@code chef-client} provisioner
 * does: the validation key (and data bag secret) are uploaded, {@code client.rb} and {@code first-boot.json} are
 * written to the staging folder, {@code chef-client --no-color -c client.rb -j first-boot.json} runs, and then the
 * node and its client are deleted from the server with {@code knife} on the machine.
 *
 * @param serverUrl                  the Chef server's URL
 * @param runList                    recipes and roles, added to first-boot.json as {@code run_list}
 * @param json                       node attributes
 * @param chefEnvironment            the node's environment
 * @param chefLicense                client.rb's chef_license ("accept-silent" when Chef is installed by omnitruck)
 * @param clientKey                  where the client's key is written on the machine; null: STAGING/client.pem
 * @param configTemplate             a client.rb template file instead of Packer's, relative to the template's folder
 * @param encryptedDataBagSecretPath the data bag secret file, uploaded to {@code STAGING/encrypted_data_bag_secret}
 * @param knifeCommand               the knife command line with {@code {{.Args}}} and {@code {{.Flags}}}; null: default
 * @param nodeName                   the node's name; null: {@code packer-} and a time-ordered UUID, as Packer
 * @param policyGroup                the policy group (with policyName)
 * @param policyName                 the policy name (with policyGroup)
 * @param skipCleanClient            keep the client on the server after the run
 * @param skipCleanNode              keep the node on the server after the run
 * @param skipInstall                never install Chef (fail when chef-client is missing)
 * @param sslVerifyMode              client.rb's ssl_verify_mode, for example {@code verify_peer}
 * @param trustedCertsDir            client.rb's trusted_certs_dir, a folder on the machine
 * @param validationClientName       the validator's name; null: chef-validator
 * @param validationKeyPath          the validator's key file, uploaded to {@code STAGING/validation.pem}
 * @param version                    the Chef version the omnitruck bootstrap installs (-v); null: the latest
 * @param tool                       the staging folder, sudo, execute and install commands
 */
public record ChefClientStep(String serverUrl, List<String> runList, Map<String, Object> json,
                             String chefEnvironment, String chefLicense, String clientKey, String configTemplate,
                             String encryptedDataBagSecretPath, String knifeCommand, String nodeName,
                             String policyGroup, String policyName, boolean skipCleanClient, boolean skipCleanNode,
                             boolean skipInstall, String sslVerifyMode, String trustedCertsDir,
                             String validationClientName, String validationKeyPath, String version,
                             ToolOptions tool) implements ToolStep {
    /** Packer's default {@code staging_directory} for chef-client. */
    public static final String DEFAULT_STAGING_DIRECTORY = "/tmp/packer-chef-client";
    /** The placeholders of {@code executeCommand} ({@code {{.Sudo}}} stands for {@code sudo -n -E}). */
    public static final Map<String, Boolean> PLACEHOLDERS = ChefSoloStep.PLACEHOLDERS;
    /** The placeholders of {@code knifeCommand} ({@code {{.Sudo}}} stands for {@code sudo -n -E}). */
    public static final Map<String, Boolean> KNIFE_PLACEHOLDERS = ToolOptions.placeholders(".Args", false,
            ".Flags", false, ".Sudo", false);
    /** The fields a client.rb (or knife.rb) template may use, as Packer names them. */
    public static final List<String> TEMPLATE_FIELDS = List.of("ChefEnvironment", "ChefLicense", "ClientKey",
            "EncryptedDataBagSecretPath", "NodeName", "PolicyGroup", "PolicyName", "ServerUrl", "SslVerifyMode",
            "TrustedCertsDir", "ValidationClientName", "ValidationKeyPath");
    /** Packer's client.rb template, as Packer has it. */
    public static final String DEFAULT_CONFIG_TEMPLATE = """

            log_level        :info
            log_location     STDOUT
            chef_server_url  "{{.ServerUrl}}"
            client_key       "{{.ClientKey}}"
            chef_license     "{{.ChefLicense}}"
            {{if ne .EncryptedDataBagSecretPath ""}}
            encrypted_data_bag_secret "{{.EncryptedDataBagSecretPath}}"
            {{end}}
            {{if ne .ValidationClientName ""}}
            validation_client_name "{{.ValidationClientName}}"
            {{else}}
            validation_client_name "chef-validator"
            {{end}}
            {{if ne .ValidationKeyPath ""}}
            validation_key "{{.ValidationKeyPath}}"
            {{end}}
            node_name "{{.NodeName}}"
            {{if ne .ChefEnvironment ""}}
            environment "{{.ChefEnvironment}}"
            {{end}}
            {{if ne .PolicyGroup ""}}
            policy_group "{{.PolicyGroup}}"
            {{end}}
            {{if ne .PolicyName ""}}
            policy_name "{{.PolicyName}}"
            {{end}}
            {{if ne .SslVerifyMode ""}}
            ssl_verify_mode :{{.SslVerifyMode}}
            {{end}}
            {{if ne .TrustedCertsDir ""}}
            trusted_certs_dir "{{.TrustedCertsDir}}"
            {{end}}
            """;
    /** Packer's knife.rb template, for deleting the node and client after the run. */
    public static final String KNIFE_TEMPLATE = """

            log_level        :info
            log_location     STDOUT
            chef_server_url  "{{.ServerUrl}}"
            client_key       "{{.ClientKey}}"
            node_name "{{.NodeName}}"
            {{if ne .SslVerifyMode ""}}
            ssl_verify_mode :{{.SslVerifyMode}}
            {{end}}
            {{if ne .TrustedCertsDir ""}}
            trusted_certs_dir "{{.TrustedCertsDir}}"
            {{end}}
            """;

    public ChefClientStep {
        runList = List.copyOf(runList);
        json = NodeJson.copy(json);
    }

    @Override
    public String kind() {
        return "chefClient";
    }
}
