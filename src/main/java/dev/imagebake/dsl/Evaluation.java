package dev.imagebake.dsl;

import dev.imagebake.dsl.sandbox.Guard;
import dev.imagebake.dsl.sandbox.HandOver;
import dev.imagebake.dsl.sandbox.ImplicitScope;
import dev.imagebake.dsl.sandbox.SandboxRuntime;
import dev.imagebake.dsl.sandbox.Taint;
import dev.imagebake.plan.Build;
import dev.imagebake.plan.BuilderSpec;
import dev.imagebake.plan.Plan;
import dev.imagebake.plan.PlanSize;
import dev.imagebake.plan.Redactor;
import dev.imagebake.plan.SourcePosition;
import dev.imagebake.plan.Step;
import dev.imagebake.plan.Variable;
import groovy.lang.Closure;
import groovy.lang.MetaMethod;
import org.codehaus.groovy.runtime.InvokerHelper;
import org.codehaus.groovy.runtime.MetaClassHelper;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The state of evaluating one template: the names it can use, the blocks open right now, and everything it has
 * declared so far. Every name a template uses without a receiver is resolved here, in this order: the keywords of
 * the innermost open block (or the top level), the template's own functions, then the helpers.
 */
public final class Evaluation implements ImplicitScope {
    private static final String UNSET = "<unset ";
    private static final String UNDECLARED = "<undeclared ";
    private final String fileName;
    private final TemplateFiles files;
    private final VariableInputs inputs;
    private final Instant startedAt;
    private final Appendable out;
    private final List<Diagnostic> diagnostics = new ArrayList<>();
    private final Map<String, Variable> variables = new LinkedHashMap<>();
    /** Sensitive values: those declared so, and everything the template computes from them. */
    private final Taint taint;
    /** The shortest sensitive value masked in what the template prints and in error messages. */
    static final int MASKED_LENGTH = 4;
    /** Errors kept (one more line says how many others there were), and characters shown of each. */
    static final int MAX_DIAGNOSTICS = 100;
    static final int MAX_MESSAGE_CHARS = 4096;
    /** Characters of long error messages that may be masked in all (a fraction of a second's work). */
    static final long MESSAGE_MASKING_BUDGET = 16L << 20;
    private long messageCharsMasked;
    private int omitted;
    private Redactor redactor;
    private int redactorVersion = -1;
    private final Map<String, Object> bindings = new LinkedHashMap<>();
    private final Deque<BlockContext> blocks = new ArrayDeque<>();
    private final Set<Object> unusedDeclarations = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    private final List<BuilderDeclaration> builders = new ArrayList<>();
    private final List<Step> steps = new ArrayList<>();
    private final List<Step> onError = new ArrayList<>();
    private final List<Step> post = new ArrayList<>();
    private final List<BuilderReference> builderReferences = new ArrayList<>();
    private final Vars vars = new Vars(this);
    private TopLevel topLevel;
    private Helpers helpers;
    private TemplateScript script;
    private Set<String> functions = Set.of();
    /** For templates evaluated in pieces (the REPL): which piece's script declares each function. */
    private final Map<String, TemplateScript> functionOwners = new java.util.HashMap<>();
    private boolean partial;

    Evaluation(String fileName, TemplateFiles files, VariableInputs inputs, Instant startedAt, Appendable out) {
        this.fileName = fileName;
        this.files = files;
        this.inputs = inputs;
        this.startedAt = startedAt;
        this.out = out;
        this.taint = Guard.current().taint();
    }

    void start(TemplateScript script) {
        this.script = script;
        this.functions = functionsOf(script.getClass());
        this.topLevel = new TopLevel(this);
        this.helpers = new Helpers(this);
        script.attach(this);
    }

    /**
     * Adds a further piece of the same template, evaluated after the first (the REPL's inputs): it shares this
     * evaluation's names, blocks and declarations, and its functions join the template's.
     */
    void include(TemplateScript piece) {
        Set<String> declared = functionsOf(piece.getClass());
        for (String name : declared) {
            if (functions.contains(name)) {
                // One script could not declare it twice either: the caller evaluates the whole text to say so.
                report(new SourcePosition(fileName, 1, 1), "the function `" + name + "` is already declared");
            }
            functionOwners.put(name, piece);
        }
        Set<String> all = new HashSet<>(functions);
        all.addAll(declared);
        functions = Set.copyOf(all);
        piece.attach(this);
    }

