package dev.imagebake.dsl;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds bash-only syntax in inline commands that will run under a POSIX {@code sh} (dash on Debian and Ubuntu, where
 * it fails). Conservative: only constructs that dash refuses or runs differently, only outside single quotes,
 * comments and here-documents (and, for command syntax, outside double quotes too); anything it cannot tell apart
 * from ordinary POSIX shell is left alone.
 */
public final class ShellDialect {
    /** Where a command may start: a line's start, after an operator, or after a keyword that takes a command. */
    private static final String AT_COMMAND = "(?:^|[;&|(){}!]|\\b(?:then|do|else|elif|if|while|until)\\s)\\s*";

    /**
     * One construct. {@code hints}: text of which the construct always contains one, looked for before the pattern
     * runs (a plain search is many times faster than the patterns, and most lines hold none of them).
     */
    private record Rule(List<String> hints, Pattern pattern, boolean insideDoubleQuotes, String what, String instead) {
        Rule(String hint, Pattern pattern, boolean insideDoubleQuotes, String what, String instead) {
            this(List.of(hint), pattern, insideDoubleQuotes, what, instead);
        }

        boolean mayMatch(String text) {
            for (String hint : hints) {
                if (text.contains(hint)) {
                    return true;
                }
            }
            return false;
        }
    }

    private static final List<Rule> RULES = List.of(
            new Rule("[[", Pattern.compile("(?:^|[\\s;&|(!])(\\[\\[)\\s"), false, "`[[ ... ]]`",
                    "`[ ... ]` (or `case` for patterns)"),
            new Rule("source", Pattern.compile(AT_COMMAND + "(source)\\s+\\S"), false, "`source`", "`. FILE`"),
            new Rule("=(", Pattern.compile(AT_COMMAND + "(?:(?:export|local|readonly)\\s+)?([A-Za-z_][A-Za-z0-9_]*\\+?=\\()"),
                    false, "an array (`NAME=(...)`)", "separate variables, or `set -- ...` for a list"),
            new Rule("${", Pattern.compile("(\\$\\{[#!]?[A-Za-z_][A-Za-z0-9_]*\\[)"), true, "an array (`${NAME[...]}`)",
                    "separate variables, or `set -- ...` and `\"$@\"` for a list"),
            new Rule("function", Pattern.compile(AT_COMMAND + "(function)\\s+[A-Za-z_][A-Za-z0-9_-]*\\s*(?:\\(\\s*\\))?\\s*(?:\\{|$)"),
                    false, "`function NAME`", "`NAME() { ...; }`"),
            new Rule("<<<", Pattern.compile("(<<<)"), false, "a here-string (`<<<`)", "a here-document, or `printf '%s\\n' ... |`"),
            new Rule("${", Pattern.compile("(\\$\\{[A-Za-z_][A-Za-z0-9_]*//?)"), true, "`${NAME/pattern/replacement}`",
                    "`$(printf '%s' \"$NAME\" | sed 's/pattern/replacement/')`"),
            new Rule("${", Pattern.compile("(\\$\\{[A-Za-z_][A-Za-z0-9_]*:[0-9])"), true, "`${NAME:offset}`",
                    "`cut`, or `${NAME#...}` and `${NAME%...}`"),
            new Rule("&>", Pattern.compile("(?:^|[^&>0-9])(&>>?)"), false, "`&>` (output and errors to one file)",
                    "`>FILE 2>&1` (under sh, `&>` puts the command in the background)"),
            new Rule("$'", Pattern.compile("(?:^|[^\\\\$])(\\$')"), false, "`$'...'` quoting", "`printf`"),
            new Rule("==", Pattern.compile("(?:^|[\\s;&|(!])(?:\\[|test)\\s[^\\]]*?\\s(==)\\s"), false, "`==` in `[ ]`",
                    "`=`"),
            new Rule(List.of("declare", "typeset", "shopt", "pushd", "popd"),
                    Pattern.compile(AT_COMMAND + "(declare|typeset|shopt|pushd|popd)\\b"), false,
                    "a bash builtin (`declare`, `typeset`, `shopt`, `pushd` or `popd`)", "plain assignments and `cd`"));

    private static final Pattern HEREDOC = Pattern.compile("<<(-?)\\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\\2");

