package dev.imagebake.emulator.http;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a route answers: a status, headers and an optional JSON body (maps, lists, strings, numbers), or raw bytes
 * with their own content type.
 */
public final class Response {
    private final int status;
    private final Object body;
    private final Map<String, String> headers = new LinkedHashMap<>();

    private Response(int status, Object body) {
        this.status = status;
        this.body = body;
    }

    public static Response json(int status, Object body) {
        return new Response(status, body);
    }

    public static Response empty(int status) {
        return new Response(status, null);
    }

    /** A body that is not JSON (a blob), sent as it is with its content type. */
    public static Response bytes(int status, byte[] body, String contentType) {
        return new Response(status, body).header("Content-Type", contentType);
    }

    public Response header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    public int status() {
        return status;
    }

    public Object body() {
        return body;
    }

    public Map<String, String> headers() {
        return headers;
    }
}
