package dev.imagebake.emulator.deployments;

import dev.imagebake.emulator.arm.ArmException;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One ARM template expression, the text inside {@code "[...]"}: string literals in single quotes ({@code ''}
 * escapes a quote), integers, function calls, and property ({@code .name}) and index ({@code [0]}) access on their
 * results. Functions come from a {@link TemplateFunctions}; this class only parses and applies them.
 */
final class TemplateExpression {
    private final String text;
    private final TemplateFunctions functions;
    private int at;

    private TemplateExpression(String text, TemplateFunctions functions) {
        this.text = text;
        this.functions = functions;
    }

    /**
     * Evaluates a template string value: {@code "[expr]"} is an expression, {@code "[[..."} a literal starting with
     * one bracket, anything else itself.
     */
    static Object evaluate(String value, TemplateFunctions functions) throws ArmException {
        if (!value.startsWith("[") || !value.endsWith("]")) {
            return value;
        }
        if (value.startsWith("[[")) {
            return value.substring(1);
        }
        TemplateExpression expression = new TemplateExpression(value.substring(1, value.length() - 1), functions);
        expression.skipSpace();
        Object result = expression.chain();
        expression.skipSpace();
        if (expression.at != expression.text.length()) {
            throw expression.error("unexpected '" + expression.text.substring(expression.at) + "'");
        }
        return result;
    }

    private Object chain() throws ArmException {
        Object value = primary();
        while (true) {
            skipSpace();
            if (peek('.')) {
                at++;
                String name = identifier();
                value = property(value, name);
            } else if (peek('[')) {
                at++;
                skipSpace();
                Object index = chain();
                skipSpace();
                expect(']');
                value = index instanceof Number n ? element(value, n.intValue()) : property(value, String.valueOf(index));
            } else {
                return value;
            }
        }
    }

    private Object primary() throws ArmException {
        skipSpace();
        if (peek('\'')) {
            return string();
        }
        if (at < text.length() && (Character.isDigit(text.charAt(at)) || text.charAt(at) == '-')) {
            int start = at++;
            while (at < text.length() && Character.isDigit(text.charAt(at))) {
                at++;
            }
            return Long.parseLong(text.substring(start, at));
        }
        String name = identifier();
        skipSpace();
        expect('(');
        List<Object> arguments = new ArrayList<>();
        skipSpace();
        if (!peek(')')) {
            while (true) {
                skipSpace();
                arguments.add(chain());
                skipSpace();
                if (peek(',')) {
                    at++;
                } else {
                    break;
                }
            }
        }
        expect(')');
        return functions.call(name, arguments);
    }

    private String string() throws ArmException {
        at++;
        StringBuilder out = new StringBuilder();
        while (at < text.length()) {
            char c = text.charAt(at++);
            if (c == '\'') {
                if (peek('\'')) {
                    out.append('\'');
                    at++;
                } else {
                    return out.toString();
                }
            } else {
                out.append(c);
            }
        }
        throw error("unterminated string");
    }

    private String identifier() throws ArmException {
        int start = at;
        while (at < text.length() && (Character.isLetterOrDigit(text.charAt(at)) || text.charAt(at) == '_')) {
            at++;
        }
        if (start == at) {
            throw error("expected a name at position " + at);
        }
        return text.substring(start, at);
    }

    private Object property(Object value, String name) throws ArmException {
        if (value instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                if (String.valueOf(entry.getKey()).equalsIgnoreCase(name)) {
                    return entry.getValue();
                }
            }
        }
        throw error("the value has no property '" + name + "'");
    }

    private Object element(Object value, int index) throws ArmException {
        if (value instanceof List<?> list && index >= 0 && index < list.size()) {
            return list.get(index);
        }
        throw error("index " + index + " is out of range");
    }

    private boolean peek(char c) {
        return at < text.length() && text.charAt(at) == c;
    }

    private void expect(char c) throws ArmException {
        if (!peek(c)) {
            throw error("expected '" + c + "' at position " + at);
        }
        at++;
    }

    private void skipSpace() {
        while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
            at++;
        }
    }

    private ArmException error(String problem) {
        return ArmException.badRequest("InvalidTemplate", "Unable to evaluate the template language expression '"
                + text + "': " + problem + ".");
    }

    /** Numbers from JSON arrive as Long or BigDecimal; expressions want ints. */
    static int integer(Object value) throws ArmException {
        if (value instanceof Long || value instanceof Integer) {
            return ((Number) value).intValue();
        }
        if (value instanceof BigDecimal decimal) {
            return decimal.intValueExact();
        }
        if (value instanceof String s && s.matches("-?\\d{1,9}")) {
            return Integer.parseInt(s);
        }
        throw ArmException.badRequest("InvalidTemplate", "The value '" + value + "' is not an integer.");
    }
}
