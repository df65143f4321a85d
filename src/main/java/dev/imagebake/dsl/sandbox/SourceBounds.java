package dev.imagebake.dsl.sandbox;

import org.codehaus.groovy.ast.ASTNode;
import org.codehaus.groovy.ast.ClassCodeVisitorSupport;
import org.codehaus.groovy.ast.ClassNode;
import org.codehaus.groovy.ast.MethodNode;
import org.codehaus.groovy.ast.expr.Expression;
import org.codehaus.groovy.ast.stmt.Statement;
import org.codehaus.groovy.classgen.GeneratorContext;
import org.codehaus.groovy.control.CompilePhase;
import org.codehaus.groovy.control.SourceUnit;
import org.codehaus.groovy.control.customizers.CompilationCustomizer;
import org.codehaus.groovy.control.messages.SyntaxErrorMessage;
import org.codehaus.groovy.syntax.SyntaxException;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Bounds on the shape of a template's source, so that compiling it takes little time whatever it holds: the
 * parser and the compiler's phases take time that grows faster than the source with deep nesting and long
 * literals, and compiling cannot be stopped half-way like template code.
 *
 * <p>Two checks: {@link #scan} reads the text once, before the parser sees it (nesting of brackets, braces,
 * parentheses and GString interpolations; length of number literals), and the {@link Customizer} walks the
 * parser's tree right after parsing, before any other phase (depth of expressions and statements, number of
 * nodes and of closures). Both stop at the first place over a limit and name it.
 */
public final class SourceBounds {
    /** Brackets, braces, parentheses and {@code ${...}} nested in each other; real templates use about ten. */
    public static final int MAX_NESTING = 100;
    /** Characters in one number literal (digits, underscores, suffix). */
    public static final int MAX_NUMBER_LITERAL = 1_000;
    /**
     * Operator characters in one chain of operations ({@code a + b + c}, {@code x.f().g()}): a chain is a tree as
     * deep as it is long, which the parser builds by recursion. Brackets start a chain of their own; commas and
     * semicolons, and a line that ends with an operand and is not continued by an operator, end one.
     */
    public static final int MAX_CHAIN = 1_000;
    /** Levels of the parsed tree (a chain of 1,000 {@code +} is 1,000 levels deep). */
    public static final int MAX_TREE_DEPTH = 1_000;
    /**
     * Closures (blocks included: {@code provision shell { ... }} is one) in a template. Each becomes a class of its
     * own, which costs the compiler about half a millisecond of CPU time; a template of 1 MiB of small closures
     * would compile for over a minute.
     */
    public static final int MAX_CLOSURES = 2_000;
    /** Nodes (expressions and statements) in the parsed tree; a 1 MiB template of plain lists has about 300,000. */
    public static final int MAX_TREE_NODES = 1_000_000;

    private SourceBounds() {
    }

    /** A bound the source is over: where, and which. */
    public record Violation(int line, int column, String message) {
    }

