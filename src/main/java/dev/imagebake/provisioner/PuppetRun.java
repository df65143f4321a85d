package dev.imagebake.provisioner;

import dev.imagebake.communicator.ShellQuoting;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.StepFailedException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What {@code puppet apply} ({@code provision puppet}) and {@code puppet agent} ({@code provision puppetServer})
 * share: where the command is, the facts, the {@code Error:} lines worth quoting, and what the exit statuses of
 * {@code --detailed-exitcodes} mean (0 and 2 are success).
 */
final class PuppetRun {
    /** Where puppet-agent packages from Puppet itself put the command (not on sudo's PATH). */
    static final String PUPPETLABS_BIN = "/opt/puppetlabs/bin";
    private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;]*m");
    private static final int ERRORS_QUOTED = 3;

    private final String command;
    private final List<String> resourceErrors = new ArrayList<>();
    private final List<String> otherErrors = new ArrayList<>();

    /** @param command how messages name the run, for example {@code puppet agent} */
    PuppetRun(String command) {
        this.command = command;
    }

    /**
     * Installs puppet when it is missing and the step says how, then finds it; the command's full path.
     *
     * @param binDir the step's puppetBinDir, or null
     */
    static String install(ToolRun run, String binDir) throws Exception {
        run.ensureInstalled("puppet", present(binDir), List.of("puppet-agent", "puppet"), "");
        return locate(run, binDir);
    }

    /** The values of the placeholders both execute commands have: Packer's names, with their imagebake meaning. */
    static Map<String, String> values(ToolRun run, String puppet, String workingDirectory, Map<String, String> facts,
                                      List<String> extraArguments) {
        Map<String, String> values = new HashMap<>();
        values.put(".WorkingDir", workingDirectory);
        values.put(".FacterVars", PuppetProvisioner.facterVars(facts));
        values.put(".Sudo", run.sudoUsed() ? "sudo -n -E" : "");
        values.put(".PuppetBinDir", puppet.substring(0, puppet.lastIndexOf('/') + 1).replaceAll("/$", ""));
        values.put(".ExtraArguments", ToolRun.words(extraArguments));
        return values;
    }

    /** The shell test that passes when puppet is on the machine ({@code binDir}: the step's puppetBinDir or null). */
    private static String present(String binDir) {
        if (binDir != null) {
            return "test -x " + ShellQuoting.quote(binDir + "/puppet");
        }
        return "command -v puppet >/dev/null 2>&1 || test -x " + PUPPETLABS_BIN + "/puppet";
    }

    /** The puppet command's full path on the machine. */
    private static String locate(ToolRun run, String binDir) throws Exception {
        return binDir != null ? binDir + "/puppet" : run.output("find the puppet command",
                "command -v puppet || { test -x " + PUPPETLABS_BIN + "/puppet && echo " + PUPPETLABS_BIN + "/puppet; }");
    }

    /** The facts: Packer's two, then the step's own (which win). */
    static Map<String, String> facts(BuildContext context, Map<String, String> own) {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("packer_build_name", context.name());
        facts.put("packer_builder_type", ShellProvisioner.packerBuilderType(context.build().type()));
        facts.putAll(own);
        return facts;
    }

    /** Reads one line of puppet's output, keeping the first {@code Error:} lines. */
    void see(String line) {
        String plain = ANSI.matcher(line).replaceAll("").strip();
        if (plain.startsWith("Error: ")) {
            // Errors that name a resource (Error: /Stage[main]/Main/Exec[x]/returns: ...) come first;
            // Facter's complaints about the machine are quoted only when nothing else was said.
            List<String> into = plain.contains("/Stage[") ? resourceErrors : otherErrors;
            if (into.size() < ERRORS_QUOTED) {
                into.add(plain.substring("Error: ".length()));
            }
        }
    }

    /** Fails the step unless {@code status} is success (0, 2, or anything with ignoreExitCodes), quoting the errors. */
    void check(BuildContext context, int status, boolean ignoreExitCodes) throws StepFailedException {
        List<String> facterless = otherErrors.stream().filter(e -> !e.startsWith("Facter:")).toList();
        List<String> errors = !resourceErrors.isEmpty() ? resourceErrors
                : !facterless.isEmpty() ? facterless : otherErrors;
        String quoted = errors.isEmpty() ? "" : ": " + String.join("; ", errors);
        if (ignoreExitCodes) {
            if (status != 0 && status != 2) {
                context.warn(command + " exited with status " + status + ", ignored (ignoreExitCodes)" + quoted);
            }
            return;
        }
        switch (status) {
            case 0 -> context.info(command + ": nothing to change (exit status 0)");
            case 2 -> context.info(command + ": changes applied (exit status 2, success with --detailed-exitcodes)");
            case 4, 6 -> throw new StepFailedException(command + " failed: some resources could not be applied "
                    + "(exit status " + status + ")" + quoted);
            default -> throw new StepFailedException(command + " failed (exit status " + status + ")" + quoted);
        }
    }
}
