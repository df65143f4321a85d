package dev.imagebake.plan;

import java.util.List;
import java.util.Map;

/**
 * Runs {@code ansible-playbook -c local} on the build machine, as Packer's {@code ansible-local} provisioner does:
 * the playbooks, roles, group and host variables, the Galaxy requirements and an inventory are uploaded to the
 * staging folder first.
 *
 * @param playbookFile   the playbook, uploaded to {@code STAGING/NAME} (exactly one of this and playbookFiles)
 * @param playbookFiles  playbooks run one after another; uploaded to their path relative to the playbook folder
 *                       when they are in it, else to {@code STAGING/PATH} (PATH relative to the template's folder)
 * @param playbookDir    a folder whose contents become the staging folder, before anything else is uploaded
 * @param playbookPaths  folders uploaded to {@code STAGING/playbooks/NAME}
 * @param rolePaths      role folders uploaded to {@code STAGING/roles/NAME}
 * @param groupVars      a folder uploaded to {@code STAGING/group_vars}
 * @param hostVars       a folder uploaded to {@code STAGING/host_vars}
 * @param galaxyFile     a Galaxy requirements file, uploaded to {@code STAGING/NAME} and installed into
 *                       {@code STAGING/roles} before the playbooks run
 * @param galaxyCommand  the ansible-galaxy command (shell text)
 * @param extraArguments more arguments for ansible-playbook, one word each
 * @param inventoryGroups the groups the generated inventory puts 127.0.0.1 in
 * @param inventoryFile  an inventory file to use instead of the generated one, uploaded to {@code STAGING/NAME}
 * @param command        the ansible-playbook command: variable assignments, then the program
 * @param tool           the staging folder, sudo, execute and install commands
 */
public record AnsibleLocalStep(String playbookFile, List<String> playbookFiles, String playbookDir,
                               List<String> playbookPaths, List<String> rolePaths, String groupVars,
                               String hostVars, String galaxyFile, String galaxyCommand, List<String> extraArguments,
                               List<String> inventoryGroups, String inventoryFile, String command, ToolOptions tool)
        implements ToolStep {
    /**
     * Packer's default {@code staging_directory}: {@code <uuid>} is replaced by a new UUID when the step runs, so
     * that every run (and every ansibleLocal step) has a folder of its own.
     */
    public static final String DEFAULT_STAGING_DIRECTORY = "/tmp/packer-provisioner-ansible-local/<uuid>";
    /** Packer's default {@code command}. */
    public static final String DEFAULT_COMMAND = "ANSIBLE_FORCE_COLOR=1 PYTHONUNBUFFERED=1 ansible-playbook";
    /** Packer's default {@code galaxy_command}. */
    public static final String DEFAULT_GALAXY_COMMAND = "ansible-galaxy";
    /**
     * The placeholders of {@code executeCommand} (Packer's ansible-local has none: its command line is fixed). The
     * default is {@code cd {{.StagingDir}} && {{.Command}} {{.PlaybookFile}} {{.ExtraArguments}} -c local -i
     * {{.Inventory}}}, with {@code {{.Command}}} run through {@code sudo -n env} and the build's variables.
     */
    public static final Map<String, Boolean> PLACEHOLDERS = ToolOptions.placeholders(".StagingDir", true,
            ".Command", false, ".PlaybookFile", true, ".ExtraArguments", false, ".Inventory", true);

    public AnsibleLocalStep {
        playbookFiles = List.copyOf(playbookFiles);
        playbookPaths = List.copyOf(playbookPaths);
        rolePaths = List.copyOf(rolePaths);
        extraArguments = List.copyOf(extraArguments);
        inventoryGroups = List.copyOf(inventoryGroups);
    }

    /**
     * The program a {@code command} runs: its first word that is not a variable assignment ({@code NAME=value}),
     * or null when there is none.
     */
    public static String program(String command) {
        for (String word : command.strip().split("\\s+")) {
            if (!word.matches("[A-Za-z_][A-Za-z0-9_]*=.*")) {
                return word.isEmpty() ? null : word;
            }
        }
        return null;
    }

    @Override
    public String kind() {
        return "ansibleLocal";
    }
}
