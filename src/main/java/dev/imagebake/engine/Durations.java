package dev.imagebake.engine;

import java.time.Duration;

/** Durations as people read them: {@code 850 ms}, {@code 12.4 s}, {@code 3m05s}. */
public final class Durations {
    private Durations() {
    }

    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms < 1_000) {
            return ms + " ms";
        }
        if (ms < 60_000) {
            return String.format("%.1f s", ms / 1000.0);
        }
        return String.format("%dm%02ds", d.toMinutes(), d.toSecondsPart());
    }
}