    /**
     * Reads the source once, the way Groovy's lexer would in outline: strings (with their interpolations),
     * comments, brackets and number literals.
     *
     * @return the first place the source is over a bound, or null
     */
    public static Violation scan(String text) {
        Deque<Character> open = new ArrayDeque<>(); // '(' '[' '{', or '$' for an interpolation's brace
        Deque<String> strings = new ArrayDeque<>(); // the string each open interpolation continues
        Deque<int[]> chains = new ArrayDeque<>(); // the operator characters of the chain each open bracket interrupts
        int chain = 0;
        boolean lineEnded = false; // a line ended after an operand: the next token ends the chain unless an operator
        int line = 1;
        int lineStart = 0;
        int n = text.length();
        boolean operand = false; // whether the last token could end an operand (then `/` divides)
        String inString = null; // the closing delimiter of the string being read, or null in code
        int i = 0;
        while (i < n) {
            char c = text.charAt(i);
            if (c == '\n') {
                line++;
                lineStart = i + 1;
                lineEnded |= inString == null && operand;
            }
            if (inString != null) {
                if (c == '\\' && !inString.equals("/$")) {
                    if (i + 1 < n && text.charAt(i + 1) == '\n') {
                        line++;
                        lineStart = i + 2;
                    }
                    i += 2;
                } else if (text.startsWith(inString, i)) {
                    i += inString.length();
                    inString = null;
                    operand = true;
                } else if (c == '$' && i + 1 < n && text.charAt(i + 1) == '{' && interpolates(inString)) {
                    strings.push(inString);
                    chains.push(new int[] {chain});
                    chain = 0;
                    open.push('$');
                    if (open.size() > MAX_NESTING) {
                        return nested(line, i - lineStart + 1);
                    }
                    inString = null;
                    operand = false;
                    i += 2;
                } else {
                    i++;
                }
                continue;
            }
            if (!Character.isWhitespace(c) && !text.startsWith("//", i) && !text.startsWith("/*", i)) {
                if (lineEnded && OPERATORS.indexOf(c) < 0) {
                    chain = 0;
                }
                lineEnded = false;
            }
            if (text.startsWith("//", i)) {
                int end = text.indexOf('\n', i);
                i = end < 0 ? n : end;
            } else if (text.startsWith("/*", i)) {
                int end = text.indexOf("*/", i + 2);
                int stop = end < 0 ? n : end + 2;
                for (int j = i; j < stop; j++) {
                    if (text.charAt(j) == '\n') {
                        line++;
                        lineStart = j + 1;
                    }
                }
                i = stop;
            } else if (text.startsWith("'''", i) || text.startsWith("\"\"\"", i)) {
                inString = text.substring(i, i + 3);
                i += 3;
            } else if (c == '\'' || c == '"') {
                inString = String.valueOf(c);
                i++;
            } else if (text.startsWith("$/", i)) {
                inString = "/$";
                i += 2;
            } else if (c == '/' && !operand) {
                inString = "/";
                i++;
            } else if (c == '(' || c == '[' || c == '{') {
                chains.push(new int[] {chain});
                chain = 0;
                open.push(c);
                if (open.size() > MAX_NESTING) {
                    return nested(line, i - lineStart + 1);
                }
                operand = false;
                i++;
            } else if (c == ')' || c == ']' || c == '}') {
                Character opened = open.poll();
                int[] outer = chains.poll();
                chain = outer == null ? 0 : outer[0];
                if (opened != null && opened == '$' && c == '}') {
                    inString = strings.pop(); // back in the string the interpolation is part of
                } else {
                    operand = true;
                }
                i++;
            } else if (Character.isDigit(c) && (i == 0 || !Character.isJavaIdentifierPart(text.charAt(i - 1)))) {
                int end = i;
                while (end < n && (Character.isLetterOrDigit(text.charAt(end)) || text.charAt(end) == '_')) {
                    end++;
                }
                if (end - i > MAX_NUMBER_LITERAL) {
                    return new Violation(line, i - lineStart + 1, "a number literal of " + (end - i)
                            + " characters is over the limit of " + MAX_NUMBER_LITERAL);
                }
                operand = true;
                i = end;
            } else if (Character.isJavaIdentifierPart(c)) {
                operand = true;
                i++;
            } else if (c == ',' || c == ';') {
                chain = 0;
                operand = false;
                i++;
            } else {
                if (OPERATORS.indexOf(c) >= 0 && ++chain > MAX_CHAIN) {
                    return new Violation(line, i - lineStart + 1, "a chain of operators or calls is over the limit of "
                            + MAX_CHAIN + " operator characters here; split it into several statements");
                }
                if (!Character.isWhitespace(c)) {
                    operand = false;
                }
                i++;
            }
        }
        return null;
    }

    private static final String OPERATORS = "+-*/%&|^<>=!?.:~";

    private static boolean interpolates(String closing) {
        return !closing.equals("'") && !closing.equals("'''");
    }

    private static Violation nested(int line, int column) {
        return new Violation(line, column, "brackets, braces, parentheses and GString values are nested more than "
                + MAX_NESTING + " levels deep here");
    }

    /**
     * Walks the parsed tree before any other phase; runs first among the customizers of the conversion phase (the
     * earliest a customizer can run), so that the {@link LanguageGate} and later phases only see a bounded tree.
     */
    static final class Customizer extends CompilationCustomizer {
        Customizer() {
            super(CompilePhase.CONVERSION);
        }

        @Override
        public void call(SourceUnit source, GeneratorContext context, ClassNode classNode) {
            Walker walker = new Walker(source);
            try {
                for (MethodNode method : classNode.getMethods()) {
                    walker.visitMethod(method);
                }
            } catch (OverLimit e) {
                source.getErrorCollector().addErrorAndContinue(new SyntaxErrorMessage(new SyntaxException(
                        "limit: " + e.getMessage(), Math.max(1, e.at.getLineNumber()),
                        Math.max(1, e.at.getColumnNumber())), source));
            }
        }
    }

    /** Thrown to stop the walk at the first node over a bound. */
    private static final class OverLimit extends RuntimeException {
        final transient ASTNode at;

        OverLimit(ASTNode at, String message) {
            super(message, null, false, false);
            this.at = at;
        }
    }

    private static final class Walker extends ClassCodeVisitorSupport {
        private final SourceUnit source;
        private int depth;
        private int nodes;
        private int closures;
        private ASTNode deepest; // the last node with a position on the way down, for the error's place

        Walker(SourceUnit source) {
            this.source = source;
        }

        @Override
        protected SourceUnit getSourceUnit() {
            return source;
        }

