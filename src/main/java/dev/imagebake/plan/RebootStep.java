package dev.imagebake.plan;

import java.time.Duration;

/** Reboots the build machine and waits until it answers over SSH again. */
public record RebootStep(String command, Duration waitTimeout) implements StepSpec {
    @Override
    public String kind() {
        return "reboot";
    }
}
