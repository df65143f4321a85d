package dev.imagebake.plan;

/** Pauses the build until the person at the terminal presses Enter; skipped with a warning when nobody is there. */
public record BreakpointStep(String note, boolean disabled) implements StepSpec {
    @Override
    public String kind() {
        return "breakpoint";
    }

    @Override
    public boolean runsOnHost() {
        return true;
    }
}
