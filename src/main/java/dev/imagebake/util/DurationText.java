package dev.imagebake.util;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as templates and options write them: {@code 500ms}, {@code 90s}, {@code 10m}, {@code 1h30m}, {@code 2d}. */
public final class DurationText {
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)");

    private DurationText() {
    }

    /** The duration, or null when {@code text} is not one. */
    public static Duration parse(String text) {
        String t = text.trim();
        Matcher m = PART.matcher(t);
        Duration total = Duration.ZERO;
        int end = 0;
        while (m.find() && m.start() == end) {
            double amount = Double.parseDouble(m.group(1));
            long unit = switch (m.group(2)) {
                case "ms" -> 1;
                case "s" -> 1_000;
                case "m" -> 60_000;
                case "h" -> 3_600_000;
                default -> 86_400_000;
            };
            total = total.plusMillis((long) (amount * unit));
            end = m.end();
        }
        return end == 0 || end != t.length() ? null : total;
    }

    /** The duration as a template writes it: {@code 5m}, {@code 1h30m}, {@code 500ms}, {@code 0s}. */
    public static String format(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        StringBuilder out = new StringBuilder();
        if (d.toHours() > 0) {
            out.append(d.toHours()).append('h');
        }
        if (d.toMinutesPart() > 0) {
            out.append(d.toMinutesPart()).append('m');
        }
        if (d.toSecondsPart() > 0) {
            out.append(d.toSecondsPart()).append('s');
        }
        if (d.toMillisPart() > 0) {
            out.append(d.toMillisPart()).append("ms");
        }
        return out.toString();
    }
}
