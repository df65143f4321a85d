package dev.imagebake.engine;

/** The person at the terminal, when there is one: for breakpoints and --on-error=ask. */
public interface Interaction {
    /** Shows {@code prompt} and returns the line typed, or null at end of input. */
    String ask(String prompt);
}
