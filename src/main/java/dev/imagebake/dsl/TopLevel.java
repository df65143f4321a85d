package dev.imagebake.dsl;

import dev.imagebake.dsl.sandbox.HandOver;
import dev.imagebake.plan.Variable;
import dev.imagebake.util.Json;
import groovy.lang.Closure;
import groovy.lang.DelegatesTo;

import java.math.BigDecimal;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** The keywords of a template's top level. */
public final class TopLevel extends StepTypes {
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Set<String> VARIABLE_OPTIONS = Set.of("default", "description", "sensitive", "type");
    private static final Set<String> TYPES = Set.of("string", "number", "bool", "list", "map");
    private static final Pattern NUMBER = Pattern.compile("[-+]?\\d+(\\.\\d+)?([eE][-+]?\\d+)?");

    TopLevel(Evaluation evaluation) {
        super(evaluation);
    }

    @Override
    protected String blockName() {
        return "the template";
    }

    /**
     * Declares a variable: {@code variable 'location', default: 'westeurope', description: '...'}. Options:
     * {@code default}, {@code description}, {@code sensitive} (never shown), {@code type} (string, number, bool,
     * list, map; inferred from the default). A variable without a default must be given a value.
     */
    public Object variable(Map<?, ?> options, Object name) {
        String variableName = string("variable", name);
        if (!IDENTIFIER.matcher(variableName).matches()) {
            throw new TemplateError("variable names are letters, digits and _, not starting with a digit; got '"
                    + variableName + "'");
        }
        options("variable", options, VARIABLE_OPTIONS);
        Variable earlier = evaluation.variable(variableName);
        if (earlier != null) {
            throw new TemplateError("variable `" + variableName + "` is already declared on line "
                    + earlier.declaredAt().line() + "; remove one of the two declarations");
        }
        boolean sensitive = options.containsKey("sensitive") && bool("sensitive", options.get("sensitive"));
        String description = optionalString("description", options.get("description"));
        boolean hasDefault = options.containsKey("default");
        Object fallback = options.get("default");
        String fallbackSource = "default";
        if (fallback instanceof Helpers.EnvironmentValue env) {
            // As in Packer, an unset environment variable reads as the empty string.
            fallback = evaluation.inputs().environment().getOrDefault(env.name(), "");
            fallbackSource = evaluation.inputs().environment().containsKey(env.name()) ? "env " + env.name()
                    : "env " + env.name() + ", unset";
        }
        String type = options.containsKey("type") ? string("type", options.get("type")) : inferType(fallback);
        if (!TYPES.contains(type)) {
            throw new TemplateError("variable type '" + type + "' is not one of " + String.join(", ",
                    List.of("string", "number", "bool", "list", "map")));
        }
        VariableInputs.Input input = evaluation.inputs().values().get(variableName);
        Object value = null;
        String source = "unset";
        if (input != null) {
            value = convert(variableName, type, input.value(), input.source());
            source = input.source();
        } else if (hasDefault) {
            value = convert(variableName, type, fallback, fallbackSource);
            source = fallbackSource;
        } else {
            error("variable `" + variableName + "` has no value: give it with -var " + variableName
                    + "=..., in a -var-file, or as the environment variable " + VariableInputs.ENV_PREFIX
                    + variableName);
        }
        evaluation.addVariable(new Variable(variableName, type, description, sensitive, value, source, declaredHere()));
        return null;
    }

    public Object variable(Object name) {
        return variable(Map.of(), name);
    }

    private dev.imagebake.plan.SourcePosition declaredHere() {
        return evaluation.position();
    }

    private static String inferType(Object value) {
        if (value instanceof Number) {
            return "number";
        } else if (value instanceof Boolean) {
            return "bool";
        } else if (value instanceof Collection) {
            return "list";
        } else if (value instanceof Map) {
            return "map";
        }
        return "string";
    }