    /**
     * Evaluates a template that is still being written (the REPL): no builder yet and -var values for variables
     * not declared yet are not errors.
     */
    void partial() {
        this.partial = true;
    }

    /** Every provisioning step declared so far, in order, for whichever builder. */
    List<Step> steps() {
        return List.copyOf(steps);
    }

    // ---- what templates reach ----------------------------------------------------------------------------------

    @Override
    public Object call(String name, Object[] args) {
        BlockContext block = blocks.isEmpty() ? topLevel : blocks.peek();
        if (Keywords.of(block.getClass()).contains(name)) {
            return invokeKeyword(block, name, args);
        }
        if (functions.contains(name)) {
            return invokeFunction(name, args);
        }
        if (Keywords.of(Helpers.class).contains(name)) {
            return invokeKeyword(helpers, name, args);
        }
        useAll(args);
        if (diagnostics.size() >= MAX_DIAGNOSTICS) {
            omit(); // not shown: no suggestions to work out (a template can call unknown names in a loop)
            return null;
        }
        Set<String> known = new TreeSet<>(Keywords.of(block.getClass()));
        known.addAll(functions);
        known.addAll(Keywords.of(Helpers.class));
        if (block == topLevel) {
            report(position(), "Unknown keyword `" + name + "`." + Suggestions.didYouMean(name, known));
        } else {
            report(position(), "Unknown setting `" + name + "` in " + block.blockName() + "."
                    + Suggestions.didYouMean(name, known));
        }
        return null;
    }

    @Override
    public Object get(String name) {
        if (name.equals("var")) {
            return vars;
        }
        if (bindings.containsKey(name)) {
            return bindings.get(name);
        }
        BlockContext block = blocks.isEmpty() ? topLevel : blocks.peek();
        if (Keywords.of(block.getClass()).contains(name) || Keywords.of(Helpers.class).contains(name)) {
            throw new TemplateError("`" + name + "` needs a value or a block, for example `" + name + " ...`");
        }
        Set<String> known = new TreeSet<>(bindings.keySet());
        known.add("var");
        report(position(), "Unknown name `" + name + "`." + Suggestions.didYouMean(name, known)
                + " Declare local values with `def " + name + " = ...`.");
        return null;
    }

    @Override
    public void set(String name, Object value) {
        if (name.equals("var") || Keywords.of(TopLevel.class).contains(name)) {
            throw new TemplateError("`" + name + "` is a keyword and cannot be assigned");
        }
        bindings.put(name, value);
    }

    private Object invokeKeyword(Object target, String name, Object[] args) {
        try {
            for (Object arg : args) {
                if (arg instanceof Helpers.EnvironmentValue env) {
                    throw env.misuse(); // clearer than "`host` takes a string; got a EnvironmentValue"
                }
            }
            // What a block's keyword is given may end up in the plan: it gets a frozen copy, so that growing the
            // value afterwards cannot grow the plan. (Helpers keep nothing: println prints at once.)
            Object[] given = args;
            if (target instanceof BlockContext) {
                given = new Object[args.length];
                for (int i = 0; i < args.length; i++) {
                    given[i] = HandOver.freeze(name, args[i]);
                }
            }
            return InvokerHelper.invokeMethod(target, name, given);
        } catch (TemplateError e) {
            report(position(), e.getMessage());
            failed(target, name, args);
            return null;
        } catch (groovy.lang.MissingMethodException e) {
            if (!e.getMethod().equals(name) || e.getType() != target.getClass()) {
                throw e;
            }
            String where = target instanceof BlockContext b && target != topLevel ? " in " + b.blockName() : "";
            report(position(), "`" + name + "`" + where + " cannot take " + describeArguments(args) + "; usage: "
                    + Keywords.usage(target.getClass(), name));
            failed(target, name, args);
            return null;
        }
    }

    /**
     * After a keyword failed, and was reported: its block must not also report the setting as missing, nor a block
     * handed to it be reported as unused. One mistake, one error.
     */
    private void failed(Object target, String keyword, Object[] args) {
        if (target instanceof BlockContext block) {
            block.markRefused(keyword);
        }
        useAll(args);
    }

    private void useAll(Object[] args) {
        for (Object arg : args) {
            use(arg);
        }
    }

