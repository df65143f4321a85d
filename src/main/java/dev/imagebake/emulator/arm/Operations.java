package dev.imagebake.emulator.arm;

import dev.imagebake.emulator.http.Response;
import dev.imagebake.emulator.state.State;
import dev.imagebake.emulator.state.StateStore;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Long-running operations in the "202 + Location" style (resource group deletion). An operation is data in the
 * state store (so it survives a restart) plus a completion registered per kind by the provider that started it.
 * It finishes at the first poll after {@code pollsBeforeDone} polls answered 202, or once overdue even if nobody
 * polls (like {@code az group delete --no-wait}); the completion runs in the same saved change as the 200.
 */
public final class Operations {
    /** Applies an operation's effect, e.g. removes the resource group and its contents. */
    public interface Completion {
        /** Throwing marks the operation {@code Failed} with the exception's code and message. */
        void complete(State state, String target) throws ArmException;
    }

    private final StateStore store;
    private final Clock clock;
    private final Settings settings;
    private final LatencyProfile latency;
    private final Map<String, Completion> completions = new HashMap<>();
    /** No operation in progress is overdue before this (epoch ms); 0 until the first scan of a loaded state. */
    private volatile long nextDeadline;

    /**
     * @param retryAfterSeconds the {@code Retry-After} sent with each 202; the SDK waits 30 s when it is missing or 0
     * @param pollsBeforeDone   polls answered 202 before the operation completes
     * @param overdueAfter      when an operation completes even without polls
     */
    public record Settings(int retryAfterSeconds, int pollsBeforeDone, Duration overdueAfter) {
        public static final Settings DEFAULT = new Settings(1, 1, Duration.ofSeconds(10));
    }

    public Operations(StateStore store, Clock clock, Settings settings) {
        this(store, clock, settings, LatencyProfile.INSTANT);
    }

    /** With a realistic {@code latency}, operations complete when their time is up, however often they are polled. */
    public Operations(StateStore store, Clock clock, Settings settings, LatencyProfile latency) {
        this.store = store;
        this.clock = clock;
        this.settings = settings;
        this.latency = latency;
    }

    public void register(String kind, Completion completion) {
        completions.put(kind, completion);
    }

    /** Records a new operation inside the caller's change; returns its ID. */
    public String start(State state, String kind, String target) {
        String id = UUID.randomUUID().toString();
        Map<String, Object> operation = new LinkedHashMap<>();
        operation.put("kind", kind);
        operation.put("target", target);
        operation.put("status", "InProgress");
        operation.put("pollsLeft", settings.pollsBeforeDone());
        operation.put("overdueAt", clock.millis() + settings.overdueAfter().toMillis());
        Duration lasts = latency.duration(kind, target, state.resource(target.split("#")[0]));
        if (lasts != null) {
            operation.put("startedAt", clock.millis());
            operation.put("readyAt", clock.millis() + lasts.toMillis());
            operation.put("overdueAt", clock.millis() + lasts.toMillis());
        }
        state.putOperation(id, operation);
        nextDeadline = Math.min(nextDeadline, ((Number) operation.get("overdueAt")).longValue());
        forgetOldOperations(state);
        return id;
    }

    /**
     * Records a new operation that only its provider can end, with {@link #settle}: one whose work runs outside
     * the emulator's control plane (a command inside a machine). Polls answer InProgress until then.
     */
    public String startAwaiting(State state, String kind, String target) {
        String id = start(state, kind, target);
        state.operation(id).put("awaiting", true);
        return id;
    }

