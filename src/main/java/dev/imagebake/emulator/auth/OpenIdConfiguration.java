package dev.imagebake.emulator.auth;

import dev.imagebake.emulator.Identity;
import dev.imagebake.emulator.http.Dispatcher;
import dev.imagebake.emulator.http.Request;
import dev.imagebake.emulator.http.Response;
import dev.imagebake.emulator.http.Route;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /adfs/.well-known/openid-configuration}: the OpenID discovery document of an ADFS-style authority.
 *
 * <p>Why ADFS: MSAL (under the Azure CLI) validates any authority that is not Microsoft's by asking
 * {@code login.microsoftonline.com}, which is unreachable from where the emulator runs; an authority whose path is
 * {@code /adfs} is exempt and only its own discovery document is read. The document sends token requests to the
 * emulator's usual {@link TokenEndpoint}, so both the Azure SDK and the CLI end up at the same place.
 *
 * <p>Also the tenant's own document, {@code GET /{tenant}/v2.0/.well-known/openid-configuration} (and the v1
 * {@code /{tenant}/.well-known/openid-configuration}), as Entra ID serves it: what MSAL reads first when it signs in at
 * {@code https://login.microsoftonline.com/{tenant}}, which a client reaches through the emulator's proxy.
 */
public final class OpenIdConfiguration implements Route {
    /** The authority path the Azure CLI is given (its cloud's {@code endpoint_active_directory} ends with it). */
    public static final String AUTHORITY_PATH = "/adfs";

    private final Identity identity;

    public OpenIdConfiguration(Identity identity) {
        this.identity = identity;
    }

    @Override
    public boolean accepts(Request request) {
        return request.path().equalsIgnoreCase(AUTHORITY_PATH + "/.well-known/openid-configuration")
                || request.path().matches("/[^/]+(/v2\\.0)?/\\.well-known/openid-configuration");
    }

    @Override
    public Response handle(Request request) {
        if (!request.method().equals("GET")) {
            return Dispatcher.error(405, "MethodNotAllowed", "The discovery document is only served to GET.");
        }
        if (!request.path().equalsIgnoreCase(AUTHORITY_PATH + "/.well-known/openid-configuration")) {
            return tenantDocument(request);
        }
        String authority = request.baseUrl() + AUTHORITY_PATH;
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("issuer", authority);
        json.put("authorization_endpoint", authority + "/oauth2/authorize");
        json.put("token_endpoint", request.baseUrl() + "/" + identity.tenantId() + "/oauth2/v2.0/token");
        json.put("grant_types_supported", List.of("client_credentials"));
        json.put("token_endpoint_auth_methods_supported", List.of("client_secret_post", "private_key_jwt"));
        json.put("response_types_supported", List.of("token"));
        return Response.json(200, json);
    }

    /** Entra ID's discovery document of the tenant (v2.0 or v1), for a client that signs in at its public authority. */
    private Response tenantDocument(Request request) {
        String tenant = request.path().split("/")[1];
        boolean v2 = request.path().contains("/v2.0/");
        if (!tenant.equalsIgnoreCase(identity.tenantId())) {
            Map<String, Object> error = new LinkedHashMap<>();
            error.put("error", "invalid_tenant");
            error.put("error_description", "AADSTS90002: Tenant '" + tenant + "' not found.");
            error.put("error_codes", List.of(90002));
            return Response.json(400, error);
        }
        String base = request.baseUrl() + "/" + identity.tenantId();
        String oauth = base + (v2 ? "/oauth2/v2.0" : "/oauth2");
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("token_endpoint", oauth + "/token");
        json.put("token_endpoint_auth_methods_supported", List.of("client_secret_post", "private_key_jwt",
                "client_secret_basic"));
        json.put("jwks_uri", request.baseUrl() + "/" + identity.tenantId() + "/discovery/"
                + (v2 ? "v2.0/" : "") + "keys");
        json.put("response_types_supported", List.of("code", "id_token", "code id_token", "token id_token"));
        json.put("subject_types_supported", List.of("pairwise"));
        json.put("id_token_signing_alg_values_supported", List.of("RS256"));
        json.put("issuer", v2 ? base + "/v2.0" : "https://sts.windows.net/" + identity.tenantId() + "/");
        json.put("authorization_endpoint", oauth + "/authorize");
        json.put("tenant_region_scope", "EU");
        return Response.json(200, json);
    }
}
