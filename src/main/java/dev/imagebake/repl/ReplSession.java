package dev.imagebake.repl;

import dev.imagebake.builder.Builders;
import dev.imagebake.builder.azure.AzureOptions;
import dev.imagebake.communicator.CommandResult;
import dev.imagebake.communicator.RemoteCommand;
import dev.imagebake.communicator.SshCommunicator;
import dev.imagebake.dsl.Diagnostic;
import dev.imagebake.dsl.EvaluationResult;
import dev.imagebake.dsl.TemplateEvaluator;
import dev.imagebake.dsl.TemplateSource;
import dev.imagebake.dsl.VariableInputs;
import dev.imagebake.engine.Artifact;
import dev.imagebake.engine.Durations;
import dev.imagebake.engine.Reporter;
import dev.imagebake.engine.Secrets;
import dev.imagebake.engine.StepRunner;
import dev.imagebake.plan.Build;
import dev.imagebake.plan.Plan;
import dev.imagebake.plan.PlanRenderer;
import dev.imagebake.plan.ShellStep;
import dev.imagebake.plan.Step;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The state of a REPL session and what its commands do, with no terminal in sight (the {@link Repl} reads lines).
 *
 * <p>The session's template ({@link SessionTemplate}) is the list of accepted inputs; once a machine runs, the steps
 * an input declares run on it at once, and the input is kept only if they succeed. What was tried is kept for
 * {@code :history}; {@code :save} writes the inputs that are definitions or whose steps succeeded.
 */
public final class ReplSession {
    static final String SOURCE_NAME = "repl";
    private final TemplateEvaluator evaluator;
    private final VariableInputs inputs;
    private final Path folder;
    private final PrintStream out;
    private final Secrets secrets;
    private final Reporter reporter;
    private AzureOptions azure = new AzureOptions(null, null, java.util.Map.of(), false);
    private Consumer<Build> beforeStart = build -> { };
    private final SessionTemplate template;
    private final List<Attempt> attempts = new ArrayList<>();
    private volatile LiveMachine machine;
    /** The machine {@code :start} is booting, which Ctrl-C interrupts too; null otherwise. */
    private volatile LiveMachine starting;
    /**
     * Which machine of the session runs now, or ran last: 1 after the first {@code :start}, 2 after {@code :stop} and
     * {@code :start} again. An entry's steps ran on the running machine only if it records this number.
     */
    private int machineNumber;
    /** Set by Ctrl-C, cleared when the next input begins. */
    private volatile boolean interrupted;
    /** Open while a Ctrl-C is stopping what runs on the machine: its outcome is known once this is counted down. */
    private volatile java.util.concurrent.CountDownLatch stopping = new java.util.concurrent.CountDownLatch(0);
    private int failures;

    /**
     * @param folder   what relative paths ({@code file(...)}, {@code :upload}) are relative to
     * @param reporter where live step output goes; it must redact with {@code secrets}
     */
    public ReplSession(TemplateEvaluator evaluator, VariableInputs inputs, Path folder, PrintStream out,
                       Secrets secrets, Reporter reporter) {
        this.evaluator = evaluator;
        this.inputs = inputs;
        this.folder = folder;
        this.out = out;
        this.secrets = secrets;
        this.reporter = reporter;
        this.template = new SessionTemplate(evaluator, inputs, folder, out, secrets);
    }

    /** How {@code :start} reaches Azure for an azure builder (a cloud file, the environment). */
    public void azure(AzureOptions options) {
        this.azure = options;
    }

    /** What runs before {@code :start} boots a build's machine. */
    public void beforeStart(Consumer<Build> action) {
        this.beforeStart = action;
    }

    // ---- template input ----------------------------------------------------------------------------------------

