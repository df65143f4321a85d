package dev.imagebake.repl;

import java.time.Duration;

/**
 * A step or one-off command tried on the live machine, for {@code :history}.
 *
 * @param what    how it reads, already redacted
 * @param failure why it failed, or null when it succeeded
 */
record Attempt(String what, String failure, Duration took) {
    boolean ok() {
        return failure == null;
    }
}
