package dev.imagebake.dsl.sandbox;

import org.codehaus.groovy.ast.ASTNode;
import org.codehaus.groovy.ast.ClassCodeExpressionTransformer;
import org.codehaus.groovy.ast.ClassHelper;
import org.codehaus.groovy.ast.ClassNode;
import org.codehaus.groovy.ast.DynamicVariable;
import org.codehaus.groovy.ast.MethodNode;
import org.codehaus.groovy.ast.Parameter;
import org.codehaus.groovy.ast.expr.ArgumentListExpression;
import org.codehaus.groovy.ast.expr.BinaryExpression;
import org.codehaus.groovy.ast.expr.ClosureExpression;
import org.codehaus.groovy.ast.expr.ConstantExpression;
import org.codehaus.groovy.ast.expr.DeclarationExpression;
import org.codehaus.groovy.ast.expr.Expression;
import org.codehaus.groovy.ast.expr.ListExpression;
import org.codehaus.groovy.ast.expr.MapExpression;
import org.codehaus.groovy.ast.expr.MethodCallExpression;
import org.codehaus.groovy.ast.expr.PostfixExpression;
import org.codehaus.groovy.ast.expr.PrefixExpression;
import org.codehaus.groovy.ast.expr.PropertyExpression;
import org.codehaus.groovy.ast.expr.RangeExpression;
import org.codehaus.groovy.ast.expr.StaticMethodCallExpression;
import org.codehaus.groovy.ast.expr.TupleExpression;
import org.codehaus.groovy.ast.expr.VariableExpression;
import org.codehaus.groovy.ast.stmt.BlockStatement;
import org.codehaus.groovy.ast.stmt.DoWhileStatement;
import org.codehaus.groovy.ast.stmt.ExpressionStatement;
import org.codehaus.groovy.ast.stmt.ForStatement;
import org.codehaus.groovy.ast.stmt.Statement;
import org.codehaus.groovy.ast.stmt.WhileStatement;
import org.codehaus.groovy.classgen.GeneratorContext;
import org.codehaus.groovy.control.CompilePhase;
import org.codehaus.groovy.control.SourceUnit;
import org.codehaus.groovy.control.customizers.CompilationCustomizer;
import org.codehaus.groovy.control.messages.SyntaxErrorMessage;
import org.codehaus.groovy.syntax.SyntaxException;
import org.codehaus.groovy.syntax.Token;
import org.codehaus.groovy.syntax.Types;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Rewrites a template, after name resolution, so that every method call, property access, index, arithmetic
 * operator, range and name lookup becomes a call to {@link SandboxRuntime}, and every loop iteration, closure and
 * function entry checks the evaluation's {@link Guard}. Template code is left with no dynamic dispatch of its own.
 */
public final class CallRewriter extends CompilationCustomizer {
    private static final ClassNode RUNTIME = ClassHelper.make(SandboxRuntime.class);
    private static final Set<String> ROUTED_OPERATORS = Set.of("+", "-", "*", "/", "%", "**", "<<", ">>", "&", "|",
            "^", "=~", "==~", "in", "!in");

    public CallRewriter() {
        super(CompilePhase.CANONICALIZATION);
    }

    @Override
    public void call(SourceUnit source, GeneratorContext context, ClassNode classNode) {
        if (!classNode.isScript()) {
            return;
        }
        Rewriter rewriter = new Rewriter(source);
        for (MethodNode method : classNode.getMethods()) {
            if (method.isStatic() || method.getCode() == null) {
                continue; // the generated main(String[]), which templates cannot reach
            }
            rewriter.visitMethod(method);
            method.setCode(guarded(method.getCode()));
        }
    }

    private static Statement guarded(Statement body) {
        BlockStatement block = new BlockStatement();
        block.addStatement(new ExpressionStatement(runtime("checkpoint", new ArgumentListExpression())));
        block.addStatement(body);
        block.setVariableScope(body instanceof BlockStatement b ? b.getVariableScope() : null);
        return block;
    }

    private static StaticMethodCallExpression runtime(String method, ArgumentListExpression args) {
        return new StaticMethodCallExpression(RUNTIME, method, args);
    }

    private static final class Rewriter extends ClassCodeExpressionTransformer {
        private final SourceUnit source;

