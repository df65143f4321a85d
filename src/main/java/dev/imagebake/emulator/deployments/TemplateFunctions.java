package dev.imagebake.emulator.deployments;

import dev.imagebake.emulator.arm.ArmException;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

import static dev.imagebake.emulator.deployments.TemplateExpression.integer;

/**
 * The template functions the emulator evaluates, in one deployment's scope: what the Azure CLI's generated
 * templates use ({@code parameters}, {@code variables}, {@code concat}, {@code resourceId}, {@code reference},
 * {@code providers}, {@code copyIndex}) and a few common ones from hand-written templates. Anything else is an
 * {@code InvalidTemplate} error naming the function, rather than a silently wrong value.
 */
final class TemplateFunctions {
    /** Where a deployment runs: subscription, resource group name/location, deployment name. */
    record Scope(String subscriptionId, String resourceGroup, String location, String deploymentName) {
        String groupId() {
            return "/subscriptions/" + subscriptionId + "/resourceGroups/" + resourceGroup;
        }
    }

    private final Scope scope;
    private final Map<String, Object> parameters;
    private final Map<String, Object> rawVariables;
    private final Map<String, Object> variables = new LinkedHashMap<>();
    private final Set<String> evaluating = new HashSet<>();
    private final Function<String, Map<String, Object>> resources;
    private final Map<String, List<String>> idsByName;
    private final Integer copyIndex;

    /**
     * @param parameters the deployment's parameter values (defaults applied)
     * @param resources  finds a resource document by ID, for {@code reference()}; null when it does not exist
     * @param idsByName  the IDs of the template's own resources by lower-cased name, so that
     *                   {@code reference('name')} finds a resource of the same template, as ARM documents; the
     *                   template fills it once its resources' names are evaluated
     */
    TemplateFunctions(Scope scope, Map<String, Object> parameters, Map<String, Object> rawVariables,
                      Function<String, Map<String, Object>> resources, Map<String, List<String>> idsByName,
                      Integer copyIndex) {
        this.scope = scope;
        this.parameters = parameters;
        this.rawVariables = rawVariables;
        this.resources = resources;
        this.idsByName = idsByName;
        this.copyIndex = copyIndex;
    }

    /** The same scope inside iteration {@code index} of a copy loop. */
    TemplateFunctions inCopy(int index) {
        return new TemplateFunctions(scope, parameters, rawVariables, resources, idsByName, index);
    }

