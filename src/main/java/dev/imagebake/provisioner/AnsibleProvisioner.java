package dev.imagebake.provisioner;

import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.BuildStep;
import dev.imagebake.engine.StepFailedException;
import dev.imagebake.plan.AnsibleStep;
import dev.imagebake.util.Json;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code provision ansible}: runs this host's {@code ansible-playbook} against the build machine, with a generated
 * inventory, the build's key, and a known_hosts file holding the host key imagebake verified (so Ansible checks it
 * too, instead of turning host key checking off).
 */
public final class AnsibleProvisioner implements BuildStep {
    private final AnsibleStep spec;
    private final String name;

    public AnsibleProvisioner(AnsibleStep spec, String name) {
        this.spec = spec;
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void run(BuildContext context) throws Exception {
        var machine = context.machine();
        var endpoint = machine.endpoint();
        Path knownHosts = machine.knownHostsFile();
        Path key = machine.privateKeyFile();
        Path inventory = Files.createTempFile("imagebake-inventory-", ".ini");
        try {
            StringBuilder ini = new StringBuilder();
            String host = "default ansible_host=" + endpoint.host() + " ansible_port=" + endpoint.port()
                    + " ansible_user=" + (spec.user() != null ? spec.user() : endpoint.user()) + "\n";
            ini.append(host);
            for (String group : spec.groups()) {
                ini.append("[").append(group).append("]\n").append(host);
            }
            Files.writeString(inventory, ini);
            List<String> command = new ArrayList<>(List.of("ansible-playbook", "-i", inventory.toString(),
                    "--ssh-common-args", "-o UserKnownHostsFile=" + knownHosts + " -o StrictHostKeyChecking=yes"));
            if (key != null) {
                command.addAll(List.of("--private-key", key.toString()));
            }
            if (!spec.extraVars().isEmpty()) {
                command.addAll(List.of("--extra-vars", Json.write(spec.extraVars())));
            }
            command.addAll(spec.extraArguments());
            command.add(context.templateFolder().resolve(spec.playbook()).toString());
            ProcessBuilder process = new ProcessBuilder(command).directory(context.templateFolder().toFile())
                    .redirectErrorStream(true);
            process.environment().put("ANSIBLE_NOCOLOR", "1");
            process.environment().put("ANSIBLE_FORCE_COLOR", "0");
            Process running;
            try {
                running = process.start();
            } catch (java.io.IOException e) {
                throw new StepFailedException("cannot run ansible-playbook: " + e.getMessage()
                        + " (install Ansible on this host)");
            }
            running.getOutputStream().close();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(running.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    context.reporter().output(context.name(), name, "stdout", line);
                }
            }
            int status = running.waitFor();
            if (status != 0) {
                throw new StepFailedException("ansible-playbook exited with status " + status);
            }
        } finally {
            Files.deleteIfExists(inventory);
        }
    }
}
