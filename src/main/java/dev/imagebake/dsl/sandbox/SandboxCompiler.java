package dev.imagebake.dsl.sandbox;

import groovy.lang.GroovyClassLoader;
import groovy.lang.GroovyCodeSource;
import groovy.lang.Script;
import org.codehaus.groovy.ast.ClassHelper;
import org.codehaus.groovy.ast.ClassNode;
import org.codehaus.groovy.classgen.GeneratorContext;
import org.codehaus.groovy.control.CompilationFailedException;
import org.codehaus.groovy.control.CompilePhase;
import org.codehaus.groovy.control.SourceUnit;
import org.codehaus.groovy.control.customizers.CompilationCustomizer;
import org.codehaus.groovy.control.CompilerConfiguration;

import java.util.Set;

/**
 * Compiles template source into a script class that can only act through {@link SandboxRuntime}: the
 * {@link LanguageGate} refuses features right after parsing, global AST transformations are switched off and
 * unreachable, names resolve through a {@link SandboxClassLoader}, and the {@link CallRewriter} routes every call.
 */
public final class SandboxCompiler {
    private final Class<? extends Script> baseClass;

    public SandboxCompiler(Class<? extends Script> baseClass) {
        if (!SandboxedScript.class.isAssignableFrom(baseClass)) {
            throw new IllegalArgumentException(baseClass + " must implement SandboxedScript");
        }
        this.baseClass = baseClass;
    }

    /**
     * Makes the script extend the base class. (CompilerConfiguration's own scriptBaseClass works through an AST
     * transformation, and the sandbox lets none run.)
     */
    private static final class BaseClass extends CompilationCustomizer {
        private final Class<?> type;

        BaseClass(Class<?> type) {
            super(CompilePhase.CONVERSION);
            this.type = type;
        }

        @Override
        public void call(SourceUnit source, GeneratorContext context, ClassNode classNode) {
            if (classNode.isScript()) {
                classNode.setSuperClass(ClassHelper.make(type));
            }
        }
    }

    /**
     * Compiles one template. The result is a fresh class in a fresh class loader, so nothing one template defines
     * is visible to another.
     *
     * @param fileName the name shown in errors and stack frames
     * @throws CompilationFailedException for syntax errors and for every construct the sandbox refuses
     */
    public Class<? extends Script> compile(String source, String fileName) throws CompilationFailedException {
        CompilerConfiguration config = new CompilerConfiguration();
        config.setTargetBytecode(CompilerConfiguration.JDK17);
        config.setDisabledGlobalASTTransformations(Set.of("groovy.grape.GrabAnnotationTransformation"));
        config.setSourceEncoding("UTF-8");
        config.addCompilationCustomizers(new LanguageGate(), new BaseClass(baseClass), new CallRewriter());
        ClassLoader lender = new SandboxClassLoader(SandboxCompiler.class.getClassLoader(),
                Set.of(baseClass.getName()));
        try (GroovyClassLoader loader = new GroovyClassLoader(lender, config, false)) {
            loader.setResourceLoader(filename -> null);
            GroovyCodeSource code = new GroovyCodeSource(source, "Template", fileName);
            code.setCachable(false);
            return loader.parseClass(code, false).asSubclass(Script.class);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
