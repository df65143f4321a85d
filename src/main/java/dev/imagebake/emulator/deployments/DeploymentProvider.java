package dev.imagebake.emulator.deployments;

import dev.imagebake.emulator.arm.ArmException;
import dev.imagebake.emulator.arm.ArmPath;
import dev.imagebake.emulator.arm.ArmRequest;
import dev.imagebake.emulator.arm.Operations;
import dev.imagebake.emulator.arm.ResourceProvider;
import dev.imagebake.emulator.http.Response;
import dev.imagebake.emulator.state.State;
import dev.imagebake.emulator.state.StateStore;
import dev.imagebake.util.Json;

import static dev.imagebake.emulator.arm.ProviderSupport.*;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Template deployments into a resource group, {@code Microsoft.Resources/deployments}: PUT (validated at once,
 * then run as an Azure-AsyncOperation LRO), GET, HEAD, list, DELETE (the record only, as on Azure),
 * {@code POST .../validate}, {@code POST .../whatIf} and {@code GET .../operations[/{id}]}.
 *
 * <p>When its operation completes, a deployment creates the template's resources one by one, each after what it
 * {@code dependsOn}, through the same resource providers a client would call ({@link InternalArm}); the first
 * failure fails the deployment with ARM's {@code DeploymentFailed} and the resource's own error. Only incremental
 * mode and inline templates ({@code properties.template}) are supported.
 */
public final class DeploymentProvider implements ResourceProvider {
    static final String TYPE = "Microsoft.Resources/deployments";
    private static final String RUN_KIND = "deployment.run";
    private static final String DELETE_KIND = "deployment.delete";
    private static final String WHAT_IF_KIND = "deployment.whatIf";
    private static final String INTERNAL = "_emulator";
    /** Template keys that describe the deployment of a resource rather than the resource itself. */
    private static final List<String> TEMPLATE_ONLY = List.of("type", "apiVersion", "name", "dependsOn", "copy",
            "condition", "comments", "resources", "scope");

    private final StateStore store;
    private final Operations operations;
    private final InternalArm arm;

    /**
     * @param providers the providers that own the resource types templates may contain (and their status URLs)
     */
    public DeploymentProvider(StateStore store, Operations operations, List<ResourceProvider> providers) {
        this.store = store;
        this.operations = operations;
        this.arm = new InternalArm(providers);
        operations.register(RUN_KIND, this::run);
        operations.register(DELETE_KIND, (state, target) -> state.removeTree(target));
        operations.register(WHAT_IF_KIND, (state, target) -> { });
    }

    @Override
    public boolean accepts(ArmPath path) {
        ArmPath full = withProvider(path);
        String base = "subscriptions/*/resourcegroups/*/providers/microsoft.resources/deployments";
        return full.matches(base) || full.matches(base + "/*") || full.matches(base + "/*/validate")
                || full.matches(base + "/*/whatif")
                || full.matches(base + "/*/operations") || full.matches(base + "/*/operations/*");
    }

    /**
     * Older API versions (and the Azure CLI's hybrid profiles) address deployments as
     * {@code .../resourcegroups/{rg}/deployments/...}, without {@code providers/Microsoft.Resources}.
     */
    private static ArmPath withProvider(ArmPath path) {
        if (path.size() >= 5 && path.segment(4).equalsIgnoreCase("deployments")) {
            List<String> segments = new ArrayList<>(path.segments());
            segments.addAll(4, List.of("providers", "Microsoft.Resources"));
            return new ArmPath(List.copyOf(segments));
        }
        return path;
    }

