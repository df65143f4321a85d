package dev.imagebake.dsl;

import dev.imagebake.plan.PuppetStep;
import dev.imagebake.plan.StepSpec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code provision puppet { manifest 'manifests/site.pp' }}: runs {@code puppet apply} on the build machine with
 * the manifest, modules and Hiera configuration uploaded first. Packer's {@code puppet-masterless}.
 */
public final class PuppetContext extends ToolContext {
    private String manifest;
    private String manifestDir;
    private final List<String> modulePaths = new ArrayList<>();
    private String hieraConfig;
    private final Map<String, String> facts = new LinkedHashMap<>();
    private final List<String> extraArguments = new ArrayList<>();
    private String puppetBinDir;
    private String workingDirectory;
    private boolean ignoreExitCodes;

    PuppetContext(Evaluation evaluation) {
        super(evaluation);
    }

    @Override
    protected String kind() {
        return "puppet";
    }

    @Override
    protected String defaultStagingDirectory() {
        return PuppetStep.DEFAULT_STAGING_DIRECTORY;
    }

    @Override
    protected Map<String, Boolean> placeholders() {
        return PuppetStep.PLACEHOLDERS;
    }

    /** The manifest to apply (a file, or a folder of manifests), relative to the template's folder. Packer's {@code manifest_file}. */
    public void manifest(Object path) {
        manifest = localPath("manifest", path);
    }

    /** A folder of manifests, uploaded to STAGING/manifests and given as --manifestdir (Puppet 3). Packer's {@code manifest_dir}. */
    public void manifestDir(Object path) {
        manifestDir = localFolder("manifestDir", path);
    }

    /** Module folders, uploaded and given as --modulepath. Packer's {@code module_paths}. */
    public void modulePaths(Object... paths) {
        for (Object path : arguments(paths)) {
            modulePaths.add(localFolder("modulePaths", path));
        }
    }

    /** A Hiera configuration file, uploaded and given as --hiera_config. Packer's {@code hiera_config_path}. */
    public void hieraConfig(Object path) {
        hieraConfig = localFile("hieraConfig", path);
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

    /** More arguments for puppet apply, for example {@code extraArguments '--verbose'}. Packer's {@code extra_arguments}. */
    public void extraArguments(Object... arguments) {
        extraArguments.addAll(strings("extraArguments", arguments));
    }

    /** The folder of the puppet command when it is not on the PATH, for example '/opt/puppetlabs/bin'. Packer's {@code puppet_bin_dir}. */
    public void puppetBinDir(Object path) {
        puppetBinDir = string("puppetBinDir", path);
    }

    /** The folder puppet runs in (default: the staging folder). Packer's {@code working_directory}. */
    public void workingDirectory(Object path) {
        workingDirectory = string("workingDirectory", path);
    }

    /** Any exit status counts as success (by default 0, "no changes", and 2, "changes applied", do). Packer's {@code ignore_exit_codes}. */
    public void ignoreExitCodes(Object value) {
        ignoreExitCodes = bool("ignoreExitCodes", value);
    }

    @Override
    protected StepSpec spec() {
        if (manifest == null && !refused("manifest")) {
            errorAtBlock("puppet needs a `manifest`, for example manifest 'manifests/site.pp'");
        }
        return new PuppetStep(manifest, manifestDir, modulePaths, hieraConfig, facts, extraArguments, puppetBinDir,
                workingDirectory, ignoreExitCodes, toolOptions());
    }
}
