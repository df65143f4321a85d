package dev.imagebake.provisioner;

import dev.imagebake.communicator.CommandResult;
import dev.imagebake.communicator.CommandTemplate;
import dev.imagebake.communicator.Communicator;
import dev.imagebake.communicator.ConnectionFailedException;
import dev.imagebake.communicator.OutputListener;
import dev.imagebake.communicator.RemoteCommand;
import dev.imagebake.communicator.ShellQuoting;
import dev.imagebake.communicator.SshCommunicator;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.Durations;
import dev.imagebake.engine.StepFailedException;
import dev.imagebake.plan.ShellStep;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code provision shell}: Packer's {@code shell} provisioner. Each script is uploaded to the remote path, made
 * executable and executed by the execute command, so that its {@code #!} line picks the interpreter; the inline
 * commands become a script whose first line is {@code #!inlineShebang}. The variables (the step's {@code env} plus
 * PACKER_BUILD_NAME, PACKER_BUILDER_TYPE, IMAGEBAKE_BUILD_NAME and IMAGEBAKE_BUILDER_TYPE) go on the execute
 * command's line or into a sourced file, never into the script.
 *
 * <p>Packer needs five SSH sessions per script (upload, chmod, run, two removals); here each script costs ONE: the
 * script arrives on the session's standard input ({@code cat > path}), its size is checked before anything runs (a
 * script that arrived short fails loudly and never runs), then it runs with standard input from /dev/null, then it
 * is removed. With a pseudo-terminal, which would echo standard input, the script travels in the command line.
 */
public final class ShellProvisioner extends Provisioner<ShellStep> {
    /** Scripts larger than this go in a session of their own when they cannot use standard input (a PTY). */
    private static final int MAX_IN_COMMAND = 64 * 1024;
    /** After the script's path, a shell's own error message names the line: dash {@code 3: }, bash {@code line 3: }. */
    private static final java.util.regex.Pattern SHELL_REPORT = java.util.regex.Pattern.compile("(?:line )?(\\d{1,9}): ");

    public ShellProvisioner(ShellStep spec, String name) {
        super(spec, name);
    }

    /**
     * One script to run: what people call it, its bytes as they go to the machine, and the inline commands it was
     * made of (empty for a script file).
     */
    record Script(String name, byte[] content, List<String> inline) {
        Script(String name, byte[] content) {
            this(name, content, List.of());
        }
    }

    /** Where things go on the machine for one run of the step, and what the execute command became. */
    record Remote(String path, String envVarFile, String envVarFileContent, String command) {
    }

    @Override
    public void run(BuildContext context) throws Exception {
        Map<String, String> env = environment(context, spec.env());
        Remote remote = remote(spec, env, ThreadLocalRandom.current().nextInt(9999),
                ThreadLocalRandom.current().nextInt(9999));
        for (Script script : scripts(context)) {
            context.info("running " + script.name() + " as " + remote.path());
            runScript(context, script, remote);
        }
    }

