package dev.imagebake.importer;

import java.util.ArrayList;
import java.util.List;

/**
 * Packer's JSON template engine ({@code {{user `x`}}}, {@code {{timestamp}}}, {@code {{isotime "2006-01-02"}}}...)
 * turned into Groovy values. The placeholders of {@code execute_command} ({@code {{ .Path }}}) stay as text.
 */
final class GoTemplate {
    private final String buildName;
    private final List<String> tokens = new ArrayList<>();
    private int pos;

    private GoTemplate(String buildName) {
        this.buildName = buildName;
    }

    /** The string as a value; {@code buildName} is what {@code {{build_name}}} stands for (null outside a build). */
    static Val translate(String text, String buildName) {
        List<Object> parts = new ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            int open = text.indexOf("{{", i);
            if (open < 0) {
                parts.add(text.substring(i));
                break;
            }
            int close = text.indexOf("}}", open);
            if (close < 0) {
                throw new Functions.Unsupported("an unclosed {{ in '" + text + "'");
            }
            parts.add(text.substring(i, open));
            String inner = text.substring(open + 2, close).trim();
            if (inner.startsWith(".")) {
                parts.add("{{" + inner + "}}");
            } else {
                parts.add(new GoTemplate(buildName).expression(inner));
            }
            i = close + 2;
        }
        return Val.concat(parts);
    }

    private Val expression(String inner) {
        tokenize(inner);
        Val v = pipeline();
        if (pos < tokens.size()) {
            throw new Functions.Unsupported("{{" + inner + "}} has no translation");
        }
        return v;
    }

    private Val pipeline() {
        Val v = command();
        while (pos < tokens.size() && tokens.get(pos).equals("|")) {
            pos++;
            String fn = tokens.get(pos++);
            List<Val> args = new ArrayList<>();
            while (pos < tokens.size() && !tokens.get(pos).equals("|") && !tokens.get(pos).equals(")")) {
                args.add(argument());
            }
            args.add(v);
            v = call(fn, args);
        }
        return v;
    }

    private Val command() {
        String fn = tokens.get(pos++);
        if (fn.equals("(")) {
            Val v = pipeline();
            expect(")");
            return v;
        }
        List<Val> args = new ArrayList<>();
        while (pos < tokens.size() && !tokens.get(pos).equals("|") && !tokens.get(pos).equals(")")) {
            args.add(argument());
        }
        return call(fn, args);
    }

    private Val argument() {
        String t = tokens.get(pos);
        if (t.equals("(")) {
            pos++;
            Val v = pipeline();
            expect(")");
            return v;
        }
        pos++;
        if (t.startsWith("`") || t.startsWith("\"")) {
            return new Val.Lit(t.substring(1, t.length() - 1));
        }
        if (t.matches("-?\\d+")) {
            return new Val.Lit(Long.parseLong(t));
        }
        return call(t, List.of());
    }

    private void expect(String token) {
        if (pos >= tokens.size() || !tokens.get(pos).equals(token)) {
            throw new Functions.Unsupported("a template expression that does not parse");
        }
        pos++;
    }

    private Val call(String fn, List<Val> args) {
        switch (fn) {
            case "user":
                if (args.size() == 1 && args.get(0).text() != null) {
                    return new Val.Expr("var." + args.get(0).text().trim());
                }
                break;
            case "env":
                if (args.size() == 1 && args.get(0).text() != null) {
                    return new Val.Expr("env(" + Val.quote(args.get(0).text()) + ")");
                }
                break;
            case "timestamp":
                // Packer's is Unix seconds; imagebake's default yyyyMMddHHmmss is as unique and sorts the same.
                return new Val.Expr("timestamp()");
            case "isotime":
                return new Val.Expr("timestamp(" + Val.quote(args.isEmpty() ? Functions.RFC3339
                        : TimeFormats.fromGo(args.get(0).text())) + ")");
            case "uuid":
                return new Val.Expr("uuid()");
            case "template_dir", "pwd":
                return new Val.Lit(".");
            case "build_name":
                if (buildName != null) {
                    return new Val.Lit(buildName);
                }
                throw new Functions.Unsupported("{{build_name}} outside a builder has no imagebake equivalent");
            case "lower", "upper":
                return Functions.call(fn, args);
            case "split":
                if (args.size() == 3) {
                    Val list = Functions.call("split", List.of(args.get(1), args.get(0)));
                    return new Val.Expr(list.groovy() + "[" + args.get(2).groovy() + "]");
                }
                break;
            case "replace_all":
                if (args.size() == 3) {
                    return Functions.call("replace", List.of(args.get(2), args.get(0), args.get(1)));
                }
                break;
            default:
                break;
        }
        throw new Functions.Unsupported("the template function " + fn + " has no translation");
    }

    private void tokenize(String s) {
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '`' || c == '"') {
                int end = s.indexOf(c, i + 1);
                if (end < 0) {
                    throw new Functions.Unsupported("an unclosed string in {{" + s + "}}");
                }
                tokens.add(s.substring(i, end + 1));
                i = end + 1;
            } else if (c == '(' || c == ')' || c == '|') {
                tokens.add(String.valueOf(c));
                i++;
            } else {
                int start = i;
                while (i < s.length() && !Character.isWhitespace(s.charAt(i)) && "()|`\"".indexOf(s.charAt(i)) < 0) {
                    i++;
                }
                tokens.add(s.substring(start, i));
            }
        }
    }
}
