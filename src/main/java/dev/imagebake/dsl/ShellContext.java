package dev.imagebake.dsl;

import dev.imagebake.communicator.CommandTemplate;
import dev.imagebake.plan.SourcePosition;
import dev.imagebake.plan.ShellStep;
import dev.imagebake.plan.StepSpec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code provision shell { ... }}: commands on the build machine, with the semantics of Packer's {@code shell}
 * provisioner (its options in camelCase): scripts are uploaded, made executable and executed, so their {@code #!}
 * line picks the interpreter.
 */
public final class ShellContext extends StepContext {
    /** What a remote path may hold: it goes into command lines as it is. */
    private static final java.util.regex.Pattern REMOTE_PATH = java.util.regex.Pattern.compile("[A-Za-z0-9_./@%+=:,-]+");

    private final List<String> inline = new ArrayList<>();
    /** Where each inline command was given: the position of its `inline` call. */
    private final List<SourcePosition> inlineAt = new ArrayList<>();
    private final List<String> scripts = new ArrayList<>();
    private final Map<String, String> env = new LinkedHashMap<>();
    private boolean sudo;
    private String executeCommand;
    private final List<Integer> validExitCodes = new ArrayList<>();
    private boolean expectDisconnect;
    private boolean pty;
    private String envVarFormat;
    private boolean useEnvVarFile;
    private String inlineShebang = ShellStep.DEFAULT_INLINE_SHEBANG;
    private String remoteFolder = ShellStep.DEFAULT_REMOTE_FOLDER;
    private String remoteFile;
    private String remotePath;
    private boolean binary;
    private boolean skipClean;
    private Duration startRetryTimeout = ShellStep.DEFAULT_START_RETRY_TIMEOUT;

    ShellContext(Evaluation evaluation) {
        super(evaluation);
    }

    @Override
    protected String kind() {
        return "shell";
    }

    /**
     * Commands made into one script whose first line is {@code #!} and the {@link #inlineShebang} (default
     * {@code /bin/sh -e}: the step fails at the first command that fails). Packer's {@code inline}.
     */
    public void inline(Object... commands) {
        List<String> given = strings("inline", commands);
        SourcePosition at = evaluation.position();
        given.forEach(command -> inlineAt.add(at));
        inline.addAll(given);
    }

    /**
     * Under a POSIX sh (the default {@code /bin/sh -e}: dash on Debian and Ubuntu), bash-only syntax fails at build
     * time, after the VM was made: it is refused here, at the construct, saying what to write instead. A first
     * command {@code #!/bin/bash} is only a comment in the script (its first line is the {@code inlineShebang}).
     */
    private void checkDialect() {
        if (inline.isEmpty() || !ShellDialect.posixSh(inlineShebang)
                || executeCommand != null && ShellDialect.runsWithBash(executeCommand)) {
            return; // an executeCommand such as `sudo bash '{{.Path}}'` runs the script with bash, whatever its #!
        }
        String fix = "write inlineShebang '/bin/bash -e'";
        String first = inline.get(0).strip();
        if (first.startsWith("#!") && !ShellDialect.posixSh(first.substring(2))) {
            SourcePosition at = evaluation.find(inlineAt.get(0), first, 0);
            evaluation.report(at != null ? at : inlineAt.get(0), "`inline` starts with '" + first + "', which is "
                    + "only a comment here: the inline commands become a script whose first line is #!"
                    + inlineShebang + " (`inlineShebang`); " + fix + " instead");
            return;
        }
        List<String> lines = new ArrayList<>();
        List<Integer> items = new ArrayList<>();
        for (int i = 0; i < inline.size(); i++) {
            for (String line : inline.get(i).split("\n", -1)) {
                lines.add(line);
                items.add(i);
            }
        }
        for (ShellDialect.Finding f : ShellDialect.bashOnly(lines)) {
            SourcePosition call = inlineAt.get(items.get(f.line()));
            String line = lines.get(f.line());
            SourcePosition at = evaluation.find(call, line, f.column());
            if (at == null) {
                at = evaluation.find(call, f.text(), 0);
            }
            evaluation.report(at != null ? at : call, f.what() + " is bash, but the inline commands run with "
                    + inlineShebang + " (`inlineShebang`; dash on Debian and Ubuntu, where it fails): " + fix
                    + ", or use " + f.instead());
        }
    }

    /** A script file (relative to the template's folder) to upload and execute: its {@code #!} line picks the interpreter. */
    public void script(Object path) {
        scripts.add(existing("script", path));
    }

    /** Several script files, run in order. */
    public void scripts(Object... paths) {
        for (String p : strings("scripts", paths)) {
            scripts.add(existing("scripts", p));
        }
    }

    /**
     * Environment variables for the scripts: {@code env NAME: 'value'}. They go on the execute command's line
     * ({@code {{.Vars}}}) or into the variables file, never into the script. Packer's {@code environment_vars}.
     */
    public void env(Map<?, ?> values) {
        Map<String, String> given = stringMap("env", values);
        for (String name : given.keySet()) {
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new TemplateError("`env`: '" + name + "' is not a valid environment variable name");
            }
        }
        env.putAll(given);
    }

    /** Runs the scripts as root through {@code sudo -n}, with their variables (the default execute command only). */
    public void sudo(Object value) {
        sudo = bool("sudo", value);
    }

    /**
     * The command that runs each script (default {@code chmod +x {{.Path}}; {{.Vars}} {{.Path}}}):
     * {@code {{.Path}}} is the script on the machine (required), {@code {{.Vars}}} the variables,
     * {@code {{.EnvVarFile}}} the variables file; {@code {{path}}} and {@code {{env}}} still work. Each is expanded
     * for the quoting it stands in, so {@code sudo sh -c '{{.Vars}} {{.Path}}'} works with any value. Packer's
     * {@code execute_command}.
     */
    public void executeCommand(Object command) {
        String text = string("executeCommand", command);
        CommandTemplate parsed;
        try {
            parsed = CommandTemplate.parse(text);
        } catch (IllegalArgumentException e) {
            throw new TemplateError("`executeCommand`: " + e.getMessage());
        }
        if (!parsed.placeholders().contains(CommandTemplate.Placeholder.PATH)) {
            throw new TemplateError("`executeCommand` must contain {{.Path}} (or {{path}}), where the script goes");
        }
        executeCommand = text;
    }

    /**
     * How each variable is written, with two {@code %s}: the name, then the value (default {@code %s='%s' }, or
     * {@code export %s='%s'} and a newline with {@link #useEnvVarFile}). Packer's {@code env_var_format}.
     */
    public void envVarFormat(Object format) {
        String text = string("envVarFormat", format);
        String problem = CommandTemplate.formatProblem(text);
        if (problem != null) {
            throw new TemplateError("`envVarFormat` " + problem);
        }
        envVarFormat = text;
    }

    /**
     * Writes the variables to a file (mode 0600, in {@link #remoteFolder}) that the execute command sources, instead
     * of putting them on its command line; the default execute command becomes
     * {@code chmod +x {{.Path}}; . {{.EnvVarFile}} && {{.Path}}}. Packer's {@code use_env_var_file}.
     */
    public void useEnvVarFile(Object value) {
        useEnvVarFile = bool("useEnvVarFile", value);
    }

    /** The interpreter of the inline commands' script, without {@code #!} (default {@code /bin/sh -e}). Packer's {@code inline_shebang}. */
    public void inlineShebang(Object value) {
        String text = string("inlineShebang", value).strip();
        if (text.isEmpty() || text.contains("\n") || text.startsWith("#!")) {
            throw new TemplateError("`inlineShebang` takes an interpreter and its options, without #!, for example "
                    + "'/bin/bash -e'");
        }
        inlineShebang = text;
    }

    /** The folder on the machine that scripts and the variables file go to (default {@code /tmp}). Packer's {@code remote_folder}. */
    public void remoteFolder(Object value) {
        remoteFolder = remote("remoteFolder", value);
    }

    /** The scripts' file name in {@link #remoteFolder} (default {@code script_NNNN.sh}, a random number). Packer's {@code remote_file}. */
    public void remoteFile(Object value) {
        remoteFile = remote("remoteFile", value);
        if (remoteFile.contains("/")) {
            throw new TemplateError("`remoteFile` is a file name; for a full path use `remotePath`");
        }
    }

    /** The scripts' full path on the machine (default {@code remoteFolder/remoteFile}). Packer's {@code remote_path}. */
    public void remotePath(Object value) {
        remotePath = remote("remotePath", value);
    }

    /** Sends scripts byte for byte: Windows line endings are not turned into Unix ones (default false). Packer's {@code binary}. */
    public void binary(Object value) {
        binary = bool("binary", value);
    }

    /** Leaves the script and the variables file on the machine after running (default false). Packer's {@code skip_clean}. */
    public void skipClean(Object value) {
        skipClean = bool("skipClean", value);
    }

    /**
     * How long to keep trying to start a script while the machine cannot be reached, for example right after a
     * reboot (default 5m). Packer's {@code start_retry_timeout}.
     */
    public void startRetryTimeout(Object value) {
        startRetryTimeout = duration("startRetryTimeout", value);
    }

    /** Exit codes that count as success (default 0). */
    public void validExitCodes(Object... codes) {
        for (Object c : arguments(codes)) {
            validExitCodes.add(integer("validExitCodes", c, 0, 255));
        }
    }

    /** The commands may drop the connection (a reboot, a network restart) without failing the step. */
    public void expectDisconnect(Object value) {
        expectDisconnect = bool("expectDisconnect", value);
    }

    /** Runs the scripts with a pseudo-terminal (the script then travels in the command line, not on standard input). */
    public void pty(Object value) {
        pty = bool("pty", value);
    }

    private String remote(String keyword, Object value) {
        String text = string(keyword, value);
        if (!REMOTE_PATH.matcher(text).matches() || text.startsWith("-")) {
            throw new TemplateError("`" + keyword + "` may hold letters, digits and . _ - / @ % + = : , only (it goes "
                    + "into command lines as it is); got '" + text + "'");
        }
        return text;
    }

    private String existing(String keyword, Object path) {
        String p = string(keyword, path);
        if (!evaluation.files().exists(p)) {
            throw new TemplateError("`" + keyword + "`: no file '" + p + "' next to the template");
        }
        return p;
    }

    @Override
    protected StepSpec spec() {
        checkDialect();
        if (!inline.isEmpty() && !scripts.isEmpty()) {
            errorAtBlock("shell takes either `inline` commands or `script`/`scripts`, not both; use two shell steps");
        } else if (inline.isEmpty() && scripts.isEmpty() && !refused("inline", "script", "scripts")) {
            errorAtBlock("shell needs commands: `inline 'command', ...` or `script 'file.sh'`");
        }
        if (sudo && executeCommand != null) {
            errorAtBlock("shell: `sudo true` changes only the default execute command; with `executeCommand`, write "
                    + "sudo into the command, for example 'chmod +x {{.Path}}; sudo -n env {{.Vars}} {{.Path}}'");
        }
        if (executeCommand != null && !useEnvVarFile && CommandTemplate.parse(executeCommand).placeholders()
                .contains(CommandTemplate.Placeholder.ENV_VAR_FILE)) {
            errorAtBlock("shell: `executeCommand` uses {{.EnvVarFile}}, which needs `useEnvVarFile true`");
        }
        return new ShellStep(inline, scripts, env, sudo,
                executeCommand != null ? executeCommand : ShellStep.defaultExecuteCommand(sudo, useEnvVarFile),
                envVarFormat != null ? envVarFormat : ShellStep.defaultEnvVarFormat(useEnvVarFile), useEnvVarFile,
                inlineShebang, remoteFolder, remoteFile, remotePath, binary, skipClean, startRetryTimeout,
                validExitCodes.isEmpty() ? List.of(0) : validExitCodes, expectDisconnect, pty);
    }
}
