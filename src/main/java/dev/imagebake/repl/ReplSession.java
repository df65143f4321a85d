package dev.imagebake.repl;

import dev.imagebake.communicator.CommandResult;
import dev.imagebake.communicator.RemoteCommand;
import dev.imagebake.dsl.Diagnostic;
import dev.imagebake.dsl.EvaluationResult;
import dev.imagebake.dsl.TemplateEvaluator;
import dev.imagebake.dsl.TemplateSource;
import dev.imagebake.dsl.VariableInputs;
import dev.imagebake.engine.Artifact;
import dev.imagebake.engine.Durations;
import dev.imagebake.engine.Reporter;
import dev.imagebake.engine.Secrets;
import dev.imagebake.plan.Build;
import dev.imagebake.plan.Plan;
import dev.imagebake.plan.PlanRenderer;
import dev.imagebake.plan.Step;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The state of a REPL session and what its commands do, with no terminal in sight (the {@link Repl} reads lines).
 *
 * <p>The session's template is the list of accepted inputs. Each new input is evaluated together with the
 * accepted ones, as one template, in the same sandbox and by the same evaluator as {@code validate} and
 * {@code build}: variables, {@code def} values and functions persist because they are declared again, and an
 * input is accepted only when the whole still evaluates. The steps an input declares are those the evaluation
 * found beyond the ones already known. See src/docs/repl.md for why.
 */