    /**
     * Ends an operation started with {@link #startAwaiting}: Succeeded with {@code result} (the body its
     * {@code Location} then answers), or Failed with {@code failure}'s code and message. An injected fault still
     * applies: {@code lro-failed} fails it with its code, {@code hang} keeps it InProgress.
     */
    public void settle(String operationId, Map<String, Object> result, ArmException failure) {
        store.write(state -> {
            Map<String, Object> operation = state.operation(operationId);
            if (operation == null || !"InProgress".equals(operation.get("status"))) {
                return null;
            }
            operation.remove("awaiting");
            if (Boolean.TRUE.equals(operation.get("hang"))) {
                return null;
            }
            operation.put("pollsLeft", 0);
            operation.put("finishedAt", clock.millis());
            if (operation.get("failWith") instanceof String code) {
                operation.put("status", "Failed");
                operation.put("error", new LinkedHashMap<>(Map.of("code", code, "message",
                        "The operation failed (fault injected by the emulator).")));
                // A resource of its own (an extension) is left Failed; a run command's VM is not touched.
                Map<String, Object> target = state.resource(String.valueOf(operation.get("target")));
                if (target != null && target.get("properties") instanceof Map<?, ?> properties) {
                    ProviderSupport.map(properties).put("provisioningState", "Failed");
                }
            } else if (failure != null) {
                operation.put("status", "Failed");
                operation.put("error", new LinkedHashMap<>(Map.of("code", failure.code(), "message",
                        failure.getMessage())));
            } else {
                operation.put("status", "Succeeded");
                if (result != null) {
                    operation.put("result", result);
                }
            }
            return null;
        });
    }

    /**
     * Fails the operations started with {@link #startAwaiting} that no one can end any more (their work ran in the
     * emulator's previous run); returns their targets.
     */
    public List<String> abandonAwaiting(String code, String message) {
        List<String> targets = new ArrayList<>();
        store.write(state -> {
            for (Map<String, Object> operation : state.operations().values()) {
                if (Boolean.TRUE.equals(operation.get("awaiting")) && "InProgress".equals(operation.get("status"))) {
                    operation.remove("awaiting");
                    operation.put("status", "Failed");
                    operation.put("finishedAt", clock.millis());
                    operation.put("error", new LinkedHashMap<>(Map.of("code", code, "message", message)));
                    targets.add(String.valueOf(operation.get("target")));
                }
            }
            return null;
        });
        return targets;
    }

    /** The body a finished operation's {@code Location} answers with, or {@code null} for none. */
    public Map<String, Object> result(String operationId) {
        return store.read(state -> {
            Map<String, Object> operation = state.operation(operationId);
            return operation != null && operation.get("result") instanceof Map<?, ?> result
                    ? new LinkedHashMap<>(ProviderSupport.map(result)) : null;
        });
    }

    /** Finished operations kept for late polls; beyond that the oldest go, so state (saved whole) stays small. */
    static final int FINISHED_KEPT = 200;
    /** How long a finished operation stays pollable at most, as Azure's do for a while. */
    static final Duration FINISHED_RETENTION = Duration.ofMinutes(15);

    private void forgetOldOperations(State state) {
        long cutoff = clock.millis() - FINISHED_RETENTION.toMillis();
        List<String> finished = new ArrayList<>();  // oldest first: operations are kept in the order they started
        state.operations().forEach((id, operation) -> {
            if (operation.get("finishedAt") instanceof Number) {
                finished.add(id);
            }
        });
        int excess = finished.size() - FINISHED_KEPT;
        for (String id : finished) {
            boolean expired = ((Number) state.operation(id).get("finishedAt")).longValue() < cutoff;
            if (expired || excess > 0) {
                state.operations().remove(id);
                excess--;
            }
        }
    }

    /**
     * Makes a just-started operation end differently (an injected fault): {@code failWith} an error code ends it
     * {@code Failed} with that code when it completes; {@code hang} keeps it {@code InProgress} for ever.
     */
    public void inject(String operationId, String failWith, boolean hang) {
        store.write(state -> {
            Map<String, Object> operation = state.operation(operationId);
            if (operation != null) {
                if (failWith != null) {
                    operation.put("failWith", failWith);
                }
                if (hang) {
                    operation.put("hang", true);
                }
            }
            return null;
        });
    }

    /**
     * Whether step {@code step} of {@code steps} of an operation (a gallery version's region) is done by now: at
     * once with the instant profile, else when that share of the operation's time has passed; never if it hangs.
     */
    public boolean stepDue(Map<String, Object> operation, int step, int steps) {
        if (Boolean.TRUE.equals(operation.get("hang"))) {
            return false;
        }
        if (!(operation.get("readyAt") instanceof Number ready && operation.get("startedAt") instanceof Number start)) {
            return true;
        }
        long span = ready.longValue() - start.longValue();
        return clock.millis() >= start.longValue() + span * step / Math.max(1, steps);
    }

