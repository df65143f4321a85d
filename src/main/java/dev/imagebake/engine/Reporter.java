package dev.imagebake.engine;

import java.time.Duration;

/** Receives what happens during builds: the console, the JSON event stream and the log file implement it. */
public interface Reporter {
    enum Level { INFO, WARN, ERROR }

    default void buildStarted(String build, String type) {
    }

    default void stepStarted(String build, int index, String step) {
    }

    /** A line a step printed (remote output, a local command's output). Already redacted. */
    default void output(String build, String step, String stream, String line) {
    }

    default void stepFinished(String build, int index, String step, boolean ok, Duration took, String error) {
    }

    default void message(String build, Level level, String text) {
    }

    /** A wait that may last: the console shows a live elapsed time while it runs. Returns a handle to end it. */
    default AutoCloseable waiting(String build, String what) {
        return () -> { };
    }

    /** A structured progress event of a long step (a roll-out's batches); the console shows its text instead. */
    default void event(String build, String event, java.util.Map<String, Object> fields) {
    }

    default void artifact(String build, Artifact artifact) {
    }

    default void cleanup(String build, String step, boolean ok, String error) {
    }

    default void buildFinished(BuildResult result) {
    }
}
