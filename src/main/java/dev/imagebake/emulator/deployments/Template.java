package dev.imagebake.emulator.deployments;

import dev.imagebake.emulator.arm.ArmException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static dev.imagebake.emulator.arm.ProviderSupport.map;
import static dev.imagebake.emulator.arm.ProviderSupport.maps;

/**
 * A deployment template made ready to run: parameter values checked against the declared parameters (defaults
 * applied), {@code copy} loops expanded, every resource's name, type and dependencies evaluated, and the resources
 * put in an order where each comes after what it {@code dependsOn}. Resource bodies stay unevaluated until their
 * turn, as {@code reference()} may read a resource deployed just before.
 */
final class Template {
    /** One resource instance: its ID, type, the unevaluated body and the scope to evaluate it in. */
    record Resource(String id, String type, String name, String apiVersion, Map<String, Object> body,
                    TemplateFunctions functions, List<String> dependsOn) {
    }

    private final List<Resource> ordered;
    private final Map<String, Object> outputs;
    private final TemplateFunctions functions;
    private final Map<String, Object> parameters;

    private Template(List<Resource> ordered, Map<String, Object> outputs, TemplateFunctions functions,
                     Map<String, Object> parameters) {
        this.ordered = ordered;
        this.outputs = outputs;
        this.functions = functions;
        this.parameters = parameters;
    }

    static Template prepare(Map<String, Object> template, Map<String, Object> parameterValues,
                            TemplateFunctions.Scope scope,
                            java.util.function.Function<String, Map<String, Object>> resources)
            throws ArmException {
        Map<String, Object> parameters = parameters(map(template.get("parameters")), parameterValues);
        // Default values are expressions too ("[resourceGroup().location]"), and may use parameters before them.
        for (String name : new ArrayList<>(parameters.keySet())) {
            if (parameterValues.keySet().stream().noneMatch(name::equalsIgnoreCase)) {
                parameters.put(name, new TemplateFunctions(scope, parameters, Map.of(), resources, Map.of(), null)
                        .resolve(parameters.get(name)));
            }
        }
        Map<String, List<String>> idsByName = new HashMap<>();
        TemplateFunctions functions = new TemplateFunctions(scope, parameters, map(template.get("variables")),
                resources, idsByName, null);
        List<Resource> instances = new ArrayList<>();
        for (Map<String, Object> resource : maps(template.get("resources"))) {
            Map<String, Object> copy = map(resource.get("copy"));
            if (copy.isEmpty()) {
                instances.add(instance(resource, functions, scope));
            } else {
                int count = TemplateExpression.integer(functions.resolve(copy.get("count")));
                for (int i = 0; i < count; i++) {
                    instances.add(instance(resource, functions.inCopy(i), scope));
                }
            }
        }
        for (Resource instance : instances) {
            idsByName.computeIfAbsent(instance.name().toLowerCase(Locale.ROOT), n -> new ArrayList<>())
                    .add(instance.id());
        }
        return new Template(order(instances), map(template.get("outputs")), functions, parameters);
    }

    List<Resource> resources() {
        return ordered;
    }

    Map<String, Object> parameters() {
        return parameters;
    }

    /** The outputs, evaluated now (after every resource is deployed): {@code {name: {type, value}}}. */
    Map<String, Object> evaluateOutputs() throws ArmException {
        Map<String, Object> evaluated = new LinkedHashMap<>();
        for (Map.Entry<String, Object> output : outputs.entrySet()) {
            Map<String, Object> declared = map(output.getValue());
            Map<String, Object> value = new LinkedHashMap<>();
            value.put("type", declared.getOrDefault("type", "string"));
            value.put("value", functions.resolve(declared.get("value")));
            evaluated.put(output.getKey(), value);
        }
        return evaluated;
    }

