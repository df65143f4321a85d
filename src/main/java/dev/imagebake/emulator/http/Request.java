package dev.imagebake.emulator.http;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP request, independent of the server that received it (the HTTPS listener today; a proxy later).
 *
 * @param baseUrl  scheme and authority the client used, e.g. {@code https://127.0.0.1:8443}, for absolute URLs
 * @param headers  header names in lower case
 */
public record Request(String id, String method, String path, String rawQuery, Map<String, List<String>> headers,
                      byte[] body, String baseUrl) {

    public String header(String name) {
        List<String> values = headers.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
        return values.isEmpty() ? null : values.get(0);
    }

    /** Query parameters, names as sent (ARM's own are case-sensitive in practice: {@code api-version}). */
    public Map<String, String> query() {
        return decodeForm(rawQuery);
    }

    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** Decodes {@code a=1&b=2} (a query string or a form body); the first value of a repeated name wins. */
    public static Map<String, String> decodeForm(String text) {
        if (text == null || text.isEmpty()) {
            return Collections.emptyMap();
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (String pair : text.split("&")) {
            int equals = pair.indexOf('=');
            String name = URLDecoder.decode(equals < 0 ? pair : pair.substring(0, equals), StandardCharsets.UTF_8);
            String value = equals < 0 ? "" : URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
            values.putIfAbsent(name, value);
        }
        return values;
    }
}
