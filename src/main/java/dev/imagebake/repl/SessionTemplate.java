package dev.imagebake.repl;

import dev.imagebake.dsl.Diagnostic;
import dev.imagebake.dsl.EvaluationResult;
import dev.imagebake.dsl.TemplateEvaluator;
import dev.imagebake.dsl.TemplateSource;
import dev.imagebake.dsl.VariableInputs;
import dev.imagebake.engine.Secrets;
import dev.imagebake.plan.Plan;
import dev.imagebake.plan.Step;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The template a REPL session has built: its accepted inputs (entries) in order, and the plan they evaluate to.
 *
 * <p>Each new input is evaluated together with the accepted ones, in the same sandbox and by the same evaluator as
 * {@code validate} and {@code build}. The accepted inputs are kept as pieces, each compiled once; a new input is
 * compiled alone and run after them in one evaluation. When that does not do (the input uses a local {@code def} of
 * an earlier one, or has an error) the whole text is evaluated as one script, which is what a template means, and
 * the session becomes one piece again. See src/docs/repl.md.
 */
final class SessionTemplate {
    private final TemplateEvaluator evaluator;
    private final VariableInputs inputs;
    private final Path folder;
    private final PrintStream out;
    private final Secrets secrets;
    private final List<Entry> entries = new ArrayList<>();
    private Plan plan;
    private int knownSteps;
    private String printed = "";

    SessionTemplate(TemplateEvaluator evaluator, VariableInputs inputs, Path folder, PrintStream out,
                    Secrets secrets) {
        this.evaluator = evaluator;
        this.inputs = inputs;
        this.folder = folder;
        this.out = out;
        this.secrets = secrets;
    }

    List<Entry> entries() {
        return Collections.unmodifiableList(entries);
    }

    /** The plan so far; null before the first accepted input. */
    Plan plan() {
        return plan;
    }

    /** How many provisioning steps the template declares so far (with or without a builder). */
    int knownSteps() {
        return knownSteps;
    }

    /**
     * Evaluates one input with the accepted ones, printing what it prints or its errors.
     *
     * @return the accepted entry, or null when the input was refused
     */
    Entry add(String input) {
        Entry entry;
        boolean separate = !entries.isEmpty() && java.util.Collections.disjoint(locals(input), locals(text(entries)));
        Evaluated result = separate ? evaluatePieces(pieces(entries, input), 0, false) : null;
        if (result != null) {
            entry = new Entry(input, newSteps(result));
        } else {
            // A separate piece did not do (it uses a local `def` of an earlier input, or it has an error): evaluate
            // everything as one script, which is what a template is, and report that evaluation's errors.
            result = evaluateText(text(entries), input);
            if (result == null) {
                return null;
            }
            entry = new Entry(input, newSteps(result));
            entries.forEach(e -> e.startsPiece = false);
            entry.startsPiece = entries.isEmpty();
            if (!entries.isEmpty()) {
                entries.get(0).startsPiece = true;
            }
        }
        entries.add(entry);
        commit(result);
        return entry;
    }

    /**
     * The names of local variables the text declares (roughly: {@code def name =} at the start of a statement).
     * Declaring one again is an error in one script but not across pieces, so such an input is evaluated as one
     * script with the rest, where the error shows.
     *
     * <p>One pass over the text: each statement start (the start of a line, or after {@code ;}) is read up to the
     * end of its line at most, so that no character is read twice whatever the input (a regex here backtracked for
     * minutes on one long line).
     */
    static java.util.Set<String> locals(String text) {
        java.util.Set<String> names = new java.util.HashSet<>();
        int n = text.length();
        int i = 0;
        while (i < n) {
            while (i < n && (text.charAt(i) == ' ' || text.charAt(i) == '\t')) {
                i++;
            }
            int word = i;
            while (i < n && Character.isLetter(text.charAt(i))) {
                i++;
            }
            String keyword = text.substring(word, i);
            if ((keyword.equals("def") || keyword.equals("final") || keyword.equals("var")) && i < n
                    && Character.isWhitespace(text.charAt(i))) {
                i = declaredName(text, i, names);
            }
            // on to the next statement start: after the next `;` or line break
            while (i < n && text.charAt(i) != ';' && text.charAt(i) != '\n') {
                i++;
            }
            i++;
        }
        return names;
    }

