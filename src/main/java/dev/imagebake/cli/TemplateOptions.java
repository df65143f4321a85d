package dev.imagebake.cli;

import dev.imagebake.dsl.Diagnostic;
import dev.imagebake.dsl.EvaluationResult;
import dev.imagebake.dsl.TemplateEvaluator;
import dev.imagebake.dsl.TemplateSource;
import dev.imagebake.dsl.VariableInputs;
import dev.imagebake.dsl.sandbox.HandOver;
import dev.imagebake.dsl.sandbox.LimitExceededException;
import dev.imagebake.dsl.sandbox.Limits;
import dev.imagebake.plan.SourcePosition;
import dev.imagebake.util.Json;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The template and variable options shared by validate, plan, build and repl. */
public final class TemplateOptions {
    @Option(names = "-var", paramLabel = "NAME=VALUE", description = "Set a variable (repeatable; highest precedence).")
    List<String> vars = new ArrayList<>();

    @Option(names = "-var-file", paramLabel = "FILE",
            description = "Read variables from a JSON file or a Groovy file of `name = value` lines (repeatable).")
    List<Path> varFiles = new ArrayList<>();

    @Bounds(min = 0, aboveMin = true, max = 86400)
    @Option(names = "--eval-timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "CPU-time limit for evaluating the template (default: ${DEFAULT-VALUE} s); a "
                    + "wall-clock backstop of 5 times that (at least 20 s more) stops one that waits.")
    double evalTimeoutSeconds;

    @Option(names = "--root", paramLabel = "DIR",
            description = "Let the template's paths (file(), scripts, uploads) reach anywhere below DIR, which must "
                    + "hold the template's folder, for example a repository's top with the scripts in ../scripts "
                    + "(default: the template's own folder).")
    Path root;

    @Parameters(index = "0", paramLabel = "TEMPLATE", description = "The template, NAME.imagebake.groovy.")
    Path template;

    /** Evaluates the template, printing every problem to {@code err}; the result's plan is null on failure. */
    EvaluationResult evaluate(PrintStream err, Map<String, String> environment) {
        Limits limits = Limits.DEFAULT.withTimeout(Duration.ofMillis((long) (evalTimeoutSeconds * 1000)));
        TemplateEvaluator evaluator = new TemplateEvaluator(limits, java.time.Clock.systemUTC(),
                dev.imagebake.dsl.TemplateCache.forUser(environment, err::println));
        List<Diagnostic> problems = new ArrayList<>();
        VariableInputs.Builder inputs = new VariableInputs.Builder(environment);
        for (Path file : varFiles) {
            readVarFile(evaluator, file, inputs, problems);
        }
        for (String assignment : vars) {
            int eq = assignment.indexOf('=');
            if (eq <= 0) {
                problems.add(new Diagnostic(new SourcePosition("-var", 1, 1), "-var takes NAME=VALUE; got '"
                        + assignment + "'"));
            } else {
                inputs.put(assignment.substring(0, eq), assignment.substring(eq + 1), "-var");
            }
        }
        TemplateSource source;
        try {
            source = TemplateSource.read(template);
        } catch (NoSuchFileException e) {
            problems.add(new Diagnostic(new SourcePosition(template.toString(), 1, 1), "no such template file"));
            return report(new EvaluationResult(null, problems, null, false), err);
        } catch (IOException e) {
            problems.add(new Diagnostic(new SourcePosition(template.toString(), 1, 1), "cannot read the template: "
                    + dev.imagebake.util.IoErrors.reason(e)));
            return report(new EvaluationResult(null, problems, null, false), err);
        }
        if (root != null) {
            Path folder = root.toAbsolutePath().normalize();
            if (!Files.isDirectory(folder)) {
                problems.add(new Diagnostic(new SourcePosition("--root", 1, 1), "no folder " + root));
            } else if (!source.folder().toAbsolutePath().normalize().startsWith(folder)) {
                problems.add(new Diagnostic(new SourcePosition("--root", 1, 1), "the template's folder "
                        + source.folder() + " is not inside the --root folder " + folder));
            } else {
                source = source.withRoot(folder);
            }
        }
        if (!problems.isEmpty()) {
            return report(new EvaluationResult(null, problems, null, false), err);
        }
        return report(evaluator.evaluate(source, inputs.build(), err), err);
    }

    static void readVarFile(TemplateEvaluator evaluator, Path file, VariableInputs.Builder inputs,
                                    List<Diagnostic> problems) {
        String label = "var-file " + file;
        try {
            if (file.toString().endsWith(".json")) {
                Limits limits = Limits.DEFAULT;
                if (Files.size(file) > limits.maxSourceChars()) {
                    problems.add(new Diagnostic(new SourcePosition(file.toString(), 1, 1), "limit: the variables file "
                            + "is larger than " + (limits.maxSourceChars() >> 10) + " KiB"));
                    return;
                }
                try {
                    if (Json.parse(Files.readString(file)) instanceof Map<?, ?> values) {
                        // Checked and frozen like any value handed to the template (depth, size as text).
                        for (Map.Entry<?, ?> e : values.entrySet()) {
                            String name = String.valueOf(e.getKey());
                            try {
                                inputs.put(name, HandOver.freeze(name, e.getValue(), limits), label);
                            } catch (LimitExceededException tooLarge) {
                                problems.add(new Diagnostic(new SourcePosition(file.toString(), 1, 1), "limit: "
                                        + tooLarge.getMessage()));
                            }
                        }
                    } else {
                        problems.add(new Diagnostic(new SourcePosition(file.toString(), 1, 1),
                                "a JSON variables file holds one object: {\"name\": \"value\"}"));
                    }
                } catch (IllegalArgumentException e) {
                    String[] parts = e.getMessage().split(":", 3);
                    problems.add(new Diagnostic(new SourcePosition(file.toString(), Integer.parseInt(parts[0]),
                            Integer.parseInt(parts[1])), "invalid JSON: " + parts[2].trim()));
                }
                return;
            }
            TemplateEvaluator.VarFileResult result = evaluator.evaluateVarFile(TemplateSource.read(file));
            problems.addAll(result.diagnostics());
            result.values().forEach((k, v) -> inputs.put(k, v, label));
        } catch (IOException e) {
            problems.add(new Diagnostic(new SourcePosition(file.toString(), 1, 1), "cannot read the variables file: "
                    + dev.imagebake.util.IoErrors.reason(e)));
        }
    }

    private static EvaluationResult report(EvaluationResult result, PrintStream err) {
        for (Diagnostic d : result.diagnostics()) {
            err.println(d);
        }
        long n = Diagnostic.count(result.diagnostics());
        if (n > 0) {
            err.println(n == 1 ? "1 error." : n + " errors.");
        }
        if (result.stuck()) {
            err.flush();
            // The evaluation thread ignored cancellation (it is inside a long library call); do not live on with it.
            Runtime.getRuntime().halt(ExitCodes.INVALID);
        }
        return result;
    }
}
