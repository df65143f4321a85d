package dev.imagebake.plan;

/** The settings of one provisioner or post-processor. */
public sealed interface StepSpec
        permits ShellStep, FileStep, ShellLocalStep, BreakpointStep, RebootStep, AnsibleStep, ManifestPost,
        ScaleSetPost, ToolStep {
    /** The keyword that declared it, for example {@code shell}. */
    String kind();

    /** Whether it runs on the imagebake host rather than on the build machine. */
    default boolean runsOnHost() {
        return false;
    }

    /** Whether it is a post-processor ({@code post ...}), run once the build's artifact exists. */
    default boolean postProcessor() {
        return false;
    }
}
