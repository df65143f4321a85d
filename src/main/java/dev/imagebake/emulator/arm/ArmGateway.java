package dev.imagebake.emulator.arm;

import dev.imagebake.emulator.Identity;
import dev.imagebake.emulator.auth.AccessTokens;
import dev.imagebake.emulator.http.Dispatcher;
import dev.imagebake.emulator.http.Request;
import dev.imagebake.emulator.http.Response;
import dev.imagebake.emulator.http.Route;

import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * The front door of Resource Manager: checks what ARM checks for every request (a valid bearer token, then an
 * {@code api-version}, then the subscription), routes to the resource provider owning the path, and adds the
 * headers ARM puts on every reply. Resource types plug in as {@link ResourceProvider}s.
 */
public final class ArmGateway implements Route {
    private final Identity identity;
    private final AccessTokens tokens;
    private final Operations operations;
    private final List<ResourceProvider> providers;
    private final TrafficPolicy traffic;
    private final Subscriptions subscriptions;

    public ArmGateway(Identity identity, AccessTokens tokens, Operations operations, List<ResourceProvider> providers) {
        this(identity, tokens, operations, providers, new TrafficPolicy(Conditions.DEFAULT, operations));
    }

    public ArmGateway(Identity identity, AccessTokens tokens, Operations operations, List<ResourceProvider> providers,
                      TrafficPolicy traffic) {
        this(identity, tokens, operations, providers, traffic, Subscriptions.only(identity.subscriptionId()));
    }

    public ArmGateway(Identity identity, AccessTokens tokens, Operations operations, List<ResourceProvider> providers,
                      TrafficPolicy traffic, Subscriptions subscriptions) {
        this.subscriptions = subscriptions;
        this.identity = identity;
        this.tokens = tokens;
        this.operations = operations;
        this.providers = List.copyOf(providers);
        this.traffic = traffic;
    }

    @Override
    public boolean accepts(Request request) {
        String path = request.path().toLowerCase(Locale.ROOT);
        return path.equals("/subscriptions") || path.startsWith("/subscriptions/");
    }

    @Override
    public Response handle(Request request) {
        Response response;
        Throttle.Verdict[] verdict = new Throttle.Verdict[1];
        try {
            response = route(request, verdict);
        } catch (ArmException e) {
            response = Dispatcher.error(e.status(), e.code(), e.getMessage());
        }
        return withArmHeaders(request, response, verdict[0]);
    }

    private Response route(Request request, Throttle.Verdict[] verdict) throws ArmException {
        String authorization = request.header("Authorization");
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return unauthorized(request, "AuthenticationFailed",
                    "Authentication failed. The 'Authorization' header is missing.");
        }
        if (!tokens.isValid(authorization.substring(7).strip())) {
            return unauthorized(request, "InvalidAuthenticationToken",
                    "The access token is invalid or has expired.");
        }
        String audience = tokens.audience(authorization.substring(7).strip());
        if (!ARM_AUDIENCES.contains(audience)) {
            // A v1 or managed-identity token is for the resource asked for: one for Key Vault does not open ARM.
            return unauthorized(request, "InvalidAuthenticationTokenAudience", "The access token has been obtained"
                    + " for wrong audience or resource '" + audience + "'. It should exactly match with one of the "
                    + "allowed audiences " + String.join(",", ARM_AUDIENCES.stream().map(a -> "'" + a + "'")
                    .toList()) + ".");
        }
        String apiVersion = request.query().get("api-version");
        if (apiVersion == null || apiVersion.isBlank()) {
            throw ArmException.badRequest("MissingApiVersionParameter",
                    "The api-version query parameter (?api-version=) is required for all requests.");
        }
        ArmPath path = ArmPath.parse(request.path());
        if (path.size() >= 2 && !subscriptions.has(path.segment(1))) {
            throw ArmException.notFound("SubscriptionNotFound",
                    "The subscription '" + path.segment(1) + "' could not be found.");
        }
        // ARM's buckets are per subscription.
        String subscription = path.size() >= 2 ? subscriptions.find(path.segment(1)) : identity.subscriptionId();
        verdict[0] = traffic.throttle(subscription, request.method());
        if (verdict[0].refused()) {
            return TrafficPolicy.throttled(verdict[0], subscription);
        }
        operations.settleOverdue();
        ArmRequest armRequest = new ArmRequest(request, path, apiVersion);
        Response injected = traffic.injectedReply(armRequest);
        if (injected != null) {
            return injected;
        }
        for (ResourceProvider provider : providers) {
            if (provider.accepts(path)) {
                Response response = provider.handle(armRequest);
                traffic.injectIntoOperation(armRequest, response);
                return response;
            }
        }
        throw ArmException.badRequest("InvalidResourceType",
                "The emulator does not know the resource type at '" + request.path() + "'.");
    }

    private Response unauthorized(Request request, String code, String message) {
        // The SDK's ARM challenge policy reads WWW-Authenticate; without "claims" it does not retry.
        return Dispatcher.error(401, code, message).header("WWW-Authenticate",
                "Bearer authorization_uri=\"" + request.baseUrl() + "/" + identity.tenantId()
                        + "\", error=\"invalid_token\", error_description=\"" + message + "\"");
    }

    /** The audiences Resource Manager accepts in a token, as Azure lists them. */
    private static final List<String> ARM_AUDIENCES = List.of("https://management.core.windows.net/",
            "https://management.core.windows.net", "https://management.azure.com/", "https://management.azure.com");

    static ArmException methodNotAllowed(ArmRequest request) {
        return new ArmException(405, "MethodNotAllowed", "The method '" + request.method()
                + "' is not allowed on '" + request.http().path() + "'.");
    }

    private Response withArmHeaders(Request request, Response response, Throttle.Verdict verdict) {
        String correlation = request.header("x-ms-client-request-id");
        response.header("x-ms-request-id", request.id())
                .header("x-ms-correlation-request-id", correlation != null ? correlation : UUID.randomUUID().toString());
        // A request refused before the throttle (no token) still shows the bucket's level, as ARM's do.
        Throttle.Verdict level = verdict != null ? verdict : traffic.level(identity.subscriptionId(), request.method());
        response.header(level.kind().header(), String.valueOf(level.remaining()));
        return response;
    }
}