    /**
     * The request body read as ARM reads deployments: the Azure CLI inlines a template file's text as it is
     * (comments and all) after an unquoted {@code template:} key.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> body(ArmRequest request) throws ArmException {
        String text = request.http().bodyText().strip();
        if (text.isEmpty()) {
            return new LinkedHashMap<>();
        }
        try {
            if (Json.parseLenient(text) instanceof Map<?, ?> body) {
                return (Map<String, Object>) body;
            }
        } catch (IllegalArgumentException e) {
            throw ArmException.badRequest("InvalidRequestContent", "The request content was invalid and could not"
                    + " be deserialized: " + e.getMessage());
        }
        throw ArmException.badRequest("InvalidRequestContent", "The request content must be a JSON object.");
    }

    @Override
    public Response handle(ArmRequest armRequest) throws ArmException {
        ArmPath path = withProvider(armRequest.path());
        ArmRequest request = new ArmRequest(armRequest.http(), path, armRequest.apiVersion());
        Map<String, Object> group = store.read(state -> {
            Map<String, Object> g = state.resource("/subscriptions/" + path.segment(1) + "/resourceGroups/"
                    + path.segment(3));
            return g == null ? null : map(deepCopy(g));
        });
        if (group == null) {
            throw ArmException.notFound("ResourceGroupNotFound", "Resource group '" + path.segment(3)
                    + "' could not be found.");
        }
        String groupName = (String) group.get("name");
        String parentId = "/subscriptions/" + path.segment(1) + "/resourceGroups/" + groupName
                + "/providers/Microsoft.Resources";
        if (path.size() == 7) {
            requireMethod(request, "GET");
            return Response.json(200, Map.of("value", store.read(state -> state.children(parentId, "deployments")
                    .stream().map(DeploymentProvider::view).toList())));
        }
        String name = path.segment(7);
        String id = parentId + "/deployments/" + name;
        if (path.size() >= 9 && path.segment(8).equalsIgnoreCase("validate")) {
            requireMethod(request, "POST");
            return validate(request, id, name, group, body(request));
        }
        if (path.size() == 9 && path.segment(8).equalsIgnoreCase("whatIf")) {
            requireMethod(request, "POST");
            return whatIf(request, name, group, body(request));
        }
        if (path.size() >= 9) {
            requireMethod(request, "GET");
            return operationsOf(id, name, path.size() == 10 ? path.segment(9) : null);
        }
        return switch (request.method()) {
            case "GET" -> Response.json(200, existing(id, name));
            case "HEAD" -> Response.empty(store.read(state -> state.resource(id)) == null ? 404 : 204);
            case "PUT" -> put(request, id, name, group, body(request));
            case "DELETE" -> delete(request, id);
            default -> throw methodNotAllowed(request);
        };
    }

    // ---- PUT and validate ----

    private Response put(ArmRequest request, String id, String name, Map<String, Object> group,
                         Map<String, Object> body) throws ArmException {
        Map<String, Object> properties = checkedProperties(body);
        Template template = prepare(request, name, group, properties);
        Object outcome = store.write(state -> {
            Map<String, Object> existing = state.resource(id);
            if (existing != null && isRunning(existing)) {
                return ArmException.conflict("DeploymentActive", "The deployment '" + name + "' cannot be saved,"
                        + " because this would overwrite an existing deployment which is still active.");
            }
            Map<String, Object> deployment = new LinkedHashMap<>();
            deployment.put("id", id);
            deployment.put("name", name);
            deployment.put("type", TYPE);
            if (body.get("tags") instanceof Map<?, ?> tags) {
                deployment.put("tags", new LinkedHashMap<>(tags));
            }
            Map<String, Object> shown = summary(properties, template);
            shown.put("provisioningState", "Accepted");
            shown.put("timestamp", Instant.now().toString());
            shown.put("duration", "PT0S");
            shown.put("correlationId", UUID.randomUUID().toString());
            deployment.put("properties", shown);
            Map<String, Object> internal = new LinkedHashMap<>();
            internal.put("template", properties.get("template"));
            internal.put("parameters", properties.get("parameters") == null ? Map.of() : properties.get("parameters"));
            internal.put("baseUrl", request.http().baseUrl());
            internal.put("apiVersion", request.apiVersion());
            internal.put("operations", List.of());
            deployment.put(INTERNAL, internal);
            state.removeTree(id);
            state.putResource(id, deployment);
            String operationId = operations.start(state, RUN_KIND, id);
            return operations.asyncAccepted(request, existing == null ? 201 : 200, view(deployment),
                    "Microsoft.Resources", (String) group.get("location"), operationId, false);
        });
        return answer(outcome);
    }

    private Response validate(ArmRequest request, String id, String name, Map<String, Object> group,
                              Map<String, Object> body) throws ArmException {
        Map<String, Object> properties = checkedProperties(body);
        Template template = prepare(request, name, group, properties);
        Map<String, Object> shown = summary(properties, template);
        shown.put("provisioningState", "Succeeded");
        shown.put("timestamp", Instant.now().toString());
        shown.put("duration", "PT0S");
        shown.put("correlationId", UUID.randomUUID().toString());
        shown.put("validatedResources", template.resources().stream()
                .map(r -> (Object) new LinkedHashMap<>(Map.of("id", r.id()))).toList());
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", id);
        json.put("name", name);
        json.put("type", TYPE);
        json.put("properties", shown);
        return Response.json(200, json);
    }

    /**
     * {@code POST .../whatIf}: 202 + Location, whose poll answers ARM's WhatIfOperationResult: per template resource
     * {@code Create} (absent), {@code NoChange} (every property the template sets already has that value) or
     * {@code Modify}; the group's other resources are {@code Ignore}d, as incremental mode leaves them alone.
     */
    private Response whatIf(ArmRequest request, String name, Map<String, Object> group, Map<String, Object> body)
            throws ArmException {
        Map<String, Object> properties = checkedProperties(body);
        Template template = prepare(request, name, group, properties);
        List<Object> changes = new ArrayList<>();
        List<String> planned = new ArrayList<>();
        for (Template.Resource resource : template.resources()) {
            Map<String, Object> after = map(deepCopy(resource.functions().resolve(resource.body())));
            if (after.containsKey("condition") && !Boolean.TRUE.equals(after.get("condition"))) {
                continue;
            }
            TEMPLATE_ONLY.forEach(after::remove);
            after.put("id", resource.id());
            after.put("name", resource.name());
            after.put("type", resource.type());
            after.put("apiVersion", resource.apiVersion());
            Map<String, Object> before = arm.get(request.http().baseUrl(), resource.id(), resource.apiVersion());
            Map<String, Object> change = new LinkedHashMap<>();
            change.put("resourceId", resource.id());
            change.put("changeType", before == null ? "Create" : contains(before, after, Set.of("apiVersion"))
                    ? "NoChange" : "Modify");
            if (before != null) {
                change.put("before", before);
            }
            change.put("after", after);
            changes.add(change);
            planned.add(resource.id().toLowerCase(Locale.ROOT));
        }
        String groupId = (String) group.get("id");
        Object outcome = store.write(state -> {
            for (Map<String, Object> other : state.allResources()) {
                String otherId = String.valueOf(other.get("id"));
                if (otherId.toLowerCase(Locale.ROOT).startsWith(groupId.toLowerCase(Locale.ROOT) + "/providers/")
                        && other.get("location") != null && !String.valueOf(other.get("type")).startsWith(
                        "Microsoft.Resources/") && !planned.contains(otherId.toLowerCase(Locale.ROOT))) {
                    changes.add(new LinkedHashMap<>(Map.of("resourceId", otherId, "changeType", "Ignore")));
                }
            }
            String operationId = operations.start(state, WHAT_IF_KIND, groupId);
            state.operation(operationId).put("result", new LinkedHashMap<>(Map.of("status", "Succeeded",
                    "properties", new LinkedHashMap<>(Map.of("changes", changes)))));
            return operations.accepted(request, request.path().segment(1), operationId);
        });
        return answer(outcome);
    }