    /**
     * Evaluates one input. When a machine is running, the provisioning steps it declares run at once, and the input
     * is kept only if they succeed.
     *
     * @param lineNumber the input's first line in the session, which its steps are labelled by; 0 for none
     * @return whether the input was accepted
     */
    public boolean evaluate(String input, int lineNumber) {
        Entry entry = template.add(input);
        if (entry == null) {
            return false;
        }
        entry.lineNumber = lineNumber;
        if (machine != null && entry.status == Entry.Status.PENDING && !run(entry)) {
            template.drop(entry);
            return false;
        }
        return true;
    }

    /** Loads a template's statements as entries; their steps are planned, to run with {@code :run}. */
    public void load(Path file) throws IOException {
        List<Entry> loaded = template.load(Files.readString(folder.resolve(file)));
        if (loaded == null) {
            throw new ReplException(file + " was not loaded");
        }
        loaded.forEach(e -> e.loadedFrom = file.toString());
        long planned = loaded.stream().mapToLong(e -> e.steps.size()).sum();
        out.println("loaded " + file + ": " + loaded.size() + " statements, " + planned + " step"
                + (planned == 1 ? "" : "s") + " planned" + (planned > 0 ? " (:run runs them on the machine)" : ""));
    }

    // ---- the plan ----------------------------------------------------------------------------------------------

    /** The plan built so far, as {@code plan} prints it. */
    public String renderPlan() {
        Plan plan = template.plan();
        int knownSteps = template.knownSteps();
        if (plan == null || plan.builds().isEmpty()) {
            return "no builder yet (" + knownSteps + " step" + (knownSteps == 1 ? "" : "s")
                    + " declared); add one, for example builder ssh { host '...'; user '...' }\n";
        }
        return secrets.redact(PlanRenderer.render(plan)) + stepsRun(knownSteps) + "\n";
    }

    /** How many of the planned steps the running machine (else the last one) has run. */
    private String stepsRun(int knownSteps) {
        long here = steps(template.entries().stream().filter(this::ranOnLastMachine).toList());
        if (machineNumber == 0) {
            return "steps run on a machine so far: 0 of " + knownSteps;
        }
        if (machine == null) {
            return "no machine is running (:start boots a fresh one); steps run on the last one: " + here + " of "
                    + knownSteps;
        }
        long earlier = steps(ranOnEarlierMachine());
        return "steps run on this machine (" + machine.build().name() + "): " + here + " of " + knownSteps
                + (earlier == 0 ? "" : "; " + earlier + " more ran on an earlier machine (:run replays "
                + (earlier == 1 ? "it" : "them") + ")");
    }

    private boolean ranOnLastMachine(Entry entry) {
        return entry.status == Entry.Status.SUCCEEDED && entry.machine == machineNumber;
    }

    /** Entries whose steps succeeded on an earlier machine of the session, not on the running one. */
    private List<Entry> ranOnEarlierMachine() {
        return template.entries().stream().filter(e -> e.status == Entry.Status.SUCCEEDED
                && e.machine != machineNumber).toList();
    }

    /** Entries whose steps the running machine has not run: planned ones, and those run on an earlier machine. */
    private List<Entry> notRunHere() {
        return template.entries().stream().filter(e -> e.status == Entry.Status.PENDING
                || e.status == Entry.Status.SUCCEEDED && e.machine != machineNumber).toList();
    }

    private static long steps(List<Entry> entries) {
        return entries.stream().mapToLong(e -> e.steps.size()).sum();
    }

    private static String steps(long n) {
        return n + (n == 1 ? " step" : " steps");
    }

    // ---- the machine -------------------------------------------------------------------------------------------

