package dev.imagebake.dsl.sandbox;

import org.codehaus.groovy.ast.ASTNode;
import org.codehaus.groovy.ast.AnnotatedNode;
import org.codehaus.groovy.ast.ClassCodeExpressionTransformer;
import org.codehaus.groovy.ast.ClassNode;
import org.codehaus.groovy.ast.GenericsType;
import org.codehaus.groovy.ast.MethodNode;
import org.codehaus.groovy.ast.ModuleNode;
import org.codehaus.groovy.ast.Parameter;
import org.codehaus.groovy.ast.expr.ArgumentListExpression;
import org.codehaus.groovy.ast.expr.BinaryExpression;
import org.codehaus.groovy.ast.expr.BitwiseNegationExpression;
import org.codehaus.groovy.ast.expr.BooleanExpression;
import org.codehaus.groovy.ast.expr.CastExpression;
import org.codehaus.groovy.ast.expr.ClassExpression;
import org.codehaus.groovy.ast.expr.ClosureExpression;
import org.codehaus.groovy.ast.expr.ClosureListExpression;
import org.codehaus.groovy.ast.expr.ConstantExpression;
import org.codehaus.groovy.ast.expr.DeclarationExpression;
import org.codehaus.groovy.ast.expr.ElvisOperatorExpression;
import org.codehaus.groovy.ast.expr.EmptyExpression;
import org.codehaus.groovy.ast.expr.Expression;
import org.codehaus.groovy.ast.expr.GStringExpression;
import org.codehaus.groovy.ast.expr.LambdaExpression;
import org.codehaus.groovy.ast.expr.ListExpression;
import org.codehaus.groovy.ast.expr.MapEntryExpression;
import org.codehaus.groovy.ast.expr.MapExpression;
import org.codehaus.groovy.ast.expr.MethodCallExpression;
import org.codehaus.groovy.ast.expr.NamedArgumentListExpression;
import org.codehaus.groovy.ast.expr.NotExpression;
import org.codehaus.groovy.ast.expr.PostfixExpression;
import org.codehaus.groovy.ast.expr.PrefixExpression;
import org.codehaus.groovy.ast.expr.PropertyExpression;
import org.codehaus.groovy.ast.expr.RangeExpression;
import org.codehaus.groovy.ast.expr.SpreadExpression;
import org.codehaus.groovy.ast.expr.SpreadMapExpression;
import org.codehaus.groovy.ast.expr.TernaryExpression;
import org.codehaus.groovy.ast.expr.TupleExpression;
import org.codehaus.groovy.ast.expr.UnaryMinusExpression;
import org.codehaus.groovy.ast.expr.UnaryPlusExpression;
import org.codehaus.groovy.ast.expr.VariableExpression;
import org.codehaus.groovy.ast.stmt.AssertStatement;
import org.codehaus.groovy.ast.stmt.CaseStatement;
import org.codehaus.groovy.ast.stmt.CatchStatement;
import org.codehaus.groovy.ast.stmt.ForStatement;
import org.codehaus.groovy.ast.stmt.SynchronizedStatement;
import org.codehaus.groovy.ast.stmt.ThrowStatement;
import org.codehaus.groovy.ast.stmt.TryCatchStatement;
import org.codehaus.groovy.classgen.GeneratorContext;
import org.codehaus.groovy.control.CompilePhase;
import org.codehaus.groovy.control.SourceUnit;
import org.codehaus.groovy.control.customizers.CompilationCustomizer;
import org.codehaus.groovy.control.messages.SyntaxErrorMessage;
import org.codehaus.groovy.syntax.SyntaxException;

import java.lang.reflect.Modifier;
import java.util.List;
import java.util.Set;

/**
 * The first line of defence: runs right after parsing, before any other compiler phase can run code, and refuses
 * every language feature outside the small set templates need. What it admits is then rewritten by
 * {@link CallRewriter} so that every call is checked at run time.
 */
