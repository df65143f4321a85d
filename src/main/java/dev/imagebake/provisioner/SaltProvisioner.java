package dev.imagebake.provisioner;

import dev.imagebake.communicator.CommandTemplate;
import dev.imagebake.communicator.ShellQuoting;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.StepFailedException;
import dev.imagebake.plan.SaltStep;
import dev.imagebake.plan.ToolOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code provision salt}: Packer's {@code salt-masterless}. Salt is bootstrapped when salt-call is missing (unless
 * {@code skipBootstrap}); the minion configuration and grains are uploaded to the staging folder and moved to
 * {@code /etc/salt}; the state tree and pillar are uploaded to {@code STAGING/states} and {@code STAGING/pillar} and
 * moved with sudo to the remote roots, replacing what was there; then {@code salt-call --local} applies the
 * highstate (or the chosen states) with {@code --retcode-passthrough}, so a failed state fails the step, and the
 * step's error names the states whose result was False.
 */
public final class SaltProvisioner extends Provisioner<SaltStep> {
    /** Where Salt's configuration lives on a Linux machine. */
    static final String CONFIG_DIR = "/etc/salt";
    private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;]*m");
    private static final int STATES_QUOTED = 3;
    private static final Pattern PLAIN_WORD = Pattern.compile("[A-Za-z0-9_./=,:@%+-]+");

    public SaltProvisioner(SaltStep spec, String name) {
        super(spec, name);
    }

    @Override
    public void run(BuildContext context) throws Exception {
        ToolRun run = new ToolRun(context, name(), spec.tool());
        String staging = spec.tool().stagingDirectory();
        run.staged(() -> {
            if (spec.skipBootstrap()) {
                if (run.status(present()) != 0) {
                    throw new StepFailedException("salt-call is not on the machine (`" + present() + "` failed) "
                            + "and skipBootstrap is true; install Salt in an earlier step, or drop skipBootstrap");
                }
            } else {
                run.ensureInstalled("salt", present(), List.of("salt-minion"),
                        spec.bootstrapArgs() != null ? spec.bootstrapArgs() : "");
            }
            if (spec.minionConfig() != null) {
                place(context, run, spec.minionConfig(), staging + "/minion", CONFIG_DIR + "/minion");
            }
            if (spec.grainsFile() != null) {
                place(context, run, spec.grainsFile(), staging + "/grains", CONFIG_DIR + "/grains");
            }
            place(context, run, spec.localStateTree(), staging + "/states", spec.remoteStateTree());
            if (spec.localPillarRoots() != null) {
                place(context, run, spec.localPillarRoots(), staging + "/pillar", spec.remotePillarRoots());
            }
            FailedStates failed = new FailedStates();
            int status = run.stream("salt-call", command(run), failed::read);
            check(context, status, failed.quoted);
        });
    }

    /** The path of salt-call on the machine, as Packer builds it from {@code salt_bin_dir}. */
    String saltCall() {
        return spec.saltBinDir() != null ? spec.saltBinDir().replaceAll("/$", "") + "/salt-call" : "salt-call";
    }

    /** The shell test that passes when salt-call is on the machine. */
    private String present() {
        return spec.saltBinDir() != null ? "test -x " + ShellQuoting.quote(saltCall())
                : "command -v salt-call >/dev/null 2>&1";
    }

    /**
     * Uploads {@code local} to {@code staged} (checked on both sides), then moves it with sudo to {@code target},
     * replacing what was there, as Packer does.
     */
    private void place(BuildContext context, ToolRun run, String local, String staged, String target) throws Exception {
        run.upload(local, staged);
        String to = ShellQuoting.quote(target);
        String parent = target.substring(0, Math.max(1, target.lastIndexOf('/')));
        run.quiet("move " + staged + " to " + target, run.sudo() + "rm -rf " + to + " && " + run.sudo()
                + "mkdir -p " + ShellQuoting.quote(parent) + " && " + run.sudo() + "mv "
                + ShellQuoting.quote(staged) + " " + to);
        context.info("moved " + staged + " to " + target);
    }

    /**
     * What follows {@code salt-call --local}, in Packer's order: the state function, the roots (unless a minion
     * configuration names them), {@code --retcode-passthrough} (unless noExitOnFailure), the log level and the
     * step's own arguments.
     */
    String cmdArgs() {
        List<String> words = new ArrayList<>();
        if (!spec.stateFiles().isEmpty()) {
            words.addAll(List.of("state.sls", String.join(",", spec.stateFiles())));
        } else if (spec.customState() != null) {
            words.addAll(List.of("state.sls", spec.customState()));
        } else {
            words.add("state.highstate");
        }
        if (spec.minionConfig() == null) {
            words.add("--file-root=" + spec.remoteStateTree());
            words.add("--pillar-root=" + spec.remotePillarRoots());
        }
        if (!spec.noExitOnFailure()) {
            words.add("--retcode-passthrough");
        }
        words.addAll(List.of("-l", spec.logLevel()));
        String args = String.join(" ", words.stream().map(SaltProvisioner::word).toList());
        return spec.saltCallArgs() == null ? args : args + " " + spec.saltCallArgs();
    }

    /**
     * The step's execute command with its placeholders filled, or the default: salt-call through
     * {@code sudo -n env} with the build's variables (so no sudo policy has to keep the environment).
     */
    String command(ToolRun run) {
        if (spec.tool().executeCommand() != null) {
            return PuppetProvisioner.exports(run.environment()) + CommandTemplate.parse(spec.tool().executeCommand(),
                    SaltStep.PLACEHOLDERS, ToolOptions.describe(SaltStep.PLACEHOLDERS)).expandNamed(Map.of(
                    ".Sudo", run.sudoUsed() ? "sudo -n -E" : "", ".SaltCall", saltCall(), ".CmdArgs", cmdArgs()));
        }
        return run.sudo() + run.envPrefix(Map.of()) + word(saltCall()) + " --local " + cmdArgs();
    }

    /** A shell word, quoted only when it holds more than letters, digits and {@code _ . / = , : @ % + -}. */
    private static String word(String text) {
        return PLAIN_WORD.matcher(text).matches() ? text : ShellQuoting.quote(text);
    }

    private void check(BuildContext context, int status, List<String> states) throws StepFailedException {
        String quoted = states.isEmpty() ? "" : ": failed states: " + String.join("; ", states);
        if (status == 0 && states.isEmpty()) {
            context.info("salt-call: states applied (exit status 0)");
        } else if (spec.noExitOnFailure()) {
            context.warn("salt-call exited with status " + status + ", ignored (noExitOnFailure)" + quoted);
        } else if (status == 0) {
            context.info("salt-call exited with status 0" + quoted);
        } else {
            throw new StepFailedException("salt-call failed (exit status " + status + ")"
                    + (quoted.isEmpty() ? "; see its output above" : quoted));
        }
    }

    /**
     * Reads salt's state output ({@code ID:}, {@code Function:}, {@code Result:}, {@code Comment:} lines per state)
     * and keeps, for the first states whose result is False, "ID (function): comment".
     */
    static final class FailedStates {
        final List<String> quoted = new ArrayList<>();
        private String id;
        private String function;
        private boolean failed;

        void read(String line) {
            String plain = ANSI.matcher(line).replaceAll("").strip();
            if (plain.startsWith("ID: ")) {
                id = plain.substring(4).strip();
                function = null;
                failed = false;
            } else if (plain.startsWith("Function: ")) {
                function = plain.substring(10).strip();
            } else if (plain.equals("Result: False") && id != null) {
                failed = true;
            } else if (plain.startsWith("Comment:") && failed) {
                String comment = plain.substring(8).strip();
                add(id + (function != null ? " (" + function + ")" : "") + (comment.isEmpty() ? "" : ": " + comment));
                failed = false;
            } else if (plain.startsWith("Started:") && failed) {
                add(id + (function != null ? " (" + function + ")" : ""));
                failed = false;
            }
        }

        private void add(String state) {
            if (quoted.size() < STATES_QUOTED) {
                quoted.add(state);
            }
        }
    }
}
