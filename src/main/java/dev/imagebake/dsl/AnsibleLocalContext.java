package dev.imagebake.dsl;

import dev.imagebake.plan.AnsibleLocalStep;
import dev.imagebake.plan.StepSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code provision ansibleLocal { playbook 'site.yml' }}: runs {@code ansible-playbook -c local} on the build
 * machine, with the playbooks, roles and variables uploaded first. Packer's {@code ansible-local}.
 */
public final class AnsibleLocalContext extends ToolContext {
    private String playbookFile;
    private final List<String> playbookFiles = new ArrayList<>();
    private String playbookDir;
    private final List<String> playbookPaths = new ArrayList<>();
    private final List<String> rolePaths = new ArrayList<>();
    private String groupVars;
    private String hostVars;
    private String galaxyFile;
    private String galaxyCommand = AnsibleLocalStep.DEFAULT_GALAXY_COMMAND;
    private final List<String> extraArguments = new ArrayList<>();
    private final List<String> inventoryGroups = new ArrayList<>();
    private String inventoryFile;
    private String command = AnsibleLocalStep.DEFAULT_COMMAND;

    AnsibleLocalContext(Evaluation evaluation) {
        super(evaluation);
    }

    @Override
    protected String kind() {
        return "ansibleLocal";
    }

    @Override
    protected String defaultStagingDirectory() {
        return AnsibleLocalStep.DEFAULT_STAGING_DIRECTORY;
    }

    @Override
    protected Map<String, Boolean> placeholders() {
        return AnsibleLocalStep.PLACEHOLDERS;
    }

    /** The playbook to run, relative to the template's folder; uploaded to STAGING/NAME. Packer's {@code playbook_file}. */
    public void playbook(Object path) {
        playbookFile = localFile("playbook", path);
    }

    /** The same as {@code playbook}, under Packer's name. Packer's {@code playbook_file}. */
    public void playbookFile(Object path) {
        playbookFile = localFile("playbookFile", path);
    }

    /** Playbooks run one after another, each in its own ansible-playbook run (instead of {@code playbook}). Packer's {@code playbook_files}. */
    public void playbookFiles(Object... paths) {
        for (Object path : arguments(paths)) {
            playbookFiles.add(localFile("playbookFiles", path));
        }
    }

    /** A folder whose contents become the staging folder, uploaded before anything else. Packer's {@code playbook_dir}. */
    public void playbookDir(Object path) {
        playbookDir = localFolder("playbookDir", path);
    }

    /** Folders of playbooks, uploaded to STAGING/playbooks/NAME. Packer's {@code playbook_paths}. */
    public void playbookPaths(Object... paths) {
        for (Object path : arguments(paths)) {
            playbookPaths.add(localFolder("playbookPaths", path));
        }
    }

    /** Role folders, uploaded to STAGING/roles/NAME (where a playbook in STAGING finds them). Packer's {@code role_paths}. */
    public void rolePaths(Object... paths) {
        for (Object path : arguments(paths)) {
            rolePaths.add(localFolder("rolePaths", path));
        }
    }

    /** A folder of group variables, uploaded to STAGING/group_vars. Packer's {@code group_vars}. */
    public void groupVars(Object path) {
        groupVars = localFolder("groupVars", path);
    }

    /** A folder of host variables, uploaded to STAGING/host_vars. Packer's {@code host_vars}. */
    public void hostVars(Object path) {
        hostVars = localFolder("hostVars", path);
    }

    /**
     * A Galaxy requirements file, uploaded to STAGING/NAME; {@code ansible-galaxy install -r FILE -p STAGING/roles}
     * runs in the staging folder before the playbooks. Packer's {@code galaxy_file}.
     */
    public void galaxyFile(Object path) {
        galaxyFile = localFile("galaxyFile", path);
    }

    /** The ansible-galaxy command (default 'ansible-galaxy'). Packer's {@code galaxy_command}. */
    public void galaxyCommand(Object text) {
        galaxyCommand = string("galaxyCommand", text);
    }

    /**
     * More arguments for ansible-playbook, one word each (imagebake quotes them), for example
     * {@code extraArguments '-e', 'port=8080', '--tags', 'web'}. Packer's {@code extra_arguments}.
     */
    public void extraArguments(Object... arguments) {
        extraArguments.addAll(strings("extraArguments", arguments));
    }

    /** The groups the generated inventory puts the machine (127.0.0.1) in; 'a,b' names two. Packer's {@code inventory_groups}. */
    public void inventoryGroups(Object... names) {
        for (String given : strings("inventoryGroups", names)) {
            for (String name : given.split(",")) {
                String group = name.strip();
                if (!group.matches("[A-Za-z_][A-Za-z0-9_-]*")) {
                    throw new TemplateError("`inventoryGroups`: '" + group + "' is not a valid inventory group name "
                            + "(letters, digits, _ and -, not starting with a digit)");
                }
                inventoryGroups.add(group);
            }
        }
    }

    /** An inventory file to use instead of the generated one (add --limit to extraArguments). Packer's {@code inventory_file}. */
    public void inventoryFile(Object path) {
        inventoryFile = localFile("inventoryFile", path);
    }

    /**
     * The command that runs a playbook: variable assignments, then the program (default
     * 'ANSIBLE_FORCE_COLOR=1 PYTHONUNBUFFERED=1 ansible-playbook'). Packer's {@code command}.
     */
    public void command(Object text) {
        String given = string("command", text).strip();
        if (AnsibleLocalStep.program(given) == null) {
            throw new TemplateError("`command` takes variable assignments followed by a program, for example "
                    + "'PYTHONUNBUFFERED=1 ansible-playbook'; got '" + given + "'");
        }
        command = given;
    }

    @Override
    protected StepSpec spec() {
        if (playbookFile != null && !playbookFiles.isEmpty()) {
            errorAtBlock("ansibleLocal takes `playbook` or `playbookFiles`, not both");
        } else if (playbookFile == null && playbookFiles.isEmpty()
                && !refused("playbook", "playbookFile", "playbookFiles")) {
            errorAtBlock("ansibleLocal needs a `playbook`, for example playbook 'site.yml' (or `playbookFiles` for "
                    + "several)");
        }
        return new AnsibleLocalStep(playbookFile, playbookFiles, playbookDir, playbookPaths, rolePaths, groupVars,
                hostVars, galaxyFile, galaxyCommand, extraArguments, inventoryGroups, inventoryFile, command,
                toolOptions());
    }
}