public final class LanguageGate extends CompilationCustomizer {
    /** Expression types a template may contain; anything else (constructors, method pointers, ...) is refused. */
    private static final Set<Class<? extends Expression>> EXPRESSIONS = Set.of(
            ConstantExpression.class, GStringExpression.class, ListExpression.class, MapExpression.class,
            MapEntryExpression.class, RangeExpression.class, VariableExpression.class, PropertyExpression.class,
            MethodCallExpression.class, BinaryExpression.class, DeclarationExpression.class, BooleanExpression.class,
            NotExpression.class, UnaryMinusExpression.class, UnaryPlusExpression.class,
            BitwiseNegationExpression.class, TernaryExpression.class, ElvisOperatorExpression.class,
            ClosureExpression.class, LambdaExpression.class, ArgumentListExpression.class, TupleExpression.class,
            NamedArgumentListExpression.class, PostfixExpression.class, PrefixExpression.class,
            SpreadExpression.class, SpreadMapExpression.class, CastExpression.class, ClassExpression.class,
            EmptyExpression.class, ClosureListExpression.class);

    /** Types a template may name in declarations, casts and {@code instanceof}. */
    static final Set<String> TYPES = Set.of("Object", "String", "CharSequence", "GString", "int", "long", "double",
            "float", "short", "byte", "boolean", "char", "void", "Integer", "Long", "Double", "Float", "Short", "Byte",
            "Boolean", "Character", "Number", "BigDecimal", "BigInteger", "List", "Map", "Set", "Collection",
            "ArrayList", "LinkedHashMap", "LinkedHashSet", "Closure", "Iterable", "Map.Entry", "Entry");

    /** Packages whose classes templates name without the package (`String`, `List`, `BigDecimal`, `Closure`). */
    private static final List<String> TYPE_PACKAGES = List.of("java.lang.", "java.util.", "java.math.",
            "groovy.lang.");

    /** Names a template's own functions may not take: they would replace the script's machinery. */
    private static final Set<String> RESERVED_METHODS = Set.of("run", "main", "getProperty", "setProperty",
            "invokeMethod", "getMetaClass", "setMetaClass", "getBinding", "setBinding", "evaluate", "print",
            "println", "printf", "methodMissing", "propertyMissing", "implicitScope", "sleep", "getClass", "equals",
            "hashCode", "toString", "finalize", "clone", "wait", "notify", "notifyAll");

    public LanguageGate() {
        super(CompilePhase.CONVERSION);
    }

    @Override
    public void call(SourceUnit source, GeneratorContext context, ClassNode classNode) {
        if (source.getErrorCollector().hasErrors()) {
            return; // the tree is over a bound (SourceBounds): walking it is what must not happen
        }
        ModuleNode module = source.getAST();
        Checker checker = new Checker(source);
        if (module.getPackage() != null) {
            checker.refuse(module.getPackage(), "a package declaration is not allowed in a template");
        }
        module.getImports().forEach(i -> checker.refuse(i, "imports are not allowed in a template"));
        module.getStarImports().forEach(i -> checker.refuse(i, "imports are not allowed in a template"));
        module.getStaticImports().values().forEach(i -> checker.refuse(i, "imports are not allowed in a template"));
        module.getStaticStarImports().values()
                .forEach(i -> checker.refuse(i, "imports are not allowed in a template"));
        for (ClassNode declared : module.getClasses()) {
            if (declared != classNode && !declared.isScript()) {
                checker.refuse(declared, "declaring classes, interfaces, enums, traits or records is not allowed "
                        + "in a template; use maps and closures");
            }
        }
        if (!classNode.isScript()) {
            return;
        }
        checker.annotations(classNode);
        classNode.getFields().forEach(f -> checker.refuse(f, "fields are not allowed in a template"));
        classNode.getObjectInitializerStatements()
                .forEach(s -> checker.refuse(s, "initializer blocks are not allowed in a template"));
        for (MethodNode method : classNode.getMethods()) {
            if (method.getName().equals("main") && method.isStatic() && method.getLineNumber() < 1) {
                continue; // generated by the compiler: hands the script to InvokerHelper; never reachable
            }
            if (!method.isScriptBody()) {
                checker.method(method);
            }
            checker.visitMethod(method);
        }
        // A script's constructors are generated (no-argument and Binding); a template cannot declare one.
    }

    private static final class Checker extends ClassCodeExpressionTransformer {
        private final SourceUnit source;

        Checker(SourceUnit source) {
            this.source = source;
        }

        @Override
        protected SourceUnit getSourceUnit() {
            return source;
        }

