package dev.imagebake.emulator.auth;

import dev.imagebake.emulator.Identity;
import dev.imagebake.emulator.http.Request;
import dev.imagebake.emulator.http.Response;
import dev.imagebake.emulator.http.Route;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code GET /metadata/identity/oauth2/token?api-version=...&resource=...}, the token endpoint of the instance
 * metadata service (IMDS) that managed-identity clients call from inside an Azure VM, served here on the emulator's
 * own HTTPS endpoint. The identity is the emulator's application. As IMDS does, it refuses a request without the
 * header {@code Metadata: true} (the guard against server-side request forgery) and answers in AAD v1's shape
 * plus {@code client_id} (and the empty {@code refresh_token} of Microsoft's documented example).
 */
public final class ManagedIdentityEndpoint implements Route {
    public static final String PATH = "/metadata/identity/oauth2/token";

    private final Identity identity;
    private final AccessTokens tokens;

    public ManagedIdentityEndpoint(Identity identity, AccessTokens tokens) {
        this.identity = identity;
        this.tokens = tokens;
    }

    @Override
    public boolean accepts(Request request) {
        return request.path().equalsIgnoreCase(PATH);
    }

    @Override
    public Response handle(Request request) {
        if (!request.method().equals("GET")) {
            return error(405, "invalid_request", "The endpoint only accepts GET requests.");
        }
        if (!"true".equalsIgnoreCase(request.header("Metadata"))) {
            return error(400, "invalid_request", "Required metadata header not specified");
        }
        Map<String, String> query = request.query();
        if (!query.containsKey("api-version")) {
            return error(400, "invalid_request", "Required query variable 'api-version' is missing");
        }
        String resource = query.get("resource");
        if (resource == null || resource.isBlank()) {
            return error(400, "invalid_request", "Required query variable 'resource' is missing");
        }
        if (query.containsKey("client_id") && !identity.clientId().equalsIgnoreCase(query.get("client_id"))) {
            return error(400, "invalid_request", "Identity not found");
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("refresh_token", ""); // as Microsoft's documented reply has it: managed identities never refresh
        body.putAll(TokenEndpoint.v1Reply(tokens.issue(identity.clientId(),
                request.baseUrl() + "/" + identity.tenantId() + "/", resource), resource));
        body.put("client_id", identity.clientId());
        return Response.json(200, body);
    }

    private static Response error(int status, String error, String description) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", error);
        body.put("error_description", description);
        return Response.json(status, body);
    }
}