    private Object invokeFunction(String name, Object[] args) {
        TemplateScript script = functionOwners.getOrDefault(name, this.script);
        MetaMethod method = script.getMetaClass().pickMethod(name, MetaClassHelper.convertToTypeArray(args));
        if (method == null || method.getDeclaringClass().getTheClass() != script.getClass()) {
            throw new TemplateError("the function `" + name + "` cannot take " + describeArguments(args));
        }
        Class<?>[] parameters = method.getNativeParameterTypes();
        for (int i = 0; i < args.length && i < parameters.length; i++) {
            // Groovy would turn a closure into a generated proxy for any interface-typed parameter (Iterable, ...).
            if (args[i] instanceof Closure && parameters[i] != Closure.class && parameters[i] != Object.class) {
                throw new TemplateError("the function `" + name + "` takes " + parameters[i].getSimpleName()
                        + " as argument " + (i + 1) + ", not a closure; declare that parameter as Closure or def");
            }
        }
        return method.doMethodInvoke(script, args);
    }

    private static Set<String> functionsOf(Class<?> scriptClass) {
        Set<String> names = new HashSet<>();
        for (Method m : scriptClass.getDeclaredMethods()) {
            if (!m.isSynthetic() && Modifier.isPublic(m.getModifiers()) && !Modifier.isStatic(m.getModifiers())
                    && !m.getName().contains("$") && !m.getName().equals("run")) {
                names.add(m.getName());
            }
        }
        return Set.copyOf(names);
    }

    private static String describeArguments(Object[] args) {
        if (args.length == 0) {
            return "no arguments";
        }
        List<String> kinds = new ArrayList<>();
        for (Object a : args) {
            kinds.add(BlockContext.describe(a));
        }
        return String.join(", ", kinds);
    }

    // ---- services for blocks -----------------------------------------------------------------------------------

    private String sourceText;

    /** The template's text, for pointing at a place inside a call's arguments; null when not known. */
    void sourceText(String text) {
        this.sourceText = text;
    }

    /**
     * Where {@code text} first occurs in the template at or after {@code from} (within the next 64 KiB), shifted by
     * {@code shift} characters; null when the template's text is not known or does not hold it there (for example
     * when the template wrote it with escapes).
     */
    SourcePosition find(SourcePosition from, String text, int shift) {
        if (sourceText == null || text.isEmpty() || !from.file().equals(fileName)) {
            return null;
        }
        int offset = 0;
        for (int line = 1; line < from.line() && offset >= 0; line++) {
            offset = sourceText.indexOf('\n', offset) + 1;
            if (offset == 0) {
                return null;
            }
        }
        offset += from.column() - 1;
        int at = offset < 0 || offset > sourceText.length() ? -1 : sourceText.indexOf(text, offset);
        if (at < 0 || at - offset > 65536) {
            return null;
        }
        at += shift;
        int lineStart = sourceText.lastIndexOf('\n', at - 1) + 1;
        int line = 1;
        for (int i = sourceText.indexOf('\n'); i >= 0 && i < lineStart; i = sourceText.indexOf('\n', i + 1)) {
            line++;
        }
        return new SourcePosition(fileName, line, at - lineStart + 1);
    }

    public SourcePosition position() {
        Guard guard = Guard.current();
        return new SourcePosition(fileName, Math.max(1, guard.line()), Math.max(1, guard.column()));
    }

    /**
     * Records a problem. A complaint about a null value on a line that already has an error is dropped: it is the
     * consequence of the first (an unknown name evaluates to null so that evaluation can go on). So is a complaint
     * about the stand-in value of a variable that is unset or undeclared, which was reported where it was found.
     */
    public void report(SourcePosition at, String message) {
        if (message.contains(UNSET) || message.contains(UNDECLARED)) {
            return;
        }
        if (diagnostics.size() >= MAX_DIAGNOSTICS) {
            omit();
            return;
        }
        for (Diagnostic d : diagnostics) {
            boolean sameLine = d.at().line() == at.line() && d.at().file().equals(at.file());
            if (sameLine && (message.contains("got null") || d.message().equals(message))) {
                return;
            }
        }
        diagnostics.add(new Diagnostic(at, message));
    }

    /** Counts one more error past the ones shown, in the summary that follows them. */
    private void omit() {
        omitted++;
        Diagnostic summary = Diagnostic.omitted(diagnostics.get(MAX_DIAGNOSTICS - 1).at(), omitted);
        if (diagnostics.size() == MAX_DIAGNOSTICS) {
            diagnostics.add(summary);
        } else {
            diagnostics.set(MAX_DIAGNOSTICS, summary);
        }
    }

