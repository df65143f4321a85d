package dev.imagebake.dsl;

import dev.imagebake.dsl.sandbox.Guard;
import dev.imagebake.dsl.sandbox.ImplicitScope;
import dev.imagebake.dsl.sandbox.Limits;
import dev.imagebake.dsl.sandbox.SandboxCompiler;
import dev.imagebake.dsl.sandbox.SandboxException;
import dev.imagebake.plan.SourcePosition;
import groovy.lang.Script;
import org.codehaus.groovy.control.CompilationFailedException;
import org.codehaus.groovy.control.ErrorCollector;
import org.codehaus.groovy.control.MultipleCompilationErrorsException;
import org.codehaus.groovy.control.messages.ExceptionMessage;
import org.codehaus.groovy.control.messages.Message;
import org.codehaus.groovy.control.messages.SyntaxErrorMessage;
import org.codehaus.groovy.syntax.SyntaxException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Turns template text into a plan. Evaluation runs on a thread of its own with a large stack, under a
 * {@link Guard}; if that thread does not finish in time it is cancelled, and if it cannot be stopped the result
 * says so, so that the process can exit instead of living on with a runaway thread.
 */
public final class TemplateEvaluator {
    private static final long STACK_BYTES = 64L << 20;
    private static final Duration GRACE = Duration.ofSeconds(2);

    private final Limits limits;
    private final java.time.Clock clock;
    private final TemplateCache cache;

    public TemplateEvaluator(Limits limits) {
        this(limits, java.time.Clock.systemUTC(), null);
    }

    public TemplateEvaluator(Limits limits, java.time.Clock clock) {
        this(limits, clock, null);
    }

    /**
     * @param clock what {@code timestamp()} reads; fixed in tests so that plans can be compared
     * @param cache compiled templates to reuse, or null to always compile
     */
    public TemplateEvaluator(Limits limits, java.time.Clock clock, TemplateCache cache) {
        this.limits = limits;
        this.clock = clock;
        this.cache = cache;
    }

    /**
     * Evaluates a template.
     *
     * @param out where the template's {@code println} goes
     */
    public EvaluationResult evaluate(TemplateSource source, VariableInputs inputs, Appendable out) {
        TemplateFiles files = new TemplateFiles(source.root(), source.folder());
        AtomicReference<Evaluation> state = new AtomicReference<>();
        return redacted(sandboxed(source, script -> {
            Evaluation evaluation = new Evaluation(source.displayName(), files, inputs, clock.instant(), out);
            evaluation.sourceText(source.text());
            state.set(evaluation);
            evaluation.start((TemplateScript) script);
            return evaluation;
        }, Evaluation::diagnostics, evaluation -> evaluation.finish(source.displayName())), state.get());
    }

    /** The result with the sensitive values the evaluation saw masked in every message. */
    private static EvaluationResult redacted(EvaluationResult result, Evaluation evaluation) {
        if (evaluation == null || result.diagnostics().isEmpty()) {
            return result;
        }
        List<Diagnostic> masked = result.diagnostics().stream()
                .map(d -> new Diagnostic(d.at(), evaluation.redactMessage(d.message()))).toList();
        return new EvaluationResult(result.plan(), masked, result.failure(), result.stuck(),
                result.cpuTime());
    }

    /**
     * Evaluates a template that is still being written, as the REPL does after each input: a template without a
     * builder is not an error, nor are -var values for variables it does not declare yet.
     */
    public PartialResult evaluatePartial(TemplateSource source, VariableInputs inputs, Appendable out) {
        return evaluatePartial(List.of(source), inputs, out);
    }

