package dev.imagebake.emulator.arm;

import dev.imagebake.emulator.http.Request;
import dev.imagebake.util.Json;

import java.util.Map;

/** A request that passed the gateway's checks (token, api-version), with its path parsed. */
public record ArmRequest(Request http, ArmPath path, String apiVersion) {

    public String method() {
        return http.method();
    }

    /**
     * The JSON object in the body; a missing body reads as an empty object. The body of a PUT or PATCH has its
     * boolean and integer fields typed as the REST specs type them ({@link TypedFields}).
     */
    @SuppressWarnings("unchecked")
    public Map<String, Object> jsonBody() throws ArmException {
        String text = http.bodyText().strip();
        if (text.isEmpty()) {
            return new java.util.LinkedHashMap<>();
        }
        Object parsed;
        try {
            parsed = Json.parse(text);
        } catch (IllegalArgumentException e) {
            throw ArmException.badRequest("InvalidRequestContent",
                    "The request content was invalid and could not be deserialized: " + e.getMessage());
        }
        if (parsed instanceof Map<?, ?> map) {
            Map<String, Object> body = (Map<String, Object>) map;
            if (method().equals("PUT") || method().equals("PATCH")) {
                TypedFields.coerce(path, body);
            }
            return body;
        }
        throw ArmException.badRequest("InvalidRequestContent", "The request content must be a JSON object.");
    }

    /** An absolute URL on this emulator, as the SDK ignores relative ones in LRO headers. */
    public String absoluteUrl(String path) {
        return http.baseUrl() + path + "?api-version=" + apiVersion;
    }
}