    /**
     * Boots (or connects to) the machine of the named build, or of the only one: a fresh machine, on which no step
     * of the session has run yet.
     *
     * @param force replace an existing managed image or gallery image version when baking, as {@code build --force}
     */
    public void start(String name, boolean force) {
        if (machine != null) {
            throw new ReplException("the machine of " + machine.build().name() + " is running already; :stop it first");
        }
        Build build = build(name);
        beforeStart.accept(build);
        LiveMachine live = LiveMachine.of(build, folder, reporter, secrets, force ? new AzureOptions(azure.cloudFile(),
                azure.template(), azure.environment(), true) : azure);
        starting = live;
        String failure;
        try {
            failure = live.start();
        } finally {
            starting = null;
        }
        if (failure != null) {
            throw new ReplException("could not start " + build.name() + ": " + failure);
        }
        machine = live;
        machineNumber++;
        long pending = template.entries().stream().filter(e -> e.status == Entry.Status.PENDING).count();
        out.println("started " + build.name() + ": provision statements now run on it"
                + (pending > 0 ? "; " + pending + " planned statement" + (pending == 1 ? " has" : "s have")
                + " not run yet (:run runs them)" : ""));
        long earlier = steps(ranOnEarlierMachine());
        if (earlier > 0) {
            out.println(steps(earlier) + " ran on a previous machine, not on this one; "
                    + ":run replays " + (earlier == 1 ? "it" : "them") + " here (:bake waits for that)");
        }
    }

    private Build build(String name) {
        Plan plan = template.plan();
        List<Build> builds = plan == null ? List.of() : plan.builds();
        if (builds.isEmpty()) {
            throw new ReplException("no builder is declared yet; declare one, for example builder ssh { ... }");
        }
        if (name == null || name.isBlank()) {
            if (builds.size() > 1) {
                throw new ReplException("there are several builders; name one: :start "
                        + String.join(" | :start ", builds.stream().map(Build::name).toList()));
            }
            return builds.get(0);
        }
        return builds.stream().filter(b -> b.name().equals(name.trim())).findFirst().orElseThrow(() ->
                new ReplException("no builder is named '" + name.trim() + "'; builders: "
                        + String.join(", ", builds.stream().map(Build::name).toList())));
    }

    /**
     * Runs, in the session's order, the statements whose steps the running machine has not run: planned ones, and
     * those that ran on an earlier machine (replayed). Stops at the first that fails.
     */
    public void runPending() {
        LiveMachine live = live();
        for (Entry entry : notRunHere()) {
            if (!run(entry)) {
                if (interrupted) {
                    out.println("stopped; the interrupted statement stays planned, :run runs it again");
                    return;
                }
                template.drop(entry);
                out.println("stopped at the failed statement; it was dropped from the session's template");
                return;
            }
        }
        out.println("every planned step has run on " + live.build().name());
    }

    private boolean run(Entry entry) {
        LiveMachine live = live();
        for (Step step : entry.steps) {
            if (!step.options().appliesTo(live.build().name())) {
                continue;
            }
            long started = System.nanoTime();
            String failure = live.provision(step, label(entry, step));
            attempts.add(new Attempt(secrets.redact(summary(entry.text)), failure == null ? null
                    : secrets.redact(failure), Duration.ofNanos(System.nanoTime() - started)));
            if (failure != null) {
                if (interrupted) {
                    out.println(interruption(what(entry, step)));
                }
                failures++;
                return false;
            }
        }
        entry.status = Entry.Status.SUCCEEDED;
        entry.machine = machineNumber;
        return true;
    }

    /** What a step runs, for people: a shell step's inline commands, else its label. */
    private String what(Entry entry, Step step) {
        if (step.spec() instanceof ShellStep shell && !shell.inline().isEmpty()) {
            return "`" + summary(secrets.redact(String.join("; ", shell.inline()))) + "`";
        }
        return label(entry, step);
    }

    /** A step as the output shows it: by the input line it was typed on, or its line in the loaded file. */
    private static String label(Entry entry, Step step) {
        if (entry.loadedFrom != null) {
            return step.kind() + " (" + entry.loadedFrom + " line " + (step.declaredAt().line() - entry.loadOffset)
                    + ")";
        }
        return entry.lineNumber > 0 ? step.kind() + " (input line " + entry.lineNumber + ")" : Builders.label(step);
    }

