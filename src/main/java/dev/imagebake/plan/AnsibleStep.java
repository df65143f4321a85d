package dev.imagebake.plan;

import java.util.List;
import java.util.Map;

/** Runs the host's {@code ansible-playbook} against the build machine over SSH. */
public record AnsibleStep(String playbook, List<String> extraArguments, Map<String, String> extraVars,
                          List<String> groups, String user) implements StepSpec {
    public AnsibleStep {
        extraArguments = List.copyOf(extraArguments);
        extraVars = Ordered.copy(extraVars);
        groups = List.copyOf(groups);
    }

    @Override
    public String kind() {
        return "ansible";
    }

    @Override
    public boolean runsOnHost() {
        return true;
    }
}
