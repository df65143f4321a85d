package dev.imagebake.communicator;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A command line with Packer's placeholders ({@code {{.Path}}}, {@code {{.Vars}}}, {@code {{.EnvVarFile}}}, any
 * spacing inside the braces) or imagebake's older spelling ({@code {{path}}}, {@code {{env}}}). Each placeholder is
 * expanded for the quoting context it stands in, so that the shell that finally reads it sees the value intact:
 * <ul>
 *     <li>unquoted: a path becomes one quoted word; the variables' text ({@code A='x' B='y' }) goes in as shell
 *     text, as Packer puts it;</li>
 *     <li>inside {@code '...'} or {@code "..."} (typically {@code sh -c '{{.Vars}} {{.Path}}'}): the text is escaped
 *     for that quoting, so the outer shell hands it unchanged to the inner one. Packer pastes it in as it is, which
 *     breaks the command as soon as a value holds a space or a quote.</li>
 * </ul>
 */
public final class CommandTemplate {
    /** What a placeholder stands for. */
    public enum Placeholder {
        /** The script's path on the machine: one word. */
        PATH,
        /** The variables, formatted by envVarFormat: shell text. */
        VARS,
        /** The variables file's path on the machine: one word. */
        ENV_VAR_FILE
    }

    private enum Context { UNQUOTED, SINGLE, DOUBLE }

