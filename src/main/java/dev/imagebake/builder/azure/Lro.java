package dev.imagebake.builder.azure;

import com.azure.core.management.exception.ManagementException;
import com.azure.core.management.polling.PollResult;
import com.azure.core.util.polling.LongRunningOperationStatus;
import com.azure.core.util.polling.PollResponse;
import com.azure.core.util.polling.SyncPoller;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.StepFailedException;
import dev.imagebake.engine.Durations;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Waits for ARM long-running operations the way a person at the console wants: it polls at the interval Azure asks
 * for with {@code Retry-After}, or every second when Azure gives none (the SDK would wait 30 s), so completion is
 * noticed at once; it gives up after a time limit with a message that says which operation hung; and it stops
 * promptly when the build is cancelled.
 */
public final class Lro {
    static final Duration DEFAULT_POLL = Duration.ofSeconds(1);
    static final Duration MAX_POLL = Duration.ofSeconds(15);

    private Lro() {
    }

    static <T> T await(BuildContext context, String what, Duration limit,
                       Supplier<SyncPoller<PollResult<T>, T>> begin) throws Exception {
        return await(context::cancelled, what, limit, begin, null);
    }

    /** For cleanup, which must go on after the build was cancelled (that is when it runs). */
    static <T> T awaitEvenIfCancelled(String what, Duration limit, Supplier<SyncPoller<PollResult<T>, T>> begin)
            throws Exception {
        return await(() -> false, what, limit, begin, null);
    }

    /**
     * @param begin    starts the operation (the initial request)
     * @param progress called after each poll that did not finish, or null
     */
    public static <T> T await(BooleanSupplier cancelled, String what, Duration limit,
                       Supplier<SyncPoller<PollResult<T>, T>> begin, Consumer<Duration> progress) throws Exception {
        long started = System.nanoTime();
        SyncPoller<PollResult<T>, T> poller;
        try {
            poller = begin.get();
        } catch (ManagementException e) {
            throw new StepFailedException(AzureErrors.failed(what, e), e);
        }
        while (true) {
            PollResponse<PollResult<T>> response;
            try {
                response = poller.poll();
            } catch (ManagementException e) {
                throw new StepFailedException(AzureErrors.failed(what, e), e);
            }
            LongRunningOperationStatus status = response.getStatus();
            if (status == LongRunningOperationStatus.SUCCESSFULLY_COMPLETED) {
                return poller.getFinalResult();
            }
            if (status == LongRunningOperationStatus.FAILED || status == LongRunningOperationStatus.USER_CANCELLED) {
                // The SDK's exception here says only "Failed or Cancelled"; Azure's code and message are in the
                // body of the last status poll.
                PollResult<T> result = response.getValue();
                String error = result == null || result.getError() == null ? null
                        : fromBody(result.getError().getResponseBody());
                if (error == null && result != null && result.getError() != null) {
                    error = result.getError().getMessage();
                }
                throw new StepFailedException(what + " failed: " + (error == null ? status.toString() : error)
                        + " (the operation ended " + (status == LongRunningOperationStatus.FAILED ? "Failed"
                        : "Canceled") + " in Azure; not retried)");
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
            if (elapsed.compareTo(limit) >= 0) {
                throw new StepFailedException(what + " did not finish within " + Durations.format(limit)
                        + " (Azure still reports it in progress)");
            }
            if (progress != null) {
                progress.accept(elapsed);
            }
            Duration delay = response.getRetryAfter();
            if (delay == null || delay.isNegative() || delay.isZero()) {
                delay = DEFAULT_POLL;
            }
            sleep(cancelled, delay.compareTo(MAX_POLL) > 0 ? MAX_POLL : delay);
        }
    }

    /**
     * A read of what an operation made or a step needs, named in the message when it fails. The SDK hides a failed
     * read at the end of an operation (it returns what it has, often an empty resource), so the steps read again
     * through here and a read that keeps failing fails the step instead of handing on a resource without an id.
     */
    static <T> T read(String what, Supplier<T> get) throws StepFailedException {
        T value;
        try {
            value = get.get();
        } catch (RuntimeException e) {
            throw new StepFailedException(AzureErrors.failedReading(what, e), e);
        }
        if (value == null) {
            throw new StepFailedException("reading " + what + " failed: Azure returned nothing");
        }
        return value;
    }

    /** {@code CODE: message} from an ARM status or error body ({@code {"status":"Failed","error":{...}}}). */
    static String fromBody(String body) {
        if (body == null || body.isBlank()) {
            return null;
        }
        try {
            Object json = dev.imagebake.util.Json.parse(body);
            if (json instanceof java.util.Map<?, ?> map) {
                Object error = map.get("error");
                if (error == null && map.get("properties") instanceof java.util.Map<?, ?> props) {
                    error = props.get("error");
                }
                if (error instanceof java.util.Map<?, ?> e) {
                    return e.get("code") + ": " + e.get("message");
                }
            }
        } catch (RuntimeException e) {
            return null;
        }
        return null;
    }

    /** Sleeps in short slices so that a cancelled build stops waiting at once. */
    static void sleep(BooleanSupplier cancelled, Duration delay) throws InterruptedException {
        long end = System.nanoTime() + delay.toNanos();
        while (!cancelled.getAsBoolean()) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                return;
            }
            Thread.sleep(Math.min(100, left / 1_000_000 + 1));
        }
        throw new InterruptedException("build cancelled");
    }
}
