package dev.imagebake.repl;

/**
 * An evaluation whose thread did not stop when its time was up (it is inside a long library call the sandbox cannot
 * interrupt). The thread would go on using the CPU, so the REPL ends, as {@code validate} exits in the same case.
 */
final class StuckEvaluationException extends RuntimeException {
    StuckEvaluationException() {
        super("the evaluation did not stop when its time was up and would go on using the CPU; the REPL ends");
    }
}
