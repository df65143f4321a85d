package dev.imagebake.plan;

import java.util.List;
import java.util.Map;

/**
 * Runs commands on the build machine.
 *
 * @param inline           commands run in one shell, stopping at the first failure
 * @param scripts          template-relative script files, uploaded and run in order
 * @param env              environment variables, passed without shell interpretation
 * @param sudo             run as root through {@code sudo}
 * @param executeCommand   a custom command line; {@code {{path}}} stands for the script, {@code {{env}}} for the variables
 * @param validExitCodes   exit codes that count as success
 * @param expectDisconnect a dropped connection (for example a reboot) is not a failure
 * @param pty              allocate a pseudo-terminal
 */
public record ShellStep(List<String> inline, List<String> scripts, Map<String, String> env, boolean sudo,
                        String executeCommand, List<Integer> validExitCodes, boolean expectDisconnect, boolean pty)
        implements StepSpec {
    public ShellStep {
        inline = List.copyOf(inline);
        scripts = List.copyOf(scripts);
        env = Ordered.copy(env);
        validExitCodes = List.copyOf(validExitCodes);
    }

    @Override
    public String kind() {
        return "shell";
    }
}
