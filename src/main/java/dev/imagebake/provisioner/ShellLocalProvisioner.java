package dev.imagebake.provisioner;

import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.BuildStep;
import dev.imagebake.engine.StepFailedException;
import dev.imagebake.plan.ShellLocalStep;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code provision shellLocal}: runs commands on this host with {@code /bin/sh}, in the template's folder. The
 * build's facts are in the environment: IMAGEBAKE_BUILD_NAME, IMAGEBAKE_BUILDER_TYPE and, once a machine is
 * reachable, IMAGEBAKE_HOST, IMAGEBAKE_PORT, IMAGEBAKE_USER and IMAGEBAKE_SSH_KEY_FILE (when a key is used).
 */
public final class ShellLocalProvisioner implements BuildStep {
    private final ShellLocalStep spec;
    private final String name;

    public ShellLocalProvisioner(ShellLocalStep spec, String name) {
        this.spec = spec;
        this.name = name;
    }

    @Override
    public String name() {
        return name;
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
        for (String script : scripts) {
            ProcessBuilder process = new ProcessBuilder("/bin/sh", "-s").directory(context.templateFolder().toFile())
                    .redirectErrorStream(true);
            Map<String, String> env = process.environment();
            env.putAll(facts(context));
            env.putAll(spec.env());
            Process running = process.start();
            try (var in = running.getOutputStream()) {
                in.write(script.getBytes(StandardCharsets.UTF_8));
            }
            try (BufferedReader out = new BufferedReader(new InputStreamReader(running.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    context.reporter().output(context.name(), name, "stdout", line);
                }
            } finally {
                if (running.isAlive()) {
                    running.destroy();
                }
            }
            int status = running.waitFor();
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