public final class ReplSession {
    static final String SOURCE_NAME = "repl";
    private final TemplateEvaluator evaluator;
    private final VariableInputs inputs;
    private final Path folder;
    private final PrintStream out;
    private final Secrets secrets;
    private final Reporter reporter;
    private final List<Entry> entries = new ArrayList<>();
    private final List<Attempt> attempts = new ArrayList<>();
    private Plan plan;
    private int knownSteps;
    private String printed = "";
    private LiveMachine machine;

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
    }

    // ---- template input ----------------------------------------------------------------------------------------

    /**
     * Evaluates one input. When a machine is running, the provisioning steps it declares run at once, and the input
     * is kept only if they succeed.
     *
     * @return whether the input was accepted
     */
    public boolean evaluate(String input) {
        Entry entry;
        Evaluated result = entries.isEmpty() ? null : evaluatePieces(pieces(entries, input), 0, false);
        if (result != null) {
            entry = new Entry(input, newSteps(result));
        } else {
            // A separate piece did not do (it uses a local `def` of an earlier input, or it has an error): evaluate
            // everything as one script, which is what a template is, and report that evaluation's errors.
            result = evaluateText(text(entries), input);
            if (result == null) {
                return false;
            }
            entry = new Entry(input, newSteps(result));
            entries.forEach(e -> e.startsPiece = false);
            entry.startsPiece = entries.isEmpty();
            if (!entries.isEmpty()) {
                entries.get(0).startsPiece = true;
            }
        }
        accept(entry, result);
        if (machine != null && entry.status == Entry.Status.PENDING && !run(entry)) {
            drop(entry);
            return false;
        }
        return true;
    }

    private List<Step> newSteps(Evaluated result) {
        return result.steps.subList(Math.min(knownSteps, result.steps.size()), result.steps.size());
    }

    /** Removes an entry whose steps failed; the one after it starts a piece if it joined this one's. */
    private void drop(Entry entry) {
        int at = entries.indexOf(entry);
        if (entry.startsPiece && at + 1 < entries.size()) {
            entries.get(at + 1).startsPiece = true;
        }
        entries.remove(entry);
        refresh();
    }

    /** The entries' pieces, as sources to evaluate in order, plus {@code extra} (the new input) as a last piece. */
    private List<TemplateSource> pieces(List<Entry> list, String extra) {
        List<TemplateSource> pieces = new ArrayList<>();
        StringBuilder piece = new StringBuilder();
        for (Entry e : list) {
            if (e.startsPiece && piece.length() > 0) {
                pieces.add(new TemplateSource(SOURCE_NAME, folder, piece.toString()));
                piece.setLength(0);
            }
            piece.append(piece.length() > 0 ? "\n" : "").append(e.text);
        }
        if (piece.length() > 0) {
            pieces.add(new TemplateSource(SOURCE_NAME, folder, piece.toString()));
        }
        if (extra != null) {
            pieces.add(new TemplateSource(SOURCE_NAME, folder, extra));
        }
        return pieces;
    }

    /** Loads a template's statements as entries; their steps are planned, to run with {@code :run}. */
    public void load(Path file) throws IOException {
        String text = Files.readString(folder.resolve(file));
        String prefix = text(entries);
        Evaluated result = evaluateText(prefix, text);
        if (result == null) {
            throw new ReplException(file + " was not loaded");
        }
        List<InputCompleteness.Statement> statements = InputCompleteness.statements(text);
        int offset = prefix.isEmpty() ? 0 : prefix.split("\n", -1).length;
        List<Step> fresh = new ArrayList<>(result.steps.subList(Math.min(knownSteps, result.steps.size()),
                result.steps.size()));
        List<Entry> loaded = new ArrayList<>();
        for (int i = 0; i < statements.size(); i++) {
            InputCompleteness.Statement statement = statements.get(i);
            int first = offset + statement.firstLine();
            int last = offset + statement.lastLine();
            boolean lastOne = i == statements.size() - 1;
            // A step belongs to the statement it is declared in (the last one takes any declared elsewhere,
            // by a function of an earlier statement).
            List<Step> mine = fresh.stream().filter(s -> lastOne
                    || (s.declaredAt().line() >= first && s.declaredAt().line() <= last)).toList();
            fresh.removeAll(mine);
            loaded.add(new Entry(statement.text(), mine));
        }
        entries.addAll(loaded);
        entries.forEach(e -> e.startsPiece = false);
        entries.get(0).startsPiece = true;
        commit(result);
        // The entries are the statements without the blank lines between them: evaluate that text once so that
        // later inputs compare their output with what this text prints.
        refresh();
        long planned = loaded.stream().mapToLong(e -> e.steps.size()).sum();
        out.println("loaded " + file + ": " + loaded.size() + " statements, " + planned + " step"
                + (planned == 1 ? "" : "s") + " planned" + (planned > 0 ? " (:run runs them on the machine)" : ""));
    }

    private void accept(Entry entry, Evaluated result) {
        entries.add(entry);
        commit(result);
    }

    private void commit(Evaluated result) {
        plan = result.plan;
        knownSteps = result.steps.size();
        plan.sensitiveValues().forEach(secrets::add);
    }

    /** Evaluates the accepted entries again, quietly, after one was dropped. */
    private void refresh() {
        if (entries.isEmpty()) {
            plan = null;
            knownSteps = 0;
            printed = "";
            return;
        }
        StringBuilder output = new StringBuilder();
        TemplateEvaluator.PartialResult partial = evaluator.evaluatePartial(pieces(entries, null), inputs, output);
        if (partial.result().ok()) {
            plan = partial.result().plan();
            knownSteps = partial.steps().size();
            printed = output.toString();
        }
    }

    private record Evaluated(Plan plan, List<Step> steps) {
    }

    /** Evaluates the whole session as one script, printing the new output or the errors. */
    private Evaluated evaluateText(String prefix, String input) {
        String source = prefix.isEmpty() ? input : prefix + "\n" + input;
        int offset = prefix.isEmpty() ? 0 : prefix.split("\n", -1).length;
        return evaluatePieces(List.of(new TemplateSource(SOURCE_NAME, folder, source)), offset, true);
    }

    /**
     * Evaluates pieces in order; prints the output the last piece added when they evaluate, and their errors (with
     * line numbers after {@code offset} counted from the new input) only if {@code report}.
     */
    private Evaluated evaluatePieces(List<TemplateSource> pieces, int offset, boolean report) {
        StringBuilder output = new StringBuilder();
        TemplateEvaluator.PartialResult partial = evaluator.evaluatePartial(pieces, inputs, output);
        String text = output.toString();
        EvaluationResult result = partial.result();
        if (!result.ok()) {
            if (report) {
                for (Diagnostic d : result.diagnostics()) {
                    out.println(secrets.redact(describe(d, offset)));
                }
            }
            return null;
        }
        // Earlier inputs print again when evaluated again: show only what this input added.
        out.print(secrets.redact(text.startsWith(printed) ? text.substring(printed.length()) : text));
        printed = text;
        return new Evaluated(result.plan(), partial.steps());
    }

    private static String describe(Diagnostic d, int offset) {
        int line = d.at().line();
        String where = line > offset ? (line - offset) + ":" + d.at().column()
                : "earlier input, line " + line;
        return "error (" + where + "): " + d.message();
    }

    private static String text(List<Entry> list) {
        List<String> texts = new ArrayList<>();
        list.forEach(e -> texts.add(e.text));
        return String.join("\n", texts);
    }

    // ---- the plan ----------------------------------------------------------------------------------------------

    /** The plan built so far, as {@code plan} prints it. */
    public String renderPlan() {
        if (plan == null || plan.builds().isEmpty()) {
            return "no builder yet (" + knownSteps + " step" + (knownSteps == 1 ? "" : "s")
                    + " declared); add one, for example builder ssh { host '...'; user '...' }\n";
        }
        long ran = entries.stream().filter(e -> e.status == Entry.Status.SUCCEEDED).mapToLong(e -> e.steps.size())
                .sum();
        return secrets.redact(PlanRenderer.render(plan)) + "steps run on a machine so far: " + ran + " of "
                + knownSteps + "\n";
    }

    // ---- the machine -------------------------------------------------------------------------------------------

    /** Boots (or connects to) the machine of the named build, or of the only one. */
    public void start(String name) {
        if (machine != null) {
            throw new ReplException("the machine of " + machine.build().name() + " is running already; :stop it first");
        }
        Build build = build(name);
        machine = LiveMachine.start(build, folder, reporter, secrets);
        long pending = entries.stream().filter(e -> e.status == Entry.Status.PENDING).count();
        out.println("started " + build.name() + ": provision statements now run on it"
                + (pending > 0 ? "; " + pending + " planned statement" + (pending == 1 ? " has" : "s have")
                + " not run yet (:run runs them)" : ""));
    }

    private Build build(String name) {
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

    /** Runs the planned statements that have not run yet, in order, stopping at the first that fails. */
    public void runPending() {
        LiveMachine live = live();
        for (Entry entry : List.copyOf(entries)) {
            if (entry.status == Entry.Status.PENDING && !run(entry)) {
                drop(entry);
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
            String failure = live.provision(step);
            attempts.add(new Attempt(secrets.redact(summary(entry.text)), failure == null ? null
                    : secrets.redact(failure), Duration.ofNanos(System.nanoTime() - started)));
            if (failure != null) {
                return false;
            }
        }
        entry.status = Entry.Status.SUCCEEDED;
        return true;
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
        String failure = result.disconnected() ? "the connection dropped"
                : result.signal() != null ? "ended by signal " + result.signal()
                : result.exitStatus() != 0 ? "exit status " + result.exitStatus() : null;
        if (failure != null) {
            out.println("(" + failure + ")");
        }
        attempts.add(new Attempt(secrets.redact("!" + command), failure, Duration.ofNanos(System.nanoTime()
                - started)));
    }

    public void upload(Path local, String remote) throws Exception {
        live().context().communicator().upload(folder.resolve(local), remote);
        out.println("uploaded " + local + " to " + remote);
    }

    public void download(String remote, Path local) throws Exception {
        live().context().communicator().download(remote, folder.resolve(local));
        out.println("downloaded " + remote + " to " + local);
    }

    /** Ends the commands running on the machine (Ctrl-C while a step runs); the session goes on. */
    public void interrupt() {
        LiveMachine live = machine;
        if (live != null) {
            live.interrupt();
        }
    }

    /** Runs the builder's finishing steps on the machine, prints the artifact, then cleans up. */
    public void bake() {
        LiveMachine live = live();
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
        List<Entry> kept = entries.stream().filter(e -> e.status != Entry.Status.PENDING).toList();
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