    /**
     * As {@link #evaluatePartial(TemplateSource, VariableInputs, Appendable)}, for a template in pieces that run one
     * after the other in one evaluation: names, declarations and functions of earlier pieces are seen by later ones;
     * local {@code def} variables are not (each piece is a script of its own). The compiled class of each piece is
     * kept, so that evaluating the same pieces plus a new one compiles only the new one. Line numbers are those
     * within each piece.
     */
    public PartialResult evaluatePartial(List<TemplateSource> pieces, VariableInputs inputs, Appendable out) {
        TemplateSource first = pieces.get(0);
        TemplateFiles files = new TemplateFiles(first.root(), first.folder());
        AtomicReference<List<dev.imagebake.plan.Step>> steps = new AtomicReference<>(List.of());
        AtomicReference<Evaluation> state = new AtomicReference<>();
        EvaluationResult result = sandboxed(pieces, true, script -> {
            Evaluation evaluation = new Evaluation(first.displayName(), files, inputs, clock.instant(), out);
            state.set(evaluation);
            evaluation.partial();
            evaluation.start((TemplateScript) script);
            return evaluation;
        }, (evaluation, script) -> evaluation.include((TemplateScript) script), Evaluation::diagnostics, evaluation -> {
            steps.set(evaluation.steps());
            return evaluation.finish(first.displayName());
        });
        return new PartialResult(redacted(result, state.get()), steps.get());
    }

    /**
     * What a partial evaluation produced.
     *
     * @param steps every provisioning step declared, in order, whether or not a builder exists yet
     */
    public record PartialResult(EvaluationResult result, List<dev.imagebake.plan.Step> steps) {
    }

    /**
     * Evaluates a Groovy variables file ({@code name = value} lines) in the same sandbox.
     *
     * @return the assigned values in order, or the errors
     */
    public VarFileResult evaluateVarFile(TemplateSource source) {
        List<Diagnostic> problems = new ArrayList<>();
        Map<String, Object> values = new LinkedHashMap<>();
        EvaluationResult result = sandboxed(source, script -> {
            ((TemplateScript) script).attach(new VarFileScope(source.displayName(), values, problems));
            return problems;
        }, p -> p, p -> null);
        List<Diagnostic> all = new ArrayList<>(result.diagnostics());
        return new VarFileResult(all.isEmpty() ? values : Map.of(), all);
    }

    /** The values a Groovy variables file assigned, or its errors. */
    public record VarFileResult(Map<String, Object> values, List<Diagnostic> diagnostics) {
    }

    private <S> EvaluationResult sandboxed(TemplateSource source, Function<Script, S> prepare,
                                           Function<S, List<Diagnostic>> diagnosticsOf,
                                           Function<S, dev.imagebake.plan.Plan> finish) {
        return sandboxed(List.of(source), false, prepare, (state, script) -> {
            throw new IllegalStateException("one piece only");
        }, diagnosticsOf, finish);
    }

    /** Compiles the pieces, then runs them in order in one evaluation, on a thread of its own, under a guard. */
    private <S> EvaluationResult sandboxed(List<TemplateSource> pieces, boolean keepClasses,
                                           Function<Script, S> prepare, BiConsumer<S, Script> include,
                                           Function<S, List<Diagnostic>> diagnosticsOf,
                                           Function<S, dev.imagebake.plan.Plan> finish) {
        TemplateSource source = pieces.get(pieces.size() - 1);
        if (pieces.stream().mapToInt(p -> p.text().length()).sum() > limits.maxSourceChars()) {
            return failed(source, 1, 1, "the template is larger than " + (limits.maxSourceChars() >> 10) + " KiB");
        }
        Guard guard = new Guard(limits);
        AtomicReference<EvaluationResult> outcome = new AtomicReference<>();
        AtomicReference<Duration> cpuTime = new AtomicReference<>();
        Runnable task = () -> {
            guard.install();
            S state = null;
            TemplateSource current = pieces.get(0);
            try {
                List<Script> scripts = new ArrayList<>();
                for (TemplateSource piece : pieces) {
                    current = piece;
                    Class<? extends Script> type = keepClasses ? compileKept(piece) : compile(piece);
                    scripts.add(type.getDeclaredConstructor().newInstance());
                }
                state = prepare.apply(scripts.get(0));
                for (Script more : scripts.subList(1, scripts.size())) {
                    include.accept(state, more);
                }
                for (int i = 0; i < scripts.size(); i++) {
                    current = pieces.get(i);
                    scripts.get(i).run();
                }
                List<Diagnostic> diagnostics = diagnosticsOf.apply(state);
                dev.imagebake.plan.Plan plan = finish.apply(state);
                outcome.set(new EvaluationResult(diagnostics.isEmpty() ? plan : null, diagnostics, null, false));
            } catch (CompilationFailedException e) {
                outcome.set(new EvaluationResult(null, compileErrors(current, e), null, false));
            } catch (Throwable t) {
                List<Diagnostic> diagnostics = new ArrayList<>(state == null ? List.of() : diagnosticsOf.apply(state));
                diagnostics.add(runtimeError(current, guard, t));
                outcome.set(new EvaluationResult(null, diagnostics, t, false));
            } finally {
                cpuTime.set(guard.cpuTimeUsed());
                guard.uninstall();
            }
        };
        Thread thread = new Thread(null, task, "imagebake-eval", STACK_BYTES);
        thread.setDaemon(true);
        thread.start();
        String overrun;
        try {
            overrun = watch(thread);
            if (overrun != null) {
                guard.cancel();
                thread.interrupt();
                thread.join(GRACE.toMillis());
            }
        } catch (InterruptedException e) {
            guard.cancel();
            thread.interrupt();
            Thread.currentThread().interrupt();
            return new EvaluationResult(null, List.of(new Diagnostic(new SourcePosition(source.displayName(),
                    Math.max(1, guard.line()), Math.max(1, guard.column())), "evaluation was interrupted")), e, false);
        }
        if (thread.isAlive()) {
            return new EvaluationResult(null, List.of(new Diagnostic(new SourcePosition(source.displayName(),
                    Math.max(1, guard.line()), Math.max(1, guard.column())), "evaluation " + overrun
                    + " and did not stop when asked")), null, true);
        }
        return outcome.get().withCpuTime(cpuTime.get());
    }

