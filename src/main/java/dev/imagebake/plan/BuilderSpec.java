package dev.imagebake.plan;

/** What a builder needs to create (or reach) the build machine and to produce its artifact. */
public sealed interface BuilderSpec permits AzureBuilderSpec, SshBuilderSpec {
    /** The builder's keyword in templates, for example {@code azure}. */
    String type();
}
