package dev.imagebake.builder.azure;

import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.BuildStep;
import dev.imagebake.engine.StepFailedException;

import java.util.List;

/**
 * Every step of the azure builder, as the engine sees it: a failure the step did not put in words itself (an SDK
 * exception from any call) is worded by {@link AzureErrors}, naming the operation and resource from its request,
 * so that no step can let {@code ManagementException: Status code 500, "{...}"} through to the user.
 */
record AzureStep(BuildStep step) implements BuildStep {
    static List<BuildStep> all(List<BuildStep> steps) {
        return steps.stream().<BuildStep>map(AzureStep::new).toList();
    }

    @Override
    public String name() {
        return step.name();
    }

    @Override
    public void run(BuildContext context) throws Exception {
        try {
            step.run(context);
        } catch (RuntimeException e) {
            throw worded(e);
        }
    }

    @Override
    public void cleanup(BuildContext context) throws Exception {
        try {
            step.cleanup(context);
        } catch (RuntimeException e) {
            throw worded(e);
        }
    }

    @Override
    public List<String> leftovers(BuildContext context) {
        return step.leftovers(context);
    }

    private Exception worded(RuntimeException e) {
        if (Thread.currentThread().isInterrupted() || e.getCause() instanceof InterruptedException) {
            return e; // Ctrl-C or a step timeout: the engine says so
        }
        String operation = AzureErrors.operation(e);
        return new StepFailedException(AzureErrors.failed(operation != null ? operation : step.name(), e), e);
    }
}
