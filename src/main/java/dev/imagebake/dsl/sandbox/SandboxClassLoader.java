package dev.imagebake.dsl.sandbox;

import java.io.IOException;
import java.net.URL;
import java.util.Collections;
import java.util.Enumeration;
import java.util.Set;

/**
 * The parent of every template's class loader. It lends templates only the classes their compiled code links
 * against; every other name (files, processes, threads, reflection, other evaluators, imagebake itself) is
 * "not found". It hands out no resources, so the compiler finds no global AST transformations and no sources.
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
    private static final String[] PREFIXES = {
            "org.codehaus.groovy.runtime.", "org.codehaus.groovy.vmplugin.", "org.codehaus.groovy.reflection."};

    private final Set<String> extra;

    SandboxClassLoader(ClassLoader parent, Set<String> extra) {
        super("imagebake-sandbox", parent);
        this.extra = Set.copyOf(extra);
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
        if (lends(name) || extra.contains(name)) {
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
