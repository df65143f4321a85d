package dev.imagebake.plan;

import java.time.Duration;
import java.util.List;

/**
 * Options every provisioner accepts. The engine, not the step, applies them.
 *
 * @param timeout     how long one attempt may take; {@code null} means no limit
 * @param retries     how many more attempts after a failure (with exponential backoff)
 * @param pauseBefore a pause before the step starts
 * @param only        build names this step is limited to (empty: all)
 * @param except      build names this step skips
 * @param checkpoint  with the azure builder's step cache, snapshot the machine after this step (when any step says so,
 *                    only after those)
 */
public record StepOptions(Duration timeout, int retries, Duration pauseBefore, List<String> only, List<String> except,
                          boolean checkpoint) {
    public static final StepOptions DEFAULT = new StepOptions(null, 0, Duration.ZERO, List.of(), List.of());

    public StepOptions(Duration timeout, int retries, Duration pauseBefore, List<String> only, List<String> except) {
        this(timeout, retries, pauseBefore, only, except, false);
    }

    public StepOptions {
        only = List.copyOf(only);
        except = List.copyOf(except);
    }

    public boolean appliesTo(String buildName) {
        return (only.isEmpty() || only.contains(buildName)) && !except.contains(buildName);
    }
}
