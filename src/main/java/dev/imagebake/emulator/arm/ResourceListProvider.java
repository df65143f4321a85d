package dev.imagebake.emulator.arm;

import dev.imagebake.emulator.http.Response;
import dev.imagebake.emulator.state.StateStore;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * ARM's generic listings: {@code GET /subscriptions/{s}/resources} and
 * {@code GET /subscriptions/{s}/resourceGroups/{rg}/resources}, with {@code $filter} ({@link ResourceFilter}),
 * {@code $top} (a {@code nextLink} carries on with {@code $skiptoken}) and {@code $expand} of
 * {@code createdTime}, {@code changedTime} and {@code provisioningState}. They show every tracked resource the
 * emulator keeps (those with a location: VMs, disks, snapshots, images, galleries and their image definitions and
 * versions, scale sets, network resources, ...), not resource groups, deployments, scale set instances or
 * location-less children such as subnets, as Azure does; each with ARM's generic fields only.
 */
public final class ResourceListProvider implements ResourceProvider {
    private static final List<String> GENERIC_FIELDS = List.of("id", "name", "type", "sku", "kind", "location",
            "extendedLocation", "managedBy", "plan", "identity", "zones", "tags");

    private final StateStore store;

    public ResourceListProvider(StateStore store) {
        this.store = store;
    }

    @Override
    public boolean accepts(ArmPath path) {
        return path.matches("subscriptions/*/resources") || path.matches("subscriptions/*/resourcegroups/*/resources");
    }

    @Override
    public Response handle(ArmRequest request) throws ArmException {
        ProviderSupport.requireMethod(request, "GET");
        ArmPath path = request.path();
        Map<String, String> query = request.http().query();
        String prefix = "/subscriptions/" + path.segment(1) + "/resourceGroups/";
        if (path.size() == 5) {
            prefix += ProviderSupport.existingGroupName(store, path) + "/";
        }
        String idPrefix = prefix.toLowerCase(Locale.ROOT);
        ResourceFilter filter = ResourceFilter.parse(query.get("$filter"));
        List<String> expand = query.get("$expand") == null ? List.of()
                : List.of(query.get("$expand").toLowerCase(Locale.ROOT).split("\\s*,\\s*"));
        int top = number(query, "$top", Integer.MAX_VALUE);
        int skip = number(query, "$skiptoken", 0);
        List<Map<String, Object>> all = store.read(state -> state.allResources().stream()
                .filter(d -> String.valueOf(d.get("id")).toLowerCase(Locale.ROOT).startsWith(idPrefix))
                .filter(ResourceListProvider::listed)
                .filter(filter::test)
                .map(d -> generic(d, expand, filter.hidesTags()))
                .toList());
        List<Map<String, Object>> page = all.stream().skip(skip).limit(top).toList();
        Map<String, Object> reply = new LinkedHashMap<>();
        reply.put("value", page);
        if (skip + page.size() < all.size()) {
            reply.put("nextLink", request.http().baseUrl() + request.http().path() + "?"
                    + nextQuery(request, query, skip + page.size()));
        }
        return Response.json(200, reply);
    }

    /** Tracked resources under a resource group: they have a location; ARM's own and scale set instances aside. */
    private static boolean listed(Map<String, Object> document) {
        String type = String.valueOf(document.get("type")).toLowerCase(Locale.ROOT);
        return document.get("location") instanceof String
                && String.valueOf(document.get("id")).toLowerCase(Locale.ROOT).contains("/providers/")
                && !type.startsWith("microsoft.resources/")
                && !type.startsWith("microsoft.compute/virtualmachinescalesets/");
    }

    private static Map<String, Object> generic(Map<String, Object> document, List<String> expand, boolean hideTags) {
        Map<String, Object> json = new LinkedHashMap<>();
        for (String field : GENERIC_FIELDS) {
            if (document.get(field) != null && !(hideTags && field.equals("tags"))) {
                json.put(field, ProviderSupport.deepCopy(document.get(field)));
            }
        }
        Map<String, Object> properties = ProviderSupport.map(document.get("properties"));
        Object created = properties.get("timeCreated");
        if (expand.contains("createdtime") && created != null) {
            json.put("createdTime", created);
        }
        if (expand.contains("changedtime") && created != null) {
            json.put("changedTime", created);
        }
        if (expand.contains("provisioningstate") && properties.get("provisioningState") != null) {
            json.put("provisioningState", properties.get("provisioningState"));
        }
        return json;
    }

    private static int number(Map<String, String> query, String name, int fallback) throws ArmException {
        String text = query.get(name);
        if (text == null) {
            return fallback;
        }
        try {
            int value = Integer.parseInt(text.strip());
            if (value >= 0) {
                return value;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ArmException.badRequest("InvalidQueryParameterValue", "The value '" + text + "' of the query"
                + " parameter '" + name + "' is not valid.");
    }

    private static String nextQuery(ArmRequest request, Map<String, String> query, int skip) {
        StringBuilder next = new StringBuilder();
        Map<String, String> parameters = new LinkedHashMap<>(query);
        parameters.put("api-version", request.apiVersion());
        parameters.put("$skiptoken", String.valueOf(skip));
        parameters.forEach((k, v) -> next.append(next.isEmpty() ? "" : "&").append(encode(k)).append('=')
                .append(encode(v)));
        return next.toString();
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