    /** The 202 that starts a client polling. */
    public Response accepted(ArmRequest request, String subscriptionId, String operationId) {
        return Response.empty(202)
                .header("Location", request.absoluteUrl(resultPath(subscriptionId, operationId)))
                .header("Retry-After", String.valueOf(settings.retryAfterSeconds()));
    }

    /** Answers a poll of {@code .../operationresults/{id}}: 202 while running, 200 once done. */
    public Response poll(ArmRequest request, String subscriptionId, String operationId) throws ArmException {
        Object outcome = store.write(state -> {
            Map<String, Object> operation = state.operation(operationId);
            if (operation == null) {
                return null;
            }
            if ("InProgress".equals(operation.get("status"))) {
                if (!due(operation)) {
                    return false;
                }
                finish(state, operation);
            }
            if (operation.get("error") instanceof Map<?, ?> error) {
                return new ArmException(500, String.valueOf(error.get("code")), String.valueOf(error.get("message")));
            }
            // An operation that ends with a result of its own (a what-if) answers it on its Location.
            return operation.get("result") instanceof Map<?, ?> result ? Response.json(200, result) : true;
        });
        if (outcome instanceof Response done) {
            return done;
        }
        if (outcome == null) {
            throw ArmException.notFound("OperationNotFound", "The operation '" + operationId + "' was not found.");
        }
        if (outcome instanceof ArmException failed) {
            throw failed;
        }
        return Boolean.TRUE.equals(outcome) ? Response.empty(200) : accepted(request, subscriptionId, operationId);
    }