    /** Runs a one-off shell command on the machine, with live output; it does not become part of the template. */
    public void shell(String command) throws Exception {
        LiveMachine live = live();
        long started = System.nanoTime();
        CommandResult result = live.context().communicator().run(RemoteCommand.of(command),
                (stream, line) -> {
                    out.println(secrets.redact(line));
                    out.flush();
                });
        boolean finished = !result.disconnected() && result.signal() == null && result.exitStatus() == 0;
        boolean stopped = interrupted && !finished; // else it ended by itself just before Ctrl-C
        String failure = stopped ? StepRunner.INTERRUPTED
                : result.disconnected() ? "the connection dropped"
                : result.signal() != null ? "ended by signal " + result.signal()
                : result.exitStatus() != 0 ? "exit status " + result.exitStatus() : null;
        if (stopped) {
            out.println(interruption("`" + summary(secrets.redact(command)) + "`"));
            failures++;
        } else if (failure != null) {
            out.println("(" + failure + ")");
            failures++;
        }
        attempts.add(new Attempt(secrets.redact("!" + command), failure, Duration.ofNanos(System.nanoTime()
                - started)));
    }

    public void upload(Path local, String remote) throws Exception {
        var done = live().context().communicator().upload(folder.resolve(local), remote);
        out.println("uploaded " + local + " to " + remote + " (" + done.verification() + ")");
    }

    public void download(String remote, Path local) throws Exception {
        var done = live().context().communicator().download(remote, folder.resolve(local));
        out.println("downloaded " + remote + " to " + local + " (" + done.verification() + ")");
    }

    /**
     * Ctrl-C while an input runs: ends the step or command running on the machine (its remote process group is
     * stopped, as a step timeout does in {@code build}); the session goes on.
     */
    public void interrupt() {
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        stopping = done;
        interrupted = true;
        try {
            LiveMachine live = starting != null ? starting : machine;
            if (live != null) {
                live.interrupt();
            }
        } finally {
            done.countDown();
        }
    }

