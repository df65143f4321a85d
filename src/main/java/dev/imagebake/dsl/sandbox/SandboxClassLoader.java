package dev.imagebake.dsl.sandbox;

import java.io.IOException;
import java.net.URL;
import java.util.Collections;
import java.util.Enumeration;
import java.util.Set;

/**
 * The parent of every template's class loader. It lends templates only the classes their code links against; every
 * other name (files, processes, threads, reflection, other evaluators, imagebake itself) is "not found". It hands
 * out no resources, so the compiler finds no global AST transformations and no sources.
 *
 * <p>There are two of them. The compiler's lends what name resolution and class generation look up (the Groovy
 * runtime packages among them). The one compiled templates run under lends a much shorter, explicit list: exactly
 * the classes the {@link CallRewriter}'s output refers to (found by reading the constant pools of compiled
 * templates, and proved sufficient by the specs that run every example and benign template). It does not lend
 * {@code InvokerHelper}, which only the script's never-run {@code main} method names, nor anything else of the
 * runtime packages. This narrows what foreign bytecode could reach; it does not confine it (the {@code call} bridges
 * Groovy generates for closures with parameters need {@code IndyInterface}, which dispatches dynamically), which is
 * why the compile cache only loads bytecode it can authenticate ({@code TemplateCache}).
 */
final class SandboxClassLoader extends ClassLoader {
    private static final Set<String> EXACT = Set.of(
            SandboxRuntime.class.getName(), SandboxedScript.class.getName(), ImplicitScope.class.getName(),
            "java.lang.Object", "java.lang.String", "java.lang.Class", "java.lang.Integer", "java.lang.Long",
            "java.lang.Double", "java.lang.Float", "java.lang.Short", "java.lang.Byte", "java.lang.Boolean",
            "java.lang.Character", "java.lang.Number", "java.lang.CharSequence", "java.lang.Comparable",
            "java.lang.Iterable", "java.lang.Throwable", "java.lang.Void", "java.lang.Cloneable",
            "java.lang.invoke.MethodHandles", "java.lang.invoke.MethodHandles$Lookup", "java.lang.invoke.CallSite",
            "java.lang.invoke.MethodType", "java.lang.invoke.MethodHandle",
            "java.util.List", "java.util.Map", "java.util.Map$Entry", "java.util.Set", "java.util.Collection",
            "java.util.ArrayList", "java.util.LinkedHashMap", "java.util.LinkedHashSet", "java.util.Iterator",
            "java.math.BigDecimal", "java.math.BigInteger", "java.util.regex.Pattern", "java.util.regex.Matcher",
            "groovy.lang.Script", "groovy.lang.Binding", "groovy.lang.Closure", "groovy.lang.GString",
            "groovy.lang.GroovyObject", "groovy.lang.GroovyObjectSupport", "groovy.lang.MetaClass",
            "groovy.lang.Reference", "groovy.lang.Range", "groovy.lang.IntRange", "groovy.lang.ObjectRange",
            "groovy.lang.EmptyRange", "groovy.lang.Writable", "groovy.lang.GroovyCallable",
            "groovy.lang.MetaObjectProtocol", "groovy.lang.GroovyRuntimeException",
            "groovy.lang.MissingPropertyException", "groovy.lang.MissingMethodException",
            // On Java 17, after a method has been called reflectively 15 times (closures and template functions
            // are), the JDK generates an accessor class in a loader whose parent is the template's loader; that
            // class extends these and names these exceptions. Without them every closure breaks at its 16th call.
            "jdk.internal.reflect.MethodAccessorImpl", "jdk.internal.reflect.ConstructorAccessorImpl",
            "java.lang.ClassCastException", "java.lang.NullPointerException", "java.lang.IllegalArgumentException",
            "java.lang.reflect.InvocationTargetException");
    /** What compiled template code refers to: in its constant pool, its signatures and its superclasses. */
    private static final Set<String> RUNTIME = Set.of(
            SandboxRuntime.class.getName(), SandboxedScript.class.getName(), ImplicitScope.class.getName(),
            "java.lang.Object", "java.lang.String", "java.lang.Class", "java.lang.Integer", "java.lang.Long",
            "java.lang.Double", "java.lang.Float", "java.lang.Short", "java.lang.Byte", "java.lang.Boolean",
            "java.lang.Character", "java.lang.Number", "java.lang.Throwable", "java.lang.Void",
            "java.math.BigDecimal", "java.math.BigInteger",
            "java.util.List", "java.util.Map", "java.util.Iterator",
            // Types a template may declare (LanguageGate.TYPES): typed variables and parameters become checkcasts.
            "java.lang.CharSequence", "java.lang.Iterable", "java.util.Set", "java.util.Collection",
            "java.util.ArrayList", "java.util.LinkedHashMap", "java.util.LinkedHashSet", "java.util.Map$Entry",
            "groovy.lang.GString",
            // Groovy's truth test, emitted for some loop conditions.
            "org.codehaus.groovy.runtime.typehandling.DefaultTypeTransformation",
            "groovy.lang.Script", "groovy.lang.Binding", "groovy.lang.Closure", "groovy.lang.Reference",
            "groovy.lang.GroovyObject", "groovy.lang.MetaClass", "groovy.transform.Generated",
            "org.codehaus.groovy.runtime.GeneratedClosure", "org.codehaus.groovy.runtime.ScriptBytecodeAdapter",
            "org.codehaus.groovy.reflection.ClassInfo",
            // Bootstrap of the `call` bridges of closures with parameters, which Groovy's runtime calls.
            "org.codehaus.groovy.vmplugin.v8.IndyInterface", "java.lang.invoke.MethodHandles$Lookup",
            "java.lang.invoke.MethodType", "java.lang.invoke.CallSite",
            // Accessors the JDK generates for reflective calls of closures and functions (see EXACT).
            "jdk.internal.reflect.MethodAccessorImpl", "jdk.internal.reflect.ConstructorAccessorImpl",
            "java.lang.ClassCastException", "java.lang.NullPointerException", "java.lang.IllegalArgumentException",
            "java.lang.reflect.InvocationTargetException");
    private static final String[] PREFIXES = {
            "org.codehaus.groovy.runtime.", "org.codehaus.groovy.vmplugin.", "org.codehaus.groovy.reflection."};

    private final Set<String> extra;
    private final boolean forCompiler;

    private SandboxClassLoader(ClassLoader parent, Set<String> extra, boolean forCompiler) {
        super("imagebake-sandbox", parent);
        this.extra = Set.copyOf(extra);
        this.forCompiler = forCompiler;
    }

    /** The lender the compiler resolves names through. */
    static SandboxClassLoader forCompiler(ClassLoader parent, Set<String> extra) {
        return new SandboxClassLoader(parent, extra, true);
    }

    /** The lender compiled templates run under. */
    static SandboxClassLoader forTemplates(ClassLoader parent, Set<String> extra) {
        return new SandboxClassLoader(parent, extra, false);
    }

    static boolean lends(String name) {
        if (EXACT.contains(name)) {
            return true;
        }
        for (String prefix : PREFIXES) {
            if (name.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if ((forCompiler ? lends(name) : RUNTIME.contains(name)) || extra.contains(name)) {
            return super.loadClass(name, resolve);
        }
        throw new ClassNotFoundException(name);
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        throw new ClassNotFoundException(name);
    }

    @Override
    public URL getResource(String name) {
        return null;
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
        return Collections.emptyEnumeration();
    }
}
