package dev.imagebake.plan;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A Chef node's JSON attributes: kept in the plan as immutable maps and lists, and written as Packer writes
 * {@code node.json} (Go's {@code json.MarshalIndent} with two spaces: keys sorted, {@code <}, {@code >} and
 * {@code &} escaped, no newline at the end).
 */
public final class NodeJson {
    private NodeJson() {
    }

    /** An immutable deep copy (JSON's null allowed), keeping the order the template wrote. */
    public static Map<String, Object> copy(Map<String, Object> json) {
        if (json == null) {
            return Map.of();
        }
        Map<String, Object> out = new LinkedHashMap<>();
        json.forEach((k, v) -> out.put(k, copyValue(v)));
        return Collections.unmodifiableMap(out);
    }

    @SuppressWarnings("unchecked")
    private static Object copyValue(Object value) {
        if (value instanceof Map<?, ?> map) {
            return copy((Map<String, Object>) map);
        } else if (value instanceof Collection<?> items) {
            List<Object> out = new ArrayList<>();
            items.forEach(i -> out.add(copyValue(i)));
            return Collections.unmodifiableList(out);
        }
        return value;
    }

    /** The node JSON Packer writes: the attributes plus {@code run_list} when the run list is not empty. */
    public static String write(Map<String, Object> json, List<String> runList) {
        Map<String, Object> node = new LinkedHashMap<>(json);
        if (!runList.isEmpty()) {
            node.put("run_list", runList);
        }
        StringBuilder out = new StringBuilder();
        write(node, out, 0);
        return out.toString();
    }

    private static void write(Object value, StringBuilder out, int depth) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof Boolean || value instanceof Long || value instanceof Integer
                || value instanceof Short || value instanceof Byte || value instanceof BigInteger) {
            out.append(value);
        } else if (value instanceof BigDecimal d) {
            out.append(d.signum() == 0 ? "0" : d.stripTrailingZeros().toPlainString());
        } else if (value instanceof Number n) {
            write(new BigDecimal(n.toString()), out, depth);
        } else if (value instanceof Map<?, ?> map) {
            if (map.isEmpty()) {
                out.append("{}");
                return;
            }
            Map<String, Object> sorted = new TreeMap<>();
            map.forEach((k, v) -> sorted.put(String.valueOf(k), v));
            out.append('{');
            boolean first = true;
            for (Map.Entry<String, Object> e : sorted.entrySet()) {
                out.append(first ? "" : ",").append('\n').append("  ".repeat(depth + 1));
                first = false;
                string(e.getKey(), out);
                out.append(": ");
                write(e.getValue(), out, depth + 1);
            }
            out.append('\n').append("  ".repeat(depth)).append('}');
        } else if (value instanceof Collection<?> items) {
            if (items.isEmpty()) {
                out.append("[]");
                return;
            }
            out.append('[');
            boolean first = true;
            for (Object item : items) {
                out.append(first ? "" : ",").append('\n').append("  ".repeat(depth + 1));
                first = false;
                write(item, out, depth + 1);
            }
            out.append('\n').append("  ".repeat(depth)).append(']');
        } else {
            string(value.toString(), out);
        }
    }

    /** A JSON string as Go's encoder writes it (HTML-safe). */
    private static void string(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '<', '>', '&', '\u2028', '\u2029' -> out.append(String.format("\\u%04x", (int) c));
                default -> out.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        out.append('"');
    }
}
