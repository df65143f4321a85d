package dev.imagebake.repl;

import java.util.ArrayList;
import java.util.List;

/**
 * Whether template text is a whole statement yet: braces, brackets and parentheses closed, no triple-quoted string
 * or block comment left open. The REPL keeps reading lines until it is, and {@code :load} cuts a template into
 * statements with it. It only counts; the evaluator reports real syntax errors.
 */
final class InputCompleteness {
    private InputCompleteness() {
    }

    /** True when nothing is left open at the end of {@code text}. */
    static boolean complete(String text) {
        return scan(text).complete();
    }

    /** The names of the blocks open at the end of {@code text}, innermost last (for completion). */
    static List<String> openBlocks(String text) {
        return scan(text).blocks;
    }

    /** A top-level statement of a template and the line (from 1) it starts on. */
    record Statement(String text, int firstLine) {
        int lastLine() {
            return firstLine + text.split("\n", -1).length - 1;
        }
    }

    /**
     * Cuts a template into its top-level statements (each a run of lines that is complete on its own). One pass:
     * the scan goes on from line to line, and starts afresh with each statement.
     */
    static List<Statement> statements(String text) {
        List<Statement> statements = new ArrayList<>();
        int first = 1;
        int number = 0;
        int statementStart = -1; // where the current statement starts in text, or -1 between statements
        Scanner scanner = new Scanner(text);
        int lineStart = 0;
        while (lineStart <= text.length()) {
            int lineEnd = text.indexOf('\n', lineStart);
            if (lineEnd < 0) {
                lineEnd = text.length();
            }
            number++;
            if (statementStart < 0 && text.substring(lineStart, lineEnd).isBlank()) {
                first = number + 1;
            } else {
                if (statementStart < 0) {
                    statementStart = lineStart;
                    scanner = new Scanner(text);
                    scanner.at = lineStart;
                }
                scanner.scanTo(lineEnd);
                if (scanner.state.complete()) {
                    statements.add(new Statement(text.substring(statementStart, lineEnd), first));
                    statementStart = -1;
                    first = number + 1;
                }
            }
            lineStart = lineEnd + 1;
        }
        if (statementStart >= 0 && !text.substring(statementStart).isBlank()) {
            statements.add(new Statement(text.substring(statementStart), first));
        }
        return statements;
    }

    private static final class State {
        int depth;
        boolean openString;
        boolean openComment;
        final List<String> blocks = new ArrayList<>();

        boolean complete() {
            return depth <= 0 && !openString && !openComment;
        }
    }

    private static State scan(String text) {
        Scanner scanner = new Scanner(text);
        scanner.scanTo(text.length());
        return scanner.state;
    }

    /**
     * Reads text once, from left to right, and can be stopped at a line's end and resumed: the state of an
     * unfinished comment or string is kept, and a block's name is known from what was read before its brace (the
     * keyword, or the one in front of the parentheses that close just before it).
     */
    private static final class Scanner {
        final String text;
        final State state = new State();
        int at;
        /** Where the construct open at the end of the last scan ends, for a comment or string: its closing text. */
        String closing;
        /** What a brace at this point would be named: the identifier just read, or the one before the parentheses. */
        String name = "";
        final List<String> beforeParens = new ArrayList<>();

        Scanner(String text) {
            this.text = text;
        }

        /** Scans up to {@code end} (a line's end or the text's end); what is open there shows in the state. */
        void scanTo(int end) {
            int i = at;
            if (closing != null) {
                i = resume(i, end);
            }
            while (i < end) {
                char c = text.charAt(i);
                if (text.startsWith("/*", i) && i + 1 < end) {
                    closing = "*/";
                    state.openComment = true;
                    i = resume(i + 2, end);
                } else if (text.startsWith("//", i) && i + 1 < end) {
                    i = end; // to the end of the line
                } else if ((text.startsWith("\'\'\'", i) || text.startsWith("\"\"\"", i)) && i + 2 < end) {
                    closing = text.substring(i, i + 3);
                    state.openString = true;
                    name = "";
                    i = resume(i + 3, end);
                } else if (c == '\'' || c == '"') {
                    // A one-line string: an unclosed one is a syntax error the evaluator explains, not more input.
                    int j = i + 1;
                    while (j < end && text.charAt(j) != c && text.charAt(j) != '\n') {
                        j += text.charAt(j) == '\\' ? 2 : 1;
                    }
                    i = Math.min(j + 1, end);
                    name = "";
                } else if (c == '{' || c == '(' || c == '[') {
                    state.depth++;
                    if (c == '{') {
                        state.blocks.add(name);
                    } else if (c == '(') {
                        beforeParens.add(name);
                    }
                    name = "";
                    i++;
                } else if (c == '}' || c == ')' || c == ']') {
                    state.depth--;
                    if (c == '}' && !state.blocks.isEmpty()) {
                        state.blocks.remove(state.blocks.size() - 1);
                    }
                    name = c == ')' && !beforeParens.isEmpty() ? beforeParens.remove(beforeParens.size() - 1) : "";
                    i++;
                } else if (Character.isJavaIdentifierPart(c)) {
                    int start = i;
                    while (i < end && Character.isJavaIdentifierPart(text.charAt(i))) {
                        i++;
                    }
                    name = text.substring(start, i);
                } else {
                    if (!Character.isWhitespace(c)) {
                        name = "";
                    }
                    i++;
                }
            }
            at = Math.max(i, end) + 1; // past the line break
        }

        /** Reads on inside a comment or triple-quoted string until it closes or the line ends. */
        private int resume(int i, int end) {
            for (int j = i; j + closing.length() <= end; j++) {
                if (text.startsWith(closing, j)) {
                    int after = j + closing.length();
                    state.openComment = false;
                    state.openString = false;
                    closing = null;
                    return after;
                }
            }
            return end; // still open at the end of this line
        }
    }
}
