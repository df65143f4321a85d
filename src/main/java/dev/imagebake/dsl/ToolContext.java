package dev.imagebake.dsl;

import dev.imagebake.communicator.CommandTemplate;
import dev.imagebake.plan.ToolOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What every configuration-management provisioner block ({@code puppet}, {@code chef}, {@code salt},
 * {@code ansibleLocal}, {@code goss}, ...) accepts besides its own settings: the staging folder, sudo, the execute
 * and install commands, and the variables the tool runs with. Packer's option names, in camel case.
 */
public abstract class ToolContext extends StepContext {
    private String stagingDirectory;
    private boolean cleanStagingDirectory = true;
    private boolean preventSudo;
    private String executeCommand;
    private String install;
    private String installCommand;
    private final Map<String, String> env = new LinkedHashMap<>();

    protected ToolContext(Evaluation evaluation) {
        super(evaluation);
    }

    /** Packer's default staging folder for this provisioner. */
    protected abstract String defaultStagingDirectory();

    /** The placeholders this provisioner's execute command may hold, each mapped to whether it is one word. */
    protected abstract Map<String, Boolean> placeholders();

    /**
     * The folder on the machine the step's files are uploaded to (an absolute path; default: Packer's for the
     * provisioner, for example {@code /tmp/packer-puppet-masterless}). Packer's {@code staging_directory}.
     */
    public void stagingDirectory(Object path) {
        String text = string("stagingDirectory", path);
        Path given = Path.of(text);
        if (!text.startsWith("/") || !given.normalize().toString().equals(text.replaceAll("/+$", ""))
                || given.getNameCount() < 2) {
            throw new TemplateError("`stagingDirectory` takes an absolute path at least two levels deep, without "
                    + "`..`, for example '/tmp/imagebake-puppet' (it is removed when the step ends); got '" + text
                    + "'");
        }
        stagingDirectory = text.replaceAll("/+$", "");
    }

    /**
     * Whether the staging folder is removed when the step ends, also after a failure (default true; Packer's
     * {@code clean_staging_directory}, whose default is false in some provisioners).
     */
    public void cleanStagingDirectory(Object value) {
        cleanStagingDirectory = bool("cleanStagingDirectory", value);
    }

    /** Runs the tool (and the staging commands) as the SSH user instead of through {@code sudo -n}. Packer's {@code prevent_sudo}. */
    public void preventSudo(Object value) {
        preventSudo = bool("preventSudo", value);
    }

    /**
     * The command that runs the tool, instead of the default; its placeholders (listed with each provisioner) are
     * expanded for the quoting they stand in. Packer's {@code execute_command}, without Go template logic.
     */
    public void executeCommand(Object command) {
        String text = string("executeCommand", command);
        try {
            CommandTemplate.parse(text, placeholders(), ToolOptions.describe(placeholders()));
        } catch (IllegalArgumentException e) {
            throw new TemplateError("`executeCommand`: " + e.getMessage());
        }
        executeCommand = text;
    }

    /**
     * Installs the tool when the machine does not have it: {@code 'package'} (the distribution's package, through
     * apt-get, dnf, yum, zypper or apk) or the {@code https://} URL of the vendor's bootstrap script (downloaded
     * on the machine with curl or wget, then run as root).
     */
    public void install(Object how) {
        String text = string("install", how);
        if (!text.equals("package") && !text.startsWith("https://")) {
            throw new TemplateError("`install` takes 'package' or the https:// URL of a bootstrap script; got '"
                    + text + "'");
        }
        install = text;
    }

    /** A command that installs the tool, run (as it is) only when the tool is missing. Packer's {@code install_command}. */
    public void installCommand(Object command) {
        installCommand = string("installCommand", command);
    }

    /** The guest's operating system: only {@code 'unix'} (Linux) is supported. Packer's {@code guest_os_type}. */
    public void guestOsType(Object type) {
        String text = string("guestOsType", type);
        if (!text.equals("unix")) {
            throw new TemplateError("`guestOsType`: only 'unix' is supported (imagebake builds Linux images); got '"
                    + text + "'");
        }
    }

    /** Environment variables the tool runs with, besides PACKER_BUILD_NAME and the other build variables. */
    public void env(Map<?, ?> values) {
        Map<String, String> given = stringMap("env", values);
        for (String name : given.keySet()) {
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new TemplateError("`env`: '" + name + "' is not a valid environment variable name");
            }
        }
        env.putAll(given);
    }

    /** The shared options, with the provisioner's default staging folder. */
    protected final ToolOptions toolOptions() {
        return new ToolOptions(stagingDirectory != null ? stagingDirectory : defaultStagingDirectory(),
                cleanStagingDirectory, preventSudo, executeCommand, install, installCommand, env);
    }

    /** A file (not a folder) next to the template, checked now. */
    protected final String localFile(String keyword, Object value) {
        return local(keyword, value, false);
    }

    /** A folder next to the template, checked now. */
    protected final String localFolder(String keyword, Object value) {
        return local(keyword, value, true);
    }

    /** A file or a folder next to the template, checked now. */
    protected final String localPath(String keyword, Object value) {
        return local(keyword, value, null);
    }

    private String local(String keyword, Object value, Boolean folder) {
        String path = string(keyword, value);
        Path resolved;
        try {
            resolved = evaluation.files().resolve(path);
        } catch (TemplateError e) {
            throw new TemplateError("`" + keyword + "`: " + e.getMessage());
        }
        if (!Files.exists(resolved)) {
            throw new TemplateError("`" + keyword + "`: no " + (folder == null ? "file or folder" : folder ? "folder"
                    : "file") + " '" + path + "' next to the template");
        }
        if (folder != null && Files.isDirectory(resolved) != folder) {
            throw new TemplateError("`" + keyword + "`: '" + path + "' is a " + (folder ? "file" : "folder")
                    + "; give a " + (folder ? "folder" : "file"));
        }
        try {
            evaluation.files().checkTree(path);
        } catch (TemplateError e) {
            throw new TemplateError("`" + keyword + "`: " + e.getMessage());
        }
        return path;
    }
}
