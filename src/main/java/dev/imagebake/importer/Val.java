package dev.imagebake.importer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A Packer value on its way to Groovy: a literal, a list, a map, an expression already in Groovy, or text with
 * expressions inside. Literals stay literals so that rules can look at them (a path to rebase, a command to read).
 */
sealed interface Val permits Val.Lit, Val.Lst, Val.Obj, Val.Expr, Val.Str {
    Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /** The value as Groovy source. */
    String groovy();

    /** The text, when the value is literal text (or a literal number or boolean); else null. */
    default String text() {
        return null;
    }

    /** A literal string, number, boolean or null. */
    record Lit(Object value) implements Val {
        @Override
        public String groovy() {
            if (value == null || value instanceof Number || value instanceof Boolean) {
                return String.valueOf(value);
            }
            return quote(value.toString());
        }

        @Override
        public String text() {
            return value == null ? null : value.toString();
        }
    }

    record Lst(List<Val> items) implements Val {
        @Override
        public String groovy() {
            List<String> parts = new ArrayList<>();
            items.forEach(v -> parts.add(v.groovy()));
            return "[" + String.join(", ", parts) + "]";
        }
    }

    record Obj(Map<String, Val> entries) implements Val {
        Obj() {
            this(new LinkedHashMap<>());
        }

        @Override
        public String groovy() {
            if (entries.isEmpty()) {
                return "[:]";
            }
            List<String> parts = new ArrayList<>();
            entries.forEach((k, v) -> parts.add(key(k) + ": " + v.groovy()));
            return "[" + String.join(", ", parts) + "]";
        }
    }

    /** Groovy code, such as {@code var.location} or {@code timestamp('yyyyMMdd')}. */
    record Expr(String code) implements Val {
        @Override
        public String groovy() {
            return code;
        }

        /** The code, in parentheses unless it is a plain name or member chain. */
        String operand() {
            return code.matches("[A-Za-z_][A-Za-z0-9_.]*(\\(.*\\))?") && !code.contains(" ") ? code : "(" + code + ")";
        }
    }

    /** Text with values inside: literal parts (String) and values (Val), rendered as a GString. */
    record Str(List<Object> parts) implements Val {
        @Override
        public String groovy() {
            StringBuilder out = new StringBuilder("\"");
            for (Object part : parts) {
                if (part instanceof String s) {
                    out.append(s.replace("\\", "\\\\").replace("\"", "\\\"").replace("$", "\\$")
                            .replace("\n", "\\n").replace("\t", "\\t"));
                } else {
                    out.append("${").append(((Val) part).groovy()).append('}');
                }
            }
            return out.append('"').toString();
        }
    }

    /** Joins parts into the simplest value: a literal when no part is an expression. */
    static Val concat(List<Object> parts) {
        List<Object> merged = new ArrayList<>();
        for (Object part : parts) {
            Object p = part;
            if (p instanceof Val v && v.text() != null && !(v instanceof Lit l && !(l.value() instanceof String))) {
                p = v.text();
            }
            if (p instanceof Str s) {
                merged.addAll(s.parts());
                continue;
            }
            if (p instanceof String s && !merged.isEmpty() && merged.get(merged.size() - 1) instanceof String prev) {
                merged.set(merged.size() - 1, prev + s);
            } else if (!(p instanceof String s && s.isEmpty())) {
                merged.add(p);
            }
        }
        if (merged.isEmpty()) {
            return new Lit("");
        }
        if (merged.size() == 1 && merged.get(0) instanceof String s) {
            return new Lit(s);
        }
        if (merged.size() == 1) {
            return (Val) merged.get(0);
        }
        return new Str(merged);
    }

    static String quote(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\t", "\\t")
                .replace("\r", "\\r") + "'";
    }

    static String key(String k) {
        return IDENTIFIER.matcher(k).matches() ? k : quote(k);
    }
}
