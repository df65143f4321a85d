package dev.imagebake.dsl.sandbox;

import java.time.Duration;

/**
 * Bounds on one evaluation.
 *
 * @param timeout            CPU time the evaluating thread may use for compiling and running the template; see
 *                           {@link #wallClockBackstop()} for the wall clock
 * @param maxAllocatedBytes  bytes the evaluating thread may allocate in all (checked as it runs)
 * @param maxStringLength    characters in one string the template builds
 * @param maxCollectionSize  elements in one list, set, map or range the template builds
 * @param maxOutputChars     characters the template may print with {@code println}
 * @param maxSourceChars     characters in the template's source
 */
public record Limits(Duration timeout, long maxAllocatedBytes, int maxStringLength, int maxCollectionSize,
                     int maxOutputChars, int maxSourceChars) {
    public static final Limits DEFAULT = new Limits(Duration.ofSeconds(10), 512L << 20, 4 << 20, 1_000_000,
            64 << 10, 1 << 20);

    /**
     * Wall-clock time after which an evaluation is stopped whatever CPU time it used: for one that waits instead of
     * working. Generous (five times the CPU limit, at least 20 s more), so that a slow or loaded machine never
     * rejects a valid template.
     */
    public Duration wallClockBackstop() {
        Duration five = timeout.multipliedBy(5);
        Duration more = timeout.plusSeconds(20);
        return five.compareTo(more) > 0 ? five : more;
    }

    public Limits withTimeout(Duration newTimeout) {
        return new Limits(newTimeout, maxAllocatedBytes, maxStringLength, maxCollectionSize, maxOutputChars,
                maxSourceChars);
    }
}
