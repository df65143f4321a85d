package dev.imagebake.cli;

import dev.imagebake.dsl.EvaluationResult;

/** Shows the stack trace behind an unexpected evaluation error, when asked with --stacktrace. */
final class Diagnostics {
    private Diagnostics() {
    }

    static void trace(Main main, EvaluationResult result) {
        if (main != null && main.stacktrace && result.failure() != null) {
            result.failure().printStackTrace(main.err);
        }
    }
}
