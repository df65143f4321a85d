package dev.imagebake.provisioner;

import dev.imagebake.communicator.CommandTemplate;
import dev.imagebake.communicator.ShellQuoting;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.StepFailedException;
import dev.imagebake.plan.AnsibleLocalStep;
import dev.imagebake.plan.ToolOptions;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code provision ansibleLocal}: Packer's {@code ansible-local}. Uploads in Packer's order (the playbook folder as
 * the staging folder itself, the playbooks, the Galaxy file, the inventory, {@code group_vars}, {@code host_vars},
 * {@code roles/NAME}, {@code playbooks/NAME}), runs {@code ansible-galaxy install} when there is a Galaxy file, then
 * {@code ansible-playbook PLAYBOOK --extra-vars '...' ARGS -c local -i INVENTORY} in the staging folder, once per
 * playbook. A non-zero exit status fails the step; its error quotes Ansible's {@code fatal:} line and the task it
 * failed in.
 */
public final class AnsibleLocalProvisioner extends Provisioner<AnsibleLocalStep> {
    private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;]*[A-Za-z]");
    private static final Pattern TASK = Pattern.compile("^TASK \\[(.*)\\] \\**$");
    private static final Pattern MSG = Pattern.compile("\"msg\": \"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final int QUOTED_CHARS = 300;

    public AnsibleLocalProvisioner(AnsibleLocalStep spec, String name) {
        super(spec, name);
    }

    @Override
    public void run(BuildContext context) throws Exception {
        ToolOptions options = withStaging(spec.tool(), UUID.randomUUID().toString());
        ToolRun run = new ToolRun(context, name(), options);
        String staging = options.stagingDirectory();
        run.staged(() -> {
            run.ensureInstalled(AnsibleLocalStep.program(spec.command()), present(), List.of("ansible"), "");
            List<String> playbooks = upload(run, staging);
            String inventory = uploadInventory(run, staging);
            if (spec.groupVars() != null) {
                run.upload(spec.groupVars(), staging + "/group_vars");
            }
            if (spec.hostVars() != null) {
                run.upload(spec.hostVars(), staging + "/host_vars");
            }
            for (String role : spec.rolePaths()) {
                run.upload(role, staging + "/roles/" + name(role));
            }
            for (String folder : spec.playbookPaths()) {
                run.upload(folder, staging + "/playbooks/" + name(folder));
            }
            if (spec.galaxyFile() != null) {
                galaxy(context, run, staging);
            }
            for (String playbook : playbooks) {
                play(context, run, staging, playbook, inventory);
            }
        });
    }

    /** The step's options with Packer's {@code <uuid>} in the default staging folder replaced by {@code uuid}. */
    static ToolOptions withStaging(ToolOptions tool, String uuid) {
        String staging = tool.stagingDirectory().replace("<uuid>", uuid);
        return new ToolOptions(staging, tool.cleanStagingDirectory(), tool.preventSudo(), tool.executeCommand(),
                tool.install(), tool.installCommand(), tool.env());
    }

    /** The shell test that passes when the command's program is on the machine. */
    private String present() {
        String program = AnsibleLocalStep.program(spec.command());
        return program.contains("/") ? "test -x " + ShellQuoting.quote(program)
                : "command -v " + ShellQuoting.quote(program) + " >/dev/null 2>&1";
    }

    /** Uploads the playbook folder, then the playbooks; the playbooks' paths on the machine, in the order they run. */
    private List<String> upload(ToolRun run, String staging) throws Exception {
        if (spec.playbookDir() != null) {
            run.upload(spec.playbookDir(), staging);
        }
        List<String> playbooks = new ArrayList<>();
        if (spec.playbookFile() != null) {
            String target = staging + "/" + name(spec.playbookFile());
            run.upload(spec.playbookFile(), target);
            playbooks.add(target);
            return playbooks;
        }
        Path dir = spec.playbookDir() == null ? null : Path.of(spec.playbookDir()).normalize();
        for (String file : spec.playbookFiles()) {
            Path path = Path.of(file).normalize();
            if (dir != null && path.startsWith(dir)) {
                // Already on the machine with the playbook folder.
                playbooks.add(staging + "/" + slashes(dir.relativize(path)));
            } else {
                String target = staging + "/" + slashes(path);
                run.upload(file, target);
                playbooks.add(target);
            }
        }
        return playbooks;
    }

    /** The Galaxy file goes before the inventory, as in Packer; the inventory's path on the machine. */
    private String uploadInventory(ToolRun run, String staging) throws Exception {
        if (spec.galaxyFile() != null) {
            run.upload(spec.galaxyFile(), staging + "/" + name(spec.galaxyFile()));
        }
        if (spec.inventoryFile() != null) {
            String target = staging + "/" + name(spec.inventoryFile());
            run.upload(spec.inventoryFile(), target);
            return target;
        }
        // Packer's name for the generated inventory: its local temporary file's.
        String target = staging + "/packer-provisioner-ansible-local"
                + ThreadLocalRandom.current().nextInt(100_000_000, 1_000_000_000);
        run.write("the inventory", inventory(spec.inventoryGroups()), target);
        return target;
    }

    /** Packer's generated inventory: 127.0.0.1 in each group, or alone (without a newline) when there are none. */
    static String inventory(List<String> groups) {
        if (groups.isEmpty()) {
            return "127.0.0.1";
        }
        StringBuilder out = new StringBuilder();
        groups.forEach(group -> out.append('[').append(group).append("]\n127.0.0.1\n"));
        return out.toString();
    }

    private void galaxy(BuildContext context, ToolRun run, String staging) throws Exception {
        String command = galaxyCommand(run, staging);
        context.info("installing the Galaxy requirements: " + command);
        int status = run.stream("ansible-galaxy install", command);
        if (status != 0) {
            throw new StepFailedException("ansible-galaxy install -r " + name(spec.galaxyFile()) + " failed (exit "
                    + "status " + status + "; see its output above)");
        }
    }

    /** {@code cd STAGING && ansible-galaxy install -r STAGING/FILE -p STAGING/roles}, as root unless sudo is prevented. */
    String galaxyCommand(ToolRun run, String staging) {
        return "cd " + ShellQuoting.quote(staging) + " && " + run.sudo() + run.envPrefix(Map.of())
                + spec.galaxyCommand() + " install -r " + ShellQuoting.quote(staging + "/" + name(spec.galaxyFile()))
                + " -p " + ShellQuoting.quote(staging + "/roles");
    }

    private void play(BuildContext context, ToolRun run, String staging, String playbook, String inventory)
            throws Exception {
        String command = playbookCommand(run, buildVariables(context), staging, playbook, inventory);
        context.info("running " + command);
        Failure failure = new Failure();
        int status = run.stream("ansible-playbook", command, failure::see);
        if (status == 127) {
            throw new StepFailedException(AnsibleLocalStep.program(spec.command()) + " could not be found (exit "
                    + "status 127); check that it is on the PATH of " + (run.sudoUsed() ? "root (through sudo)"
                    : "the SSH user") + " on the machine, or install it with install 'package'");
        }
        if (status != 0) {
            throw new StepFailedException("ansible-playbook " + playbook.substring(staging.length() + 1)
                    + " failed (exit status " + status + ")" + failure.describe());
        }
    }

    /** Packer's three extra variables; imagebake has no HTTP server, so packer_http_addr is empty. */
    static Map<String, String> buildVariables(BuildContext context) {
        Map<String, String> vars = new LinkedHashMap<>();
        vars.put("packer_build_name", context.name());
        vars.put("packer_builder_type", ShellProvisioner.packerBuilderType(context.build().type()));
        vars.put("packer_http_addr", "");
        return vars;
    }

    /**
     * The step's execute command with its placeholders filled, or Packer's command line: in the staging folder,
     * {@code COMMAND PLAYBOOK --extra-vars 'packer_build_name=...' ARGS -c local -i INVENTORY}, with the command
     * run through {@code sudo -n env} and the build's variables.
     */
    String playbookCommand(ToolRun run, Map<String, String> buildVariables, String staging, String playbook,
                           String inventory) {
        String extraArguments = "--extra-vars " + ShellQuoting.quote(keyValues(buildVariables))
                + (spec.extraArguments().isEmpty() ? "" : " " + ToolRun.words(spec.extraArguments()));
        String command = run.sudo() + run.envPrefix(Map.of()) + spec.command();
        if (spec.tool().executeCommand() != null) {
            Map<String, String> values = Map.of(".StagingDir", staging, ".Command", command,
                    ".PlaybookFile", playbook, ".ExtraArguments", extraArguments, ".Inventory", inventory);
            return exports(run.environment()) + CommandTemplate.parse(spec.tool().executeCommand(),
                    AnsibleLocalStep.PLACEHOLDERS, ToolOptions.describe(AnsibleLocalStep.PLACEHOLDERS))
                    .expandNamed(values);
        }
        return "cd " + ShellQuoting.quote(staging) + " && " + command + " " + ShellQuoting.quote(playbook) + " "
                + extraArguments + " -c local -i " + ShellQuoting.quote(inventory);
    }

    /**
     * Ansible's {@code key=value key=value} form; a value with spaces or quotes is double-quoted for Ansible. Packer
     * also puts {@code -o IdentitiesOnly=yes} in this text (an SSH option in the wrong place, which Ansible reads as
     * two more variables); imagebake leaves it out.
     */
    static String keyValues(Map<String, String> vars) {
        List<String> pairs = new ArrayList<>();
        vars.forEach((name, value) -> pairs.add(name + "=" + (value.matches("[A-Za-z0-9._:/@+-]*") ? value
                : "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"")));
        return String.join(" ", pairs);
    }

    /** {@code export NAME='value'} lines for the build's variables, before a command the template wrote. */
    private static String exports(Map<String, String> environment) {
        StringBuilder out = new StringBuilder();
        environment.forEach((name, value) -> out.append("export ").append(name).append('=')
                .append(ShellQuoting.quote(value)).append('\n'));
        return out.toString();
    }

    private static String name(String path) {
        return Path.of(path).normalize().getFileName().toString();
    }

    private static String slashes(Path path) {
        return path.toString().replace('\\', '/');
    }

    /**
     * What a failed run said: the last {@code fatal:} line that was not ignored, with the task it came in
     * ({@code TASK [name]} before it), or else Ansible's first {@code ERROR!} line.
     */
    static final class Failure {
        private String task;
        private String fatal;
        private String fatalTask;
        private String error;

        void see(String line) {
            String plain = ANSI.matcher(line).replaceAll("").strip();
            Matcher task = TASK.matcher(plain);
            if (task.matches()) {
                this.task = task.group(1);
            } else if (plain.startsWith("fatal: ")) {
                fatal = plain;
                fatalTask = this.task;
            } else if (plain.equals("...ignoring")) {
                fatal = null;
            } else if (plain.startsWith("ERROR! ") && error == null) {
                error = plain;
            }
        }

        /** {@code : task 'NAME': fatal: [HOST]: FAILED! => MSG}, or {@code ""} when Ansible said nothing usable. */
        String describe() {
            if (fatal != null) {
                String quoted = fatal;
                int arrow = fatal.indexOf(" => ");
                Matcher msg = MSG.matcher(fatal);
                if (arrow > 0 && msg.find()) {
                    quoted = fatal.substring(0, arrow) + " => " + msg.group(1).replace("\\\"", "\"");
                }
                return (fatalTask == null ? "" : " in task '" + fatalTask + "'") + ": " + shorten(quoted);
            }
            return error == null ? "" : ": " + shorten(error);
        }

        private static String shorten(String text) {
            return text.length() <= QUOTED_CHARS ? text : text.substring(0, QUOTED_CHARS) + "...";
        }
    }
}
