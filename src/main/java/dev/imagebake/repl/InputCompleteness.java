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

    /** Cuts a template into its top-level statements (each a run of lines that is complete on its own). */
    static List<Statement> statements(String text) {
        List<Statement> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int first = 1;
        int number = 0;
        for (String line : text.split("\n", -1)) {
            number++;
            if (current.length() == 0 && line.isBlank()) {
                first = number + 1;
                continue;
            }
            if (current.length() > 0) {
                current.append('\n');
            }
            current.append(line);
            if (complete(current.toString())) {
                statements.add(new Statement(current.toString(), first));
                current.setLength(0);
                first = number + 1;
            }
        }
        if (!current.toString().isBlank()) {
            statements.add(new Statement(current.toString(), first));
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
        State state = new State();
        int i = 0;
        int n = text.length();
        while (i < n) {
            char c = text.charAt(i);
            if (text.startsWith("/*", i)) {
                int end = text.indexOf("*/", i + 2);
                if (end < 0) {
                    state.openComment = true;
                    return state;
                }
                i = end + 2;
            } else if (text.startsWith("//", i)) {
                int end = text.indexOf('\n', i);
                i = end < 0 ? n : end;
            } else if (text.startsWith("'''", i) || text.startsWith("\"\"\"", i)) {
                int end = text.indexOf(text.substring(i, i + 3), i + 3);
                if (end < 0) {
                    state.openString = true;
                    return state;
                }
                i = end + 3;
            } else if (c == '\'' || c == '"') {
                // A one-line string: an unclosed one is a syntax error the evaluator explains, not more input.
                int j = i + 1;
                while (j < n && text.charAt(j) != c && text.charAt(j) != '\n') {
                    j += text.charAt(j) == '\\' ? 2 : 1;
                }
                i = j + 1;
            } else if (c == '{' || c == '(' || c == '[') {
                state.depth++;
                if (c == '{') {
                    state.blocks.add(blockName(text, i));
                }
                i++;
            } else if (c == '}' || c == ')' || c == ']') {
                state.depth--;
                if (c == '}' && !state.blocks.isEmpty()) {
                    state.blocks.remove(state.blocks.size() - 1);
                }
                i++;
            } else {
                i++;
            }
        }
        return state;
    }

    /** The keyword a block belongs to: shell for a provision shell block, ssh for a builder ssh('x') block. */
    private static String blockName(String text, int brace) {
        int i = brace - 1;
        while (i >= 0 && Character.isWhitespace(text.charAt(i))) {
            i--;
        }
        if (i >= 0 && text.charAt(i) == ')') {
            int depth = 0;
            for (; i >= 0; i--) {
                char c = text.charAt(i);
                depth += c == ')' ? 1 : c == '(' ? -1 : 0;
                if (depth == 0) {
                    break;
                }
            }
            i--;
            while (i >= 0 && Character.isWhitespace(text.charAt(i))) {
                i--;
            }
        }
        int end = i + 1;
        while (i >= 0 && Character.isJavaIdentifierPart(text.charAt(i))) {
            i--;
        }
        return text.substring(i + 1, end);
    }
}
