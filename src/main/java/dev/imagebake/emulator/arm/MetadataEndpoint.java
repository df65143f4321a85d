package dev.imagebake.emulator.arm;

import dev.imagebake.emulator.auth.OpenIdConfiguration;
import dev.imagebake.emulator.http.Request;
import dev.imagebake.emulator.http.Response;
import dev.imagebake.emulator.http.Route;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /metadata/endpoints}: the cloud description that {@code az cloud register --endpoint-resource-manager}
 * reads (the 2015-01-01 shape). Login goes to this same server; the audiences are Azure's, since clients ask
 * for tokens for those.
 */
public final class MetadataEndpoint implements Route {
    @Override
    public boolean accepts(Request request) {
        return request.path().equalsIgnoreCase("/metadata/endpoints");
    }

    @Override
    public Response handle(Request request) {
        if (!request.query().containsKey("api-version")) {
            return dev.imagebake.emulator.http.Dispatcher.error(400, "MissingApiVersionParameter",
                    "The api-version query parameter (?api-version=) is required for all requests.");
        }
        String base = request.baseUrl() + "/";
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("galleryEndpoint", base);
        json.put("graphEndpoint", base);
        json.put("portalEndpoint", base);
        // The CLI logs in through an ADFS-style authority: see OpenIdConfiguration for why.
        json.put("authentication", Map.of("loginEndpoint", request.baseUrl() + OpenIdConfiguration.AUTHORITY_PATH,
                "audiences", List.of("https://management.core.windows.net/", "https://management.azure.com/")));
        return Response.json(200, json);
    }
}
