package dev.imagebake.provisioner;

import dev.imagebake.communicator.CommandResult;
import dev.imagebake.communicator.Communicator;
import dev.imagebake.communicator.RemoteCommand;
import dev.imagebake.communicator.ShellQuoting;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.StepFailedException;
import dev.imagebake.plan.ShellStep;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * {@code provision shell}: runs commands on the build machine. Each script runs in ONE remote session: the script
 * is the session's standard input ({@code sh -s}), with its environment exported at the top, quoted so that no
 * value can break out. (Packer opens five sessions per script: upload, chmod, run, and two removals.)
 */
public final class ShellProvisioner extends Provisioner<ShellStep> {
    public ShellProvisioner(ShellStep spec, String name) {
        super(spec, name);
    }

    @Override
    public void run(BuildContext context) throws Exception {
        for (String script : scripts(context)) {
            Communicator machine = context.communicator();
            CommandResult result = machine.run(command(script), (stream, line) ->
                    context.reporter().output(context.name(), name(), stream.name().toLowerCase(), line));
            if (result.disconnected()) {
                if (spec.expectDisconnect()) {
                    context.info("the connection dropped, as expected");
                    continue;
                }
                throw new StepFailedException("the connection to " + machine.describe() + " dropped while the "
                        + "script ran (if the script reboots or restarts the network, set expectDisconnect true)");
            }
            if (result.signal() != null) {
                throw new StepFailedException("the script was killed by signal " + result.signal());
            }
            if (!spec.validExitCodes().contains(result.exitStatus())) {
                throw new StepFailedException("the script exited with status " + result.exitStatus()
                        + (spec.validExitCodes().equals(List.of(0)) ? "" : " (valid: " + spec.validExitCodes() + ")"));
            }
        }
    }

    /** One script per file, or one made of the inline commands (stopping at the first that fails). */
    private List<String> scripts(BuildContext context) throws Exception {
        List<String> scripts = new ArrayList<>();
        if (!spec.inline().isEmpty()) {
            scripts.add("set -e\n" + String.join("\n", spec.inline()) + "\n");
        }
        for (String path : spec.scripts()) {
            scripts.add(Files.readString(context.templateFolder().resolve(path), StandardCharsets.UTF_8));
        }
        return scripts;
    }

    private RemoteCommand command(String script) {
        String body = ShellQuoting.exports(spec.env()) + script;
        if (spec.executeCommand() == null) {
            String shell = spec.sudo() ? "sudo -n sh -s" : "sh -s";
            if (!spec.pty()) {
                return new RemoteCommand(shell, body, false);
            }
        }
        // A custom execute command, or a PTY (which would echo a script sent on stdin): write the script to a
        // private temporary file in the same session, run it, and remove it.
        String file = "/tmp/imagebake-" + UUID.randomUUID() + ".sh";
        String run = spec.executeCommand() == null ? (spec.sudo() ? "sudo -n sh " : "sh ") + "\"$f\""
                : spec.executeCommand().replace("{{path}}", "\"$f\"")
                        .replace("{{env}}", exportsInline());
        String line = "f=" + ShellQuoting.quote(file) + "; umask 077; printf '%s' " + ShellQuoting.quote(body)
                + " > \"$f\" && chmod 700 \"$f\" && { " + run + "; }; rc=$?; rm -f \"$f\"; exit $rc";
        return new RemoteCommand(line, null, spec.pty());
    }

    private String exportsInline() {
        StringBuilder out = new StringBuilder();
        spec.env().forEach((k, v) -> out.append(k).append('=').append(ShellQuoting.quote(v)).append(' '));
        return out.toString().trim();
    }
}
