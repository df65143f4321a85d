package dev.imagebake.dsl

import dev.imagebake.dsl.sandbox.Limits

import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration

/** Evaluates template text the way the CLI does, for specs. */
class TemplateHarness {
    /** The folder of templates given without one: empty (evaluation writes nothing there), one per test JVM. */
    static final Path NO_FOLDER = Files.createTempDirectory('ib').tap { it.toFile().deleteOnExit() }

    static EvaluationResult evaluate(String text, Map<String, Object> vars = [:], Path folder = null,
                                     Duration timeout = Duration.ofSeconds(10), Appendable out = new StringBuilder()) {
        def inputs = new VariableInputs.Builder([:])
        vars.each { k, v -> inputs.put(k, v, '-var') }
        new TemplateEvaluator(Limits.DEFAULT.withTimeout(timeout))
                .evaluate(new TemplateSource('t.imagebake.groovy', folder ?: NO_FOLDER, text),
                        inputs.build(), out)
    }

    /** The diagnostics as `line:col: message` strings. */
    static List<String> errors(String text, Map<String, Object> vars = [:]) {
        evaluate(text, vars).diagnostics().collect { "${it.at().line()}:${it.at().column()}: ${it.message()}".toString() }
    }
}
