package dev.imagebake.dsl;

import dev.imagebake.plan.Plan;

import java.util.List;

/**
 * What evaluating a template produced: a plan, or the errors that prevented one (never both).
 *
 * @param failure the exception behind an unexpected error, for {@code --stacktrace}; null otherwise
 * @param stuck   the evaluation thread did not stop when asked; the process should exit rather than go on
 * @param cpuTime the CPU time the evaluation used (the limit applies to it), or null when unknown
 */
public record EvaluationResult(Plan plan, List<Diagnostic> diagnostics, Throwable failure, boolean stuck,
                               java.time.Duration cpuTime) {
    public EvaluationResult {
        diagnostics = List.copyOf(diagnostics);
    }

    public EvaluationResult(Plan plan, List<Diagnostic> diagnostics, Throwable failure, boolean stuck) {
        this(plan, diagnostics, failure, stuck, null);
    }

    public EvaluationResult withCpuTime(java.time.Duration used) {
        return new EvaluationResult(plan, diagnostics, failure, stuck, used);
    }

    public boolean ok() {
        return plan != null && diagnostics.isEmpty();
    }
}
