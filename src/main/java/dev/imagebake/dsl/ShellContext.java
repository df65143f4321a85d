package dev.imagebake.dsl;

import dev.imagebake.plan.ShellStep;
import dev.imagebake.plan.StepSpec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code provision shell { ... }}: commands on the build machine. */
public final class ShellContext extends StepContext {
    private final List<String> inline = new ArrayList<>();
    private final List<String> scripts = new ArrayList<>();
    private final Map<String, String> env = new LinkedHashMap<>();
    private boolean sudo;
    private String executeCommand;
    private final List<Integer> validExitCodes = new ArrayList<>();
    private boolean expectDisconnect;
    private boolean pty;

    ShellContext(Evaluation evaluation) {
        super(evaluation);
    }

    @Override
    protected String kind() {
        return "shell";
    }

    /** Commands run one after another in one shell; the step fails at the first that fails. */
    public void inline(Object... commands) {
        inline.addAll(strings("inline", commands));
    }

    /** A script file (relative to the template's folder) to upload and run. */
    public void script(Object path) {
        scripts.add(existing("script", path));
    }

    /** Several script files, run in order. */
    public void scripts(Object... paths) {
        for (String p : strings("scripts", paths)) {
            scripts.add(existing("scripts", p));
        }
    }

    /** Environment variables for the commands: {@code env NAME: 'value'}. Values are passed safely, unquoted. */
    public void env(Map<?, ?> values) {
        Map<String, String> given = stringMap("env", values);
        for (String name : given.keySet()) {
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new TemplateError("`env`: '" + name + "' is not a valid environment variable name");
            }
        }
        env.putAll(given);
    }

    /** Runs the commands as root through sudo. */
    public void sudo(Object value) {
        sudo = bool("sudo", value);
    }

    /** A custom command line: {@code {{path}}} is the script's path on the machine, {@code {{env}}} its variables. */
    public void executeCommand(Object command) {
        executeCommand = string("executeCommand", command);
        if (!executeCommand.contains("{{path}}")) {
            throw new TemplateError("`executeCommand` must contain {{path}}, where the script goes");
        }
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

    /** Runs the commands with a pseudo-terminal. */
    public void pty(Object value) {
        pty = bool("pty", value);
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
        if (!inline.isEmpty() && !scripts.isEmpty()) {
            errorAtBlock("shell takes either `inline` commands or `script`/`scripts`, not both; use two shell steps");
        } else if (inline.isEmpty() && scripts.isEmpty() && !refused("inline", "script", "scripts")) {
            errorAtBlock("shell needs commands: `inline 'command', ...` or `script 'file.sh'`");
        }
        return new ShellStep(inline, scripts, env, sudo, executeCommand,
                validExitCodes.isEmpty() ? List.of(0) : validExitCodes, expectDisconnect, pty);
    }
}
