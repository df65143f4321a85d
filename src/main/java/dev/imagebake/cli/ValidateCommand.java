package dev.imagebake.cli;

import dev.imagebake.dsl.EvaluationResult;
import dev.imagebake.plan.Build;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

import java.util.concurrent.Callable;

/** {@code imagebake validate}: checks a template and reports every problem at once. */
@Command(name = "validate", mixinStandardHelpOptions = true,
        description = "Check a template: syntax, sandbox, keywords, types, required settings and variables. "
                + "Reports every error at once as FILE:LINE:COL: message. Makes no network or cloud call.")
final class ValidateCommand implements Callable<Integer> {
    @Mixin
    TemplateOptions template;

    @ParentCommand
    Main main;

    @Override
    public Integer call() {
        EvaluationResult result = template.evaluate(main.err, main.environment);
        if (!result.ok()) {
            Diagnostics.trace(main, result);
            return ExitCodes.INVALID;
        }
        int steps = result.plan().builds().stream().mapToInt(b -> b.steps().size()).max().orElse(0);
        main.out.println("The template is valid: " + result.plan().builds().size() + " build"
                + (result.plan().builds().size() == 1 ? "" : "s") + " ("
                + String.join(", ", result.plan().builds().stream().map(Build::name).toList()) + "), " + steps
                + " provisioning step" + (steps == 1 ? "" : "s") + ".");
        return ExitCodes.OK;
    }
}
