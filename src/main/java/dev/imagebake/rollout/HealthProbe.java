package dev.imagebake.rollout;

/** One look at an instance's health. */
@FunctionalInterface
public interface HealthProbe {
    /** Returns null when the instance is healthy, else why it is not (one line). */
    String check(ScaleSets.Address address) throws InterruptedException;

    /** No check beyond the instance running. */
    HealthProbe RUNNING = address -> null;
}
