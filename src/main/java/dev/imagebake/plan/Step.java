package dev.imagebake.plan;

/** A provisioner or post-processor with the options the engine applies around it. */
public record Step(StepSpec spec, StepOptions options, SourcePosition declaredAt) {
    public String kind() {
        return spec.kind();
    }
}
