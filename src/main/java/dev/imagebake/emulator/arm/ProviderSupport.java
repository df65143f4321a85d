package dev.imagebake.emulator.arm;

import dev.imagebake.emulator.http.Response;
import dev.imagebake.util.AzureNames;
import dev.imagebake.util.Json;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What every resource provider needs: reading JSON documents loosely, and ARM's common errors. */
public final class ProviderSupport {
    private ProviderSupport() {
    }

    /** {@code value} as a JSON object, or a new empty one. */
    @SuppressWarnings("unchecked")
    /**
     * Refuses a name Azure refuses for this kind of resource, with Compute's {@code InvalidParameter} (400): the
     * code Compute answers a bad image, gallery, image definition, VM or scale set name with.
     */
    public static void requireComputeName(AzureNames.Kind kind, String name) throws ArmException {
        String problem = AzureNames.problem(kind, name);
        if (problem != null) {
            throw ArmException.badRequest("InvalidParameter", "The " + kind.noun() + " name '" + name + "' is"
                    + " invalid: " + problem + ". It must be " + kind.rule() + ".");
        }
    }

    public static Map<String, Object> map(Object value) {
        return value instanceof Map<?, ?> m ? (Map<String, Object>) m : new LinkedHashMap<>();
    }

    /** The JSON objects in a JSON array (anything else in it is skipped). */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> maps(Object value) {
        List<Map<String, Object>> list = new ArrayList<>();
        if (value instanceof List<?> l) {
            for (Object item : l) {
                if (item instanceof Map<?, ?> m) {
                    list.add((Map<String, Object>) m);
                }
            }
        }
        return list;
    }

    /** A copy that shares nothing with {@code value}, so stored documents never change behind the store's back. */
    public static Object deepCopy(Object value) {
        return value == null ? null : Json.parse(Json.write(value));
    }

    /** ARM's 404 for a missing resource, e.g. type {@code Microsoft.Network/publicIPAddresses}. */
    public static ArmException resourceNotFound(String type, String name, String group) {
        return ArmException.notFound("ResourceNotFound", "The Resource '" + type + "/" + name + "'"
                + (group == null ? "" : " under resource group '" + group + "'") + " was not found. For more details"
                + " please go to https://aka.ms/ARMResourceNotFoundFix");
    }

    /**
     * The name of the resource group that {@code path} (segment 3) names, as it was created (ARM IDs keep the
     * original case); a missing group is Azure's 404 ResourceGroupNotFound.
     */
    public static String existingGroupName(dev.imagebake.emulator.state.StateStore store, ArmPath path)
            throws ArmException {
        String groupId = "/subscriptions/" + path.segment(1) + "/resourceGroups/" + path.segment(3);
        String name = store.read(state -> {
            Map<String, Object> group = state.resource(groupId);
            return group == null ? null : (String) group.get("name");
        });
        if (name == null) {
            throw ArmException.notFound("ResourceGroupNotFound", "Resource group '" + path.segment(3)
                    + "' could not be found.");
        }
        return name;
    }

    public static void requireMethod(ArmRequest request, String method) throws ArmException {
        if (!request.method().equals(method)) {
            throw methodNotAllowed(request);
        }
    }

    public static ArmException methodNotAllowed(ArmRequest request) {
        return new ArmException(405, "MethodNotAllowed", "The method '" + request.method() + "' is not allowed on '"
                + request.http().path() + "'.");
    }

    /**
     * A PATCH that changes a resource's tags (ARM's update of images and gallery image versions; other properties in
     * the body are ignored): answered at once with 200 and the resource, which the SDK takes as a finished operation.
     */
    public static Response patchTags(dev.imagebake.emulator.state.StateStore store, String id,
                                     Map<String, Object> body,
                                     java.util.function.UnaryOperator<Map<String, Object>> view,
                                     java.util.function.Supplier<ArmException> notFound) throws ArmException {
        Object outcome = store.write(state -> {
            Map<String, Object> document = state.resource(id);
            if (document == null) {
                return notFound.get();
            }
            if (body.get("tags") instanceof Map<?, ?> tags) {
                document.put("tags", new java.util.LinkedHashMap<>(tags));
            }
            return Response.json(200, view.apply(document));
        });
        return answer(outcome);
    }

    /** The response of a completed operation, or the error it ended with. */
    public static Response answer(Object outcome) throws ArmException {
        if (outcome instanceof ArmException error) {
            throw error;
        }
        return (Response) outcome;
    }
}
