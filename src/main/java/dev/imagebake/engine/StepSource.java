package dev.imagebake.engine;

import dev.imagebake.plan.Build;

import java.util.List;

/** Turns a planned build into runnable steps: builders, provisioners and post-processors implement them. */
public interface StepSource {
    /** Builder preparation, provisioning, then builder finishing, in order. */
    List<PlannedStep> steps(Build build);

    /** The onError provisioning steps. */
    List<PlannedStep> onError(Build build);

    /** Post-processors, run after the build (and its cleanup) succeeded. */
    List<BuildStep> post(Build build);
}
