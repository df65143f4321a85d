package dev.imagebake.emulator.http;

import dev.imagebake.util.Json;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code requests.log}: one JSON line per request: time, request ID, method, path, query, status, server time in
 * microseconds ({@code us}: wall clock; {@code cpuUs}: CPU time of the thread that served it), the error code of a failed one and the injected fault, if any. Never headers or bodies,
 * which carry the client secret (token requests) and access tokens (everything else).
 */
public final class RequestLog implements AutoCloseable {
    private final BufferedWriter writer;

    public RequestLog(Path file) throws IOException {
        this.writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }

    synchronized void record(Request request, Response response, long micros, long cpuMicros) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("time", Instant.now().toString());
        line.put("requestId", request.id());
        line.put("method", request.method());
        line.put("path", request.path());
        if (request.rawQuery() != null) {
            line.put("query", request.rawQuery());
        }
        line.put("status", response.status());
        line.put("us", micros);
        line.put("cpuUs", cpuMicros);
        if (response.status() >= 400 && response.body() instanceof Map<?, ?> body
                && body.get("error") instanceof Map<?, ?> error) {
            line.put("error", error.get("code"));
        }
        if (response.headers().get("x-imagebake-fault") != null) {
            line.put("fault", response.headers().get("x-imagebake-fault"));
        }
        try {
            writer.write(Json.write(line));
            writer.newLine();
            writer.flush();
        } catch (IOException e) {
            // The log is a diagnostic aid: a full disk must not fail the request it describes.
        }
    }

    /**
     * A request the proxy refused ({@code CONNECT example.com:443}): method, destination as {@code path}, status and
     * the error {@code ProxyRefused}, so that a client showing only "403 Forbidden" can be explained from the log.
     */
    synchronized void refused(String method, String destination, int status) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("time", Instant.now().toString());
        line.put("method", method);
        line.put("path", destination);
        line.put("status", status);
        line.put("error", "ProxyRefused");
        try {
            writer.write(Json.write(line));
            writer.newLine();
            writer.flush();
        } catch (IOException e) {
            // as above: a diagnostic aid only
        }
    }

    @Override
    public synchronized void close() throws IOException {
        writer.close();
    }
}
