package dev.imagebake.emulator.arm;

import dev.imagebake.emulator.Identity;
import dev.imagebake.emulator.http.Response;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code GET /subscriptions} and {@code GET /subscriptions/{id}}: the subscriptions of the emulator's tenant. */
public final class SubscriptionProvider implements ResourceProvider {
    private final Identity identity;
    private final Subscriptions subscriptions;

    public SubscriptionProvider(Identity identity) {
        this(identity, Subscriptions.only(identity.subscriptionId()));
    }

    public SubscriptionProvider(Identity identity, Subscriptions subscriptions) {
        this.identity = identity;
        this.subscriptions = subscriptions;
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
            return Response.json(200, Map.of("value", subscriptions.all().stream().map(this::subscription).toList()));
        }
        // The gateway has refused a subscription the tenant does not have.
        return Response.json(200, subscription(subscriptions.find(request.path().segment(1))));
    }

    private Map<String, Object> subscription(String id) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", "/subscriptions/" + id);
        json.put("subscriptionId", id);
        json.put("tenantId", identity.tenantId());
        json.put("displayName", id.equals(subscriptions.defaultId()) ? "imagebake emulator"
                : "imagebake emulator (" + id + ")");
        json.put("state", "Enabled");
        json.put("subscriptionPolicies", Map.of("locationPlacementId", "Public_2014-09-01",
                "quotaId", "PayAsYouGo_2014-09-01", "spendingLimit", "Off"));
        json.put("authorizationSource", "RoleBased");
        return json;
    }
}