    /**
     * What an interrupted input tells about {@code what}: that it was stopped on the machine only when the machine
     * confirmed that its processes are gone; otherwise that it may still run there, and how to find and end it.
     */
    private String interruption(String what) {
        try {
            stopping.await(30, java.util.concurrent.TimeUnit.SECONDS); // the command may end before its kill returns
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LiveMachine live = machine;
        List<SshCommunicator.Stop> stops = live == null || !live.context().hasMachine() ? null
                : live.context().machine().takeInterruption();
        if (stops == null || stops.isEmpty()) {
            return "interrupted: " + what + " had nothing running on the machine";
        }
        List<String> unconfirmed = new ArrayList<>();
        for (SshCommunicator.Stop stop : stops) {
            if (stop.confirmed()) {
                continue;
            }
            String group = stop.processGroup();
            unconfirmed.add(group == null ? stop.problem() + "; `!ps -ef` shows what runs there"
                    : stop.problem() + "; its process group is " + group + ": `!pgrep -a -g " + group
                    + "` lists it, `!" + (stop.sudo() ? "sudo kill" : "kill") + " -KILL -" + group + "` ends it");
        }
        if (unconfirmed.isEmpty()) {
            return "interrupted: stopped " + what + " on the machine";
        }
        return "interrupted, but " + what + " may still run on the machine: " + String.join("; ", unconfirmed);
    }

    /** Whether a machine runs, or is being started: what Ctrl-C would stop. */
    boolean machineInUse() {
        return starting != null || machine != null;
    }

    /** A new input begins: a Ctrl-C that came during an earlier one no longer counts. */
    void beginInput() {
        interrupted = false;
        LiveMachine live = machine;
        if (live != null && live.context().hasMachine()) {
            live.context().machine().takeInterruption(); // a Ctrl-C that came too late for the last input
        }
    }

    /**
     * Runs the builder's finishing steps on the machine, prints the artifact, then cleans up. Refused while the
     * machine has not run every planned step: the image would lack steps that {@code :save} writes.
     */
    public void bake() {
        LiveMachine live = live();
        long missing = steps(notRunHere());
        if (missing > 0) {
            long earlier = steps(ranOnEarlierMachine());
            String them = missing == 1 ? "it" : "them";
            throw new ReplException("not baking: this machine has not run " + steps(missing) + " of the session"
                    + (earlier == 0 ? "" : earlier == missing ? " (" + (missing == 1 ? "it" : "they")
                    + " ran on an earlier machine)" : " (" + earlier + " of them ran on an earlier machine)")
                    + ", and the image would lack " + them + "; :run runs " + them + " here, then :bake");
        }
        String failure = live.bake();
        if (failure != null) {
            throw new ReplException("baking failed: " + failure + " (the machine is still running; :stop cleans up)");
        }
        for (Artifact artifact : live.context().artifacts()) {
            out.println("artifact: " + secrets.redact(artifact.id()));
        }
        stop();
    }

    /** Cleans up the machine: what the builder created is deleted, the connection closed. */
    public void stop() {
        LiveMachine live = live();
        machine = null;
        List<String> leftovers = live.stop();
        if (leftovers.isEmpty()) {
            out.println("stopped " + live.build().name() + ": cleaned up, nothing left behind");
        } else {
            out.println("stopped " + live.build().name() + ", but these are left behind; delete them by hand:");
            leftovers.forEach(l -> out.println("  " + l));
        }
    }

    /** How many steps and shell commands have failed on machines in this session. */
    public int failures() {
        return failures;
    }

    public boolean running() {
        return machine != null;
    }

    /** The name of the running machine's build, or null. */
    public String runningBuild() {
        return machine == null ? null : machine.build().name();
    }

    private LiveMachine live() {
        if (machine == null) {
            throw new ReplException("no machine is running; :start boots the builder's machine");
        }
        return machine;
    }

    // ---- history and saving ------------------------------------------------------------------------------------

    /** The steps and commands tried on machines in this session, numbered, with how each ended. */
    public String renderHistory() {
        if (attempts.isEmpty()) {
            return "nothing has run on a machine yet\n";
        }
        StringBuilder text = new StringBuilder();
        int n = 0;
        for (Attempt a : attempts) {
            text.append(String.format("%3d  %-6s %7s  %s%s%n", ++n, a.ok() ? "ok" : "FAILED",
                    Durations.format(a.took()), a.what(), a.ok() ? "" : "  -- " + a.failure()));
        }
        return text.toString();
    }

    /**
     * Writes the session's template: every definition and every statement whose steps succeeded on the machine,
     * in order; planned statements that never ran and statements that failed are left out. Values of sensitive
     * variables are not written. The file is then validated.
     *
     * @return the problems validating the written file found (empty when it validates)
     */
    public List<Diagnostic> save(Path file) throws IOException {
        List<Entry> kept = template.entries().stream().filter(e -> e.status != Entry.Status.PENDING).toList();
        Plan plan = template.plan();
        String text = TemplateWriter.write(kept, plan == null ? List.of() : plan.variables());
        Path target = folder.resolve(file);
        Files.writeString(target, text);
        EvaluationResult check = evaluator.evaluate(TemplateSource.read(target), inputs, new StringBuilder());
        long steps = kept.stream().mapToLong(e -> e.steps.size()).sum();
        out.println("saved " + file + ": " + kept.size() + " statements, " + steps + " step" + (steps == 1 ? "" : "s")
                + (check.ok() ? "; it validates" : "; it does not validate:"));
        check.diagnostics().forEach(d -> out.println("  " + secrets.redact(d.toString())));
        return check.diagnostics();
    }

    /** Whether any value would be shown in {@code line} were it printed: the line holds a secret. */
    boolean holdsSecret(String line) {
        return !secrets.redact(line).equals(line);
    }

    private static String summary(String text) {
        String flat = text.strip().replaceAll("\\s+", " ");
        return flat.length() > 70 ? flat.substring(0, 67) + "..." : flat;
    }
}
