package dev.imagebake.plan;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The part of Go's text/template that Packer's Chef configuration templates use, so that a user's
 * {@code configTemplate} written for Packer works unchanged: {@code {{.Name}}}, {@code {{if .Name}}},
 * {@code {{if ne .Name ""}}}, {@code {{else}}} and {@code {{end}}} (nested as deep as needed). A value is true when
 * it is neither empty nor {@code false}. Anything else is refused with its line, before any machine is touched.
 */
public final class GoTextTemplate {
    private static final Pattern ACTION = Pattern.compile("\\{\\{\\s*(.*?)\\s*}}", Pattern.DOTALL);
    private static final Pattern FIELD = Pattern.compile("\\.([A-Za-z][A-Za-z0-9]*)");
    private static final Pattern IF = Pattern.compile("if\\s+(?:(ne|eq)\\s+\\.([A-Za-z][A-Za-z0-9]*)\\s+\"([^\"]*)\""
            + "|\\.([A-Za-z][A-Za-z0-9]*))");

    private sealed interface Node permits Text, Field, If {
    }

    private record Text(String text) implements Node {
    }

    private record Field(String name) implements Node {
    }

    private record If(String field, String op, String operand, List<Node> then, List<Node> otherwise)
            implements Node {
    }

    private final List<Node> nodes;

    private GoTextTemplate(List<Node> nodes) {
        this.nodes = nodes;
    }

    /**
     * Reads a template whose fields are {@code fields}.
     *
     * @throws IllegalArgumentException naming the line of an action that is not supported or a field that is unknown
     */
    public static GoTextTemplate parse(String text, List<String> fields) {
        List<List<Node>> stack = new ArrayList<>();
        List<If> open = new ArrayList<>();
        List<Node> current = new ArrayList<>();
        Matcher m = ACTION.matcher(text);
        int at = 0;
        while (m.find()) {
            current.add(new Text(text.substring(at, m.start())));
            at = m.end();
            String action = m.group(1);
            int line = 1 + (int) text.substring(0, m.start()).chars().filter(c -> c == '\n').count();
            Matcher field = FIELD.matcher(action);
            Matcher condition = IF.matcher(action);
            if (field.matches()) {
                current.add(new Field(known(field.group(1), fields, line)));
            } else if (condition.matches()) {
                String name = known(condition.group(2) != null ? condition.group(2) : condition.group(4), fields,
                        line);
                If node = new If(name, condition.group(1), condition.group(3), new ArrayList<>(), new ArrayList<>());
                current.add(node);
                stack.add(current);
                open.add(node);
                current = node.then();
            } else if (action.equals("else") && !open.isEmpty() && current == open.get(open.size() - 1).then()) {
                current = open.get(open.size() - 1).otherwise();
            } else if (action.equals("end") && !open.isEmpty()) {
                open.remove(open.size() - 1);
                current = stack.remove(stack.size() - 1);
            } else {
                throw new IllegalArgumentException("line " + line + ": {{" + action + "}} is not supported (only "
                        + "{{.Field}}, {{if .Field}}, {{if ne .Field \"\"}}, {{else}} and {{end}} are)");
            }
        }
        if (!open.isEmpty()) {
            throw new IllegalArgumentException("an {{if}} has no {{end}}");
        }
        current.add(new Text(text.substring(at)));
        return new GoTextTemplate(List.copyOf(current));
    }

    private static String known(String name, List<String> fields, int line) {
        if (!fields.contains(name)) {
            throw new IllegalArgumentException("line " + line + ": unknown field ." + name + "; the fields are ."
                    + String.join(", .", fields));
        }
        return name;
    }

    /** The text with every action evaluated against {@code values} (a missing value is empty). */
    public String render(Map<String, Object> values) {
        StringBuilder out = new StringBuilder();
        render(nodes, values, out);
        return out.toString();
    }

    private static void render(List<Node> nodes, Map<String, Object> values, StringBuilder out) {
        for (Node node : nodes) {
            if (node instanceof Text t) {
                out.append(t.text());
            } else if (node instanceof Field f) {
                out.append(text(values.get(f.name())));
            } else if (node instanceof If i) {
                String value = text(values.get(i.field()));
                boolean test = i.op() == null ? !value.isEmpty() && !value.equals("false")
                        : i.op().equals("ne") != value.equals(i.operand());
                render(test ? i.then() : i.otherwise(), values, out);
            }
        }
    }

    private static String text(Object value) {
        return value == null ? "" : value.toString();
    }
}