    /** A piece of the command: literal text, or the placeholder {@code name} met in {@code context}. */
    private record Part(String literal, String name, boolean word, Context context) {
    }

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*([^{}]*?)\\s*}}");
    private static final Map<String, Placeholder> NAMES = Map.of(
            ".Path", Placeholder.PATH, "path", Placeholder.PATH,
            ".Vars", Placeholder.VARS, "env", Placeholder.VARS,
            ".EnvVarFile", Placeholder.ENV_VAR_FILE);
    private static final Map<String, Boolean> SHELL_NAMES = Map.of(".Path", true, "path", true, ".Vars", false,
            "env", false, ".EnvVarFile", true);
    private static final String SHELL_KNOWN = "{{.Path}}, {{.Vars}} and {{.EnvVarFile}} (or imagebake's {{path}} and "
            + "{{env}})";
    private static final Pattern PLAIN_WORD = Pattern.compile("[A-Za-z0-9_./@%+=:,-]+");

    private final List<Part> parts;

    private CommandTemplate(List<Part> parts) {
        this.parts = parts;
    }

    /**
     * Reads a command line.
     *
     * @throws IllegalArgumentException for a placeholder that is not one of the known ones (the message names them)
     */
    public static CommandTemplate parse(String text) {
        return parse(text, SHELL_NAMES, SHELL_KNOWN);
    }

    /**
     * Reads a command line with the placeholders {@code names} (a placeholder's name as written between the braces,
     * for example {@code .ManifestFile}, mapped to whether its value is one word, such as a path, or shell text that
     * goes in as it is, such as a list of arguments).
     *
     * @param known how the message for an unknown placeholder names the known ones
     * @throws IllegalArgumentException for a placeholder that is not one of {@code names}, or Go template logic
     *                                  such as {@code {{if .Sudo}}}
     */
    public static CommandTemplate parse(String text, Map<String, Boolean> names, String known) {
        List<Part> parts = new ArrayList<>();
        Matcher m = PLACEHOLDER.matcher(text);
        Context context = Context.UNQUOTED;
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            if (text.startsWith("{{", i) && m.region(i, text.length()).lookingAt()) {
                Boolean word = names.get(m.group(1));
                if (word == null) {
                    String logic = m.group(1).matches("(if|else|end|range|with)\\b.*") ? " (Go template logic "
                            + "such as {{if}} is not supported: write the command as it should run)" : "";
                    throw new IllegalArgumentException("unknown placeholder " + m.group() + logic
                            + "; the known ones are " + known);
                }
                parts.add(new Part(literal.toString(), null, false, null));
                literal.setLength(0);
                parts.add(new Part(null, m.group(1), word, context));
                i = m.end();
                continue;
            }
            char c = text.charAt(i);
            literal.append(c);
            switch (context) {
                case UNQUOTED -> {
                    if (c == '\\' && i + 1 < text.length()) {
                        literal.append(text.charAt(++i));
                    } else if (c == '\'') {
                        context = Context.SINGLE;
                    } else if (c == '"') {
                        context = Context.DOUBLE;
                    }
                }
                case SINGLE -> {
                    if (c == '\'') {
                        context = Context.UNQUOTED;
                    }
                }
                case DOUBLE -> {
                    if (c == '\\' && i + 1 < text.length()) {
                        literal.append(text.charAt(++i));
                    } else if (c == '"') {
                        context = Context.UNQUOTED;
                    }
                }
            }
            i++;
        }
        parts.add(new Part(literal.toString(), null, false, null));
        return new CommandTemplate(List.copyOf(parts));
    }

    /** The placeholders the command uses. */
    public Set<Placeholder> placeholders() {
        Set<Placeholder> used = EnumSet.noneOf(Placeholder.class);
        parts.stream().filter(p -> p.name() != null).forEach(p -> used.add(NAMES.get(p.name())));
        return used;
    }

    /** The names of the placeholders the command uses, as written. */
    public Set<String> names() {
        Set<String> used = new java.util.LinkedHashSet<>();
        parts.stream().filter(p -> p.name() != null).forEach(p -> used.add(p.name()));
        return used;
    }

    /** The command with every placeholder replaced; a placeholder without a value becomes empty. */
    public String expand(Map<Placeholder, String> values) {
        Map<String, String> named = new java.util.HashMap<>();
        NAMES.forEach((name, placeholder) -> {
            if (values.containsKey(placeholder)) {
                named.put(name, values.get(placeholder));
            }
        });
        return expandNamed(named);
    }

    /** The command with every placeholder replaced by the value of its name; one without a value becomes empty. */
    public String expandNamed(Map<String, String> values) {
        StringBuilder out = new StringBuilder();
        for (Part part : parts) {
            if (part.name() == null) {
                out.append(part.literal());
                continue;
            }
            String value = values.getOrDefault(part.name(), "");
            boolean word = part.word();
            out.append(switch (part.context()) {
                case UNQUOTED -> word && !PLAIN_WORD.matcher(value).matches() ? ShellQuoting.quote(value) : value;
                case SINGLE -> value.replace("'", "'\\''");
                case DOUBLE -> value.replace("\\", "\\\\").replace("$", "\\$").replace("`", "\\`")
                        .replace("\"", "\\\"");
            });
        }
        return out.toString();
    }

    /**
     * The variables as Packer writes them: sorted by name, each through {@code format} (name, then value), with
     * every single quote of a value written {@code '"'"'} so that it fits inside Packer's {@code '%s'}.
     */
    public static String vars(String format, Map<String, String> env) {
        StringBuilder out = new StringBuilder();
        new java.util.TreeMap<>(env).forEach((name, value) ->
                out.append(format(format, name, value.replace("'", "'\"'\"'"))));
        return out.toString();
    }

    /** {@code format} with its two {@code %s} replaced by name and value ({@code %%} is a percent sign). */
    static String format(String format, String name, String value) {
        StringBuilder out = new StringBuilder();
        int argument = 0;
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c == '%' && i + 1 < format.length() && format.charAt(i + 1) == 's') {
                out.append(argument++ == 0 ? name : value);
                i++;
            } else if (c == '%' && i + 1 < format.length() && format.charAt(i + 1) == '%') {
                out.append('%');
                i++;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /**
     * Why {@code format} cannot be an envVarFormat, or null when it can: it needs exactly two {@code %s} (the name,
     * then the value) and no other {@code %} directive than {@code %%}.
     */
    public static String formatProblem(String format) {
        int count = 0;
        for (int i = 0; i < format.length(); i++) {
            if (format.charAt(i) == '%') {
                char next = i + 1 < format.length() ? format.charAt(i + 1) : 0;
                if (next == 's') {
                    count++;
                } else if (next != '%') {
                    return "has '%" + (next == 0 ? "" : String.valueOf(next)) + "'; only %s (twice: the name, then "
                            + "the value) and %% may appear";
                }
                i++;
            }
        }
        return count == 2 ? null : "needs exactly two %s (the name, then the value); it has " + count;
    }
}