        Rewriter(SourceUnit source) {
            this.source = source;
        }

        @Override
        protected SourceUnit getSourceUnit() {
            return source;
        }

        private Expression refuse(ASTNode node, String message) {
            // The compilation unit stops at the end of this phase when errors were added.
            source.getErrorCollector().addErrorAndContinue(new SyntaxErrorMessage(new SyntaxException(
                    "sandbox: " + message, Math.max(1, node.getLineNumber()), Math.max(1, node.getColumnNumber())),
                    source));
            return ConstantExpression.NULL;
        }

        private static ArgumentListExpression args(ASTNode at, Expression... values) {
            ArgumentListExpression args = new ArgumentListExpression();
            for (Expression v : values) {
                args.addExpression(v);
            }
            args.addExpression(new ConstantExpression(Math.max(1, at.getLineNumber()), true));
            args.addExpression(new ConstantExpression(Math.max(1, at.getColumnNumber()), true));
            return args;
        }

        private static Expression positioned(Expression e, ASTNode at) {
            e.setSourcePosition(at);
            return e;
        }

        private static VariableExpression self() {
            return new VariableExpression("this");
        }

        private static ConstantExpression bool(boolean b) {
            return b ? ConstantExpression.PRIM_TRUE : ConstantExpression.PRIM_FALSE;
        }

        @Override
        public Expression transform(Expression e) {
            if (e == null) {
                return null;
            }
            if (e instanceof ClosureExpression c) {
                if (c.getParameters() != null) {
                    for (Parameter p : c.getParameters()) {
                        if (p.hasInitialExpression()) {
                            p.setInitialExpression(transform(p.getInitialExpression()));
                        }
                    }
                }
                c.getCode().visit(this);
                c.setCode(guarded(c.getCode()));
                return c;
            }
            if (e instanceof MethodCallExpression call) {
                return call(call);
            }
            if (e instanceof StaticMethodCallExpression call) {
                // Only name resolution creates these in a template (an implicit call that matched a static method
                // of the script class); route it like any other implicit call.
                return positioned(runtime("callImplicit", args(call, self(), new ConstantExpression(call.getMethod()),
                        arguments(call.getArguments()))), call);
            }
            if (e.getClass() == PropertyExpression.class) {
                PropertyExpression p = (PropertyExpression) e;
                return positioned(runtime("getProperty", args(p, transform(p.getObjectExpression()),
                        transform(p.getProperty()), bool(p.isSafe()), bool(p.isSpreadSafe()))), p);
            }
            if (e instanceof VariableExpression v && v.getAccessedVariable() instanceof DynamicVariable) {
                return positioned(runtime("getImplicit", args(v, self(), new ConstantExpression(v.getName()))), v);
            }
            if (e instanceof DeclarationExpression d) {
                d.setRightExpression(transform(d.getRightExpression()));
                return d;
            }
            if (e instanceof BinaryExpression b) {
                return binary(b);
            }
            if (e instanceof RangeExpression r) {
                return positioned(runtime("range", args(r, transform(r.getFrom()), transform(r.getTo()),
                        bool(r.isExclusiveLeft()), bool(r.isExclusiveRight()))), r);
            }
            if (e instanceof PostfixExpression p) {
                return isLocal(p.getExpression()) ? p
                        : refuse(p, "++ and -- work on local variables only; write `x = x + 1`");
            }
            if (e instanceof PrefixExpression p) {
                return isLocal(p.getExpression()) ? p
                        : refuse(p, "++ and -- work on local variables only; write `x = x + 1`");
            }
            return e.transformExpression(this);
        }

        private Expression call(MethodCallExpression call) {
            Expression name = transform(call.getMethod());
            Expression arguments = arguments(call.getArguments());
            if (call.isImplicitThis()) {
                return positioned(runtime("callImplicit", args(call, self(), name, arguments)), call);
            }
            return positioned(runtime("call", args(call, transform(call.getObjectExpression()), name, arguments,
                    bool(call.isSafe()), bool(call.isSpreadSafe()))), call);
        }

