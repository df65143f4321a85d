package dev.imagebake.emulator.arm;

import dev.imagebake.emulator.http.Response;

/** {@code GET /subscriptions/{id}/operationresults/{operation}}: where 202 + Location operations are polled. */
public final class OperationResultsProvider implements ResourceProvider {
    private final Operations operations;

    public OperationResultsProvider(Operations operations) {
        this.operations = operations;
    }

    @Override
    public boolean accepts(ArmPath path) {
        return path.matches("subscriptions/*/operationresults/*");
    }

    @Override
    public Response handle(ArmRequest request) throws ArmException {
        if (!request.method().equals("GET")) {
            throw ArmGateway.methodNotAllowed(request);
        }
        return operations.poll(request, request.path().segment(1), request.path().segment(3));
    }
}
