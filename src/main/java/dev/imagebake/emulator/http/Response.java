package dev.imagebake.emulator.http;

import java.util.LinkedHashMap;
import java.util.Map;

/** What a route answers: a status, headers and an optional JSON body (maps, lists, strings, numbers). */
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
