package dev.imagebake.dsl;

import dev.imagebake.plan.ShellLocalStep;
import dev.imagebake.plan.StepSpec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code provision shellLocal { ... }}: commands on the imagebake host. They see the build's facts as
 * {@code IMAGEBAKE_BUILD_NAME}, {@code IMAGEBAKE_HOST}, {@code IMAGEBAKE_USER} and friends.
 */
public final class ShellLocalContext extends StepContext {
    private final List<String> inline = new ArrayList<>();
    private final List<String> scripts = new ArrayList<>();
    private final Map<String, String> env = new LinkedHashMap<>();
    private final List<Integer> validExitCodes = new ArrayList<>();

    ShellLocalContext(Evaluation evaluation) {
        super(evaluation);
    }

    @Override
    protected String kind() {
        return "shellLocal";
    }

    /** Commands for the host's {@code /bin/sh}, run in one shell. */
    public void inline(Object... commands) {
        inline.addAll(strings("inline", commands));
    }

    /** A script file (relative to the template's folder) to run on the host. */
    public void script(Object path) {
        String p = string("script", path);
        if (!evaluation.files().exists(p)) {
            throw new TemplateError("`script`: no file '" + p + "' next to the template");
        }
        scripts.add(p);
    }

    /** Environment variables for the commands. */
    public void env(Map<?, ?> values) {
        env.putAll(stringMap("env", values));
    }

    /** Exit codes that count as success (default 0). */
    public void validExitCodes(Object... codes) {
        for (Object c : arguments(codes)) {
            validExitCodes.add(integer("validExitCodes", c, 0, 255));
        }
    }

    @Override
    protected StepSpec spec() {
        if (!inline.isEmpty() && !scripts.isEmpty()) {
            errorAtBlock("shellLocal takes either `inline` commands or a `script`, not both; use two shellLocal steps");
        } else if (inline.isEmpty() && scripts.isEmpty() && !refused("inline", "script")) {
            errorAtBlock("shellLocal needs commands: `inline 'command', ...` or `script 'file.sh'`");
        }
        return new ShellLocalStep(inline, scripts, env, validExitCodes.isEmpty() ? List.of(0) : validExitCodes);
    }
}
