package dev.imagebake.engine;

/** What to do when a step fails (--on-error). */
public enum OnError {
    /** Run the onError steps, then clean up everything (the default). */
    CLEANUP,
    /** Keep everything for inspection; print how to reach the machine and how to clean up later. */
    ABORT,
    /** Ask the person at the terminal: retry the step, clean up, or abort. */
    ASK
}
