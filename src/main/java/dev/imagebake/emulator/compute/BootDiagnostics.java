package dev.imagebake.emulator.compute;

import dev.imagebake.emulator.http.Request;
import dev.imagebake.emulator.http.Response;
import dev.imagebake.emulator.http.Route;
import dev.imagebake.emulator.vm.VmRuntime;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Managed boot diagnostics: the blob URIs that {@code retrieveBootDiagnosticsData} hands out, and the blob-like
 * endpoint that serves them. A VM's serial console log is its machine's console output ({@link
 * VmRuntime#consoleLog}); the emulator's machines have no screen, so the screenshot blob does not exist. The URIs
 * carry a signature and an expiry as a SAS does, made with a key that lives as long as the emulator runs.
 */
final class BootDiagnostics implements Route {
    private static final String PREFIX = "/bootdiagnostics/";
    static final String SERIAL_LOG = "serialconsole.log";
    static final String SCREENSHOT = "screenshot.bmp";
    private static final Pattern PATH = Pattern.compile("/bootdiagnostics/([-0-9a-zA-Z]+)/([-0-9a-zA-Z_.]+)\\."
            + "(serialconsole\\.log|screenshot\\.bmp)");

    private final VmRuntime runtime;
    private final byte[] key = new byte[32];

    BootDiagnostics(VmRuntime runtime) {
        this.runtime = runtime;
        new SecureRandom().nextBytes(key);
    }

    /** The reply of {@code retrieveBootDiagnosticsData}: both URIs, valid for {@code minutes}. */
    Map<String, Object> uris(String baseUrl, String machineKey, String vmName, int minutes) {
        long expiry = Instant.now().plusSeconds(60L * minutes).getEpochSecond();
        Map<String, Object> reply = new LinkedHashMap<>();
        reply.put("consoleScreenshotBlobUri", uri(baseUrl, machineKey, vmName, SCREENSHOT, expiry));
        reply.put("serialConsoleLogBlobUri", uri(baseUrl, machineKey, vmName, SERIAL_LOG, expiry));
        return reply;
    }

    private String uri(String baseUrl, String machineKey, String vmName, String blob, long expiry) {
        String path = PREFIX + machineKey + "/" + vmName + "." + blob;
        return baseUrl + path + "?sp=r&se=" + expiry + "&sig=" + sign(path, expiry);
    }

    @Override
    public boolean accepts(Request request) {
        return request.path().startsWith(PREFIX);
    }

    @Override
    public Response handle(Request request) {
        Matcher path = PATH.matcher(request.path());
        if (!request.method().equals("GET") && !request.method().equals("HEAD")) {
            return blobError(405, "UnsupportedHttpVerb", "The resource doesn't support the specified HTTP verb.");
        }
        if (!path.matches()) {
            return blobError(404, "BlobNotFound", "The specified blob does not exist.");
        }
        Map<String, String> query = request.query();
        long expiry;
        try {
            expiry = Long.parseLong(query.getOrDefault("se", ""));
        } catch (NumberFormatException e) {
            return authenticationFailed("The signed expiry (se) is missing or not a time.");
        }
        String signature = query.getOrDefault("sig", "");
        if (!MessageDigest.isEqual(signature.getBytes(StandardCharsets.UTF_8),
                sign(request.path(), expiry).getBytes(StandardCharsets.UTF_8))) {
            return authenticationFailed("Signature did not match.");
        }
        if (Instant.now().getEpochSecond() > expiry) {
            return authenticationFailed("Signed expiry time [" + Instant.ofEpochSecond(expiry) + "] must be after"
                    + " the current time.");
        }
        if (path.group(3).equals(SCREENSHOT)) {
            return blobError(404, "BlobNotFound", "The specified blob does not exist.");
        }
        Path log = runtime.consoleLog(path.group(1));
        byte[] content;
        try {
            content = log == null ? new byte[0] : Files.readAllBytes(log);
        } catch (IOException e) {
            content = new byte[0]; // the machine was deleted meanwhile
        }
        return Response.bytes(200, content, "text/plain; charset=utf-8").header("x-ms-blob-type", "BlockBlob");
    }

    private String sign(String path, long expiry) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            byte[] digest = mac.doFinal((path.toLowerCase(java.util.Locale.ROOT) + "\n" + expiry)
                    .getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    private static Response authenticationFailed(String detail) {
        return blobError(403, "AuthenticationFailed", "Server failed to authenticate the request. Make sure the"
                + " value of Authorization header is formed correctly including the signature. " + detail);
    }

    /** Blob storage answers errors in XML. */
    private static Response blobError(int status, String code, String message) {
        String xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>" + code + "</Code><Message>" + message
                + "</Message></Error>";
        return Response.bytes(status, xml.getBytes(StandardCharsets.UTF_8), "application/xml")
                .header("x-ms-error-code", code);
    }
}
