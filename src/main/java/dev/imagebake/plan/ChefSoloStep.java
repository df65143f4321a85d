package dev.imagebake.plan;

import java.util.List;
import java.util.Map;

/**
 * Runs {@code chef-solo} on the build machine, as Packer's {@code chef-solo} provisioner does: cookbooks, roles,
 * data bags and environments are uploaded to the staging folder, {@code solo.rb} and {@code node.json} are written
 * there, then {@code chef-solo --no-color -c solo.rb -j node.json} runs.
 *
 * @param cookbookPaths              cookbook folders, uploaded to {@code STAGING/cookbooks-N}
 * @param rolesPath                  a folder of roles, uploaded to {@code STAGING/roles}
 * @param dataBagsPath               a folder of data bags, uploaded to {@code STAGING/data_bags}
 * @param environmentsPath           a folder of environments, uploaded to {@code STAGING/environments}
 * @param chefEnvironment            the environment chef-solo runs in (written only with environmentsPath, as Packer)
 * @param encryptedDataBagSecretPath the data bag secret file, uploaded to {@code STAGING/encrypted_data_bag_secret}
 * @param runList                    recipes and roles, added to the node JSON as {@code run_list}
 * @param json                       node attributes (the node JSON besides run_list)
 * @param version                    the Chef version the omnitruck bootstrap installs (-v); null: the latest
 * @param configTemplate             a solo.rb template file instead of Packer's, relative to the template's folder
 * @param remoteCookbookPaths        cookbook folders already on the machine, listed first in solo.rb
 * @param skipInstall                never install Chef (fail when chef-solo is missing)
 * @param chefLicense                solo.rb's chef_license ("accept-silent" when Chef is installed by omnitruck)
 * @param tool                       the staging folder, sudo, execute and install commands
 */
public record ChefSoloStep(List<String> cookbookPaths, String rolesPath, String dataBagsPath, String environmentsPath,
                           String chefEnvironment, String encryptedDataBagSecretPath, List<String> runList,
                           Map<String, Object> json, String version, String configTemplate,
                           List<String> remoteCookbookPaths, boolean skipInstall, String chefLicense,
                           ToolOptions tool) implements ToolStep {
    /** Packer's default {@code staging_directory} for chef-solo. */
    public static final String DEFAULT_STAGING_DIRECTORY = "/tmp/packer-chef-solo";
    /** The bootstrap script Packer's default install command runs. */
    public static final String OMNITRUCK = "https://omnitruck.chef.io/install.sh";
    /** The placeholders of {@code executeCommand} ({@code {{.Sudo}}} stands for {@code sudo -n -E}). */
    public static final Map<String, Boolean> PLACEHOLDERS = ToolOptions.placeholders(".ConfigPath", true,
            ".JsonPath", true, ".Sudo", false);
    /** The fields a solo.rb template may use, as Packer names them. */
    public static final List<String> TEMPLATE_FIELDS = List.of("CookbookPaths", "DataBagsPath",
            "EncryptedDataBagSecretPath", "RolesPath", "EnvironmentsPath", "ChefEnvironment", "ChefLicense",
            "HasDataBagsPath", "HasEncryptedDataBagSecretPath", "HasRolesPath", "HasEnvironmentsPath");
    /** Packer's solo.rb template, as Packer has it (tabs included). */
    public static final String DEFAULT_CONFIG_TEMPLATE = """

            chef_license \t\t"{{.ChefLicense}}"
            cookbook_path \t[{{.CookbookPaths}}]
            {{if .HasRolesPath}}
            role_path\t\t"{{.RolesPath}}"
            {{end}}
            {{if .HasDataBagsPath}}
            data_bag_path\t"{{.DataBagsPath}}"
            {{end}}
            {{if .HasEncryptedDataBagSecretPath}}
            encrypted_data_bag_secret "{{.EncryptedDataBagSecretPath}}"
            {{end}}
            {{if .HasEnvironmentsPath}}
            environment_path "{{.EnvironmentsPath}}"
            environment "{{.ChefEnvironment}}"
            {{end}}
            """;

    public ChefSoloStep {
        cookbookPaths = List.copyOf(cookbookPaths);
        runList = List.copyOf(runList);
        json = NodeJson.copy(json);
        remoteCookbookPaths = List.copyOf(remoteCookbookPaths);
    }

    @Override
    public String kind() {
        return "chef";
    }
}
