package dev.imagebake.plan;

import java.time.Duration;

/**
 * Reboots the build machine and waits until it answers over SSH again with a new boot id.
 *
 * @param shutdownTimeout how long the machine may take to go down once the command started
 * @param waitTimeout     how long it may take to come back once it went down
 */
public record RebootStep(String command, Duration shutdownTimeout, Duration waitTimeout) implements StepSpec {
    @Override
    public String kind() {
        return "reboot";
    }
}
