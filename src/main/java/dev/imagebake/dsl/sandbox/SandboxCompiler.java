package dev.imagebake.dsl.sandbox;

import groovy.lang.GroovyClassLoader;
import groovy.lang.Script;
import org.codehaus.groovy.ast.ClassHelper;
import org.codehaus.groovy.ast.ClassNode;
import org.codehaus.groovy.classgen.GeneratorContext;
import org.codehaus.groovy.control.CompilationFailedException;
import org.codehaus.groovy.control.CompilationUnit;
import org.codehaus.groovy.control.MultipleCompilationErrorsException;
import org.codehaus.groovy.control.Phases;
import org.codehaus.groovy.control.messages.SyntaxErrorMessage;
import org.codehaus.groovy.syntax.SyntaxException;
import org.codehaus.groovy.tools.GroovyClass;
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
    /** Every template's script class is named this; its closures are Template$_run_closure1 and so on. */
    static final String MAIN_CLASS = "Template";

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

    /** A compiled template: the script class's name and the bytecode of every class it consists of. */
    public record Compiled(String mainClass, java.util.Map<String, byte[]> classes) {
        public Compiled {
            classes = java.util.Map.copyOf(classes);
        }
    }

    /**
     * Compiles one template and loads it. The result is a fresh class in a fresh class loader, so nothing one
     * template defines is visible to another.
     *
     * @param fileName the name shown in errors
     * @throws CompilationFailedException for syntax errors and for every construct the sandbox refuses
     */
    public Class<? extends Script> compile(String source, String fileName) throws CompilationFailedException {
        return load(compileToBytes(source, fileName));
    }

    /** Compiles one template to bytecode without loading it (so that the bytecode can be cached). */
    public Compiled compileToBytes(String source, String fileName) throws CompilationFailedException {
        CompilerConfiguration config = new CompilerConfiguration();
        config.setTargetBytecode(CompilerConfiguration.JDK17);
        config.setDisabledGlobalASTTransformations(Set.of("groovy.grape.GrabAnnotationTransformation"));
        config.setSourceEncoding("UTF-8");
        SourceBounds.Violation over = SourceBounds.scan(source);
        if (over != null) {
            // Refused before the parser reads it: parsing such text is what takes the time.
            org.codehaus.groovy.control.ErrorCollector errors = new org.codehaus.groovy.control.ErrorCollector(config);
            errors.addErrorAndContinue(new SyntaxErrorMessage(new SyntaxException("limit: " + over.message(),
                    over.line(), over.column()), new SourceUnit(fileName, source, config, null, errors)));
            throw new MultipleCompilationErrorsException(errors);
        }
        config.addCompilationCustomizers(new SourceBounds.Customizer(), new LanguageGate(), new BaseClass(baseClass),
                new CallRewriter());
        try (GroovyClassLoader loader = new GroovyClassLoader(SandboxClassLoader.forCompiler(
                SandboxCompiler.class.getClassLoader(), Set.of(baseClass.getName())), config, false)) {
            loader.setResourceLoader(filename -> null);
            CompilationUnit unit = new CompilationUnit(config, null, loader);
            unit.addSource(MAIN_CLASS, source);
            try {
                unit.compile(Phases.CLASS_GENERATION);
            } catch (StackOverflowError e) {
                // SourceBounds keeps templates far from this; a shape it does not foresee still ends as an error
                org.codehaus.groovy.control.ErrorCollector errors = new org.codehaus.groovy.control.ErrorCollector(config);
                errors.addErrorAndContinue(new SyntaxErrorMessage(new SyntaxException("limit: the template is nested "
                        + "too deeply to compile", 1, 1), new SourceUnit(fileName, source, config, null, errors)));
                throw new MultipleCompilationErrorsException(errors);
            }
            java.util.Map<String, byte[]> classes = new java.util.HashMap<>();
            for (GroovyClass c : unit.getClasses()) {
                classes.put(c.getName(), c.getBytes());
            }
            return new Compiled(MAIN_CLASS, classes);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Loads compiled template classes into a fresh loader whose parent lends only what template code uses. */
    public Class<? extends Script> load(Compiled compiled) {
        ClassLoader loader = new TemplateLoader(SandboxClassLoader.forTemplates(SandboxCompiler.class.getClassLoader(),
                Set.of(baseClass.getName())), compiled.classes());
        try {
            return Class.forName(compiled.mainClass(), false, loader).asSubclass(Script.class);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("compiled template lacks its main class", e);
        }
    }

    /** Defines a template's classes from their bytecode, on demand; everything else comes from the lender. */
    private static final class TemplateLoader extends ClassLoader {
        private final java.util.Map<String, byte[]> classes;

        TemplateLoader(ClassLoader lender, java.util.Map<String, byte[]> classes) {
            super("imagebake-template", lender);
            this.classes = classes;
        }

        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
            byte[] bytes = classes.get(name);
            if (bytes == null) {
                throw new ClassNotFoundException(name);
            }
            return defineClass(name, bytes, 0, bytes.length);
        }
    }
}