    /** Evaluates every expression inside a JSON value (objects, arrays and strings, recursively). */
    @SuppressWarnings("unchecked")
    Object resolve(Object value) throws ArmException {
        if (value instanceof String s) {
            return TemplateExpression.evaluate(s, this);
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<String, Object> entry : ((Map<String, Object>) map).entrySet()) {
                out.put(entry.getKey(), resolve(entry.getValue()));
            }
            return out;
        }
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>();
            for (Object item : list) {
                out.add(resolve(item));
            }
            return out;
        }
        return value;
    }

    Object call(String name, List<Object> args) throws ArmException {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "parameters" -> {
                String key = text(args, 0, name);
                if (!parameters.containsKey(key)) {
                    throw invalid("The template parameter '" + key + "' is not found.");
                }
                yield parameters.get(key);
            }
            case "variables" -> variable(text(args, 0, name));
            case "concat" -> concat(args);
            case "format" -> format(args);
            case "resourceid" -> resourceId(args);
            case "subscriptionresourceid" -> "/subscriptions/" + scope.subscriptionId + "/providers/"
                    + typedPath(args.stream().map(String::valueOf).toList());
            case "resourcegroup" -> Map.of("id", scope.groupId(), "name", scope.resourceGroup, "location",
                    scope.location, "type", "Microsoft.Resources/resourceGroups");
            case "subscription" -> Map.of("id", "/subscriptions/" + scope.subscriptionId, "subscriptionId",
                    scope.subscriptionId);
            case "deployment" -> Map.of("name", scope.deploymentName);
            case "copyindex" -> {
                if (copyIndex == null) {
                    throw invalid("The template function 'copyIndex' is not expected at this location.");
                }
                yield (long) copyIndex + (args.isEmpty() ? 0 : integer(args.get(0)));
            }
            case "reference" -> reference(args);
            case "providers" -> Map.of("namespace", text(args, 0, name), "resourceType", text(args, 1, name),
                    "apiVersions", List.of("2022-11-01"));
            case "tolower" -> text(args, 0, name).toLowerCase(Locale.ROOT);
            case "toupper" -> text(args, 0, name).toUpperCase(Locale.ROOT);
            case "string" -> String.valueOf(args.get(0));
            case "int" -> (long) integer(args.get(0));
            case "equals" -> String.valueOf(args.get(0)).equals(String.valueOf(args.get(1)));
            case "not" -> !Boolean.TRUE.equals(args.get(0));
            case "and" -> args.stream().allMatch(Boolean.TRUE::equals);
            case "or" -> args.stream().anyMatch(Boolean.TRUE::equals);
            case "true" -> true;
            case "false" -> false;
            case "if" -> Boolean.TRUE.equals(args.get(0)) ? args.get(1) : args.get(2);
            case "empty" -> args.get(0) == null || args.get(0) instanceof String s && s.isEmpty()
                    || args.get(0) instanceof List<?> l && l.isEmpty() || args.get(0) instanceof Map<?, ?> m && m.isEmpty();
            case "length" -> (long) (args.get(0) instanceof List<?> l ? l.size() : args.get(0) instanceof Map<?, ?> m
                    ? m.size() : String.valueOf(args.get(0)).length());
            case "add" -> (long) integer(args.get(0)) + integer(args.get(1));
            case "sub" -> (long) integer(args.get(0)) - integer(args.get(1));
            case "createarray" -> new ArrayList<>(args);
            case "uniquestring" -> uniqueString(args);
            case "guid" -> UUID.nameUUIDFromBytes(String.join("-", args.stream().map(String::valueOf).toList())
                    .getBytes(StandardCharsets.UTF_8)).toString();
            default -> throw invalid("The template function '" + name + "' is not supported by the emulator.");
        };
    }

    private Object variable(String key) throws ArmException {
        if (variables.containsKey(key)) {
            return variables.get(key);
        }
        if (!rawVariables.containsKey(key)) {
            throw invalid("The template variable '" + key + "' is not found.");
        }
        if (!evaluating.add(key)) {
            throw invalid("The template variable '" + key + "' refers to itself.");
        }
        Object value = resolve(rawVariables.get(key));
        evaluating.remove(key);
        variables.put(key, value);
        return value;
    }

    private static Object concat(List<Object> args) {
        if (!args.isEmpty() && args.stream().allMatch(a -> a instanceof List<?>)) {
            List<Object> out = new ArrayList<>();
            args.forEach(a -> out.addAll((List<?>) a));
            return out;
        }
        StringBuilder out = new StringBuilder();
        args.forEach(a -> out.append(a == null ? "" : a));
        return out.toString();
    }

    private static Object format(List<Object> args) {
        String text = String.valueOf(args.get(0));
        for (int i = 1; i < args.size(); i++) {
            text = text.replace("{" + (i - 1) + "}", String.valueOf(args.get(i)));
        }
        return text;
    }

    /**
     * {@code resourceId([subscriptionId,] [resourceGroup,] 'Namespace/type[/child]', name...)}: the arguments
     * before the first one containing a slash are the optional scope.
     */
    private String resourceId(List<Object> args) throws ArmException {
        List<String> values = args.stream().map(String::valueOf).toList();
        int typeAt = 0;
        while (typeAt < values.size() && !values.get(typeAt).contains("/")) {
            typeAt++;
        }
        if (typeAt >= values.size() || typeAt > 2) {
            throw invalid("resourceId() needs a resource type such as 'Microsoft.Network/virtualNetworks'.");
        }
        String subscription = typeAt == 2 ? values.get(0) : scope.subscriptionId;
        String group = typeAt == 2 ? values.get(1) : typeAt == 1 ? values.get(0) : scope.resourceGroup;
        return "/subscriptions/" + subscription + "/resourceGroups/" + group + "/providers/"
                + typedPath(values.subList(typeAt, values.size()));
    }

    /** {@code Microsoft.X/a/b} and names {@code n1, n2} to {@code Microsoft.X/a/n1/b/n2}. */
    private static String typedPath(List<String> typeAndNames) throws ArmException {
        String[] type = typeAndNames.get(0).split("/");
        List<String> names = typeAndNames.subList(1, typeAndNames.size());
        if (names.size() != type.length - 1) {
            throw invalid("The resource type '" + typeAndNames.get(0) + "' needs " + (type.length - 1)
                    + " name(s), got " + names.size() + ".");
        }
        StringBuilder path = new StringBuilder(type[0]);
        for (int i = 1; i < type.length; i++) {
            path.append('/').append(type[i]).append('/').append(names.get(i - 1));
        }
        return path.toString();
    }

    /** {@code reference(idOrName [, apiVersion] [, 'Full'])}: the resource's properties, or all of it. */
    private Object reference(List<Object> args) throws ArmException {
        String target = text(args, 0, "reference");
        String id = target.startsWith("/") ? target : idOfName(target);
        Map<String, Object> document = resources.apply(id);
        if (document == null) {
            throw ArmException.notFound("ResourceNotFound", "The Resource '" + target + "' was not found;"
                    + " reference() needs it deployed first (add it to dependsOn).");
        }
        boolean full = args.size() > 2 && "Full".equalsIgnoreCase(String.valueOf(args.get(2)));
        return full ? document : document.get("properties");
    }

    /**
     * A resource of this template by its name ({@code 'ip1'}, {@code 'vnet/subnet'}), as ARM resolves
     * {@code reference('name')}; otherwise a short {@code Microsoft.Network/publicIPAddresses/ip1} in the
     * deployment's group.
     */
    private String idOfName(String name) throws ArmException {
        List<String> ids = idsByName.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
        if (ids.size() > 1) {
            throw invalid("The template reference '" + name + "' is ambiguous: more than one resource of the"
                    + " template has that name (" + String.join(", ", ids) + "). Use resourceId() instead.");
        }
        return ids.isEmpty() ? scope.groupId() + "/providers/" + name : ids.get(0);
    }

    private String uniqueString(List<Object> args) throws ArmException {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(String.join("|",
                    args.stream().map(String::valueOf).toList()).getBytes(StandardCharsets.UTF_8));
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < 13; i++) {
                out.append("abcdefghijklmnopqrstuvwxyz234567".charAt((hash[i] & 0xff) % 32));
            }
            return out.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static String text(List<Object> args, int index, String function) throws ArmException {
        if (args.size() <= index || !(args.get(index) instanceof String s)) {
            throw invalid("The template function '" + function + "' expects a string as argument "
                    + (index + 1) + ".");
        }
        return s;
    }

    private static ArmException invalid(String message) {
        return ArmException.badRequest("InvalidTemplate", "Deployment template validation failed: " + message);
    }
}
