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
 * client-credentials grant only. Errors use Entra ID's OAuth shape ({@code error}, {@code error_description},
 * {@code error_codes}), which MSAL turns into readable exceptions.
 */
public final class TokenEndpoint implements Route {
    private final Identity identity;
    private final AccessTokens tokens;
    private final Faults faults;

    public TokenEndpoint(Identity identity, AccessTokens tokens) {
        this(identity, tokens, new Faults(List.of()));
    }

    /** With the faults armed for the emulator: a path-glob status fault aimed at this endpoint fails sign-in. */
    public TokenEndpoint(Identity identity, AccessTokens tokens, Faults faults) {
        this.identity = identity;
        this.tokens = tokens;
        this.faults = faults;
    }

    @Override
    public boolean accepts(Request request) {
        return request.path().toLowerCase(Locale.ROOT).matches("/[^/]+/oauth2/v2\\.0/token");
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
        if (!"client_credentials".equals(form.get("grant_type"))) {
            return oauthError(400, "unsupported_grant_type", 70003,
                    "The emulator supports only the client_credentials grant.");
        }
        if (!identity.clientId().equals(form.get("client_id"))) {
            return oauthError(400, "unauthorized_client", 700016,
                    "Application with identifier '" + form.get("client_id") + "' was not found in the directory.");
        }
        if (!sameSecret(form.get("client_secret"))) {
            return oauthError(401, "invalid_client", 7000215, "Invalid client secret provided.");
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("token_type", "Bearer");
        body.put("expires_in", AccessTokens.LIFETIME.toSeconds());
        body.put("ext_expires_in", AccessTokens.LIFETIME.toSeconds());
        // Without refresh_in the Azure SDK treats the token as due for refresh and asks again every 30 s.
        body.put("refresh_in", AccessTokens.LIFETIME.toSeconds() / 2);
        body.put("access_token", tokens.issue(identity.clientId(), request.baseUrl() + "/" + identity.tenantId() + "/"));
        return Response.json(200, body);
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
