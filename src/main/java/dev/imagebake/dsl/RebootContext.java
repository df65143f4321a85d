package dev.imagebake.dsl;

import dev.imagebake.plan.RebootStep;
import dev.imagebake.plan.StepSpec;

import java.time.Duration;

/**
 * {@code provision reboot { ... }}: reboots the build machine and waits until it answers over SSH again. The reboot
 * is proven by the machine's boot id ({@code /proc/sys/kernel/random/boot_id}), which must change: a command that
 * fails, a machine that does not go down within {@code shutdownTimeout} and one that comes back with the same boot
 * id fail the step.
 */
public final class RebootContext extends StepContext {
    private String command = "sudo reboot";
    private Duration shutdownTimeout = Duration.ofMinutes(1);
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

    /**
     * How long the machine may take to go down once the command started (default 1m): a machine still up with the
     * same boot id after that fails the step, without waiting for {@code waitTimeout}.
     */
    public void shutdownTimeout(Object value) {
        shutdownTimeout = duration("shutdownTimeout", value);
    }

    /** How long to wait for the machine to come back once it went down (default 5m). */
    public void waitTimeout(Object value) {
        waitTimeout = duration("waitTimeout", value);
    }

    @Override
    protected StepSpec spec() {
        return new RebootStep(command, shutdownTimeout, waitTimeout);
    }
}
