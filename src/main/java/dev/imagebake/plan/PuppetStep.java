package dev.imagebake.plan;

import java.util.List;
import java.util.Map;

/**
 * Runs {@code puppet apply} on the build machine, as Packer's {@code puppet-masterless} provisioner does: the
 * manifest, modules and Hiera configuration are uploaded to the staging folder first.
 *
 * @param manifest         the manifest file (or folder of manifests), relative to the template's folder
 * @param manifestDir      a folder of manifests uploaded to {@code STAGING/manifests} (Puppet 3's --manifestdir)
 * @param modulePaths      module folders, uploaded to {@code STAGING/module-N} and given as --modulepath
 * @param hieraConfig      a Hiera configuration file, uploaded to {@code STAGING/hiera.yaml}
 * @param facts            custom facts, as {@code FACTER_name} variables (besides packer_build_name and
 *                         packer_builder_type)
 * @param extraArguments   more arguments for puppet apply
 * @param puppetBinDir     the folder puppet is in when it is not on the PATH
 * @param workingDirectory the folder puppet runs in (default: the staging folder)
 * @param ignoreExitCodes  any exit status counts as success (by default 0 and 2, "changes applied", do)
 * @param tool             the staging folder, sudo, execute and install commands
 */
public record PuppetStep(String manifest, String manifestDir, List<String> modulePaths, String hieraConfig,
                         Map<String, String> facts, List<String> extraArguments, String puppetBinDir,
                         String workingDirectory, boolean ignoreExitCodes, ToolOptions tool) implements ToolStep {
    /** Packer's default {@code staging_directory} for puppet-masterless. */
    public static final String DEFAULT_STAGING_DIRECTORY = "/tmp/packer-puppet-masterless";
    /** The placeholders of {@code executeCommand}: Packer's ({@code {{.Sudo}}} stands for {@code sudo -n -E}). */
    public static final Map<String, Boolean> PLACEHOLDERS = ToolOptions.placeholders(".WorkingDir", true,
            ".FacterVars", false, ".Sudo", false, ".PuppetBinDir", false, ".ModulePath", true,
            ".HieraConfigPath", true, ".ManifestDir", true, ".ManifestFile", true, ".ExtraArguments", false);

    public PuppetStep {
        modulePaths = List.copyOf(modulePaths);
        facts = Ordered.copy(facts);
        extraArguments = List.copyOf(extraArguments);
    }

    @Override
    public String kind() {
        return "puppet";
    }
}
