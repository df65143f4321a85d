package dev.imagebake.dsl;

import dev.imagebake.plan.RebootStep;
import dev.imagebake.plan.StepSpec;

import java.time.Duration;

/** {@code provision reboot { ... }}: reboots the build machine and waits until it answers over SSH again. */
public final class RebootContext extends StepContext {
    private String command = "sudo reboot";
    private Duration waitTimeout = Duration.ofMinutes(5);

    RebootContext(Evaluation evaluation) {
        super(evaluation);
    }

    @Override
    protected String kind() {
        return "reboot";
    }

    /** The command that reboots (default {@code sudo reboot}). */
    public void command(Object text) {
        command = string("command", text);
    }

    /** How long to wait for the machine to come back (default 5m). */
    public void waitTimeout(Object value) {
        waitTimeout = duration("waitTimeout", value);
    }

    @Override
    protected StepSpec spec() {
        return new RebootStep(command, waitTimeout);
    }
}
