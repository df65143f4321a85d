package dev.imagebake.emulator.arm;

import dev.imagebake.emulator.Identity;
import dev.imagebake.emulator.http.Response;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code GET /subscriptions} and {@code GET /subscriptions/{id}}: the one subscription the emulator has. */
public final class SubscriptionProvider implements ResourceProvider {
    private final Identity identity;

    public SubscriptionProvider(Identity identity) {
        this.identity = identity;
    }

    @Override
    public boolean accepts(ArmPath path) {
        return path.matches("subscriptions") || path.matches("subscriptions/*");
    }

    @Override
    public Response handle(ArmRequest request) throws ArmException {
        if (!request.method().equals("GET")) {
            throw ArmGateway.methodNotAllowed(request);
        }
        if (request.path().size() == 1) {
            return Response.json(200, Map.of("value", List.of(subscription())));
        }
        return Response.json(200, subscription());
    }

    private Map<String, Object> subscription() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", "/subscriptions/" + identity.subscriptionId());
        json.put("subscriptionId", identity.subscriptionId());
        json.put("tenantId", identity.tenantId());
        json.put("displayName", "imagebake emulator");
        json.put("state", "Enabled");
        json.put("subscriptionPolicies", Map.of("locationPlacementId", "Public_2014-09-01",
                "quotaId", "PayAsYouGo_2014-09-01", "spendingLimit", "Off"));
        json.put("authorizationSource", "RoleBased");
        return json;
    }
}