    /**
     * Settles overdue operations on time, not only at the next request: {@code az group delete --no-wait} and then
     * {@code imagebake emulator inventory} (which reads the saved state) must see the group gone. Closing stops it.
     */
    public AutoCloseable settleOnTime() {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "imagebake-emulator-overdue");
            thread.setDaemon(true);
            return thread;
        });
        timer.scheduleWithFixedDelay(() -> {
            try {
                settleOverdue();
            } catch (RuntimeException e) {
                // the next request settles it as before; a timer thread must not die of it
            }
        }, 250, 250, TimeUnit.MILLISECONDS);
        return timer::shutdownNow;
    }

    /** Completes overdue operations; the gateway calls this before each request so their effects are visible. */
    public void settleOverdue() {
        // Scanning every operation on every request was a fifth of the emulator's time per request; nothing can
        // be overdue before the earliest deadline of an operation in progress.
        if (clock.millis() < nextDeadline) {
            return;
        }
        boolean any = store.read(state -> state.operations().values().stream()
                .anyMatch(op -> "InProgress".equals(op.get("status")) && isOverdue(op) && !op.containsKey("hang")
                        && !op.containsKey("awaiting")));
        if (any) {
            store.write(state -> {
                for (Map<String, Object> operation : List.copyOf(state.operations().values())) {
                    if ("InProgress".equals(operation.get("status")) && isOverdue(operation)
                            && !operation.containsKey("hang") && !operation.containsKey("awaiting")) {
                        finish(state, operation);
                    }
                }
                return null;
            });
        }
        store.read(state -> {
            // Under the store's lock, like start(), so that no new deadline is lost between reading and setting.
            nextDeadline = state.operations().values().stream()
                    .filter(op -> "InProgress".equals(op.get("status")) && !op.containsKey("hang")
                            && !op.containsKey("awaiting"))
                    .mapToLong(op -> ((Number) op.get("overdueAt")).longValue()).min().orElse(Long.MAX_VALUE);
            return null;
        });
    }

    /**
     * Whether a poll completes the operation. Instant profile: after {@code pollsBeforeDone} polls, counting this
     * one down, or once overdue; realistic: once its time is up. A hanging operation is never due.
     */
    private boolean due(Map<String, Object> operation) {
        if (Boolean.TRUE.equals(operation.get("hang")) || Boolean.TRUE.equals(operation.get("awaiting"))) {
            return false;
        }
        if (operation.containsKey("readyAt")) {
            return isOverdue(operation);
        }
        long pollsLeft = ((Number) operation.get("pollsLeft")).longValue();
        if (pollsLeft > 0 && !isOverdue(operation)) {
            operation.put("pollsLeft", pollsLeft - 1);
            return false;
        }
        return true;
    }

    private void finish(State state, Map<String, Object> operation) {
        Completion completion = completions.get((String) operation.get("kind"));
        operation.put("status", "Succeeded");
        operation.put("pollsLeft", 0);
        operation.put("finishedAt", clock.millis());
        if (operation.get("failWith") instanceof String code) {
            // An injected failure: the resource is left as Azure leaves it after a failed operation.
            operation.put("status", "Failed");
            operation.put("error", new LinkedHashMap<>(Map.of("code", code, "message",
                    "The operation failed (fault injected by the emulator).")));
            Map<String, Object> target = state.resource(String.valueOf(operation.get("target")).split("#")[0]);
            if (target != null && target.get("properties") instanceof Map<?, ?> properties) {
                @SuppressWarnings("unchecked")
                Map<String, Object> writable = (Map<String, Object>) properties;
                writable.put("provisioningState", "Failed");
            }
            return;
        }
        if (completion != null) {
            try {
                completion.complete(state, (String) operation.get("target"));
            } catch (ArmException e) {
                operation.put("status", "Failed");
                operation.put("error", new LinkedHashMap<>(Map.of("code", e.code(), "message", e.getMessage())));
            } catch (RuntimeException e) {
                // A bug of the emulator's: the operation fails rather than passing for done with half its work.
                operation.put("status", "Failed");
                operation.put("error", new LinkedHashMap<>(Map.of("code", "InternalServerError", "message",
                        "The emulator failed: " + e)));
            }
        }
    }

    // ---- Azure-AsyncOperation style (most providers other than resource groups) ----

    /**
     * Answers a PUT/DELETE as Azure's asynchronous operation: {@code status} (201/200 for PUT, 202 for DELETE),
     * an absolute {@code Azure-AsyncOperation} URL, for DELETE also a {@code Location}, and {@code Retry-After}.
     */
    public Response asyncAccepted(ArmRequest request, int status, Object body, String namespace, String location,
                                  String operationId, boolean withLocation) {
        String subscriptionId = request.path().segment(1);
        String base = "/subscriptions/" + subscriptionId + "/providers/" + namespace + "/locations/"
                + (location == null || location.isBlank() ? "global" : location);
        Response response = body == null ? Response.empty(status) : Response.json(status, body);
        response.header("Azure-AsyncOperation", request.absoluteUrl(base + "/operations/" + operationId))
                .header("Retry-After", String.valueOf(settings.retryAfterSeconds()));
        if (withLocation) {
            response.header("Location", request.absoluteUrl(base + "/operationResults/" + operationId));
        }
        return response;
    }

    /**
     * Advances an operation by one poll and returns its status document: {@code {"status":"InProgress"}},
     * {@code {"status":"Succeeded"}} or {@code {"status":"Failed","error":{...}}}.
     */
    public Map<String, Object> pollStatus(String operationId) throws ArmException {
        Map<String, Object> status = store.write(state -> {
            Map<String, Object> operation = state.operation(operationId);
            if (operation == null) {
                return null;
            }
            advance(state, operation);
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("status", operation.get("status"));
            if (operation.get("error") instanceof Map<?, ?> error) {
                json.put("error", new LinkedHashMap<>(error));
            }
            return json;
        });
        if (status == null) {
            throw ArmException.notFound("OperationNotFound", "The operation '" + operationId + "' was not found.");
        }
        return status;
    }

    private void advance(State state, Map<String, Object> operation) {
        if (!"InProgress".equals(operation.get("status"))) {
            return;
        }
        if (due(operation)) {
            finish(state, operation);
        }
    }

    public Settings settings() {
        return settings;
    }

    public LatencyProfile latency() {
        return latency;
    }

    private boolean isOverdue(Map<String, Object> operation) {
        return clock.millis() >= ((Number) operation.get("overdueAt")).longValue();
    }

    private static String resultPath(String subscriptionId, String operationId) {
        return "/subscriptions/" + subscriptionId + "/operationresults/" + operationId;
    }
}
