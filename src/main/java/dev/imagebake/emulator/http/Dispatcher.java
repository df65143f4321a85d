package dev.imagebake.emulator.http;

import dev.imagebake.util.Json;

import java.util.List;
import java.util.Map;

/** Hands each request to the first route that accepts it, and logs it. Knows nothing of sockets or TLS. */
public final class Dispatcher {
    private static final java.lang.management.ThreadMXBean CPU =
            java.lang.management.ManagementFactory.getThreadMXBean();

    private final List<Route> routes;
    private final RequestLog log;

    public Dispatcher(List<Route> routes, RequestLog log) {
        this.routes = List.copyOf(routes);
        this.log = log;
    }

    public Response dispatch(Request request) {
        long started = System.nanoTime();
        long cpuStarted = CPU.getCurrentThreadCpuTime();
        Response response = answer(request);
        // Wall time includes waiting for a core (a loaded machine); CPU time is what the request itself cost.
        log.record(request, response, (System.nanoTime() - started) / 1_000,
                (CPU.getCurrentThreadCpuTime() - cpuStarted) / 1_000);
        return response;
    }

    private Response answer(Request request) {
        try {
            for (Route route : routes) {
                if (route.accepts(request)) {
                    return route.handle(request);
                }
            }
            return error(404, "NotFound", "The emulator does not serve " + request.method() + " " + request.path());
        } catch (Exception e) {
            return error(500, "InternalServerError", "The emulator failed: " + e);
        }
    }

    /** Azure's error shape, {@code {"error":{"code","message"}}}. */
    public static Response error(int status, String code, String message) {
        return Response.json(status, Map.of("error", Map.of("code", code, "message", message)));
    }

    static byte[] render(Response response) {
        if (response.body() instanceof byte[] raw) {
            return raw;
        }
        return response.body() == null ? new byte[0]
                : Json.write(response.body()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
}