    /** A value's text, refusing values whose text would be over the sandbox's string limit. */
    public String text(Object value) {
        return SandboxRuntime.text(value);
    }

    void runBlock(BlockContext block, Closure<?> body) {
        blocks.push(block);
        try {
            Closure<?> copy = (Closure<?>) body.clone();
            copy.setResolveStrategy(Closure.DELEGATE_ONLY);
            copy.setDelegate(block);
            copy.call();
        } finally {
            blocks.pop();
        }
    }

    TemplateFiles files() {
        return files;
    }

    Instant startedAt() {
        return startedAt;
    }

    Appendable out() {
        return out;
    }

    /**
     * The text with every sensitive value declared so far masked: what the template prints or fails with. Values
     * under {@link #MASKED_LENGTH} characters are left: masking every {@code p} of a message for a one-letter test
     * password would garble it and protect nothing.
     */
    String redact(String text) {
        if (text == null || taint.values().isEmpty()) {
            return text;
        }
        if (redactor == null || redactorVersion != taint.size()) { // a template prints many lines: build it once
            redactor = new Redactor(taint.maskedInText().stream().filter(v -> v.length() >= MASKED_LENGTH).toList(),
                    taint.maskedWhole());
            redactorVersion = taint.size();
        }
        return redactor.redact(text);
    }

    /**
     * An error message, masked and cut to {@link #MAX_MESSAGE_CHARS}. Only the part shown is masked, with as many
     * characters more as the longest sensitive value has, so that a value that starts in the part shown is masked
     * whole.
     */
    String redactMessage(String message) {
        if (message == null || message.length() <= MAX_MESSAGE_CHARS) {
            return redact(message);
        }
        int longest = 0;
        for (String value : taint.values()) {
            longest = Math.max(longest, value.length());
        }
        int window = (int) Math.min(message.length(), (long) MAX_MESSAGE_CHARS + longest);
        // Masking runs on the main thread, after evaluation's limits: long messages share one budget.
        if (window > MAX_MESSAGE_CHARS && messageCharsMasked + window > MESSAGE_MASKING_BUDGET) {
            return "(a message of " + message.length() + " characters, not shown: the messages before it used up "
                    + "what may be spent on masking them)";
        }
        messageCharsMasked += window;
        String shown = redact(message.substring(0, window));
        return shown.substring(0, Math.min(shown.length(), MAX_MESSAGE_CHARS)) + "… (" + message.length()
                + " characters in all; the rest is not shown)";
    }

    VariableInputs inputs() {
        return inputs;
    }

    void declare(Object declaration) {
        unusedDeclarations.add(declaration);
    }

    void use(Object declaration) {
        unusedDeclarations.remove(declaration);
    }

    void addBuilder(BuilderDeclaration builder) {
        for (BuilderDeclaration existing : builders) {
            if (existing.name().equals(builder.name())) {
                report(builder.declaredAt(), "a builder named '" + builder.name() + "' is already declared on line "
                        + existing.declaredAt().line() + "; name them: builder " + builder.spec().type()
                        + "('other') { }");
                return;
            }
        }
        builders.add(builder);
    }

    void addStep(Step step) {
        steps.add(step);
    }

    void addOnError(Step step) {
        onError.add(step);
    }

    void addPost(Step step) {
        post.add(step);
    }

    void addVariable(Variable variable) {
        variables.put(variable.name(), variable);
        if (variable.sensitive()) {
            markSensitive(variable.value());
        }
    }

    /** The variable declared with this name so far, or null. */
    Variable variable(String name) {
        return variables.get(name);
    }

    /** Notes a builder name used by {@code only} or {@code except}; checked at the end, when all builders are known. */
    void referBuilder(String name, SourcePosition at) {
        builderReferences.add(new BuilderReference(name, at));
    }

    /** Whether {@code text} is the stand-in value of an unset or undeclared variable (reported already). */
    static boolean isStandIn(String text) {
        return text.startsWith(UNSET) || text.startsWith(UNDECLARED);
    }

    /**
     * Registers a value (or every string inside a list or map) that must never be shown; what the template computes
     * from it from now on is sensitive too.
     */
    void markSensitive(Object value) {
        taint.declare(value);
    }