        private void enter(ASTNode node) {
            if (node.getLineNumber() > 0) {
                deepest = node;
            }
            if (++nodes > MAX_TREE_NODES) {
                throw new OverLimit(deepest != null ? deepest : node, "the template has more than " + MAX_TREE_NODES
                        + " expressions and statements");
            }
            if (++depth > MAX_TREE_DEPTH) {
                throw new OverLimit(deepest != null ? deepest : node, "expressions and statements are nested more "
                        + "than " + MAX_TREE_DEPTH + " levels deep here (a chain of operators or calls that long?)");
            }
        }

        @Override
        public void visitClassCodeContainer(Statement code) {
            if (code != null) {
                code.visit(this);
            }
        }

        @Override
        protected void visitStatement(Statement statement) {
            // called by every visitXxxStatement of the support class before it descends
            enter(statement);
            depth--; // counted as a node here; its depth is counted where expressions nest
        }

        @Override
        public void visitBlockStatement(org.codehaus.groovy.ast.stmt.BlockStatement block) {
            enter(block);
            try {
                super.visitBlockStatement(block);
            } finally {
                depth--;
            }
        }

        @Override
        public void visitExpressionStatement(org.codehaus.groovy.ast.stmt.ExpressionStatement statement) {
            enter(statement);
            try {
                visitExpression(statement.getExpression());
            } finally {
                depth--;
            }
        }

        private void visitExpression(Expression e) {
            if (e != null) {
                e.visit(this);
            }
        }

        // Every expression kind reaches one of these through CodeVisitorSupport; count each on the way down.
        @Override
        public void visitBinaryExpression(org.codehaus.groovy.ast.expr.BinaryExpression e) {
            enter(e);
            try {
                super.visitBinaryExpression(e);
            } finally {
                depth--;
            }
        }

        @Override
        public void visitMethodCallExpression(org.codehaus.groovy.ast.expr.MethodCallExpression e) {
            enter(e);
            try {
                super.visitMethodCallExpression(e);
            } finally {
                depth--;
            }
        }

        @Override
        public void visitClosureExpression(org.codehaus.groovy.ast.expr.ClosureExpression e) {
            enter(e);
            if (++closures > MAX_CLOSURES) {
                throw new OverLimit(e, "the template has more than " + MAX_CLOSURES + " closures and blocks");
            }
            try {
                super.visitClosureExpression(e);
            } finally {
                depth--;
            }
        }

        @Override
        public void visitGStringExpression(org.codehaus.groovy.ast.expr.GStringExpression e) {
            enter(e);
            try {
                super.visitGStringExpression(e);
            } finally {
                depth--;
            }
        }

        @Override
        public void visitListExpression(org.codehaus.groovy.ast.expr.ListExpression e) {
            enter(e);
            try {
                super.visitListExpression(e);
            } finally {
                depth--;
            }
        }

        @Override
        public void visitMapExpression(org.codehaus.groovy.ast.expr.MapExpression e) {
            enter(e);
            try {
                super.visitMapExpression(e);
            } finally {
                depth--;
            }
        }

        @Override
        public void visitPropertyExpression(org.codehaus.groovy.ast.expr.PropertyExpression e) {
            enter(e);
            try {
                super.visitPropertyExpression(e);
            } finally {
                depth--;
            }
        }

        @Override
        public void visitTernaryExpression(org.codehaus.groovy.ast.expr.TernaryExpression e) {
            enter(e);
            try {
                super.visitTernaryExpression(e);
            } finally {
                depth--;
            }
        }

        @Override
        public void visitNotExpression(org.codehaus.groovy.ast.expr.NotExpression e) {
            enter(e);
            try {
                super.visitNotExpression(e);
            } finally {
                depth--;
            }
        }

        @Override
        public void visitUnaryMinusExpression(org.codehaus.groovy.ast.expr.UnaryMinusExpression e) {
            enter(e);
            try {
                super.visitUnaryMinusExpression(e);
            } finally {
                depth--;
            }
        }

        @Override
        public void visitBitwiseNegationExpression(org.codehaus.groovy.ast.expr.BitwiseNegationExpression e) {
            enter(e);
            try {
                super.visitBitwiseNegationExpression(e);
            } finally {
                depth--;
            }
        }

        @Override
        public void visitCastExpression(org.codehaus.groovy.ast.expr.CastExpression e) {
            enter(e);
            try {
                super.visitCastExpression(e);
            } finally {
                depth--;
            }
        }

        @Override
        public void visitConstantExpression(org.codehaus.groovy.ast.expr.ConstantExpression e) {
            enter(e);
            depth--;
        }

        @Override
        public void visitVariableExpression(org.codehaus.groovy.ast.expr.VariableExpression e) {
            enter(e);
            depth--;
        }
    }
}
