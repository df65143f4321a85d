package dev.imagebake.emulator.arm;

import java.util.List;

/**
 * The conditions an emulated cloud runs under, beyond its resources: how long operations take, whether ARM's
 * request throttling is enforced, and which failures to inject.
 */
public record Conditions(LatencyProfile latency, Throttle throttle, List<FaultSpec> faults) {
    /** Instant operations, throttling counted but not enforced, no faults. */
    public static final Conditions DEFAULT = new Conditions(LatencyProfile.INSTANT, Throttle.azure(false), List.of());

    public Conditions {
        faults = List.copyOf(faults);
    }

    public Conditions withLatency(LatencyProfile latency) {
        return new Conditions(latency, throttle, faults);
    }

    public Conditions withThrottle(Throttle throttle) {
        return new Conditions(latency, throttle, faults);
    }

    /** {@code specs} in the {@code --fault} syntax; an invalid one throws {@link IllegalArgumentException}. */
    public Conditions withFaults(String... specs) {
        return new Conditions(latency, throttle, java.util.Arrays.stream(specs).map(FaultSpec::parse).toList());
    }
}
