package dev.imagebake.emulator.arm;

import dev.imagebake.emulator.http.Response;

import java.util.Map;

/**
 * Where Azure-AsyncOperation style operations are polled, for any provider namespace:
 * {@code GET /subscriptions/{id}/providers/{namespace}/locations/{location}/operations/{operation}} answers 200 with
 * {@code {"status":"InProgress"|"Succeeded"|"Failed"}}; the matching {@code .../operationResults/{operation}} (the
 * {@code Location} of a DELETE) answers 202 while running and 200 once done, as the SDK reads it last.
 */
public final class AsyncOperationsProvider implements ResourceProvider {
    private final Operations operations;

    public AsyncOperationsProvider(Operations operations) {
        this.operations = operations;
    }

    @Override
    public boolean accepts(ArmPath path) {
        return path.matches("subscriptions/*/providers/*/locations/*/operations/*")
                || path.matches("subscriptions/*/providers/*/locations/*/operationresults/*");
    }

    @Override
    public Response handle(ArmRequest request) throws ArmException {
        if (!request.method().equals("GET")) {
            throw ArmGateway.methodNotAllowed(request);
        }
        String operationId = request.path().segment(7);
        Map<String, Object> status = operations.pollStatus(operationId);
        if (request.path().segment(6).equalsIgnoreCase("operations")) {
            return Response.json(200, status).header("Retry-After",
                    String.valueOf(operations.settings().retryAfterSeconds()));
        }
        return switch (String.valueOf(status.get("status"))) {
            case "Succeeded" -> {
                Map<String, Object> result = operations.result(operationId);
                yield result == null ? Response.empty(200) : Response.json(200, result);
            }
            case "Failed", "Canceled" -> {
                Map<?, ?> error = status.get("error") instanceof Map<?, ?> e ? e : Map.of();
                throw ArmException.badRequest(String.valueOf(error.get("code")), String.valueOf(error.get("message")));
            }
            default -> Response.empty(202)
                    .header("Location", request.absoluteUrl(request.http().path()))
                    .header("Retry-After", String.valueOf(operations.settings().retryAfterSeconds()));
        };
    }
}