    Object variableValue(String name) {
        Variable variable = variables.get(name);
        if (variable == null) {
            report(position(), "no variable `" + name + "` is declared."
                    + Suggestions.didYouMean(name, variables.keySet())
                    + " Declare it first: variable '" + name + "', default: ...");
            return UNDECLARED + name + ">";
        }
        if (variable.source().equals("unset")) {
            return UNSET + name + ">"; // reported once at its declaration; evaluation goes on to find more
        }
        return variable.value();
    }

    Set<String> variableNames() {
        return variables.keySet();
    }

    // ---- the result --------------------------------------------------------------------------------------------

    List<Diagnostic> diagnostics() {
        return diagnostics;
    }

    /** Checks what can only be checked at the end and assembles the plan (null when there were errors). */
    Plan finish(String templatePath) {
        for (String name : inputs.values().keySet()) {
            if (!variables.containsKey(name) && !partial) {
                VariableInputs.Input input = inputs.values().get(name);
                report(new SourcePosition(fileName, 1, 1), input.source() + " sets `" + name
                        + "`, but the template declares no such variable."
                        + Suggestions.didYouMean(name, variables.keySet()) + " Declared: "
                        + (variables.isEmpty() ? "none" : String.join(", ", variables.keySet())) + ".");
            }
        }
        for (Object declaration : unusedDeclarations) {
            if (declaration instanceof BuilderDeclaration b) {
                report(b.declaredAt(), "this " + b.spec().type() + " block is not used; write `builder "
                        + b.spec().type() + " { ... }`");
            } else if (declaration instanceof StepDeclaration s) {
                String verb = s.step().spec().postProcessor() ? "post" : "provision";
                report(s.step().declaredAt(), "this " + s.step().kind() + " block is not used; write `" + verb + " "
                        + s.step().kind() + " { ... }`");
            }
        }
        if (builders.isEmpty() && diagnostics.isEmpty() && !partial) {
            report(new SourcePosition(fileName, 1, 1), "the template declares no builder; add one, for example "
                    + "`builder azure { ... }` or `builder ssh { ... }`");
        }
        Set<String> names = new LinkedHashSet<>();
        builders.forEach(b -> names.add(b.name()));
        for (BuilderReference reference : builderReferences) {
            if (!names.contains(reference.name())) {
                report(reference.at(), "no builder is named '" + reference.name() + "'."
                        + Suggestions.didYouMean(reference.name(), names) + " Builders: " + String.join(", ", names));
            }
        }
        for (BuilderDeclaration b : builders) {
            for (Step step : applicable(post, b.name())) {
                if (step.spec() instanceof dev.imagebake.plan.ScaleSetPost
                        && !(b.spec() instanceof dev.imagebake.plan.AzureBuilderSpec)) {
                    report(step.declaredAt(), "scaleSet rolls out an Azure image, but build '" + b.name()
                            + "' (builder " + b.spec().type() + ") makes none; limit it to azure builds with `only`");
                }
            }
        }
        if (!diagnostics.isEmpty()) {
            return null;
        }
        List<Build> builds = new ArrayList<>();
        for (BuilderDeclaration b : builders) {
            builds.add(new Build(b.name(), b.spec(), applicable(steps, b.name()), applicable(onError, b.name()),
                    applicable(post, b.name()), b.declaredAt()));
        }
        Plan plan = new Plan(templatePath, List.copyOf(variables.values()), builds, taint.maskedInText(),
                taint.maskedWhole());
        SourcePosition over = PlanSize.firstOver(plan, Plan.MAX_CHARS);
        if (over != null) {
            report(over, "limit: the plan would be more than " + Plan.MAX_CHARS + " characters of text, counted from "
                    + "here (every setting, value and step, once for each build it applies to); repeat large values "
                    + "less, or read large files on the build machine instead");
            return null;
        }
        return plan;
    }

    private static List<Step> applicable(List<Step> steps, String build) {
        return steps.stream().filter(s -> s.options().appliesTo(build)).toList();
    }

    /** A builder block's result, before {@code builder} adds it to the template. */
    record BuilderDeclaration(String name, BuilderSpec spec, SourcePosition declaredAt) {
    }

    /** A provisioner or post-processor block's result, before {@code provision} or {@code post} adds it. */
    record StepDeclaration(Step step) {
    }

    /** A builder name that {@code only} or {@code except} used, and where. */
    private record BuilderReference(String name, SourcePosition at) {
    }
}