    private static Map<String, Object> parameters(Map<String, Object> declared, Map<String, Object> given)
            throws ArmException {
        Map<String, Object> values = new LinkedHashMap<>();
        for (String name : given.keySet()) {
            if (declared.keySet().stream().noneMatch(name::equalsIgnoreCase)) {
                throw ArmException.badRequest("InvalidTemplate", "Deployment template validation failed: 'The"
                        + " template parameters '" + name + "' in the parameters file are not valid; they are not"
                        + " present in the original template and can therefore not be provided at deployment time.'");
            }
        }
        for (Map.Entry<String, Object> parameter : declared.entrySet()) {
            String name = parameter.getKey();
            Object value = given.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> map(e.getValue()).get("value")).findFirst().orElse(null);
            if (value == null) {
                value = map(parameter.getValue()).get("defaultValue");
            }
            if (value == null) {
                throw ArmException.badRequest("InvalidTemplate", "Deployment template validation failed: 'The"
                        + " value for the template parameter '" + name + "' is not provided.'");
            }
            values.put(name, value);
        }
        return values;
    }

    private static Resource instance(Map<String, Object> resource, TemplateFunctions functions,
                                     TemplateFunctions.Scope scope) throws ArmException {
        String type = String.valueOf(functions.resolve(resource.get("type")));
        String name = String.valueOf(functions.resolve(resource.get("name")));
        String apiVersion = String.valueOf(functions.resolve(resource.get("apiVersion")));
        List<String> dependsOn = new ArrayList<>();
        if (resource.get("dependsOn") instanceof List<?> list) {
            for (Object dependency : list) {
                dependsOn.add(String.valueOf(functions.resolve(dependency)));
            }
        }
        return new Resource(id(scope, type, name), type, name, apiVersion, resource, functions, dependsOn);
    }

    /** {@code Microsoft.X/a/b} named {@code n1/n2} to its ID in the deployment's resource group. */
    private static String id(TemplateFunctions.Scope scope, String type, String name) throws ArmException {
        String[] types = type.split("/");
        String[] names = name.split("/");
        if (types.length < 2 || names.length != types.length - 1) {
            throw ArmException.badRequest("InvalidTemplate", "Deployment template validation failed: the resource"
                    + " '" + name + "' of type '" + type + "' has an incorrect number of name segments.");
        }
        StringBuilder id = new StringBuilder(scope.groupId()).append("/providers/").append(types[0]);
        for (int i = 1; i < types.length; i++) {
            id.append('/').append(types[i]).append('/').append(names[i - 1]);
        }
        return id.toString();
    }

    /**
     * Orders the resources so that each follows its dependencies (a dependency is a resource ID, {@code type/name}
     * or a bare name, as ARM accepts); keeps template order otherwise; refuses unknown targets and cycles.
     */
    private static List<Resource> order(List<Resource> resources) throws ArmException {
        Map<Resource, List<Resource>> edges = new HashMap<>();
        for (Resource resource : resources) {
            List<Resource> targets = new ArrayList<>();
            for (String dependency : resource.dependsOn()) {
                List<Resource> matched = resources.stream().filter(r -> refersTo(dependency, r)).toList();
                if (matched.isEmpty()) {
                    throw ArmException.badRequest("InvalidTemplate", "Deployment template validation failed: 'The"
                            + " resource '" + dependency + "' is not defined in the template.'");
                }
                targets.addAll(matched);
            }
            edges.put(resource, targets);
        }
        List<Resource> ordered = new ArrayList<>();
        List<Resource> visiting = new ArrayList<>();
        for (Resource resource : resources) {
            visit(resource, edges, ordered, visiting);
        }
        return ordered;
    }

    private static void visit(Resource resource, Map<Resource, List<Resource>> edges, List<Resource> ordered,
                              List<Resource> visiting) throws ArmException {
        if (ordered.contains(resource)) {
            return;
        }
        if (visiting.contains(resource)) {
            throw ArmException.badRequest("InvalidTemplate", "Deployment template validation failed: 'Circular"
                    + " dependency detected on resource: '" + resource.id() + "'.'");
        }
        visiting.add(resource);
        for (Resource dependency : edges.get(resource)) {
            visit(dependency, edges, ordered, visiting);
        }
        visiting.remove(resource);
        ordered.add(resource);
    }

    /** True when a {@code dependsOn} entry names this resource (by ID, {@code type/name} or name). */
    static boolean refersTo(String dependency, Resource resource) {
        String wanted = dependency.toLowerCase(Locale.ROOT);
        return wanted.equals(resource.id().toLowerCase(Locale.ROOT))
                || wanted.equals((resource.type() + "/" + resource.name()).toLowerCase(Locale.ROOT))
                || wanted.equals(resource.name().toLowerCase(Locale.ROOT));
    }
}
