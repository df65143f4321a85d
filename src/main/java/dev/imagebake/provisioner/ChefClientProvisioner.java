package dev.imagebake.provisioner;

import dev.imagebake.communicator.CommandTemplate;
import dev.imagebake.communicator.ShellQuoting;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.StepFailedException;
import dev.imagebake.plan.ChefClientStep;
import dev.imagebake.plan.NodeJson;
import dev.imagebake.plan.ToolOptions;

import java.security.SecureRandom;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code provision chefClient}: Packer's {@code chef-client}. Chef is installed with the omnitruck bootstrap only
 * when chef-client is missing; the data bag secret goes to {@code STAGING/encrypted_data_bag_secret} and the
 * validation key to {@code STAGING/validation.pem}; {@code client.rb} and {@code first-boot.json} are written from
 * memory; {@code chef-client --no-color -c STAGING/client.rb -j STAGING/first-boot.json} runs; then, also after a
 * failed run and unless skipped, {@code knife node delete} and {@code knife client delete} remove the node and its
 * client from the server (with {@code STAGING/knife.rb}), as Packer does.
 */
public final class ChefClientProvisioner extends Provisioner<ChefClientStep> {
    private static final SecureRandom RANDOM = new SecureRandom();

    public ChefClientProvisioner(ChefClientStep spec, String name) {
        super(spec, name);
    }

    @Override
    public void run(BuildContext context) throws Exception {
        ToolRun run = new ToolRun(context, name(), spec.tool());
        ChefRun chef = new ChefRun(context, run, spec.tool());
        String staging = spec.tool().stagingDirectory();
        String nodeName = spec.nodeName() != null ? spec.nodeName() : "packer-" + timeOrderedUuid();
        run.staged(() -> {
            chef.install("chef-client", spec.skipInstall(), spec.version());
            Map<String, Object> values = new HashMap<>();
            values.put("ServerUrl", spec.serverUrl());
            values.put("ClientKey", spec.clientKey() != null ? spec.clientKey() : staging + "/client.pem");
            values.put("ChefLicense", spec.chefLicense());
            values.put("EncryptedDataBagSecretPath", upload(run, spec.encryptedDataBagSecretPath(),
                    staging + "/encrypted_data_bag_secret"));
            values.put("ValidationKeyPath", upload(run, spec.validationKeyPath(), staging + "/validation.pem"));
            values.put("ValidationClientName", orEmpty(spec.validationClientName()));
            values.put("NodeName", nodeName);
            values.put("ChefEnvironment", orEmpty(spec.chefEnvironment()));
            values.put("PolicyGroup", orEmpty(spec.policyGroup()));
            values.put("PolicyName", orEmpty(spec.policyName()));
            values.put("SslVerifyMode", orEmpty(spec.sslVerifyMode()));
            values.put("TrustedCertsDir", orEmpty(spec.trustedCertsDir()));
            String config = staging + "/client.rb";
            String json = staging + "/first-boot.json";
            run.write("client.rb", chef.config(spec.configTemplate(), ChefClientStep.DEFAULT_CONFIG_TEMPLATE,
                    ChefClientStep.TEMPLATE_FIELDS, values), config);
            run.write("first-boot.json", NodeJson.write(spec.json(), spec.runList()), json);
            int status = run.stream("chef-client", chef.command("chef-client", ChefClientStep.PLACEHOLDERS, config,
                    json), chef.reader());
            StepFailedException failed = null;
            try {
                chef.check("chef-client", status);
            } catch (StepFailedException e) {
                failed = e;
            }
            clean(context, run, chef, values, failed);
            if (failed != null) {
                throw failed;
            }
        });
    }

    /**
     * Deletes the node and then its client from the Chef server with knife on the machine, unless skipped. A
     * clean-up failure after a failed chef run is only reported: the run's failure stays the step's error.
     */
    private void clean(BuildContext context, ToolRun run, ChefRun chef, Map<String, Object> values,
                       StepFailedException chefFailed) throws Exception {
        if (spec.skipCleanNode() && spec.skipCleanClient()) {
            return;
        }
        String knifeConfig = spec.tool().stagingDirectory() + "/knife.rb";
        run.write("knife.rb", chef.config(null, ChefClientStep.KNIFE_TEMPLATE, ChefClientStep.TEMPLATE_FIELDS, values),
                knifeConfig);
        String node = (String) values.get("NodeName");
        for (String what : List.of("node", "client")) {
            if (what.equals("node") ? spec.skipCleanNode() : spec.skipCleanClient()) {
                continue;
            }
            String command = knife(run, chef, what + " delete " + ShellQuoting.quote(node),
                    "-y -c " + ShellQuoting.quote(knifeConfig));
            int status = run.stream("knife " + what + " delete", command);
            if (status == 0) {
                context.info("deleted the " + what + " " + node + " from the Chef server");
                continue;
            }
            String message = "could not delete the " + what + " " + node + " from the Chef server (knife exited "
                    + "with status " + status + "; see its output above); delete it with: knife " + what
                    + " delete " + node + " -y";
            if (chefFailed != null) {
                context.warn(message);
            } else {
                throw new StepFailedException(message);
            }
        }
    }

    /** The knife command line: the step's knifeCommand with its placeholders filled, or Packer's. */
    private String knife(ToolRun run, ChefRun chef, String args, String flags) {
        if (spec.knifeCommand() != null) {
            return chef.exports() + CommandTemplate.parse(spec.knifeCommand(), ChefClientStep.KNIFE_PLACEHOLDERS,
                    ToolOptions.describe(ChefClientStep.KNIFE_PLACEHOLDERS)).expandNamed(Map.of(".Args", args,
                    ".Flags", flags, ".Sudo", chef.sudoPlaceholder()));
        }
        return run.sudo() + run.envPrefix(Map.of()) + "knife " + args + " " + flags;
    }

    /** Uploads an optional file; its path on the machine, or "" when the step has none. */
    private static String upload(ToolRun run, String local, String remote) throws Exception {
        if (local == null) {
            return "";
        }
        run.upload(local, remote);
        return remote;
    }

    private static String orEmpty(String value) {
        return value == null ? "" : value;
    }

    /** A UUID whose first part is the time in seconds, as Packer names nodes ({@code packer-} before it). */
    static String timeOrderedUuid() {
        byte[] random = new byte[10];
        RANDOM.nextBytes(random);
        StringBuilder hex = new StringBuilder();
        for (byte b : random) {
            hex.append(String.format("%02x", b));
        }
        return String.format("%08x-%s-%s-%s-%s", System.currentTimeMillis() / 1000, hex.substring(0, 4),
                hex.substring(4, 8), hex.substring(8, 12), hex.substring(12, 20) + "0000").substring(0, 36);
    }
}
