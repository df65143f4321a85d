package dev.imagebake.repl;

import org.jline.reader.EOFError;
import org.jline.reader.ParsedLine;
import org.jline.reader.Parser;
import org.jline.reader.SyntaxError;
import org.jline.reader.impl.DefaultParser;

/**
 * Splits the buffer into words for completion, and keeps the line editor reading more lines while a brace, a
 * bracket, a parenthesis, a triple-quoted string or a block comment is open. REPL commands ({@code :plan}) and
 * shell commands ({@code !ls}) are always one line.
 */
final class ReplParser implements Parser {
    private final DefaultParser words = new DefaultParser();

    ReplParser() {
        words.setEofOnUnclosedQuote(false);
        words.setEofOnUnclosedBracket();
        words.setEofOnEscapedNewLine(false);
        words.setEscapeChars(new char[0]);
    }

    @Override
    public ParsedLine parse(String line, int cursor, ParseContext context) throws SyntaxError {
        if (context == ParseContext.ACCEPT_LINE && !isCommand(line) && !InputCompleteness.complete(line)) {
            throw new EOFError(-1, -1, "the statement is not finished", "}");
        }
        return words.parse(line, cursor, context == ParseContext.ACCEPT_LINE ? ParseContext.SPLIT_LINE : context);
    }

    static boolean isCommand(String line) {
        String t = line.stripLeading();
        return t.startsWith(":") || t.startsWith("!");
    }
}
