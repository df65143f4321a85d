package dev.imagebake.emulator.arm;

import dev.imagebake.emulator.http.Response;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /subscriptions/{id}/locations}: the regions the emulator offers (clients such as the Azure CLI list
 * them to check or complete a {@code --location}). Resources are accepted in any region; this is only the list.
 */
public final class LocationsProvider implements ResourceProvider {
    private static final String[][] REGIONS = {
            {"westeurope", "West Europe", "Europe"}, {"northeurope", "North Europe", "Europe"},
            {"germanywestcentral", "Germany West Central", "Europe"}, {"uksouth", "UK South", "UK"},
            {"eastus", "East US", "US"}, {"eastus2", "East US 2", "US"}, {"westus2", "West US 2", "US"}};

    @Override
    public boolean accepts(ArmPath path) {
        return path.matches("subscriptions/*/locations");
    }

    @Override
    public Response handle(ArmRequest request) throws ArmException {
        ProviderSupport.requireMethod(request, "GET");
        List<Object> value = new ArrayList<>();
        for (String[] region : REGIONS) {
            Map<String, Object> location = new LinkedHashMap<>();
            location.put("id", "/subscriptions/" + request.path().segment(1) + "/locations/" + region[0]);
            location.put("name", region[0]);
            location.put("displayName", region[1]);
            location.put("regionalDisplayName", "(" + region[2] + ") " + region[1]);
            location.put("metadata", Map.of("regionType", "Physical", "regionCategory", "Recommended",
                    "geographyGroup", region[2]));
            value.add(location);
        }
        return Response.json(200, Map.of("value", value));
    }
}