    private Object convert(String name, String type, Object value, String source) {
        String context = "variable `" + name + "` (" + type + ") from " + source;
        if (value == null) {
            return null;
        }
        boolean text = value instanceof CharSequence;
        String raw = text ? evaluation.text(value) : null;
        try {
            switch (type) {
                case "number":
                    if (value instanceof Number) {
                        return value;
                    }
                    if (text) {
                        if (!NUMBER.matcher(raw.trim()).matches()) {
                            throw new TemplateError(context + " is not a valid number; got " + describe(value));
                        }
                        BigDecimal n = new BigDecimal(raw.trim());
                        return n.scale() <= 0 && n.abs().compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) < 0
                                ? (Object) n.longValueExact() : n;
                    }
                    break;
                case "bool":
                    if (value instanceof Boolean) {
                        return value;
                    }
                    if (text && (raw.equals("true") || raw.equals("false"))) {
                        return Boolean.valueOf(raw);
                    }
                    break;
                case "list":
                    if (value instanceof List<?> l) {
                        return HandOver.freeze("variable " + name, l);
                    }
                    if (text && Json.parse(raw) instanceof List<?> l) {
                        return HandOver.freeze("variable " + name, l);
                    }
                    break;
                case "map":
                    if (value instanceof Map<?, ?> m) {
                        return HandOver.freeze("variable " + name, m);
                    }
                    if (text && Json.parse(raw) instanceof Map<?, ?> m) {
                        return HandOver.freeze("variable " + name, m);
                    }
                    break;
                default:
                    if (text) {
                        return raw;
                    }
                    if (value instanceof Number || value instanceof Boolean) {
                        return value.toString();
                    }
                    break;
            }
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new TemplateError(context + " is not a valid " + type + ": " + e.getMessage());
        }
        throw new TemplateError(context + " must be a " + type + "; got " + describe(value));
    }

    /** Adds a build: {@code builder azure { ... }} or, named, {@code builder azure('eu') { ... }}. */
    public Object builder(Object declaration) {
        if (declaration instanceof Evaluation.BuilderDeclaration b) {
            evaluation.use(b);
            evaluation.addBuilder(b);
            return null;
        }
        throw new TemplateError("`builder` is followed by a builder type and its block: builder azure { ... } "
                + "or builder ssh { ... }; got " + describe(declaration));
    }

    /** Adds a provisioning step to every build (or those named by its {@code only}/{@code except}). */
    public Object provision(Object declaration) {
        if (declaration instanceof Evaluation.StepDeclaration s && !isPost(s)) {
            evaluation.use(s);
            evaluation.addStep(s.step());
            return null;
        }
        if (declaration instanceof Evaluation.StepDeclaration s) {
            evaluation.use(s);
            throw new TemplateError("`" + s.step().kind() + "` is a post-processor: write `post " + s.step().kind()
                    + " { ... }`");
        }
        throw new TemplateError("`provision` is followed by a provisioner and its block, for example "
                + "provision shell { inline 'echo hello' }; provisioners: shell, file, shellLocal, breakpoint, "
                + "reboot, ansible; got " + describe(declaration));
    }

    /** Adds a post-processing step, run after the build's artifact exists. */
    public Object post(Object declaration) {
        if (declaration instanceof Evaluation.StepDeclaration s && isPost(s)) {
            evaluation.use(s);
            evaluation.addPost(s.step());
            return null;
        }
        if (declaration instanceof Evaluation.StepDeclaration s) {
            evaluation.use(s);
            throw new TemplateError("`" + s.step().kind() + "` is a provisioner: write `provision "
                    + s.step().kind() + " { ... }`");
        }
        throw new TemplateError("`post` is followed by a post-processor and its block, for example "
                + "post manifest { ... }; post-processors: manifest, scaleSet; got "
                + describe(declaration));
    }

    /** Provisioners that run only when a provisioning step fails, before cleanup (for collecting logs). */
    public Object onError(@DelegatesTo(OnErrorContext.class) Closure<?> body) {
        new OnErrorContext(evaluation).runBlock(body);
        return null;
    }

    /** An Azure builder: bakes a managed image and/or a gallery image version on Azure. */
    public Object azure(@DelegatesTo(AzureBuilderContext.class) Closure<?> body) {
        return azure("azure", body);
    }

    /** A named Azure builder, for templates with several: {@code builder azure('eu') { ... }}. */
    public Object azure(Object name, @DelegatesTo(AzureBuilderContext.class) Closure<?> body) {
        return declareBuilder(new AzureBuilderContext(evaluation, string("azure", name)), body);
    }

    /** An existing machine reached over SSH: provisions it, captures nothing. */
    public Object ssh(@DelegatesTo(SshBuilderContext.class) Closure<?> body) {
        return ssh("ssh", body);
    }

    public Object ssh(Object name, @DelegatesTo(SshBuilderContext.class) Closure<?> body) {
        return declareBuilder(new SshBuilderContext(evaluation, string("ssh", name)), body);
    }

    private Object declareBuilder(BuilderContext context, Closure<?> body) {
        context.runBlock(body);
        Evaluation.BuilderDeclaration declaration = context.build();
        evaluation.declare(declaration);
        return declaration;
    }
}