    /**
     * Waits for the evaluation thread; returns null once it ended, or what it overran: its CPU time (the guard
     * stops template code itself at a checkpoint; this catches a thread stuck in host code without one, with some
     * grace) or the generous wall-clock backstop.
     */
    private String watch(Thread thread) throws InterruptedException {
        var threads = java.lang.management.ManagementFactory.getThreadMXBean();
        boolean cpuMeasured = threads.isThreadCpuTimeSupported() && threads.isThreadCpuTimeEnabled();
        long started = System.nanoTime();
        while (true) {
            thread.join(50);
            if (!thread.isAlive()) {
                return null;
            }
            long wall = System.nanoTime() - started;
            // where the JVM cannot measure CPU time, wall-clock time stands in for it
            long spent = cpuMeasured ? threads.getThreadCpuTime(thread.getId()) : wall;
            if (spent > limits.timeout().plus(GRACE).toNanos()) {
                return "used more than " + Guard.describe(limits.timeout()) + " of CPU time";
            }
            if (wall > limits.wallClockBackstop().plus(GRACE).toNanos()) {
                return "did not finish within " + Guard.describe(limits.wallClockBackstop()) + " of wall-clock time";
            }
        }
    }

    /** Script classes of pieces evaluated before (the REPL's inputs), by text; the least recently used go first. */
    private final Map<String, Class<? extends Script>> kept = java.util.Collections.synchronizedMap(
            new LinkedHashMap<>(64, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Class<? extends Script>> eldest) {
                    return size() > 512;
                }
            });

    private Class<? extends Script> compileKept(TemplateSource piece) {
        Class<? extends Script> type = kept.get(piece.text());
        if (type == null) {
            type = compile(piece);
            kept.put(piece.text(), type);
        }
        return type;
    }

    /** The template's script class, from the cache when this exact text compiled before. */
    private Class<? extends Script> compile(TemplateSource source) {
        SandboxCompiler compiler = new SandboxCompiler(TemplateScript.class);
        SandboxCompiler.Compiled compiled = cache == null ? null : cache.get(source.text());
        if (compiled == null) {
            compiled = compiler.compileToBytes(source.text(), source.displayName());
            if (cache != null) {
                cache.put(source.text(), compiled);
            }
        }
        return compiler.load(compiled);
    }

    private static EvaluationResult failed(TemplateSource source, int line, int column, String message) {
        return new EvaluationResult(null, List.of(new Diagnostic(new SourcePosition(source.displayName(), line,
                column), message)), null, false);
    }

    private static List<Diagnostic> compileErrors(TemplateSource source, CompilationFailedException e) {
        List<Diagnostic> diagnostics = new ArrayList<>();
        if (e instanceof MultipleCompilationErrorsException multiple) {
            ErrorCollector collector = multiple.getErrorCollector();
            for (Message message : collector.getErrors()) {
                if (message instanceof SyntaxErrorMessage syntax) {
                    SyntaxException cause = syntax.getCause();
                    diagnostics.add(SyntaxErrors.explain(source, Math.max(1, cause.getStartLine()),
                            Math.max(1, cause.getStartColumn()), cleanCompilerMessage(cause.getOriginalMessage())));
                } else if (message instanceof ExceptionMessage exception) {
                    diagnostics.add(new Diagnostic(new SourcePosition(source.displayName(), 1, 1),
                            cleanCompilerMessage(String.valueOf(exception.getCause().getMessage()))));
                }
            }
        }
        if (diagnostics.isEmpty()) {
            diagnostics.add(new Diagnostic(new SourcePosition(source.displayName(), 1, 1),
                    cleanCompilerMessage(e.getMessage())));
        }
        return diagnostics;
    }

    /** Groovy's parser messages name classes users never wrote; say it in the template's terms. */
    static String cleanCompilerMessage(String message) {
        String m = message.replaceAll("\\s*@ line \\d+, column \\d+\\.?", "").trim();
        if (m.startsWith("unable to resolve class ")) {
            return "sandbox: `" + m.substring("unable to resolve class ".length()).trim()
                    + "` is not available in templates";
        }
        return m;
    }

    private static Diagnostic runtimeError(TemplateSource source, Guard guard, Throwable t) {
        int line = Math.max(1, guard.line());
        int column = Math.max(1, guard.column());
        String message;
        if (t instanceof SandboxException s) {
            if (s.line() > 0) {
                line = s.line();
                column = Math.max(1, s.column());
            }
            message = (t instanceof dev.imagebake.dsl.sandbox.LimitExceededException ? "limit: " : "sandbox: ")
                    + s.getMessage();
        } else if (t instanceof TemplateError) {
            message = t.getMessage();
        } else if (t instanceof StackOverflowError) {
            message = "limit: recursion went too deep (a function calls itself without end?)";
        } else if (t instanceof OutOfMemoryError) {
            message = "limit: the template needed more memory than the sandbox allows";
        } else {
            int frameLine = scriptLine(t);
            if (frameLine > 0 && frameLine != line) {
                line = frameLine;
                column = 1;
            }
            message = describe(t);
        }
        return new Diagnostic(new SourcePosition(source.displayName(), line, column), message);
    }

    private static int scriptLine(Throwable t) {
        for (StackTraceElement frame : t.getStackTrace()) {
            if (frame.getClassName().startsWith("Template") && frame.getLineNumber() > 0) {
                return frame.getLineNumber();
            }
        }
        return -1;
    }

    private static String describe(Throwable t) {
        if (t instanceof groovy.lang.MissingMethodException m) {
            return "`" + m.getMethod() + "` cannot take these arguments";
        }
        if (t instanceof ArithmeticException) {
            return "arithmetic error: " + t.getMessage();
        }
        if (t instanceof NullPointerException) {
            return "a value is null here";
        }
        String message = t.getMessage();
        String kind = t.getClass().getSimpleName().replace("Exception", "").replaceAll("([a-z])([A-Z])", "$1 $2")
                .toLowerCase();
        return message == null ? kind : kind + ": " + message;
    }

    /** The scope of a variables file: assignments only. */
    private record VarFileScope(String file, Map<String, Object> values, List<Diagnostic> problems)
            implements ImplicitScope {
        @Override
        public Object call(String name, Object[] args) {
            throw new TemplateError("a variables file only assigns values (name = value); `" + name
                    + "` cannot be called here");
        }

        @Override
        public Object get(String name) {
            if (values.containsKey(name)) {
                return values.get(name);
            }
            throw new TemplateError("Unknown name `" + name + "` in a variables file");
        }

        @Override
        public void set(String name, Object value) {
            if (value instanceof groovy.lang.Closure || value instanceof dev.imagebake.dsl.sandbox.TemplateValue) {
                throw new TemplateError("`" + name + "` must be a plain value: a string, number, boolean, list or map");
            }
            // Frozen as it is assigned, like a value handed to a keyword: growing it afterwards changes nothing.
            values.put(name, dev.imagebake.dsl.sandbox.HandOver.freeze(name, value));
        }
    }
}
