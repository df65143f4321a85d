package dev.imagebake.emulator.arm;

import dev.imagebake.emulator.http.Dispatcher;
import dev.imagebake.emulator.http.Response;

import java.net.URI;

/**
 * What the gateway does to traffic beyond routing it: counts each request against ARM's throttling buckets (and
 * refuses it when they are empty and throttling is enforced) and injects the configured faults, either instead of
 * handling a request (a status) or into the operation the request started (failed or hanging).
 */
public final class TrafficPolicy {
    /** Names the injected fault on the reply, so clients and the request log can tell it from a real error. */
    public static final String FAULT_HEADER = "x-imagebake-fault";

    private final Throttle.Buckets buckets;
    private final Faults faults;
    private final Operations operations;

    public TrafficPolicy(Conditions conditions, Operations operations) {
        this.buckets = new Throttle.Buckets(conditions.throttle(), System::nanoTime);
        this.faults = new Faults(conditions.faults());
        this.operations = operations;
    }

    public Faults faults() {
        return faults;
    }

    /** Takes a throttling token for the request; the verdict says whether it may go on. */
    public Throttle.Verdict throttle(String subscriptionId, String method) {
        return buckets.take(subscriptionId.toLowerCase(java.util.Locale.ROOT), method);
    }

    /** The level of the bucket a request of {@code method} would take from, without taking. */
    public Throttle.Verdict level(String subscriptionId, String method) {
        return buckets.level(subscriptionId.toLowerCase(java.util.Locale.ROOT), method);
    }

    /** ARM's 429 for an empty bucket. */
    public static Response throttled(Throttle.Verdict verdict, String subscriptionId) {
        return Dispatcher.error(429, "SubscriptionRequestsThrottled", "Number of '" + verdict.kind().word()
                        + "' requests for subscription '" + subscriptionId + "' exceeded. Please try again after '"
                        + verdict.retryAfterSeconds() + "' seconds after additional tokens are available. Refer to"
                        + " https://aka.ms/arm-throttling for additional information.")
                .header("Retry-After", String.valueOf(verdict.retryAfterSeconds()));
    }

    /** The reply of a status fault aimed at this request, or {@code null} to handle it normally. */
    public Response injectedReply(ArmRequest request) {
        FaultSpec fault = faults.take(request.method(), request.path(), request.http().path(), true);
        if (fault == null) {
            return null;
        }
        Response reply = Dispatcher.error(fault.status(), fault.code(), "Injected fault '" + fault.text()
                + "' (imagebake emulator).").header(FAULT_HEADER, fault.text());
        if (fault.retryAfter() >= 0) {
            reply.header("Retry-After", String.valueOf(fault.retryAfter()));
        }
        return reply;
    }

    /** If the reply started an operation and an operation fault aims at the request, makes it fail or hang. */
    public void injectIntoOperation(ArmRequest request, Response reply) {
        String url = reply.headers().getOrDefault("Azure-AsyncOperation", reply.headers().get("Location"));
        // Only requests that start an operation count (a GET of operationResults also answers with a Location).
        if (url == null || reply.status() >= 300 || request.method().equals("GET")) {
            return;
        }
        FaultSpec fault = faults.take(request.method(), request.path(), request.http().path(), false);
        if (fault == null) {
            return;
        }
        // The operation's ID is the last segment of its status URL (operations, operationResults, capsOperations).
        String path = URI.create(url).getPath();
        operations.inject(path.substring(path.lastIndexOf('/') + 1), fault.failWith(), fault.hang());
        reply.header(FAULT_HEADER, fault.text());
    }
}
