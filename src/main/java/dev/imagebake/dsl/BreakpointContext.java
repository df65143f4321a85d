package dev.imagebake.dsl;

import dev.imagebake.plan.BreakpointStep;
import dev.imagebake.plan.StepSpec;

/** {@code provision breakpoint { note '...' }}: waits for Enter, so a person can look at the machine. */
public final class BreakpointContext extends StepContext {
    private String note = "";
    private boolean disabled;

    BreakpointContext(Evaluation evaluation) {
        super(evaluation);
    }

    @Override
    protected String kind() {
        return "breakpoint";
    }

    /** Shown while waiting. */
    public void note(Object text) {
        note = string("note", text);
    }

    /** Keeps the breakpoint in the template without stopping. */
    public void disabled(Object value) {
        disabled = bool("disabled", value);
    }

    @Override
    protected StepSpec spec() {
        return new BreakpointStep(note, disabled);
    }
}
