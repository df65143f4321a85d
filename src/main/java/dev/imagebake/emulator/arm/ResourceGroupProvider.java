package dev.imagebake.emulator.arm;

import dev.imagebake.emulator.http.Response;
import dev.imagebake.emulator.state.State;
import dev.imagebake.emulator.state.StateStore;
import dev.imagebake.util.AzureNames;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Resource groups: PUT (synchronous, 201 new / 200 existing), PATCH (tags), GET, HEAD, list, and DELETE as a
 * 202 + Location operation that removes the group and everything in it when it completes. The machines behind the
 * group's VMs and scale set instances stop and go as soon as the deletion starts, as {@code az vm delete}'s do.
 */
public final class ResourceGroupProvider implements ResourceProvider {
    private static final String DELETE_KIND = "deleteResourceGroup";
    private static final String TYPE = "Microsoft.Resources/resourceGroups";

    /** A provider whose resources own something outside the state (running machines) that a group deletion ends. */
    public interface Teardown {
        /** The group {@code groupId} is being deleted: end what its resources run; their documents go with it. */
        void groupDeleting(State state, String groupId);
    }

    private final StateStore store;
    private final Operations operations;
    private final List<Teardown> teardowns;

    public ResourceGroupProvider(StateStore store, Operations operations, Teardown... teardowns) {
        this.store = store;
        this.operations = operations;
        this.teardowns = List.of(teardowns);
        operations.register(DELETE_KIND, (state, target) -> {
            teardowns(state, target); // again: a machine may have been created in the group since
            state.removeTree(target);
        });
    }

    private void teardowns(State state, String groupId) {
        for (Teardown teardown : teardowns) {
            teardown.groupDeleting(state, groupId);
        }
    }

    @Override
    public boolean accepts(ArmPath path) {
        return path.matches("subscriptions/*/resourcegroups") || path.matches("subscriptions/*/resourcegroups/*");
    }

    @Override
    public Response handle(ArmRequest request) throws ArmException {
        ArmPath path = request.path();
        String subscriptionId = path.segment(1);
        if (path.size() == 3) {
            if (!request.method().equals("GET")) {
                throw ArmGateway.methodNotAllowed(request);
            }
            List<Map<String, Object>> groups = store.read(state ->
                    state.children(path.prefix(2), "resourceGroups").stream().map(ResourceGroupProvider::copy).toList());
            return Response.json(200, Map.of("value", groups));
        }
        String name = path.segment(3);
        String id = "/subscriptions/" + subscriptionId + "/resourceGroups/" + name;
        return switch (request.method()) {
            case "PUT" -> put(id, name, request.jsonBody());
            case "PATCH" -> patch(id, request.jsonBody());
            case "GET" -> Response.json(200, existing(id, name));
            case "HEAD" -> Response.empty(store.read(state -> state.resource(id)) == null ? 404 : 204);
            case "DELETE" -> delete(request, subscriptionId, id, name);
            default -> throw ArmGateway.methodNotAllowed(request);
        };
    }

    private Response put(String id, String name, Map<String, Object> body) throws ArmException {
        String problem = AzureNames.problem(AzureNames.Kind.RESOURCE_GROUP, name);
        if (problem != null) {
            throw ArmException.badRequest("InvalidResourceGroup", "The provided resource group name '" + name
                    + "' is invalid: " + problem + ". The name can only be 1-90 letters, digits, '-', '.', '(', ')' "
                    + "or '_', and cannot end in '.'.");
        }
        if (!(body.get("location") instanceof String location) || location.isBlank()) {
            throw ArmException.badRequest("LocationRequired", "The location property is required for this definition.");
        }
        String normalized = location.replace(" ", "").toLowerCase(Locale.ROOT);
        Object outcome = store.write(state -> {
            Map<String, Object> group = state.resource(id);
            if (group != null && isDeleting(group)) {
                return ArmException.conflict("ResourceGroupBeingDeleted", "The resource group '"
                        + group.get("name") + "' is in deprovisioning state and cannot perform this operation.");
            }
            if (group != null && !normalized.equals(group.get("location"))) {
                return ArmException.conflict("InvalidResourceGroupLocation", "Invalid resource group location '"
                        + normalized + "'. The Resource group already exists in location '" + group.get("location")
                        + "'.");
            }
            boolean created = group == null;
            if (created) {
                group = new LinkedHashMap<>();
                group.put("id", id);
                group.put("name", name);
                group.put("type", TYPE);
                group.put("location", normalized);
                state.putResource(id, group);
            }
            setTags(group, body.get("tags"));
            if (body.get("managedBy") instanceof String managedBy) {
                group.put("managedBy", managedBy);
            }
            group.put("properties", Map.of("provisioningState", "Succeeded"));
            return Response.json(created ? 201 : 200, copy(group));
        });
        return answer(outcome);
    }

    private Response patch(String id, Map<String, Object> body) throws ArmException {
        Object outcome = store.write(state -> {
            Map<String, Object> group = state.resource(id);
            if (group == null) {
                return notFound(id.substring(id.lastIndexOf('/') + 1));
            }
            if (body.containsKey("tags")) {
                setTags(group, body.get("tags"));
            }
            return Response.json(200, copy(group));
        });
        return answer(outcome);
    }

    private Response delete(ArmRequest request, String subscriptionId, String id, String name) throws ArmException {
        Object outcome = store.write(state -> {
            Map<String, Object> group = state.resource(id);
            if (group == null) {
                return notFound(name);
            }
            group.put("properties", Map.of("provisioningState", "Deleting"));
            teardowns(state, id);
            return operations.start(state, DELETE_KIND, id);
        });
        if (outcome instanceof String operationId) {
            return operations.accepted(request, subscriptionId, operationId);
        }
        return answer(outcome);
    }

    private Map<String, Object> existing(String id, String name) throws ArmException {
        Map<String, Object> group = store.read(state -> copyOrNull(state.resource(id)));
        if (group == null) {
            throw notFound(name);
        }
        return group;
    }

    private static ArmException notFound(String name) {
        return ArmException.notFound("ResourceGroupNotFound", "Resource group '" + name + "' could not be found.");
    }

    /** Store changes return either a response or the error to throw, as they run inside a lambda. */
    private static Response answer(Object outcome) throws ArmException {
        if (outcome instanceof ArmException error) {
            throw error;
        }
        return (Response) outcome;
    }

    private static void setTags(Map<String, Object> group, Object tags) {
        if (tags instanceof Map<?, ?> map) {
            group.put("tags", new LinkedHashMap<>(map));
        } else if (tags == null) {
            group.remove("tags");
        }
    }

    private static boolean isDeleting(Map<String, Object> group) {
        return group.get("properties") instanceof Map<?, ?> properties
                && "Deleting".equals(properties.get("provisioningState"));
    }

    private static Map<String, Object> copyOrNull(Map<String, Object> group) {
        return group == null ? null : copy(group);
    }

    /** A snapshot for the reply, so serialization happens outside the store's lock. */
    private static Map<String, Object> copy(Map<String, Object> group) {
        Map<String, Object> json = new LinkedHashMap<>(group);
        if (json.get("tags") instanceof Map<?, ?> tags) {
            json.put("tags", new LinkedHashMap<>(tags));
        }
        return json;
    }
}
