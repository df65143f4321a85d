package dev.imagebake.builder.azure;

import com.azure.core.http.HttpPipelineCallContext;
import com.azure.core.http.HttpPipelineNextPolicy;
import com.azure.core.http.HttpPipelineNextSyncPolicy;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.HttpPipelinePolicy;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One gate for every ARM request of this process, per subscription, so that parallel builds share Azure's
 * throttling budget instead of each burning through it: writes are paced to ARM's refill rate once the burst is
 * spent, and a 429 from any build holds back all of them until its {@code Retry-After} has passed (the SDK's own
 * retry policy then repeats the refused request).
 */
final class ArmRateLimiter implements HttpPipelinePolicy {
    private static final Map<String, ArmRateLimiter> BY_SUBSCRIPTION = new ConcurrentHashMap<>();

    private final TokenBucket writes = new TokenBucket(150, 8);
    private volatile long pausedUntilNanos;

    static ArmRateLimiter forSubscription(String subscription) {
        return BY_SUBSCRIPTION.computeIfAbsent(subscription.toLowerCase(), s -> new ArmRateLimiter());
    }

    @Override
    public Mono<HttpResponse> process(HttpPipelineCallContext context, HttpPipelineNextPolicy next) {
        Duration wait = admit(context.getHttpRequest().getHttpMethod().name());
        Mono<HttpResponse> call = next.process().doOnNext(this::observe);
        return wait.isZero() ? call : Mono.delay(wait).then(call);
    }

    @Override
    public HttpResponse processSync(HttpPipelineCallContext context, HttpPipelineNextSyncPolicy next) {
        Duration wait = admit(context.getHttpRequest().getHttpMethod().name());
        if (!wait.isZero()) {
            try {
                Thread.sleep(wait.toMillis());
            } catch (InterruptedException e) {
                // Ctrl-C: the request is not sent at all, rather than sent with the interrupt pending
                Thread.currentThread().interrupt();
                throw new java.util.concurrent.CancellationException("cancelled while waiting for ARM's throttling "
                        + "window");
            }
        }
        HttpResponse response = next.processSync();
        observe(response);
        return response;
    }

    private Duration admit(String method) {
        long now = System.nanoTime();
        long pause = Math.max(0, pausedUntilNanos - now);
        if (!method.equals("GET") && !method.equals("HEAD")) {
            pause = Math.max(pause, writes.take(now));
        }
        return Duration.ofNanos(pause);
    }

    private void observe(HttpResponse response) {
        if (response.getStatusCode() != 429) {
            return;
        }
        long seconds = 5;
        String header = response.getHeaderValue("Retry-After");
        if (header != null) {
            try {
                seconds = Math.max(1, Long.parseLong(header.trim()));
            } catch (NumberFormatException ignored) {
                // an HTTP date: keep the default
            }
        }
        long until = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        if (until > pausedUntilNanos) {
            pausedUntilNanos = until;
        }
    }

    /** A token bucket that reports how long the caller must wait for its token (reserving it). */
    static final class TokenBucket {
        private final double capacity;
        private final double perSecond;
        private double tokens;
        private long updatedNanos = System.nanoTime();

        TokenBucket(double capacity, double perSecond) {
            this.capacity = capacity;
            this.perSecond = perSecond;
            this.tokens = capacity;
        }

        synchronized long take(long now) {
            tokens = Math.min(capacity, tokens + (now - updatedNanos) / 1e9 * perSecond);
            updatedNanos = now;
            tokens -= 1;
            return tokens >= 0 ? 0 : (long) (-tokens / perSecond * 1e9);
        }
    }
}
