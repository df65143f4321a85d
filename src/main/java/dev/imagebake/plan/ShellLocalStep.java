package dev.imagebake.plan;

import java.util.List;
import java.util.Map;

/** Runs commands on the imagebake host itself, with the build's facts in its environment. */
public record ShellLocalStep(List<String> inline, List<String> scripts, Map<String, String> env,
                             List<Integer> validExitCodes) implements StepSpec {
    public ShellLocalStep {
        inline = List.copyOf(inline);
        scripts = List.copyOf(scripts);
        env = Ordered.copy(env);
        validExitCodes = List.copyOf(validExitCodes);
    }

    @Override
    public String kind() {
        return "shellLocal";
    }

    @Override
    public boolean runsOnHost() {
        return true;
    }
}
