package dev.imagebake.emulator.arm;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A Resource Manager path split into segments. Matching ignores case, because ARM does and the SDK mixes
 * {@code resourcegroups} with {@code resourceGroups}; names keep the case the client sent.
 */
public record ArmPath(List<String> segments) {

    public static ArmPath parse(String rawPath) {
        List<String> segments = new ArrayList<>();
        for (String part : rawPath.split("/")) {
            if (!part.isEmpty()) {
                segments.add(URLDecoder.decode(part.replace("+", "%2B"), StandardCharsets.UTF_8));
            }
        }
        return new ArmPath(List.copyOf(segments));
    }

    /**
     * True when the path has as many segments as {@code pattern} (slash-separated) and each matches: {@code *}
     * matches any one segment, anything else must be equal ignoring case.
     */
    public boolean matches(String pattern) {
        String[] expected = pattern.split("/");
        if (expected.length != segments.size()) {
            return false;
        }
        for (int i = 0; i < expected.length; i++) {
            if (!expected[i].equals("*") && !expected[i].equalsIgnoreCase(segments.get(i))) {
                return false;
            }
        }
        return true;
    }

    public String segment(int index) {
        return segments.get(index);
    }

    public int size() {
        return segments.size();
    }

    /** The path rebuilt from its first {@code count} segments, e.g. {@code /subscriptions/x}. */
    public String prefix(int count) {
        return "/" + String.join("/", segments.subList(0, count));
    }
}