    private void runScript(BuildContext context, Script script, Remote remote) throws Exception {
        String marker = "imagebake-script-started:" + UUID.randomUUID();
        long deadline = System.nanoTime() + spec.startRetryTimeout().toNanos();
        long pause = 500;
        while (true) {
            AtomicBoolean started = new AtomicBoolean();
            AtomicInteger reportedLine = new AtomicInteger();
            OutputListener listener = (stream, line) -> {
                if (!started.get() && line.equals(marker)) {
                    started.set(true); // on stderr, or on stdout with a PTY
                    return;
                }
                int at = shellReportLine(line, remote.path());
                if (at > 0) {
                    reportedLine.set(at);
                }
                context.reporter().output(context.name(), name(), stream.name().toLowerCase(), line);
            };
            String problem;
            SshCommunicator machine = null;
            try {
                machine = connect(context, deadline);
                if (!inBand(script)) {
                    // Not text that survives the trip as a string: sent byte for byte in a session of its own.
                    machine.upload(script.content(), remote.path(), 0755);
                }
                CommandResult result = machine.run(command(script, remote, marker), listener);
                if (started.get() || !result.disconnected()) {
                    check(context, result, started.get(), script, remote, reportedLine.get(), machine.stalled());
                    return;
                }
                problem = "the connection dropped before the script started";
            } catch (ConnectionFailedException e) {
                boolean gaveUpWaiting = e.getCause() instanceof ConnectionFailedException last && last.retryable();
                if (!e.retryable() && !gaveUpWaiting) {
                    throw e; // a wrong key or host key: waiting cannot help
                }
                if (gaveUpWaiting) {
                    throw new StepFailedException("could not start " + script.name() + " within "
                            + Durations.format(spec.startRetryTimeout()) + " (startRetryTimeout): " + e.getMessage(), e);
                }
                problem = e.getMessage();
            } catch (IOException e) {
                if (started.get() || machine == null || machine.isConnected()) {
                    throw new StepFailedException("could not run " + script.name() + ": " + e.getMessage(), e);
                }
                problem = e.getMessage();
            }
            if (context.cancelled() || Thread.interrupted()) {
                throw new InterruptedException("stopped before " + script.name() + " started");
            }
            if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pause) - deadline > 0) {
                throw new StepFailedException("could not start " + script.name() + " within "
                        + Durations.format(spec.startRetryTimeout()) + " (startRetryTimeout): " + problem);
            }
            context.info("could not start " + script.name() + " (" + problem + "); trying again");
            Thread.sleep(pause);
            pause = Math.min(pause * 2, 5_000);
        }
    }

    /** The machine's connection, waiting for it (for example during a reboot) until the start deadline. */
    private static SshCommunicator connect(BuildContext context, long deadline) throws Exception {
        long left = deadline - System.nanoTime();
        return context.machine().communicator(Duration.ofNanos(Math.max(left, 1_000_000_000L)));
    }

    /** @param stalled why the connection was given up as stalled (the read/write timeout), or null */
    private void check(BuildContext context, CommandResult result, boolean started, Script script, Remote remote,
                       int reportedLine, String stalled) throws Exception {
        if (!started) {
            throw new StepFailedException(script.name() + " was not run: it could not be put at " + remote.path()
                    + " whole (see the messages above)");
        }
        if (result.disconnected()) {
            if (spec.expectDisconnect()) {
                context.info("the connection dropped, as expected");
                cleanUpAfterDisconnect(context, remote);
                return;
            }
            if (stalled != null) {
                throw new StepFailedException("the connection to " + context.machine().endpoint().describe()
                        + " stalled while " + script.name() + " ran: " + stalled + " (if the script reboots or "
                        + "restarts the network, set expectDisconnect true)");
            }
            throw new StepFailedException("the connection to " + context.machine().endpoint().describe()
                    + " dropped while the script ran (if the script reboots or restarts the network, set "
                    + "expectDisconnect true)");
        }
        if (result.signal() != null) {
            throw new StepFailedException("the script was killed by signal " + result.signal());
        }
        if (!spec.validExitCodes().contains(result.exitStatus())) {
            String exited = "the script exited with status " + result.exitStatus()
                    + (spec.validExitCodes().equals(List.of(0)) ? "" : " (valid: " + spec.validExitCodes() + ")");
            throw new StepFailedException(whichInline(script.inline(), reportedLine, exited));
        }
    }

    /**
     * Which inline command failed, as far as it can be known. With one, it is that one. With several, the exit
     * status does not say which: when the shell itself reported an error (dash: {@code PATH: 3: foo: not found},
     * bash: {@code PATH: line 3: ...}), its line names an inline command, given as what it is (the last error the
     * shell reported), not as the failing command, which a later command without a message could have been.
     */
    static String whichInline(List<String> inline, int reportedLine, String exited) {
        if (inline.size() == 1) {
            return "inline command 1 of 1 failed: " + quoted(inline.get(0)) + " (" + exited + ")";
        }
        if (inline.isEmpty()) {
            return exited;
        }
        int line = 2; // line 1 is the #! line
        for (int i = 0; i < inline.size() && reportedLine > 0; i++) {
            int lines = inline.get(i).split("\n", -1).length;
            if (reportedLine < line + lines) {
                return exited + "; the last error the shell reported (line " + reportedLine + ", above) is in "
                        + "inline command " + (i + 1) + " of " + inline.size() + ": " + quoted(inline.get(i));
            }
            line += lines;
        }
        return exited + " (one of its " + inline.size() + " inline commands failed; the shell did not say which)";
    }

    private static String quoted(String command) {
        String first = command.strip().lines().findFirst().orElse("");
        boolean cut = first.length() > 60 || command.strip().contains("\n");
        return "`" + (first.length() > 60 ? first.substring(0, 57) : first) + (cut ? "...`" : "`");
    }

    /** The script line a shell's own error message names ({@code PATH: 3: ...} or {@code PATH: line 3: ...}), or 0. */
    static int shellReportLine(String output, String path) {
        if (!output.startsWith(path + ": ")) {
            return 0;
        }
        java.util.regex.Matcher m = SHELL_REPORT.matcher(output.substring(path.length() + 2));
        return m.lookingAt() ? Integer.parseInt(m.group(1)) : 0;
    }

    /** The session that would have removed the files is gone: remove them once the machine answers again. */
    private void cleanUpAfterDisconnect(BuildContext context, Remote remote) {
        if (spec.skipClean()) {
            return;
        }
        String files = ShellQuoting.quote(remote.path())
                + (remote.envVarFile() == null ? "" : " " + ShellQuoting.quote(remote.envVarFile()));
        try {
            Communicator machine = context.machine().communicator(spec.startRetryTimeout());
            CommandResult result = machine.run(RemoteCommand.of("rm -f " + files), OutputListener.IGNORE);
            if (result.exitStatus() != 0) {
                context.warn("could not remove " + files + " after the disconnect");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            context.warn("could not remove " + files + " after the disconnect: " + e.getMessage());
        }
    }

    /** The variables every script gets: Packer's, imagebake's, then the step's own (which win), sorted by name. */
    static Map<String, String> environment(BuildContext context, Map<String, String> env) {
        Map<String, String> all = new LinkedHashMap<>();
        String type = context.build().type();
        all.put("PACKER_BUILD_NAME", context.name());
        all.put("PACKER_BUILDER_TYPE", packerBuilderType(type));
        all.put("IMAGEBAKE_BUILD_NAME", context.name());
        all.put("IMAGEBAKE_BUILDER_TYPE", type);
        all.putAll(env);
        return all;
    }

    /** The name Packer's builder for the same job has: {@code null} for an existing machine, {@code azure-arm}. */
    static String packerBuilderType(String imagebakeType) {
        return switch (imagebakeType) {
            case "ssh" -> "null";
            case "azure" -> "azure-arm";
            default -> imagebakeType;
        };
    }

    /** Paths for this run (random numbers as Packer picks them) and the execute command with its placeholders filled. */
    static Remote remote(ShellStep spec, Map<String, String> env, int scriptNumber, int varFileNumber) {
        String path = spec.remotePath() != null ? spec.remotePath() : spec.remoteFolder() + "/"
                + (spec.remoteFile() != null ? spec.remoteFile() : "script_" + scriptNumber + ".sh");
        String envVarFile = spec.useEnvVarFile() ? spec.remoteFolder() + "/varfile_" + varFileNumber + ".sh" : null;
        String vars = CommandTemplate.vars(spec.envVarFormat(), env);
        Map<CommandTemplate.Placeholder, String> values = new java.util.EnumMap<>(CommandTemplate.Placeholder.class);
        values.put(CommandTemplate.Placeholder.PATH, path);
        values.put(CommandTemplate.Placeholder.VARS, vars);
        if (envVarFile != null) {
            values.put(CommandTemplate.Placeholder.ENV_VAR_FILE, envVarFile);
        }
        String command = CommandTemplate.parse(spec.executeCommand()).expand(values);
        return new Remote(path, envVarFile, spec.useEnvVarFile() ? vars : null, command);
    }

    /** The scripts in order: the inline commands as one, or the files, as Packer sends them. */
    private List<Script> scripts(BuildContext context) throws IOException {
        List<Script> scripts = new ArrayList<>();
        if (!spec.inline().isEmpty()) {
            StringBuilder text = new StringBuilder("#!").append(spec.inlineShebang()).append('\n');
            spec.inline().forEach(command -> text.append(command).append('\n'));
            scripts.add(new Script("the inline commands", unixLines(text.toString().getBytes(StandardCharsets.UTF_8)),
                    spec.inline()));
        }
        for (String path : spec.scripts()) {
            byte[] content = Files.readAllBytes(context.templateFolder().resolve(path));
            scripts.add(new Script(path, spec.binary() ? content : unixLines(content)));
        }
        return scripts;
    }

    /**
     * Packer's line ending conversion (unless {@code binary}): every line ends with a lone LF, a CR before it is
     * dropped, and a last line without one gets one.
     */
    static byte[] unixLines(byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 1);
        int start = 0;
        while (start < content.length) {
            int end = start;
            while (end < content.length && content[end] != '\n') {
                end++;
            }
            int stop = end > start && content[end - 1] == '\r' ? end - 1 : end;
            out.write(content, start, stop - start);
            out.write('\n');
            start = end + 1;
        }
        return out.toByteArray();
    }

    /** Whether the script can travel as text in the session (standard input, or the command line with a PTY). */
    private boolean inBand(Script script) {
        if (text(script.content()) == null) {
            return false;
        }
        return !spec.pty() || script.content().length <= MAX_IN_COMMAND && !contains(script.content(), (byte) 0);
    }

    /**
     * The one session's command: write the files, check them, run the execute command, clean up. It starts as few
     * processes as it can (each costs a millisecond or two): the script is written without changing the umask (it
     * ends up 0755, as Packer leaves it), only the variables file is made private from the start.
     */
    RemoteCommand command(Script script, Remote remote, String marker) {
        boolean inBand = inBand(script);
        boolean stdin = inBand && !spec.pty();
        boolean envFile = remote.envVarFile() != null;
        String sentinel = "imagebake-end-of-variables:" + UUID.randomUUID();
        StringBuilder input = new StringBuilder();
        StringBuilder setup = new StringBuilder();
        setup.append("f=").append(ShellQuoting.quote(remote.path())).append('\n');
        if (envFile) {
            setup.append("e=").append(ShellQuoting.quote(remote.envVarFile())).append('\n');
        }
        String files = envFile ? "\"$f\" \"$e\"" : "\"$f\"";
        setup.append("fail() { printf 'imagebake: %s\\n' \"$1\" >&2; rm -f ").append(files)
                .append(stdin ? "; cat >/dev/null" : "").append("; exit 1; }\n");
        // noclobber: a file in the way that is not ours (and so cannot be removed) is never written through.
        setup.append("set -C\n");
        if (envFile) {
            String content = remote.envVarFileContent();
            String cannot = ShellQuoting.quote("cannot write the variables file " + remote.envVarFile());
            setup.append("rm -f \"$e\"\n");
            if (stdin) {
                // Read line by line (the shell reads a pipe a byte at a time), so that the script that follows on
                // standard input is left for cat; the last line proves that the file arrived whole.
                input.append(content).append(content.isEmpty() || content.endsWith("\n") ? "" : "\n")
                        .append(sentinel).append('\n');
                setup.append("(umask 077; exec > \"$e\" || exit 2; while IFS= read -r l; do [ \"$l\" = ")
                        .append(ShellQuoting.quote(sentinel)).append(" ] && exit 0; printf '%s\\n' \"$l\"; done; exit 3)\n");
                setup.append("case $? in 0) ;; 3) fail 'the variables file arrived incomplete; the script was not run' ;; ")
                        .append("*) fail ").append(cannot).append(" ;; esac\n");
            } else {
                setup.append("(umask 077; printf '%s' ").append(ShellQuoting.quote(content)).append(" > \"$e\") || fail ")
                        .append(cannot).append('\n');
            }
        }
        int size = script.content().length;
        if (inBand) {
            String cannot = " || fail " + ShellQuoting.quote("cannot write the script to " + remote.path()) + "\n";
            if (stdin) {
                input.append(text(script.content()));
                // Removing a file left from an earlier run costs a process: only when one is in the way.
                setup.append("{ cat > \"$f\"; } 2>/dev/null || { rm -f \"$f\" && cat > \"$f\"; }").append(cannot);
            } else {
                setup.append("rm -f \"$f\"\nprintf '%s' ").append(ShellQuoting.quote(text(script.content())))
                        .append(" > \"$f\"").append(cannot);
            }
        }
        setup.append("n=$(wc -c < \"$f\") && [ \"$n\" -eq ").append(size).append(" ] || fail \"only ${n:-0} of ")
                .append(size).append(" bytes of the script arrived at $f; it was not run\"\n");
        setup.append("chmod 755 \"$f\" || fail 'cannot make the script executable'\n");
        setup.append("set +C\n");
        StringBuilder run = new StringBuilder();
        String cleanup = spec.skipClean() ? "" : "rm -f " + ShellQuoting.quote(remote.path())
                + (envFile ? " " + ShellQuoting.quote(remote.envVarFile()) : "");
        if (!cleanup.isEmpty()) {
            // A timeout or Ctrl-C signals the whole process group: the files go too.
            String quoted = cleanup.replace("'", "'\\''");
            run.append("trap '").append(quoted).append("; exit 143' TERM; trap '").append(quoted)
                    .append("; exit 129' HUP; trap '").append(quoted).append("; exit 130' INT\n");
        }
        run.append("printf '%s\\n' ").append(ShellQuoting.quote(marker)).append(" >&2\n");
        // A subshell: an `exit` in the execute command cannot skip the clean-up.
        run.append("(\n").append(remote.command()).append("\n) </dev/null\n");
        run.append("rc=$?\n");
        if (!cleanup.isEmpty()) {
            run.append(cleanup).append('\n');
        }
        run.append("exit $rc");
        if (envFile && !stdin) {
            // The setup holds the variables: the process that stays while the script runs shows only what runs.
            setup.append("exec sh -c ").append(ShellQuoting.quote(run.toString()));
        } else {
            setup.append(run);
        }
        return new RemoteCommand(setup.toString(), stdin ? input.toString() : null, spec.pty());
    }

    /** The bytes as text when they are valid UTF-8 (so that they reach the machine unchanged), else null. */
    private static String text(byte[] content) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(content)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static boolean contains(byte[] content, byte b) {
        for (byte c : content) {
            if (c == b) {
                return true;
            }
        }
        return false;
    }
}
