package dev.imagebake.emulator.deployments;

import dev.imagebake.emulator.arm.ArmException;
import dev.imagebake.emulator.arm.ArmPath;
import dev.imagebake.emulator.arm.ArmRequest;
import dev.imagebake.emulator.arm.ResourceProvider;
import dev.imagebake.emulator.http.Request;
import dev.imagebake.emulator.http.Response;
import dev.imagebake.util.Json;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.imagebake.emulator.arm.ProviderSupport.map;

/**
 * How the deployment engine talks to the resource providers: as ARM's own engine does, with ordinary REST calls,
 * but handed straight to the provider owning the path (the caller's token and throttling were checked when the
 * deployment was submitted). Long-running operations are followed through their status URLs to the end, without
 * waiting between polls.
 */
final class InternalArm {
    /** Polls of one status URL before the engine gives up on it. */
    private static final int MAX_POLLS = 10_000;

    private final List<ResourceProvider> providers;

    InternalArm(List<ResourceProvider> providers) {
        this.providers = List.copyOf(providers);
    }

    Response call(String baseUrl, String method, String pathAndQuery, String apiVersion, Object body)
            throws ArmException {
        URI uri = URI.create(pathAndQuery);
        String query = uri.getRawQuery() != null ? uri.getRawQuery() : "api-version=" + apiVersion;
        byte[] bytes = body == null ? new byte[0] : Json.write(body).getBytes(StandardCharsets.UTF_8);
        Request request = new Request(UUID.randomUUID().toString(), method, uri.getRawPath(), query, Map.of(), bytes,
                baseUrl);
        ArmPath path = ArmPath.parse(request.path());
        String version = request.query().getOrDefault("api-version", apiVersion);
        for (ResourceProvider provider : providers) {
            if (provider.accepts(path)) {
                return provider.handle(new ArmRequest(request, path, version));
            }
        }
        throw ArmException.badRequest("InvalidResourceType",
                "The emulator does not know the resource type at '" + uri.getRawPath() + "'.");
    }

    /** Whether one of the emulator's providers serves the resource with this ID. */
    boolean serves(String id) {
        ArmPath path = ArmPath.parse(id);
        return providers.stream().anyMatch(provider -> provider.accepts(path));
    }

    /** PUTs a resource and follows its operation to the end; throws the operation's error if it failed. */
    void putAndWait(String baseUrl, String path, String apiVersion, Object body) throws ArmException {
        Response response = call(baseUrl, "PUT", path, apiVersion, body);
        String status = response.headers().get("Azure-AsyncOperation");
        String location = response.headers().get("Location");
        if (status != null) {
            for (int poll = 0; poll < MAX_POLLS; poll++) {
                Map<String, Object> document = map(call(baseUrl, "GET", relative(status), apiVersion, null).body());
                switch (String.valueOf(document.get("status"))) {
                    case "Succeeded" -> {
                        return;
                    }
                    case "Failed", "Canceled" -> {
                        Map<String, Object> error = map(document.get("error"));
                        throw ArmException.badRequest(String.valueOf(error.getOrDefault("code", "Failed")),
                                String.valueOf(error.getOrDefault("message", "The operation failed.")));
                    }
                    default -> {
                    }
                }
            }
            throw new ArmException(500, "OperationTimedOut", "The operation at " + path + " did not finish.");
        }
        if (response.status() == 202 && location != null) {
            for (int poll = 0; poll < MAX_POLLS; poll++) {
                if (call(baseUrl, "GET", relative(location), apiVersion, null).status() != 202) {
                    return;
                }
            }
            throw new ArmException(500, "OperationTimedOut", "The operation at " + path + " did not finish.");
        }
    }

    /** The resource as a client would GET it, or null when it does not exist. */
    Map<String, Object> get(String baseUrl, String id, String apiVersion) {
        try {
            Response response = call(baseUrl, "GET", id, apiVersion, null);
            return response.status() == 200 && response.body() instanceof Map<?, ?> ? map(response.body()) : null;
        } catch (ArmException e) {
            return null;
        }
    }

    private static String relative(String url) {
        URI uri = URI.create(url);
        return uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    }
}
