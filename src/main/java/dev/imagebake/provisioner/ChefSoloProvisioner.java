package dev.imagebake.provisioner;

import dev.imagebake.engine.BuildContext;
import dev.imagebake.plan.ChefSoloStep;
import dev.imagebake.plan.NodeJson;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code provision chef}: Packer's {@code chef-solo}. Chef is installed with the omnitruck bootstrap only when
 * chef-solo is missing; cookbook folders go to {@code STAGING/cookbooks-N}, roles to {@code STAGING/roles}, data bags
 * to {@code STAGING/data_bags}, the data bag secret to {@code STAGING/encrypted_data_bag_secret} and environments to
 * {@code STAGING/environments}; {@code solo.rb} and {@code node.json} (the attributes with the run list) are written
 * there from memory; then {@code chef-solo --no-color -c STAGING/solo.rb -j STAGING/node.json} runs.
 */
public final class ChefSoloProvisioner extends Provisioner<ChefSoloStep> {

    public ChefSoloProvisioner(ChefSoloStep spec, String name) {
        super(spec, name);
    }

    @Override
    public void run(BuildContext context) throws Exception {
        ToolRun run = new ToolRun(context, name(), spec.tool());
        ChefRun chef = new ChefRun(context, run, spec.tool());
        String staging = spec.tool().stagingDirectory();
        run.staged(() -> {
            chef.install("chef-solo", spec.skipInstall(), spec.version());
            List<String> cookbooks = new ArrayList<>();
            spec.remoteCookbookPaths().forEach(path -> cookbooks.add("\"" + path + "\""));
            for (int i = 0; i < spec.cookbookPaths().size(); i++) {
                String target = staging + "/cookbooks-" + i;
                run.upload(spec.cookbookPaths().get(i), target);
                cookbooks.add("\"" + target + "\"");
            }
            Map<String, Object> values = new HashMap<>();
            values.put("CookbookPaths", String.join(",", cookbooks));
            values.put("RolesPath", upload(run, spec.rolesPath(), staging + "/roles"));
            values.put("DataBagsPath", upload(run, spec.dataBagsPath(), staging + "/data_bags"));
            values.put("EncryptedDataBagSecretPath", upload(run, spec.encryptedDataBagSecretPath(),
                    staging + "/encrypted_data_bag_secret"));
            values.put("EnvironmentsPath", upload(run, spec.environmentsPath(), staging + "/environments"));
            values.put("ChefEnvironment", spec.chefEnvironment() == null ? "" : spec.chefEnvironment());
            values.put("ChefLicense", spec.chefLicense());
            for (String path : List.of("RolesPath", "DataBagsPath", "EncryptedDataBagSecretPath", "EnvironmentsPath")) {
                values.put("Has" + path, !values.get(path).equals(""));
            }
            String config = staging + "/solo.rb";
            String json = staging + "/node.json";
            run.write("solo.rb", chef.config(spec.configTemplate(), ChefSoloStep.DEFAULT_CONFIG_TEMPLATE,
                    ChefSoloStep.TEMPLATE_FIELDS, values), config);
            run.write("the node JSON", NodeJson.write(spec.json(), spec.runList()), json);
            int status = run.stream("chef-solo", chef.command("chef-solo", ChefSoloStep.PLACEHOLDERS, config, json),
                    chef.reader());
            chef.check("chef-solo", status);
        });
    }

    /** Uploads an optional file or folder; its path on the machine, or "" when the step has none. */
    private static String upload(ToolRun run, String local, String remote) throws Exception {
        if (local == null) {
            return "";
        }
        run.upload(local, remote);
        return remote;
    }
}
