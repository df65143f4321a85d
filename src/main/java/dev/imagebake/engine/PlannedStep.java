package dev.imagebake.engine;

import dev.imagebake.plan.StepOptions;

/**
 * A step with the options the runner applies around it.
 *
 * @param provisioning whether it is a provisioning step (a failure there runs the onError steps)
 */
public record PlannedStep(BuildStep step, StepOptions options, boolean provisioning) {
    public static PlannedStep builderStep(BuildStep step) {
        return new PlannedStep(step, StepOptions.DEFAULT, false);
    }
}
