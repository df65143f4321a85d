package dev.imagebake.engine;

/**
 * One step of a build. The runner registers a step's cleanup as soon as the step starts, so a step that fails
 * halfway is still cleaned up; a step's cleanup must therefore undo only what {@link #run} recorded as done.
 */
public interface BuildStep {
    /** How people see the step, for example {@code shell (line 14)}. */
    String name();

    void run(BuildContext context) throws Exception;

    /** Undoes what {@link #run} created. Idempotent. Called in reverse order, only for steps that started. */
    default void cleanup(BuildContext context) throws Exception {
    }

    /** What {@link #cleanup} would remove, for messages when cleanup is skipped or fails; empty if nothing. */
    default java.util.List<String> leftovers(BuildContext context) {
        return java.util.List.of();
    }
}
