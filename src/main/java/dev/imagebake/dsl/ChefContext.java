package dev.imagebake.dsl;

import dev.imagebake.plan.ChefSoloStep;
import dev.imagebake.plan.StepSpec;
import dev.imagebake.plan.ToolOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code provision chef { cookbookPaths 'cookbooks'; runList 'recipe[web]' }}: runs chef-solo on the build machine
 * with the cookbooks, roles, data bags and environments uploaded first. Packer's {@code chef-solo}.
 */
public final class ChefContext extends ChefBaseContext {
    private final List<String> cookbookPaths = new ArrayList<>();
    private final List<String> remoteCookbookPaths = new ArrayList<>();
    private String rolesPath;
    private String dataBagsPath;
    private String environmentsPath;

    ChefContext(Evaluation evaluation) {
        super(evaluation);
    }

    @Override
    protected String kind() {
        return "chef";
    }

    @Override
    protected String defaultStagingDirectory() {
        return ChefSoloStep.DEFAULT_STAGING_DIRECTORY;
    }

    @Override
    protected Map<String, Boolean> placeholders() {
        return ChefSoloStep.PLACEHOLDERS;
    }

    @Override
    protected List<String> templateFields() {
        return ChefSoloStep.TEMPLATE_FIELDS;
    }

    /** Cookbook folders next to the template, uploaded to STAGING/cookbooks-N. Packer's {@code cookbook_paths}. */
    public void cookbookPaths(Object... paths) {
        for (Object path : arguments(paths)) {
            cookbookPaths.add(localFolder("cookbookPaths", path));
        }
    }

    /** Cookbook folders already on the machine, listed before the uploaded ones. Packer's {@code remote_cookbook_paths}. */
    public void remoteCookbookPaths(Object... paths) {
        remoteCookbookPaths.addAll(strings("remoteCookbookPaths", paths));
    }

    /** A folder of roles, uploaded to STAGING/roles. Packer's {@code roles_path}. */
    public void rolesPath(Object path) {
        rolesPath = localFolder("rolesPath", path);
    }

    /** A folder of data bags, uploaded to STAGING/data_bags. Packer's {@code data_bags_path}. */
    public void dataBagsPath(Object path) {
        dataBagsPath = localFolder("dataBagsPath", path);
    }

    /** A folder of environments, uploaded to STAGING/environments. Packer's {@code environments_path}. */
    public void environmentsPath(Object path) {
        environmentsPath = localFolder("environmentsPath", path);
    }

    @Override
    protected StepSpec spec() {
        if (runList.isEmpty() && !json.containsKey("run_list") && !refused("runList", "json")) {
            errorAtBlock("chef needs a `runList` (or a run_list in `json`), for example runList 'recipe[web]'; "
                    + "without one chef-solo changes nothing");
        }
        if (chefEnvironment != null && environmentsPath == null && configTemplate == null) {
            errorAtBlock("chef: `chefEnvironment` needs `environmentsPath` (solo.rb names the environment only "
                    + "with an environment folder, as Packer's chef-solo)");
        }
        ToolOptions options = chefToolOptions();
        return new ChefSoloStep(cookbookPaths, rolesPath, dataBagsPath, environmentsPath, chefEnvironment,
                encryptedDataBagSecretPath, runList, json, version, configTemplate, remoteCookbookPaths,
                skipInstall, license(options), options);
    }
}
