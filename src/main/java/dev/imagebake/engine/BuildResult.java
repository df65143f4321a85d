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
    public enum Status {
        SUCCEEDED("succeeded"),
        /** Every step succeeded and the artifact exists, but a Ctrl-C or SIGTERM stopped the cleanup early. */
        SUCCEEDED_CLEANUP_INTERRUPTED("succeeded, cleanup interrupted"),
        FAILED("failed"),
        CANCELLED("cancelled");

        private final String label;

        Status(String label) {
            this.label = label;
        }

        /** How people read it, e.g. {@code succeeded, cleanup interrupted}. */
        public String label() {
            return label;
        }

        /** The artifact was made (whatever happened to the cleanup). */
        public boolean produced() {
            return this == SUCCEEDED || this == SUCCEEDED_CLEANUP_INTERRUPTED;
        }
    }

    public BuildResult {
        artifacts = List.copyOf(artifacts);
        leftovers = List.copyOf(leftovers);
    }
}
