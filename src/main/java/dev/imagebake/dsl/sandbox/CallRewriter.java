package dev.imagebake.dsl.sandbox;

import org.codehaus.groovy.ast.ASTNode;
import org.codehaus.groovy.ast.ClassCodeExpressionTransformer;
import org.codehaus.groovy.ast.ClassHelper;
import org.codehaus.groovy.ast.ClassNode;
import org.codehaus.groovy.ast.DynamicVariable;
import org.codehaus.groovy.ast.MethodNode;
import org.codehaus.groovy.ast.Parameter;
import org.codehaus.groovy.ast.Variable;
import org.codehaus.groovy.ast.expr.ArgumentListExpression;
import org.codehaus.groovy.ast.expr.BinaryExpression;
import org.codehaus.groovy.ast.expr.BitwiseNegationExpression;
import org.codehaus.groovy.ast.expr.CastExpression;
import org.codehaus.groovy.ast.expr.ClassExpression;
import org.codehaus.groovy.ast.expr.ClosureExpression;
import org.codehaus.groovy.ast.expr.ConstantExpression;
import org.codehaus.groovy.ast.expr.DeclarationExpression;
import org.codehaus.groovy.ast.expr.EmptyExpression;
import org.codehaus.groovy.ast.expr.Expression;
import org.codehaus.groovy.ast.expr.GStringExpression;
import org.codehaus.groovy.ast.expr.ListExpression;
import org.codehaus.groovy.ast.expr.MapEntryExpression;
import org.codehaus.groovy.ast.expr.MapExpression;
import org.codehaus.groovy.ast.expr.MethodCallExpression;
import org.codehaus.groovy.ast.expr.PostfixExpression;
import org.codehaus.groovy.ast.expr.PrefixExpression;
import org.codehaus.groovy.ast.expr.PropertyExpression;
import org.codehaus.groovy.ast.expr.RangeExpression;
import org.codehaus.groovy.ast.expr.StaticMethodCallExpression;
import org.codehaus.groovy.ast.expr.TupleExpression;
import org.codehaus.groovy.ast.expr.UnaryMinusExpression;
import org.codehaus.groovy.ast.expr.UnaryPlusExpression;
import org.codehaus.groovy.ast.expr.VariableExpression;
import org.codehaus.groovy.ast.stmt.BlockStatement;
import org.codehaus.groovy.ast.stmt.DoWhileStatement;
import org.codehaus.groovy.ast.stmt.ExpressionStatement;
import org.codehaus.groovy.ast.stmt.ForStatement;
import org.codehaus.groovy.ast.stmt.ReturnStatement;
import org.codehaus.groovy.ast.stmt.Statement;
import org.codehaus.groovy.ast.stmt.TryCatchStatement;
import org.codehaus.groovy.ast.stmt.WhileStatement;
import org.codehaus.groovy.classgen.GeneratorContext;
import org.codehaus.groovy.classgen.ReturnAdder;
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
 * Rewrites a template, after name resolution, so that every method call, property access, index, operator, range,
 * conversion, list and map literal, GString and name lookup becomes a call to {@link SandboxRuntime}, every loop
 * iteration checks the evaluation's {@link Guard}, and every function and closure counts its call depth there.
 * Template code is left with no dynamic dispatch of its own.
 */
