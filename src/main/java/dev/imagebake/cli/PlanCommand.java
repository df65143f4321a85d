package dev.imagebake.cli;

import dev.imagebake.dsl.EvaluationResult;
import dev.imagebake.plan.PlanJson;
import dev.imagebake.plan.PlanRenderer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.util.concurrent.Callable;

/** {@code imagebake plan}: shows what a build would do, without doing any of it. */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = "Show what the template would build: each build's settings (defaults filled in), its steps "
                + "in order, and its post steps. Steps marked [host] run on this machine. Makes no network or "
                + "cloud call.")
final class PlanCommand implements Callable<Integer> {
    @Mixin
    TemplateOptions template;

    @Option(names = "--json", description = "Print the plan as JSON (schema: src/docs/plan-json.md).")
    boolean json;

    @ParentCommand
    Main main;

    @Override
    public Integer call() {
        EvaluationResult result = template.evaluate(main.err, main.environment);
        if (!result.ok()) {
            Diagnostics.trace(main, result);
            return ExitCodes.INVALID;
        }
        main.out.print(json ? PlanJson.render(result.plan()) : PlanRenderer.render(result.plan()));
        return ExitCodes.OK;
    }
}
