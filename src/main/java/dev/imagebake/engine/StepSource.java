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

    /**
     * Post-processors that record what a build produced (the manifest): run as soon as an artifact exists, before
     * the cleanup, and once more with the build's final status, so that an image that exists is on record even when
     * the cleanup is interrupted or fails. Each run must replace what an earlier run of the same build wrote.
     */
    default List<BuildStep> recorders(Build build) {
        return List.of();
    }

    /**
     * Called when a build failed and {@code --on-error=abort} (or the person at {@code ask}) kept everything: a
     * source that supports {@code build --resume} notes what it needs to continue later.
     */
    default void kept(BuildContext context) {
    }

    /**
     * The steps of a build that continues on what an earlier run kept ({@code build --resume}): as {@link #steps},
     * with the builder adopting the kept machine and its resources instead of making new ones. By default the
     * same as {@link #steps} (a builder whose machine needs no adopting).
     */
    default List<PlannedStep> resumed(Build build, ResumeRecord.Entry kept) {
        return steps(build);
    }
}
