package dev.imagebake.provisioner;

import dev.imagebake.communicator.CommandTemplate;
import dev.imagebake.communicator.ShellQuoting;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.StepFailedException;
import dev.imagebake.plan.GoTextTemplate;
import dev.imagebake.plan.ToolOptions;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * What chef-solo and chef-client runs share: installing Chef only when it is missing, rendering the configuration
 * template, the command line, and reading the outcome. Only exit status 0 is success, as in Packer; the codes Chef
 * uses to ask for a reboot (RFC 062: 35 scheduled, 37 needed, 41 now) and 213 (Chef upgraded itself) fail the step
 * with a message that says so, since the build machine is not rebooted behind the template's back.
 */
final class ChefRun {
    private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;]*m");
    private static final Pattern FATAL = Pattern.compile(".*?\\bFATAL: (.*)");
    private static final Pattern ERROR = Pattern.compile(".*?\\bERROR: (.*)");
    private static final int QUOTED = 3;

    private final BuildContext context;
    private final ToolRun run;
    private final ToolOptions options;
    private final List<String> fatal = new ArrayList<>();
    private final List<String> errors = new ArrayList<>();

    ChefRun(BuildContext context, ToolRun run, ToolOptions options) {
        this.context = context;
        this.run = run;
        this.options = options;
    }

    /** Installs Chef when {@code tool} is missing, unless the step skips installing (then a missing tool fails it). */
    void install(String tool, boolean skipInstall, String version) throws Exception {
        String present = "command -v " + tool + " >/dev/null 2>&1";
        if (skipInstall) {
            if (run.status(present) != 0) {
                throw new StepFailedException(tool + " is not installed on the machine and skipInstall is true: "
                        + "install Chef in an earlier step, or leave out skipInstall (then the omnitruck bootstrap "
                        + "installs it when it is missing)");
            }
            return;
        }
        run.ensureInstalled(tool, present, List.of("chef"), version == null ? "" : "-v "
                + ShellQuoting.quote(version));
    }

    /** The configuration file: the step's template (a file next to the template) or Packer's, filled in. */
    String config(String templateFile, String defaultTemplate, List<String> fields, Map<String, Object> values)
            throws Exception {
        String template = templateFile == null ? defaultTemplate
                : Files.readString(context.templateFolder().resolve(templateFile), StandardCharsets.UTF_8);
        try {
            return GoTextTemplate.parse(template, fields).render(values);
        } catch (IllegalArgumentException e) {
            throw new StepFailedException("configTemplate '" + templateFile + "': " + e.getMessage());
        }
    }

    /**
     * The command that runs chef: the step's executeCommand with {@code {{.ConfigPath}}}, {@code {{.JsonPath}}} and
     * {@code {{.Sudo}}} filled (after {@code export} lines for the build's variables), or Packer's command line run
     * through {@code sudo -n env} with the build's variables.
     */
    String command(String tool, Map<String, Boolean> placeholders, String configPath, String jsonPath) {
        if (options.executeCommand() != null) {
            return exports() + CommandTemplate.parse(options.executeCommand(), placeholders,
                    ToolOptions.describe(placeholders)).expandNamed(Map.of(".ConfigPath", configPath,
                    ".JsonPath", jsonPath, ".Sudo", sudoPlaceholder()));
        }
        return run.sudo() + run.envPrefix(Map.of()) + tool + " --no-color -c " + ShellQuoting.quote(configPath)
                + " -j " + ShellQuoting.quote(jsonPath);
    }

    /** What {@code {{.Sudo}}} stands for in a command the template wrote. */
    String sudoPlaceholder() {
        return run.sudoUsed() ? "sudo -n -E" : "";
    }

    /** {@code export NAME='value'} lines for the build's variables, before a command the template wrote. */
    String exports() {
        StringBuilder out = new StringBuilder();
        run.environment().forEach((name, value) -> out.append("export ").append(name).append('=')
                .append(ShellQuoting.quote(value)).append('\n'));
        return out.toString();
    }

    /** Notes chef's FATAL and ERROR lines, for the step's error message. */
    Consumer<String> reader() {
        return line -> {
            String plain = ANSI.matcher(line).replaceAll("").strip();
            var fatalLine = FATAL.matcher(plain);
            var errorLine = ERROR.matcher(plain);
            if (fatalLine.matches()) {
                if (fatal.size() < QUOTED) {
                    fatal.add("FATAL: " + fatalLine.group(1));
                }
            } else if (errorLine.matches() && errors.size() < QUOTED) {
                errors.add("ERROR: " + errorLine.group(1));
            }
        };
    }

    /** Fails the step unless {@code status} is 0, quoting chef's FATAL lines (or its ERROR lines when none). */
    void check(String tool, int status) throws StepFailedException {
        if (status == 0) {
            context.info(tool + " finished (exit status 0)");
            return;
        }
        List<String> quoted = !fatal.isEmpty() ? fatal : errors;
        String said = quoted.isEmpty() ? "" : ": " + String.join("; ", quoted);
        String meaning = switch (status) {
            case 35 -> " (Chef scheduled a reboot)";
            case 37 -> " (Chef needs a reboot to finish)";
            case 41 -> " (Chef asked for a reboot now)";
            case 213 -> " (Chef upgraded itself; run it again)";
            default -> "";
        };
        String hint = meaning.contains("reboot") ? "; only exit status 0 is success, as in Packer: let the cookbook "
                + "finish without a reboot request, or add provision reboot and run chef again after it" : "";
        throw new StepFailedException(tool + " failed with exit status " + status + meaning + said + hint);
    }
}