public final class CallRewriter extends CompilationCustomizer {
    private static final ClassNode RUNTIME = ClassHelper.make(SandboxRuntime.class);
    private static final Set<String> ROUTED_OPERATORS = Set.of("+", "-", "*", "/", "%", "**", "<<", ">>", ">>>",
            "&", "|", "^", "=~", "==~", "in", "!in");
    /** Routed too, though they call nothing a template could abuse: comparing can take long, and must say where. */
    private static final Set<String> COMPARISONS = Set.of("==", "!=", "<", "<=", ">", ">=", "<=>");
    /**
     * Binary operators Groovy compiles without calling a method of the operands (truth tests, identity, type
     * tests): left as they are. Any other binary operator is refused, so that one added to the language later is
     * not compiled into a dynamic call by default.
     */
    private static final Set<String> PLAIN_OPERATORS = Set.of("&&", "||", "==>", "===", "!==", "instanceof",
            "!instanceof");
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
            if (method.isScriptBody()) {
                rewriter.visitMethod(method);
                method.setCode(checkpointed(method.getCode(), method));
                continue;
            }
            ClassNode result = method.getReturnType();
            if (!method.isDynamicReturnType() && convertsTo(result)) {
                // Makes the implicit `return` of the last statement explicit, so that visitReturnStatement sees it.
                new ReturnAdder().visitMethod(method);
                rewriter.returnType = result;
            }
            rewriter.visitMethod(method);
            rewriter.returnType = null;
            method.setCode(counted(method.getCode()));
        }
    }

    /** Whether values are converted on their way into a variable (or out of a function) of this type. */
    private static boolean convertsTo(ClassNode type) {
        return !ClassHelper.isDynamicTyped(type) && !type.equals(ClassHelper.OBJECT_TYPE)
                && !type.equals(ClassHelper.VOID_TYPE);
    }

    private static Statement checkpointed(Statement body, ASTNode at) {
        BlockStatement block = new BlockStatement();
        block.addStatement(new ExpressionStatement(runtime("checkpoint", position(at))));
        block.addStatement(body);
        block.setVariableScope(body instanceof BlockStatement b ? b.getVariableScope() : null);
        return block;
    }

    /** {@code enterFunction(); try { body } finally { leaveFunction() }}: counts the depth of calls. */
    private static Statement counted(Statement body) {
        BlockStatement block = new BlockStatement();
        block.addStatement(new ExpressionStatement(runtime("enterFunction", new ArgumentListExpression())));
        block.addStatement(new TryCatchStatement(body,
                new ExpressionStatement(runtime("leaveFunction", new ArgumentListExpression()))));
        block.setVariableScope(body instanceof BlockStatement b ? b.getVariableScope() : null);
        return block;
    }

    private static ArgumentListExpression position(ASTNode at) {
        return new ArgumentListExpression(new ConstantExpression(Math.max(1, at.getLineNumber()), true),
                new ConstantExpression(Math.max(1, at.getColumnNumber()), true));
    }

    private static RuntimeCall runtime(String method, ArgumentListExpression args) {
        return new RuntimeCall(method, args);
    }

    /**
     * A call of one of SandboxRuntime's entry points, compiled as a plain invokestatic: no dynamic dispatch, so no
     * call site to bootstrap at run time (which was most of a small template's run time), and nothing a template
     * could redirect. The rewriter never rewrites these again.
     */
    private static final class RuntimeCall extends MethodCallExpression {
        RuntimeCall(String method, ArgumentListExpression args) {
            super(new ClassExpression(RUNTIME), method, args);
            setImplicitThis(false);
            java.util.List<org.codehaus.groovy.ast.MethodNode> targets = RUNTIME.getDeclaredMethods(method);
            if (targets.size() != 1) {
                throw new IllegalStateException("SandboxRuntime." + method + " must exist exactly once");
            }
            setMethodTarget(targets.get(0));
        }

        @Override
        public Expression transformExpression(org.codehaus.groovy.ast.expr.ExpressionTransformer transformer) {
            return this;
        }
    }

    private static final class Rewriter extends ClassCodeExpressionTransformer {
        private final SourceUnit source;
        /** The declared result type of the function being rewritten, when its results are converted. */
        private ClassNode returnType;
        private int closureDepth;

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

        /** {@code value} converted to {@code type} by the runtime, before Groovy's own conversion sees it. */
        private static Expression converted(Expression value, ClassNode type, ASTNode at) {
            return positioned(runtime("cast", args(at, value, new ClassExpression(type), bool(false))), at);
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
                closureDepth++;
                c.getCode().visit(this);
                closureDepth--;
                c.setCode(counted(c.getCode()));
                return c;
            }
            if (e instanceof ClassExpression c) {
                // Names resolve to classes only now, after the LanguageGate: a fully qualified name of a class the
                // sandbox lends its own code (`org.codehaus.groovy.runtime.InvokerHelper`) must not become a value.
                return LanguageGate.isTemplateType(c.getType()) ? c
                        : refuse(c, "the class `" + c.getType().getName() + "` is not available in templates");
            }
            if (e instanceof RuntimeCall) {
                return e;
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
                return declaration(d);
            }
            if (e instanceof BinaryExpression b) {
                return binary(b);
            }
            if (e instanceof RangeExpression r) {
                return positioned(runtime("range", args(r, transform(r.getFrom()), transform(r.getTo()),
                        bool(r.isExclusiveLeft()), bool(r.isExclusiveRight()))), r);
            }
            if (e.getClass() == ListExpression.class) { // not ClosureListExpression, the head of a classic for loop
                ListExpression items = new ListExpression();
                ((ListExpression) e).getExpressions().forEach(item -> items.addExpression(transform(item)));
                return positioned(runtime("list", args(e, items)), e);
            }
            if (e instanceof MapExpression m) { // named arguments too
                MapExpression entries = new MapExpression();
                for (MapEntryExpression entry : m.getMapEntryExpressions()) {
                    entries.addMapEntryExpression(transform(entry.getKeyExpression()),
                            transform(entry.getValueExpression()));
                }
                return positioned(runtime("map", args(m, entries)), m);
            }
            if (e instanceof GStringExpression g) {
                ListExpression strings = new ListExpression();
                g.getStrings().forEach(strings::addExpression);
                ListExpression values = new ListExpression();
                g.getValues().forEach(value -> values.addExpression(transform(value)));
                return positioned(runtime("gstring", args(g, strings, values)), g);
            }
            if (e instanceof CastExpression c) {
                return positioned(runtime("cast", args(c, transform(c.getExpression()),
                        new ClassExpression(c.getType()), bool(c.isCoerce()))), c);
            }
            if (e instanceof UnaryMinusExpression u) {
                return unary(u, "-", u.getExpression());
            }
            if (e instanceof UnaryPlusExpression u) {
                return unary(u, "+", u.getExpression());
            }
            if (e instanceof BitwiseNegationExpression u) {
                return unary(u, "~", u.getExpression());
            }
            if (e instanceof PostfixExpression p) {
                return step(p, p.getExpression(), p.getOperation(), true);
            }
            if (e instanceof PrefixExpression p) {
                return step(p, p.getExpression(), p.getOperation(), false);
            }
            return e.transformExpression(this);
        }

        private Expression unary(Expression e, String operator, Expression operand) {
            return positioned(runtime("unary", args(e, new ConstantExpression(operator), transform(operand))), e);
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

        /** A call's arguments as one list expression (named arguments are already the leading map, as in Groovy). */
        private Expression arguments(Expression arguments) {
            List<Expression> values = new ArrayList<>();
            if (arguments instanceof TupleExpression tuple) {
                values.addAll(tuple.getExpressions());
            } else {
                values.add(arguments);
            }
            ListExpression list = new ListExpression();
            for (Expression v : values) {
                list.addExpression(transform(v));
            }
            return list;
        }

        private Expression declaration(DeclarationExpression d) {
            Expression right = transform(d.getRightExpression());
            if (d.isMultipleAssignmentDeclaration()) {
                d.setRightExpression(destructured(right, d.getTupleExpression().getExpressions().size(), d));
            } else if (isConverting(d.getVariableExpression()) && !(right instanceof EmptyExpression)) {
                d.setRightExpression(converted(right, d.getVariableExpression().getOriginType(), d));
            } else {
                d.setRightExpression(right);
            }
            return d;
        }

        private static Expression destructured(Expression value, int count, ASTNode at) {
            return positioned(runtime("destructure", args(at, value, new ConstantExpression(count, true))), at);
        }

        /** {@code x++} is {@code before(x, x = step(x))}: the old value, after assigning the next one. */
        private Expression step(Expression e, Expression target, Token operation, boolean postfix) {
            if (!isLocal(target)) {
                return refuse(e, "++ and -- work on local variables only; write `x = x + 1`");
            }
            String method = operation.getText().equals("++") ? "next" : "previous";
            Expression next = positioned(runtime("step", args(e, target, new ConstantExpression(method))), e);
            Expression assignment = new BinaryExpression(target, Token.newSymbol(Types.ASSIGN,
                    operation.getStartLine(), operation.getStartColumn()), next);
            return postfix ? positioned(runtime("before", new ArgumentListExpression(target, assignment)), e)
                    : assignment;
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
                            b.getOperation().getStartColumn()), convertedFor(left, value, b));
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
            if (ROUTED_OPERATORS.contains(op) || COMPARISONS.contains(op)) {
                return positioned(runtime("binary", args(b, new ConstantExpression(op), transform(left),
                        transform(b.getRightExpression()))), b);
            }
            if (!PLAIN_OPERATORS.contains(op)) {
                return refuse(b, "the operator `" + op + "` is not available in templates");
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
                b.setRightExpression(convertedFor(left, right, b));
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
            if (left instanceof TupleExpression tuple && tuple.getExpressions().stream()
                    .allMatch(e -> isLocal(e) && !isConverting((VariableExpression) e))) {
                b.setRightExpression(destructured(right, tuple.getExpressions().size(), b));
                return b;
            }
            return refuse(b, "this cannot be assigned to in a template");
        }

        /** The value for an assignment to a local variable, converted when the variable has a type. */
        private static Expression convertedFor(Expression target, Expression value, ASTNode at) {
            return target instanceof VariableExpression v && isConverting(v)
                    ? converted(value, declared(v).getOriginType(), at) : value;
        }

        private static boolean isConverting(VariableExpression v) {
            Variable declared = declared(v);
            return !declared.isDynamicTyped() && convertsTo(declared.getOriginType());
        }

        private static Variable declared(VariableExpression v) {
            return v.getAccessedVariable() != null ? v.getAccessedVariable() : v;
        }

        private static boolean isLocal(Expression e) {
            return e instanceof VariableExpression v && !(v.getAccessedVariable() instanceof DynamicVariable)
                    && !v.isThisExpression() && !v.isSuperExpression();
        }

        @Override
        public void visitReturnStatement(ReturnStatement statement) {
            super.visitReturnStatement(statement);
            if (returnType != null && closureDepth == 0) {
                statement.setExpression(converted(statement.getExpression(), returnType, statement));
            }
        }

        @Override
        public void visitForLoop(ForStatement loop) {
            super.visitForLoop(loop);
            Parameter variable = loop.getValueVariable();
            if (variable != null && variable != ForStatement.FOR_LOOP_DUMMY && !variable.isDynamicTyped()
                    && convertsTo(variable.getOriginType())) {
                // Groovy converts each item to the variable's type before the body runs: convert it first.
                loop.setCollectionExpression(positioned(runtime("typedItems", args(loop,
                        loop.getCollectionExpression(), new ClassExpression(variable.getOriginType()))), loop));
            }
            loop.setLoopBlock(checkpointed(loop.getLoopBlock(), loop));
        }

        @Override
        public void visitWhileLoop(WhileStatement loop) {
            super.visitWhileLoop(loop);
            loop.setLoopBlock(checkpointed(loop.getLoopBlock(), loop));
        }

        @Override
        public void visitDoWhileLoop(DoWhileStatement loop) {
            super.visitDoWhileLoop(loop);
            loop.setLoopBlock(checkpointed(loop.getLoopBlock(), loop));
        }
    }
}
