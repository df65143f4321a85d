package dev.imagebake.util;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A small JSON reader and writer: maps keep their order, numbers read as Long or BigDecimal. */
public final class Json {
    /**
     * How deep arrays and objects may nest. The reader is recursive: without a bound, a file of 200,000 brackets
     * would overflow the stack. As deep as a template's values may be.
     */
    public static final int MAX_DEPTH = 200;
    private final String text;
    private int at;
    private int depth;
    private final boolean lenient;

    private Json(String text, boolean lenient) {
        this.text = text;
        this.lenient = lenient;
    }

    /**
     * Parses one JSON value; throws {@link IllegalArgumentException} naming line and column on bad input, arrays and
     * objects nested more than {@link #MAX_DEPTH} deep included.
     */
    public static Object parse(String text) {
        return parse(text, false);
    }

    /**
     * Parses JSON as Azure Resource Manager reads request bodies (and the Azure CLI relies on): also with
     * {@code //} and {@code /* *}{@code /} comments, object keys without quotes and a trailing comma before a
     * closing bracket.
     */
    public static Object parseLenient(String text) {
        return parse(text, true);
    }

    private static Object parse(String text, boolean lenient) {
        Json reader = new Json(text, lenient);
        reader.skipSpace();
        Object value = reader.value();
        reader.skipSpace();
        if (reader.at != text.length()) {
            throw reader.error("unexpected text after the JSON value");
        }
        return value;
    }

    public static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(value, out, -1, 0);
        return out.toString();
    }

    public static String writePretty(Object value) {
        StringBuilder out = new StringBuilder();
        write(value, out, 2, 0);
        return out.append('\n').toString();
    }

    private static void write(Object value, StringBuilder out, int indent, int depth) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof Boolean || value instanceof Integer || value instanceof Long
                || value instanceof BigDecimal || value instanceof java.math.BigInteger) {
            out.append(value);
        } else if (value instanceof Number n) {
            double d = n.doubleValue();
            out.append(d == Math.rint(d) && !Double.isInfinite(d) ? String.valueOf((long) d) : String.valueOf(d));
        } else if (value instanceof Map<?, ?> map) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                newline(out, indent, depth + 1);
                string(String.valueOf(e.getKey()), out);
                out.append(indent >= 0 ? ": " : ":");
                write(e.getValue(), out, indent, depth + 1);
            }
            if (!map.isEmpty()) {
                newline(out, indent, depth);
            }
            out.append('}');
        } else if (value instanceof Collection<?> items) {
            out.append('[');
            boolean first = true;
            for (Object item : items) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                newline(out, indent, depth + 1);
                write(item, out, indent, depth + 1);
            }
            if (!items.isEmpty()) {
                newline(out, indent, depth);
            }
            out.append(']');
        } else {
            string(value.toString(), out);
        }
    }

    private static void newline(StringBuilder out, int indent, int depth) {
        if (indent >= 0) {
            out.append('\n').append(" ".repeat(indent * depth));
        }
    }

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
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private Object value() {
        if (at >= text.length()) {
            throw error("unexpected end of JSON");
        }
        char c = text.charAt(at);
        switch (c) {
            case '{':
            case '[':
                if (depth == MAX_DEPTH) {
                    throw error("nested more than " + MAX_DEPTH + " levels deep");
                }
                depth++;
                Object nested = c == '{' ? object() : array();
                depth--;
                return nested;
            case '"':
                return string();
            case 't':
                return literal("true", Boolean.TRUE);
            case 'f':
                return literal("false", Boolean.FALSE);
            case 'n':
                return literal("null", null);
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return number();
                }
                throw error("unexpected character '" + c + "'");
        }
    }

    private Map<String, Object> object() {
        Map<String, Object> map = new LinkedHashMap<>();
        at++;
        skipSpace();
        if (peek() == '}') {
            at++;
            return map;
        }
        while (true) {
            skipSpace();
            if (lenient && peek() == '}') {
                at++;
                return map;
            }
            String key;
            if (peek() == '"') {
                key = string();
            } else if (lenient && (Character.isLetter(peek()) || peek() == '_' || peek() == '$')) {
                int start = at;
                while (at < text.length() && (Character.isLetterOrDigit(text.charAt(at))
                        || text.charAt(at) == '_' || text.charAt(at) == '$')) {
                    at++;
                }
                key = text.substring(start, at);
            } else {
                throw error("expected a quoted key");
            }
            skipSpace();
            expect(':');
            skipSpace();
            map.put(key, value());
            skipSpace();
            if (peek() == ',') {
                at++;
            } else if (peek() == '}') {
                at++;
                return map;
            } else {
                throw error("expected ',' or '}'");
            }
        }
    }

    private List<Object> array() {
        List<Object> list = new ArrayList<>();
        at++;
        skipSpace();
        if (peek() == ']') {
            at++;
            return list;
        }
        while (true) {
            skipSpace();
            if (lenient && peek() == ']') {
                at++;
                return list;
            }
            list.add(value());
            skipSpace();
            if (peek() == ',') {
                at++;
            } else if (peek() == ']') {
                at++;
                return list;
            } else {
                throw error("expected ',' or ']'");
            }
        }
    }

    private String string() {
        StringBuilder out = new StringBuilder();
        at++;
        while (at < text.length()) {
            char c = text.charAt(at++);
            if (c == '"') {
                return out.toString();
            } else if (c == '\\') {
                if (at >= text.length()) {
                    break;
                }
                char e = text.charAt(at++);
                switch (e) {
                    case 'n' -> out.append('\n');
                    case 't' -> out.append('\t');
                    case 'r' -> out.append('\r');
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'u' -> {
                        if (at + 4 > text.length()) {
                            throw error("bad \\u escape");
                        }
                        out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                        at += 4;
                    }
                    default -> out.append(e);
                }
            } else {
                out.append(c);
            }
        }
        throw error("unterminated string");
    }

    private Object number() {
        int start = at;
        while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
            at++;
        }
        String n = text.substring(start, at);
        try {
            if (n.contains(".") || n.contains("e") || n.contains("E")) {
                return new BigDecimal(n);
            }
            return Long.parseLong(n);
        } catch (NumberFormatException e) {
            throw error("bad number '" + n + "'");
        }
    }

    private Object literal(String word, Object value) {
        if (!text.startsWith(word, at)) {
            throw error("unexpected text");
        }
        at += word.length();
        return value;
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("expected '" + c + "'");
        }
        at++;
    }

    private char peek() {
        return at < text.length() ? text.charAt(at) : '\0';
    }

    private void skipSpace() {
        while (at < text.length()) {
            if (Character.isWhitespace(text.charAt(at))) {
                at++;
            } else if (lenient && text.startsWith("//", at)) {
                int end = text.indexOf('\n', at);
                at = end < 0 ? text.length() : end + 1;
            } else if (lenient && text.startsWith("/*", at)) {
                int end = text.indexOf("*/", at + 2);
                if (end < 0) {
                    throw error("unterminated comment");
                }
                at = end + 2;
            } else {
                return;
            }
        }
    }

    private IllegalArgumentException error(String message) {
        int line = 1;
        int column = 1;
        for (int i = 0; i < Math.min(at, text.length()); i++) {
            if (text.charAt(i) == '\n') {
                line++;
                column = 1;
            } else {
                column++;
            }
        }
        return new IllegalArgumentException(line + ":" + column + ": " + message);
    }
}