    /**
     * Reads {@code [Type] name =} after a declaring keyword, within the line; adds the name when the text has that
     * shape. Returns where it stopped reading.
     */
    private static int declaredName(String text, int i, java.util.Set<String> names) {
        int n = text.length();
        String last = null;
        while (i < n) {
            char c = text.charAt(i);
            if (Character.isJavaIdentifierStart(c) && c != '$') {
                int start = i;
                while (i < n && Character.isJavaIdentifierPart(text.charAt(i)) && text.charAt(i) != '$') {
                    i++;
                }
                last = text.substring(start, i);
            } else if (c == ' ' || c == '\t' || c == '.' || c == '<' || c == '>' || c == ',' || Character.isDigit(c)) {
                i++;
            } else {
                if (c == '=' && last != null && !(i + 1 < n && text.charAt(i + 1) == '=')) {
                    names.add(last);
                }
                return i;
            }
        }
        return i;
    }

    private List<Step> newSteps(Evaluated result) {
        return result.steps.subList(Math.min(knownSteps, result.steps.size()), result.steps.size());
    }

    /** Removes an entry whose steps failed; the one after it starts a piece if it joined this one's. */
    void drop(Entry entry) {
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
                pieces.add(new TemplateSource(ReplSession.SOURCE_NAME, folder, piece.toString()));
                piece.setLength(0);
            }
            piece.append(piece.length() > 0 ? "\n" : "").append(e.text);
        }
        if (piece.length() > 0) {
            pieces.add(new TemplateSource(ReplSession.SOURCE_NAME, folder, piece.toString()));
        }
        if (extra != null) {
            pieces.add(new TemplateSource(ReplSession.SOURCE_NAME, folder, extra));
        }
        return pieces;
    }

    /**
     * Adds a template's top-level statements as entries, evaluated as one script after the accepted ones.
     *
     * @return the new entries, or null when the template does not evaluate (its errors are printed)
     */
    List<Entry> load(String text) {
        String prefix = text(entries);
        Evaluated result = evaluateText(prefix, text);
        if (result == null) {
            return null;
        }
        List<InputCompleteness.Statement> statements = InputCompleteness.statements(text);
        int offset = prefix.isEmpty() ? 0 : prefix.split("\n", -1).length;
        List<Step> fresh = new ArrayList<>(newSteps(result));
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
            Entry entry = new Entry(statement.text(), mine);
            entry.loadOffset = offset;
            loaded.add(entry);
        }
        entries.addAll(loaded);
        entries.forEach(e -> e.startsPiece = false);
        entries.get(0).startsPiece = true;
        commit(result);
        // The entries are the statements without the blank lines between them: evaluate that text once so that
        // later inputs compare their output with what this text prints.
        refresh();
        return loaded;
    }

    private void commit(Evaluated result) {
        plan = result.plan;
        knownSteps = result.steps.size();
        plan.sensitiveValues().forEach(secrets::add);
        plan.sensitiveWholeValues().forEach(secrets::addWhole);
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
        if (partial.result().stuck()) {
            throw new StuckEvaluationException();
        }
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
        return evaluatePieces(List.of(new TemplateSource(ReplSession.SOURCE_NAME, folder, source)), offset, true);
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
            if (report || result.stuck()) {
                for (Diagnostic d : result.diagnostics()) {
                    out.println(secrets.redact(describe(d, offset)));
                }
            }
            if (result.stuck()) {
                throw new StuckEvaluationException();
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
}
