package dev.imagebake.emulator.auth;

import dev.imagebake.emulator.Identity;
import dev.imagebake.emulator.arm.FaultSpec;
import dev.imagebake.emulator.arm.Faults;
import dev.imagebake.emulator.arm.TrafficPolicy;
import dev.imagebake.emulator.http.Request;
import dev.imagebake.emulator.http.Response;
import dev.imagebake.emulator.http.Route;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * {@code POST /{tenant}/oauth2/v2.0/token}, the Microsoft identity platform's token endpoint, for the
 * client-credentials grant only: the application proves itself with its client secret, or with a client assertion
 * ({@code client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer}), a JWT from an external
 * issuer that one of its {@link FederatedCredentials} trusts (workload identity federation). Errors use Entra ID's
 * OAuth shape ({@code error}, {@code error_description}, {@code error_codes}), which MSAL turns into readable
 * exceptions.
 *
 * <p>Also the Azure AD v1 endpoint, {@code POST /{tenant}/oauth2/token}, which Azure still serves and older
 * clients (ADAL, go-autorest's adal, so Packer 1.6) use: the client names a {@code resource} instead of a scope,
 * the token's audience is that resource, and the reply gives its times as strings of seconds, as AAD v1 does.
 */
public final class TokenEndpoint implements Route {
    private final Identity identity;
    private final AccessTokens tokens;
    private final Faults faults;
    private final ClientAssertions assertions;

    /** The RFC 7523 client assertion type, the only one Entra ID takes. */
    public static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    public TokenEndpoint(Identity identity, AccessTokens tokens) {
        this(identity, tokens, new Faults(List.of()), null);
    }

    /**
     * With the faults armed for the emulator: a path-glob status fault aimed at this endpoint fails sign-in.
     *
     * @param assertions checks client assertions against the federated credentials; null refuses every assertion
     */
    public TokenEndpoint(Identity identity, AccessTokens tokens, Faults faults, ClientAssertions assertions) {
        this.identity = identity;
        this.tokens = tokens;
        this.faults = faults;
        this.assertions = assertions;
    }

    @Override
    public boolean accepts(Request request) {
        return request.path().toLowerCase(Locale.ROOT).matches("/[^/]+/oauth2/(v2\\.0/)?token");
    }

    @Override
    public Response handle(Request request) {
        FaultSpec fault = faults.takeOutsideArm(request.method(), request.path());
        if (fault != null) {
            return injected(fault);
        }
        if (!request.method().equals("POST")) {
            return oauthError(405, "invalid_request", 900561, "The endpoint only accepts POST requests.");
        }
        String tenant = request.path().split("/")[1];
        if (!tenant.equalsIgnoreCase(identity.tenantId())) {
            return oauthError(400, "invalid_tenant", 90002, "Tenant '" + tenant + "' not found.");
        }
        Map<String, String> form = Request.decodeForm(request.bodyText());
        boolean v1 = !request.path().toLowerCase(Locale.ROOT).contains("/v2.0/");
        String resource = form.get("resource");
        if (v1 && (resource == null || resource.isBlank())) {
            return oauthError(400, "invalid_request", 900144,
                    "The request body must contain the following parameter: 'resource'.");
        }
        if (!"client_credentials".equals(form.get("grant_type"))) {
            return oauthError(400, "unsupported_grant_type", 70003,
                    "The emulator supports only the client_credentials grant.");
        }
        if (!identity.clientId().equals(form.get("client_id"))) {
            return oauthError(400, "unauthorized_client", 700016,
                    "Application with identifier '" + form.get("client_id") + "' was not found in the directory.");
        }
        if (form.containsKey("client_assertion") || form.containsKey("client_assertion_type")) {
            if (!JWT_BEARER.equals(form.get("client_assertion_type"))) {
                return oauthError(400, "invalid_request", 50027, "Invalid client_assertion_type '"
                        + form.get("client_assertion_type") + "'; expected '" + JWT_BEARER + "'.");
            }
            ClientAssertions.Refusal refused = assertions == null
                    ? new ClientAssertions.Refusal(400, "invalid_client", 700211, "No matching federated identity "
                    + "record found for presented assertion issuer: the application has no federated credentials.")
                    : assertions.check(String.valueOf(form.get("client_assertion")));
            if (refused != null) {
                return oauthError(refused.status(), refused.error(), refused.code(), refused.description());
            }
        } else if (!sameSecret(form.get("client_secret"))) {
            return oauthError(401, "invalid_client", 7000215, "Invalid client secret provided.");
        }
        String issuer = request.baseUrl() + "/" + identity.tenantId() + "/";
        if (v1) {
            return Response.json(200, v1Reply(tokens.issue(identity.clientId(), issuer, resource), resource));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("token_type", "Bearer");
        body.put("expires_in", AccessTokens.LIFETIME.toSeconds());
        body.put("ext_expires_in", AccessTokens.LIFETIME.toSeconds());
        // Without refresh_in the Azure SDK treats the token as due for refresh and asks again every 30 s.
        body.put("refresh_in", AccessTokens.LIFETIME.toSeconds() / 2);
        body.put("access_token", tokens.issue(identity.clientId(), issuer));
        return Response.json(200, body);
    }

    /**
     * AAD v1's reply: every time a string of seconds ({@code expires_on} and {@code not_before} since the epoch),
     * and the {@code resource} the token is for. The managed-identity endpoint answers in this shape too.
     */
    static Map<String, Object> v1Reply(String token, String resource) {
        long lifetime = AccessTokens.LIFETIME.toSeconds();
        long notBefore = AccessTokens.claim(token, "nbf");
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("token_type", "Bearer");
        body.put("expires_in", String.valueOf(lifetime));
        body.put("ext_expires_in", String.valueOf(lifetime));
        body.put("expires_on", String.valueOf(notBefore + lifetime));
        body.put("not_before", String.valueOf(notBefore));
        body.put("resource", resource);
        body.put("access_token", token);
        return body;
    }

    private boolean sameSecret(String offered) {
        return offered != null && MessageDigest.isEqual(offered.getBytes(StandardCharsets.UTF_8),
                identity.clientSecret().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Entra ID's answer to an outage, in its OAuth shape: {@code temporarily_unavailable} for 429 and 503,
     * {@code server_error} for other 5xx, {@code invalid_request} for 4xx. MSAL and the SDK's retry policy act on
     * the status, as they would against Azure.
     */
    private static Response injected(FaultSpec fault) {
        String error = fault.status() == 429 || fault.status() == 503 ? "temporarily_unavailable"
                : fault.status() >= 500 ? "server_error" : "invalid_request";
        Response reply = oauthError(fault.status(), error, 50000, "Injected fault '" + fault.text()
                + "' (imagebake emulator).").header(TrafficPolicy.FAULT_HEADER, fault.text());
        if (fault.retryAfter() >= 0) {
            reply.header("Retry-After", String.valueOf(fault.retryAfter()));
        }
        return reply;
    }

    private static Response oauthError(int status, String error, int code, String description) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", error);
        body.put("error_description", "AADSTS" + code + ": " + description);
        body.put("error_codes", List.of(code));
        body.put("timestamp", Instant.now().toString());
        body.put("trace_id", UUID.randomUUID().toString());
        body.put("correlation_id", UUID.randomUUID().toString());
        return Response.json(status, body);
    }
}