        /** Records an error; the compilation unit stops at the end of this phase, before any later phase runs. */
        void refuse(ASTNode node, String message) {
            int line = Math.max(node.getLineNumber(), 1);
            int column = Math.max(node.getColumnNumber(), 1);
            source.getErrorCollector().addErrorAndContinue(new SyntaxErrorMessage(
                    new SyntaxException("sandbox: " + message, line, column), source));
        }

        void annotations(AnnotatedNode node) {
            annotations(node, node);
        }

        /** As {@link #annotations(AnnotatedNode)}; an annotation without a position of its own is reported at {@code at}. */
        void annotations(AnnotatedNode node, ASTNode at) {
            for (var annotation : node.getAnnotations()) {
                // The compiler adds @BaseScript for the configured base class, without a position; anything the
                // template wrote has one.
                if (annotation.getLineNumber() > 0 || at != node) {
                    refuse(annotation.getLineNumber() > 0 ? annotation : at, "annotations are not allowed in a template");
                    return;
                }
            }
        }

        void method(MethodNode method) {
            annotations(method);
            String name = method.getName();
            if (RESERVED_METHODS.contains(name) || name.startsWith("$") || name.contains("__")) {
                refuse(method, "a function may not be named `" + name + "`");
            }
            int mods = method.getModifiers();
            if (Modifier.isStatic(mods) || Modifier.isSynchronized(mods) || Modifier.isNative(mods)
                    || Modifier.isAbstract(mods)) {
                refuse(method, "functions in templates are plain `def name(...) { ... }`, without modifiers");
            }
            type(method.getReturnType(), method);
            parameters(method.getParameters(), method);
        }

        void parameters(Parameter[] parameters, ASTNode at) {
            if (parameters == null) {
                return;
            }
            for (Parameter p : parameters) {
                annotations(p);
                if (p.hasInitialExpression()) {
                    p.setInitialExpression(transform(p.getInitialExpression()));
                }
                type(p.getOriginType(), p.getLineNumber() > 0 ? p : at);
                if (p.getName().startsWith("$")) {
                    refuse(p.getLineNumber() > 0 ? p : at, "the name `" + p.getName() + "` is not allowed");
                }
            }
        }

        void type(ClassNode type, ASTNode at) {
            if (type == null) {
                return;
            }
            if (!type.getTypeAnnotations().isEmpty()) {
                refuse(at, "annotations are not allowed in a template");
            }
            if (type.isArray() || !TYPES.contains(withoutPackage(type.getUnresolvedName()))) {
                refuse(at, "the type `" + type.toString(false) + "` is not available in templates; "
                        + "use def, String, numbers, boolean, List, Map, Set or Closure");
                return;
            }
            GenericsType[] generics = type.getGenericsTypes();
            if (generics != null) {
                for (GenericsType g : generics) {
                    if (!g.isPlaceholder() && !g.isWildcard()) {
                        type(g.getType(), at);
                    }
                }
            }
        }

        @Override
        public Expression transform(Expression expression) {
            if (expression == null) {
                return null;
            }
            // EmptyExpression.INSTANCE (an empty part of `for (;;)`, a declaration without a value) is an anonymous
            // subclass; every other admitted kind is matched exactly, so no subclass slips through.
            Class<? extends Expression> kind = expression instanceof EmptyExpression ? EmptyExpression.class
                    : expression.getClass();
            if (!EXPRESSIONS.contains(kind)) {
                refuse(expression, describe(expression) + " is not allowed in a template");
                return expression;
            }
            if (expression instanceof VariableExpression v) {
                if (v.isThisExpression() || v.isSuperExpression()) {
                    refuse(v, "`" + v.getName() + "` is not available in a template");
                }
                if (v.getName().startsWith("$")) {
                    refuse(v, "the name `" + v.getName() + "` is not allowed");
                }
            } else if (expression instanceof DeclarationExpression d) {
                annotations(d);
                if (d.isMultipleAssignmentDeclaration()) {
                    for (Expression e : d.getTupleExpression().getExpressions()) {
                        if (!((VariableExpression) e).isDynamicTyped()) {
                            refuse(e, "several names declared at once take no types: write `def (a, b) = ...`");
                        }
                    }
                } else {
                    type(d.getVariableExpression().getOriginType(), d);
                }
            } else if (expression instanceof CastExpression c) {
                type(c.getType(), c);
            } else if (expression instanceof ClassExpression c) {
                type(c.getType(), c);
            } else if (expression instanceof ClosureExpression c) {
                parameters(c.getParameters(), c);
                c.getCode().visit(this);
                return c;
            } else if (expression instanceof MethodCallExpression call) {
                if (call.isUsingGenerics()) {
                    refuse(call, "explicit type arguments on calls are not allowed in a template");
                }
                if (call.isImplicitThis()) {
                    call.setMethod(transform(call.getMethod()));
                    call.setArguments(transform(call.getArguments()));
                    return call;
                }
            }
            return expression.transformExpression(this);
        }

