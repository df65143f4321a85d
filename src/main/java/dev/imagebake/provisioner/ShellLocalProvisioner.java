package dev.imagebake.provisioner;

import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.StepFailedException;
import dev.imagebake.plan.ShellLocalStep;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code provision shellLocal}: runs commands on this host with {@code /bin/sh}, in the template's folder. The
 * build's facts are in the environment: IMAGEBAKE_BUILD_NAME, IMAGEBAKE_BUILDER_TYPE and, once a machine is
 * reachable, IMAGEBAKE_HOST, IMAGEBAKE_PORT, IMAGEBAKE_USER and IMAGEBAKE_SSH_KEY_FILE (when a key is used).
 */
public final class ShellLocalProvisioner extends Provisioner<ShellLocalStep> {
    public ShellLocalProvisioner(ShellLocalStep spec, String name) {
        super(spec, name);
    }

    @Override
    public void run(BuildContext context) throws Exception {
        List<String> scripts = new ArrayList<>();
        if (!spec.inline().isEmpty()) {
            scripts.add("set -e\n" + String.join("\n", spec.inline()) + "\n");
        }
        for (String path : spec.scripts()) {
            scripts.add(Files.readString(context.templateFolder().resolve(path)));
        }
        Map<String, String> env = new java.util.LinkedHashMap<>(facts(context));
        env.putAll(spec.env());
        for (String script : scripts) {
            int status = LocalProcess.run(context, name(), List.of("/bin/sh", "-s"), env, script);
            if (!spec.validExitCodes().contains(status)) {
                throw new StepFailedException("the local script exited with status " + status);
            }
        }
    }

    /** The build's facts, as environment variables for commands on this host. */
    static Map<String, String> facts(BuildContext context) throws Exception {
        Map<String, String> facts = new java.util.LinkedHashMap<>();
        facts.put("IMAGEBAKE_BUILD_NAME", context.name());
        facts.put("IMAGEBAKE_BUILDER_TYPE", context.build().type());
        if (context.hasMachine()) {
            var endpoint = context.machine().endpoint();
            facts.put("IMAGEBAKE_HOST", endpoint.host());
            facts.put("IMAGEBAKE_PORT", String.valueOf(endpoint.port()));
            facts.put("IMAGEBAKE_USER", endpoint.user());
            var key = context.machine().privateKeyFile();
            if (key != null) {
                facts.put("IMAGEBAKE_SSH_KEY_FILE", key.toString());
            }
        }
        return facts;
    }
}
