package dev.imagebake.dsl.sandbox;

import java.time.Duration;

/**
 * Bounds on one evaluation.
 *
 * @param timeout            wall-clock time for compiling and running the template
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

    public Limits withTimeout(Duration newTimeout) {
        return new Limits(newTimeout, maxAllocatedBytes, maxStringLength, maxCollectionSize, maxOutputChars,
                maxSourceChars);
    }
}
