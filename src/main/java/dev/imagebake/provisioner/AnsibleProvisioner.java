package dev.imagebake.provisioner;

import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.StepFailedException;
import dev.imagebake.plan.AnsibleStep;
import dev.imagebake.util.Json;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code provision ansible}: runs this host's {@code ansible-playbook} against the build machine, with a generated
 * inventory, the build's key, and a known_hosts file holding the host key imagebake verified (so Ansible checks it
 * too, instead of turning host key checking off).
 */
public final class AnsibleProvisioner extends Provisioner<AnsibleStep> {
    public AnsibleProvisioner(AnsibleStep spec, String name) {
        super(spec, name);
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
            int status;
            try {
                status = LocalProcess.run(context, name(), command, Map.of("ANSIBLE_NOCOLOR", "1",
                        "ANSIBLE_FORCE_COLOR", "0"), null);
            } catch (java.io.IOException e) {
                throw new StepFailedException("cannot run ansible-playbook: " + e.getMessage()
                        + " (install Ansible on this host)");
            }
            if (status != 0) {
                throw new StepFailedException("ansible-playbook exited with status " + status);
            }
        } finally {
            Files.deleteIfExists(inventory);
        }
    }
}
