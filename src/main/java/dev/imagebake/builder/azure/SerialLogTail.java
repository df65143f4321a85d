package dev.imagebake.builder.azure;

import java.util.List;

/** The end of a VM's serial console log, indented under a heading, for a failure message. */
final class SerialLogTail {
    private SerialLogTail() {
    }

    /** The last {@code lines} non-blank-trailing lines of {@code log}, or a note that it is empty. */
    static String format(String log, int lines) {
        List<String> all = log.replace("\r", "").lines().toList();
        int end = all.size();
        while (end > 0 && all.get(end - 1).isBlank()) {
            end--;
        }
        if (end == 0) {
            return "  serial console log: empty";
        }
        int start = Math.max(0, end - lines);
        StringBuilder text = new StringBuilder("  serial console log (last " + (end - start) + " of " + end
                + " lines):");
        for (String line : all.subList(start, end)) {
            text.append("\n    | ").append(line);
        }
        return text.toString();
    }
}
