package dev.imagebake.dsl;

import dev.imagebake.plan.PuppetStep;
import dev.imagebake.plan.StepSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code provision puppet { manifest 'manifests/site.pp' }}: runs {@code puppet apply} on the build machine with
 * the manifest, modules and Hiera configuration uploaded first. Packer's {@code puppet-masterless}.
 */
public final class PuppetContext extends PuppetBaseContext {
    private String manifest;
    private String manifestDir;
    private final List<String> modulePaths = new ArrayList<>();
    private String hieraConfig;

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






    @Override
    protected StepSpec spec() {
        if (manifest == null && !refused("manifest")) {
            errorAtBlock("puppet needs a `manifest`, for example manifest 'manifests/site.pp'");
        }
        return new PuppetStep(manifest, manifestDir, modulePaths, hieraConfig, facts, extraArguments, puppetBinDir,
                workingDirectory, ignoreExitCodes, toolOptions());
    }
}