    /**
     * One bash-only construct.
     *
     * @param line   the line of the script (0-based) it is on
     * @param column its column in that line (0-based)
     * @param text   the construct as written, for finding it in the template
     */
    public record Finding(int line, int column, String text, String what, String instead) {
    }

    private ShellDialect() {
    }

    /** Whether a {@code #!} interpreter (without {@code #!}) is a POSIX sh: sh or dash, directly or through env. */
    public static boolean posixSh(String interpreter) {
        String[] words = interpreter.strip().split("\\s+");
        int at = words.length > 1 && words[0].endsWith("/env") ? 1 : 0;
        String name = words[at].substring(words[at].lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
        return name.equals("sh") || name.equals("dash");
    }

    private static final Pattern BASH_RUNS_PATH = Pattern.compile(
            "(?:^|[\\s;&|])(?:/usr)?(?:/bin/)?bash(?:\\s+-[-\\w]+)*\\s+['\"]?\\{\\{\\s*\\.?[Pp]ath\\s*}}");

    /**
     * Whether a Packer-style execute command hands the script to bash ({@code sudo -S env {{.Vars}} /bin/bash
     * '{{.Path}}'}): bash then runs it whatever its {@code #!} line says.
     */
    public static boolean runsWithBash(String executeCommand) {
        return BASH_RUNS_PATH.matcher(executeCommand).find();
    }

    /** The bash-only constructs in the script's lines, at most one per line, in order. */
    public static List<Finding> bashOnly(List<String> lines) {
        List<Finding> found = new ArrayList<>();
        char quote = 0;
        String heredoc = null;
        boolean stripTabs = false;
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n);
            if (heredoc != null) {
                if ((stripTabs ? line.replaceFirst("^\t+", "") : line).equals(heredoc)) {
                    heredoc = null;
                }
                continue;
            }
            char before = quote;
            String outside = mask(line, quote, false);
            String command = mask(line, before, true);
            quote = endQuote(line, before);
            Matcher doc = HEREDOC.matcher(line.contains("<<") ? line : "");
            while (doc.find()) {
                if (!command.startsWith("<<", doc.start())
                        || doc.start() > 0 && line.charAt(doc.start() - 1) == '<') {
                    continue; // quoted, or the end of a here-string's <<<
                }
                heredoc = doc.group(3);
                stripTabs = !doc.group(1).isEmpty();
            }
            for (Rule rule : RULES) {
                String text = rule.insideDoubleQuotes() ? outside : command;
                if (!rule.mayMatch(text)) {
                    continue;
                }
                Matcher m = rule.pattern().matcher(text);
                if (m.find()) {
                    int start = m.start(1);
                    found.add(new Finding(n, start, line.substring(start, m.end(1)), rule.what(), rule.instead()));
                    break;
                }
            }
        }
        return found;
    }

    /**
     * The line with what is quoted (and comments) blanked out, column for column: single-quoted text always, and
     * double-quoted text too when {@code blankDouble}. {@code quote} is the quote open at the line's start.
     */
    private static String mask(String line, char quote, boolean blankDouble) {
        StringBuilder out = new StringBuilder(line.length());
        char open = quote;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (open == '\'') {
                out.append(c == '\'' ? c : ' ');
                if (c == '\'') {
                    open = 0;
                }
            } else if (open == '"') {
                if (c == '\\' && i + 1 < line.length()) {
                    out.append(blankDouble ? "  " : line.substring(i, i + 2));
                    i++;
                } else if (c == '"') {
                    out.append(c);
                    open = 0;
                } else {
                    out.append(blankDouble ? ' ' : c);
                }
            } else if (c == '\\' && i + 1 < line.length()) {
                out.append("  ");
                i++;
            } else if (c == '#' && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
                break; // a comment
            } else {
                if (c == '\'' || c == '"') {
                    open = c;
                }
                out.append(c);
            }
        }
        return out.toString();
    }

    /** The quote still open at the end of the line. */
    private static char endQuote(String line, char quote) {
        char open = quote;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (open == '\'') {
                if (c == '\'') {
                    open = 0;
                }
            } else if (open == '"') {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    open = 0;
                }
            } else if (c == '\\') {
                i++;
            } else if (c == '#' && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
                break;
            } else if (c == '\'' || c == '"') {
                open = c;
            }
        }
        return open;
    }
}