    /** Whether every value {@code wanted} sets (nested objects recursively, keys aside) is so in {@code actual}. */
    private static boolean contains(Map<String, Object> actual, Map<String, Object> wanted, Set<String> skip) {
        for (Map.Entry<String, Object> entry : wanted.entrySet()) {
            if (skip.contains(entry.getKey())) {
                continue;
            }
            Object have = actual.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(entry.getKey()))
                    .map(Map.Entry::getValue).findFirst().orElse(null);
            Object want = entry.getValue();
            boolean same = want instanceof Map<?, ?> && have instanceof Map<?, ?>
                    ? contains(map(have), map(want), Set.of())
                    : want instanceof List<?> w && have instanceof List<?> h ? sameItems(h, w)
                    : String.valueOf(want).equalsIgnoreCase(String.valueOf(have));
            if (!same) {
                return false;
            }
        }
        return true;
    }

    private static boolean sameItems(List<?> actual, List<?> wanted) {
        if (actual.size() != wanted.size()) {
            return false;
        }
        for (int i = 0; i < wanted.size(); i++) {
            Object want = wanted.get(i);
            Object have = actual.get(i);
            boolean same = want instanceof Map<?, ?> && have instanceof Map<?, ?>
                    ? contains(map(have), map(want), Set.of())
                    : String.valueOf(want).equalsIgnoreCase(String.valueOf(have));
            if (!same) {
                return false;
            }
        }
        return true;
    }

    private static Map<String, Object> checkedProperties(Map<String, Object> body) throws ArmException {
        Map<String, Object> properties = map(body.get("properties"));
        if (properties.get("templateLink") != null) {
            throw ArmException.badRequest("InvalidTemplate", "The emulator only accepts inline templates"
                    + " (properties.template), not properties.templateLink.");
        }
        if (!(properties.get("template") instanceof Map<?, ?>)) {
            throw ArmException.badRequest("InvalidRequestContent", "The request content was invalid: the"
                    + " deployment needs properties.template.");
        }
        String mode = properties.get("mode") instanceof String m ? m : "";
        if (!mode.equalsIgnoreCase("Incremental")) {
            throw ArmException.badRequest("InvalidDeploymentMode", "The deployment mode '" + mode + "' is not"
                    + " supported by the emulator; use 'Incremental'.");
        }
        return properties;
    }

    /** Parses and orders the template now, so that template errors answer the PUT itself, as on Azure. */
    private Template prepare(ArmRequest request, String name, Map<String, Object> group,
                             Map<String, Object> properties) throws ArmException {
        TemplateFunctions.Scope scope = scope(request.path().segment(1), group, name);
        String baseUrl = request.http().baseUrl();
        Template template = Template.prepare(map(properties.get("template")), map(properties.get("parameters")),
                scope, id -> arm.get(baseUrl, id, request.apiVersion()));
        for (Template.Resource resource : template.resources()) {
            if (!arm.serves(resource.id())) {
                throw ArmException.badRequest("InvalidTemplateDeployment", "The template deployment '" + name
                        + "' is not valid: the resource '" + resource.name() + "' is of type '" + resource.type()
                        + "', which the emulator does not serve (InvalidResourceType); nothing was deployed.");
            }
        }
        return template;
    }

    private static TemplateFunctions.Scope scope(String subscriptionId, Map<String, Object> group, String name) {
        return new TemplateFunctions.Scope(subscriptionId, (String) group.get("name"),
                (String) group.get("location"), name);
    }

    /** What GET shows of a deployment besides its state: mode, typed parameters, hash, dependency graph. */
    private static Map<String, Object> summary(Map<String, Object> properties, Template template) {
        Map<String, Object> shown = new LinkedHashMap<>();
        shown.put("templateHash", hash(Json.write(properties.get("template"))));
        Map<String, Object> parameters = new LinkedHashMap<>();
        Map<String, Object> declared = map(map(properties.get("template")).get("parameters"));
        template.parameters().forEach((key, value) -> parameters.put(key, new LinkedHashMap<>(Map.of(
                "type", String.valueOf(map(declared.get(key)).getOrDefault("type", "String")), "value", value))));
        // Secure values never come back, as on Azure.
        parameters.forEach((key, value) -> {
            if (String.valueOf(map(value).get("type")).toLowerCase(Locale.ROOT).startsWith("secure")) {
                map(value).remove("value");
            }
        });
        shown.put("parameters", parameters);
        shown.put("mode", "Incremental");
        List<Object> dependencies = new ArrayList<>();
        for (Template.Resource resource : template.resources()) {
            if (!resource.dependsOn().isEmpty()) {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("dependsOn", template.resources().stream()
                        .filter(r -> resource.dependsOn().stream().anyMatch(d -> Template.refersTo(d, r)))
                        .map(r -> (Object) new LinkedHashMap<>(Map.of("id", r.id(), "resourceType", r.type(),
                                "resourceName", r.name()))).toList());
                entry.put("id", resource.id());
                entry.put("resourceType", resource.type());
                entry.put("resourceName", resource.name());
                dependencies.add(entry);
            }
        }
        shown.put("dependencies", dependencies);
        return shown;
    }

    // ---- running ----

    /** The operation's completion: deploys every resource in order, then evaluates the outputs. */
    private void run(State state, String id) throws ArmException {
        Map<String, Object> deployment = state.resource(id);
        if (deployment == null) {
            return;
        }
        Map<String, Object> internal = map(deployment.get(INTERNAL));
        Map<String, Object> properties = map(deployment.get("properties"));
        String baseUrl = (String) internal.get("baseUrl");
        String apiVersion = (String) internal.get("apiVersion");
        String[] segments = id.split("/");
        Map<String, Object> group = state.resource("/subscriptions/" + segments[2] + "/resourceGroups/" + segments[4]);
        Instant started = Instant.now();
        properties.put("provisioningState", "Running");
        List<Object> records = new ArrayList<>();
        internal.put("operations", records);
        try {
            Template template = Template.prepare(map(internal.get("template")), map(internal.get("parameters")),
                    scope(segments[2], map(group), segments[8]), target -> arm.get(baseUrl, target, apiVersion));
            List<Object> outputResources = new ArrayList<>();
            for (Template.Resource resource : template.resources()) {
                Map<String, Object> body = map(resource.functions().resolve(resource.body()));
                if (body.containsKey("condition") && !Boolean.TRUE.equals(body.get("condition"))) {
                    continue;
                }
                TEMPLATE_ONLY.forEach(body::remove);
                Instant resourceStarted = Instant.now();
                try {
                    arm.putAndWait(baseUrl, resource.id(), resource.apiVersion(), body);
                } catch (ArmException e) {
                    records.add(record(id, resource, resourceStarted, "Failed", e));
                    throw new ArmException(e.status(), "DeploymentFailed", "At least one resource deployment"
                            + " operation failed. Please list deployment operations for details. Resource '"
                            + resource.id() + "' failed: " + e.code() + ": " + e.getMessage());
                }
                records.add(record(id, resource, resourceStarted, "Succeeded", null));
                outputResources.add(new LinkedHashMap<>(Map.of("id", resource.id())));
            }
            properties.put("outputs", template.evaluateOutputs());
            properties.put("outputResources", outputResources);
            properties.put("provisioningState", "Succeeded");
        } catch (ArmException e) {
            properties.put("provisioningState", "Failed");
            properties.put("error", new LinkedHashMap<>(Map.of("code", e.code(), "message", e.getMessage())));
            throw e;
        } finally {
            properties.put("duration", Duration.between(started, Instant.now()).toString());
            properties.put("timestamp", Instant.now().toString());
        }
    }

    private static Map<String, Object> record(String deploymentId, Template.Resource resource, Instant started,
                                              String outcome, ArmException error) {
        String operationId = hash(deploymentId + "|" + resource.id()).substring(0, 16).toUpperCase(Locale.ROOT);
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("provisioningOperation", "Create");
        p.put("provisioningState", outcome);
        p.put("timestamp", Instant.now().toString());
        p.put("duration", Duration.between(started, Instant.now()).toString());
        p.put("trackingId", UUID.randomUUID().toString());
        p.put("statusCode", error == null ? "OK" : error.code());
        if (error != null) {
            p.put("statusMessage", new LinkedHashMap<>(Map.of("error", new LinkedHashMap<>(Map.of(
                    "code", error.code(), "message", error.getMessage())))));
        }
        p.put("targetResource", new LinkedHashMap<>(Map.of("id", resource.id(), "resourceType", resource.type(),
                "resourceName", resource.name())));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", deploymentId + "/operations/" + operationId);
        json.put("operationId", operationId);
        json.put("properties", p);
        return json;
    }

    // ---- reading, deleting ----

    private Map<String, Object> existing(String id, String name) throws ArmException {
        Map<String, Object> document = store.read(state -> {
            Map<String, Object> d = state.resource(id);
            return d == null ? null : view(d);
        });
        if (document == null) {
            throw notFound(name);
        }
        return document;
    }

    private Response operationsOf(String id, String name, String operationId) throws ArmException {
        List<Map<String, Object>> records = store.read(state -> {
            Map<String, Object> d = state.resource(id);
            return d == null ? null : maps(deepCopy(map(d.get(INTERNAL)).get("operations")));
        });
        if (records == null) {
            throw notFound(name);
        }
        if (operationId == null) {
            return Response.json(200, Map.of("value", records));
        }
        return Response.json(200, records.stream().filter(r -> operationId.equalsIgnoreCase(
                String.valueOf(r.get("operationId")))).findFirst().orElseThrow(() -> ArmException.notFound(
                "DeploymentOperationNotFound", "The deployment operation '" + operationId + "' could not be"
                        + " found.")));
    }

    private Response delete(ArmRequest request, String id) throws ArmException {
        Object outcome = store.write(state -> {
            Map<String, Object> deployment = state.resource(id);
            if (deployment == null) {
                return Response.empty(204);
            }
            if (isRunning(deployment)) {
                return ArmException.conflict("DeploymentActive", "The deployment '" + deployment.get("name")
                        + "' is still active and cannot be deleted.");
            }
            return operations.accepted(request, request.path().segment(1),
                    operations.start(state, DELETE_KIND, id));
        });
        return answer(outcome);
    }

    private static boolean isRunning(Map<String, Object> deployment) {
        String state = String.valueOf(map(deployment.get("properties")).get("provisioningState"));
        return state.equals("Accepted") || state.equals("Running");
    }

    private static Map<String, Object> view(Map<String, Object> deployment) {
        Map<String, Object> json = map(deepCopy(deployment));
        json.remove(INTERNAL);
        return json;
    }

    private static ArmException notFound(String name) {
        return ArmException.notFound("DeploymentNotFound", "Deployment '" + name + "' could not be found.");
    }

    private static String hash(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(
                    text.getBytes(java.nio.charset.StandardCharsets.UTF_8))).substring(0, 20);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
