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
        return request.path().equalsIgnoreCase(AUTHORITY_PATH + "/.well-known/openid-configuration");
    }

    @Override
    public Response handle(Request request) {
        if (!request.method().equals("GET")) {
            return Dispatcher.error(405, "MethodNotAllowed", "The discovery document is only served to GET.");
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
}