        private static String describe(Expression e) {
            String simple = e.getClass().getSimpleName();
            return switch (simple) {
                case "ConstructorCallExpression" -> "creating objects with `new`";
                case "MethodPointerExpression" -> "a method pointer (.&)";
                case "MethodReferenceExpression" -> "a method reference (::)";
                case "AttributeExpression" -> "direct field access (.@)";
                case "ArrayExpression" -> "an array";
                case "StaticMethodCallExpression" -> "a static method call";
                case "FieldExpression" -> "a field";
                default -> "the construct " + simple.replace("Expression", "");
            };
        }

        @Override
        public void visitTryCatchFinally(TryCatchStatement statement) {
            refuse(statement, "try/catch is not allowed in a template; use fail('message') to report an error");
        }

        @Override
        public void visitCatchStatement(CatchStatement statement) {
            refuse(statement, "catch is not allowed in a template");
        }

        @Override
        public void visitThrowStatement(ThrowStatement statement) {
            refuse(statement, "throw is not allowed in a template; use fail('message') to report an error");
        }

        @Override
        public void visitSynchronizedStatement(SynchronizedStatement statement) {
            refuse(statement, "synchronized is not allowed in a template");
        }

        @Override
        public void visitAssertStatement(AssertStatement statement) {
            refuse(statement, "assert is not allowed in a template; use `if (!ok) fail('message')`");
        }

        @Override
        public void visitForLoop(ForStatement loop) {
            // The loop variables are parameters: annotations on them are refused like those on any parameter.
            if (loop.getValueVariable() != null && loop.getValueVariable() != ForStatement.FOR_LOOP_DUMMY) {
                annotations(loop.getValueVariable(), loop);
                type(loop.getValueVariable().getOriginType(), loop);
            }
            if (loop.getIndexVariable() != null) {
                annotations(loop.getIndexVariable(), loop);
                type(loop.getIndexVariable().getOriginType(), loop);
            }
            super.visitForLoop(loop);
        }

        @Override
        public void visitCaseStatement(CaseStatement statement) {
            if (!isConstantCase(statement.getExpression())) {
                refuse(statement.getExpression(), "a case label must be a constant, a list or range of constants, "
                        + "a type or a closure; match regexes with `if (x ==~ /re/)`");
            }
            super.visitCaseStatement(statement);
        }

        private static boolean isConstantCase(Expression e) {
            if (e instanceof ConstantExpression || e instanceof ClassExpression || e instanceof ClosureExpression) {
                return true;
            } else if (e instanceof ListExpression list) {
                return list.getExpressions().stream().allMatch(Checker::isConstantCase);
            } else if (e instanceof RangeExpression r) {
                return isConstantCase(r.getFrom()) && isConstantCase(r.getTo());
            } else if (e instanceof UnaryMinusExpression m) {
                return m.getExpression() instanceof ConstantExpression;
            } else if (e instanceof VariableExpression v) {
                return TYPES.contains(v.getName()); // `case String:`, before names are resolved to classes
            }
            return false;
        }
    }

    /** Whether templates may name this type, before or after name resolution. */
    static boolean isTemplateType(ClassNode type) {
        return !type.isArray() && TYPES.contains(withoutPackage(type.getName()));
    }

    private static String withoutPackage(String name) {
        for (String prefix : TYPE_PACKAGES) {
            if (name.startsWith(prefix)) {
                return name.substring(prefix.length()).replace('$', '.');
            }
        }
        return name;
    }
}
