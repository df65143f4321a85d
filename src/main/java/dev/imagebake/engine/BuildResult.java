package dev.imagebake.engine;

import java.time.Duration;
import java.util.List;

/**
 * How one build ended.
 *
 * @param error     why it failed, or null
 * @param leftovers what is still there after the build (when cleanup was skipped or failed), one line each
 */
public record BuildResult(String build, Status status, Duration duration, List<Artifact> artifacts, String error,
                          List<String> leftovers) {
    public enum Status { SUCCEEDED, FAILED, CANCELLED }

    public BuildResult {
        artifacts = List.copyOf(artifacts);
        leftovers = List.copyOf(leftovers);
    }
}