        /** A call's arguments as one list expression (named arguments become the leading map, as in Groovy). */
        private Expression arguments(Expression arguments) {
            List<Expression> values = new ArrayList<>();
            if (arguments instanceof TupleExpression tuple) {
                values.addAll(tuple.getExpressions());
            } else {
                values.add(arguments);
            }
            ListExpression list = new ListExpression();
            for (Expression v : values) {
                Expression transformed = transform(v);
                if (transformed instanceof MapExpression named && !(transformed.getClass() == MapExpression.class)) {
                    transformed = new MapExpression(named.getMapEntryExpressions());
                }
                list.addExpression(transformed);
            }
            return list;
        }

        private Expression binary(BinaryExpression b) {
            String op = b.getOperation().getText();
            Expression left = b.getLeftExpression();
            if (op.equals("=")) {
                return assign(b, left, transform(b.getRightExpression()));
            }
            if (op.length() >= 2 && op.endsWith("=") && ROUTED_OPERATORS.contains(op.substring(0, op.length() - 1))) {
                String plain = op.substring(0, op.length() - 1);
                Expression right = transform(b.getRightExpression());
                if (isLocal(left)) {
                    Expression value = positioned(runtime("binary", args(b, new ConstantExpression(plain), left,
                            right)), b);
                    return new BinaryExpression(left, Token.newSymbol(Types.ASSIGN, b.getOperation().getStartLine(),
                            b.getOperation().getStartColumn()), value);
                }
                if (left instanceof VariableExpression v && v.getAccessedVariable() instanceof DynamicVariable) {
                    Expression current = transform(left);
                    Expression value = positioned(runtime("binary", args(b, new ConstantExpression(plain), current,
                            right)), b);
                    return positioned(runtime("setImplicit", args(b, self(), new ConstantExpression(v.getName()),
                            value)), b);
                }
                return refuse(b, "`" + op + "` works on variables only; write `a.b = a.b " + plain + " x`");
            }
            if (op.equals("?=")) {
                return refuse(b, "`?=` is not available in templates; write `x = x ?: y`");
            }
            if (op.equals("[") || op.equals("?[")) {
                return positioned(runtime("getAt", args(b, transform(left), transform(b.getRightExpression()),
                        bool(op.equals("?[")))), b);
            }
            if (ROUTED_OPERATORS.contains(op)) {
                return positioned(runtime("binary", args(b, new ConstantExpression(op), transform(left),
                        transform(b.getRightExpression()))), b);
            }
            b.setLeftExpression(transform(left));
            b.setRightExpression(transform(b.getRightExpression()));
            return b;
        }

        private Expression assign(BinaryExpression b, Expression left, Expression right) {
            if (left instanceof VariableExpression v) {
                if (v.getAccessedVariable() instanceof DynamicVariable) {
                    return positioned(runtime("setImplicit", args(b, self(), new ConstantExpression(v.getName()),
                            right)), b);
                }
                b.setRightExpression(right);
                return b;
            }
            if (left.getClass() == PropertyExpression.class) {
                PropertyExpression p = (PropertyExpression) left;
                return positioned(runtime("setProperty", args(b, transform(p.getObjectExpression()),
                        transform(p.getProperty()), right, bool(p.isSafe()))), b);
            }
            if (left instanceof BinaryExpression index && index.getOperation().getText().equals("[")) {
                return positioned(runtime("putAt", args(b, transform(index.getLeftExpression()),
                        transform(index.getRightExpression()), right)), b);
            }
            if (left instanceof TupleExpression tuple
                    && tuple.getExpressions().stream().allMatch(Rewriter::isLocal)) {
                b.setRightExpression(right);
                return b;
            }
            return refuse(b, "this cannot be assigned to in a template");
        }

        private static boolean isLocal(Expression e) {
            return e instanceof VariableExpression v && !(v.getAccessedVariable() instanceof DynamicVariable)
                    && !v.isThisExpression() && !v.isSuperExpression();
        }

        @Override
        public void visitForLoop(ForStatement loop) {
            super.visitForLoop(loop);
            loop.setLoopBlock(guarded(loop.getLoopBlock()));
        }

        @Override
        public void visitWhileLoop(WhileStatement loop) {
            super.visitWhileLoop(loop);
            loop.setLoopBlock(guarded(loop.getLoopBlock()));
        }

        @Override
        public void visitDoWhileLoop(DoWhileStatement loop) {
            super.visitDoWhileLoop(loop);
            loop.setLoopBlock(guarded(loop.getLoopBlock()));
        }
    }
}
