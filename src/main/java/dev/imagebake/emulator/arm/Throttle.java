package dev.imagebake.emulator.arm;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * ARM's request throttling: one token bucket per subscription and request class (reads, writes, deletes). Each
 * request takes a token; the bucket refills continuously. The levels always show in the
 * {@code x-ms-ratelimit-remaining-subscription-*} headers; only when {@code enforced} does an empty bucket refuse the
 * request (429 {@code SubscriptionRequestsThrottled} with a whole-second {@code Retry-After}).
 *
 * @param enforced refuse requests when the bucket is empty ({@code --throttle})
 */
public record Throttle(boolean enforced, Limit reads, Limit writes, Limit deletes) {
    /** A bucket's size and how many tokens per second flow back into it. */
    public record Limit(int size, double refillPerSecond) {
        public Limit {
            if (size < 1 || !(refillPerSecond > 0)) {
                throw new IllegalArgumentException("a bucket needs size >= 1 and a refill rate > 0");
            }
        }
    }

    /** Azure's published limits: reads 250 + 25/s, writes 200 + 10/s, deletes 200 + 10/s. */
    public static Throttle azure(boolean enforced) {
        return new Throttle(enforced, new Limit(250, 25), new Limit(200, 10), new Limit(200, 10));
    }

    /** The request classes ARM counts separately; POST and PATCH are writes. */
    public enum Kind {
        READS, WRITES, DELETES;

        public static Kind of(String method) {
            return switch (method) {
                case "GET", "HEAD", "OPTIONS" -> READS;
                case "DELETE" -> DELETES;
                default -> WRITES;
            };
        }

        public String header() {
            return "x-ms-ratelimit-remaining-subscription-" + name().toLowerCase(java.util.Locale.ROOT);
        }

        public String word() {
            return switch (this) {
                case READS -> "read";
                case WRITES -> "write";
                case DELETES -> "delete";
            };
        }
    }

    /** A request's fate: the level left after it (for the header) and, if refused, the seconds to wait. */
    public record Verdict(Kind kind, long remaining, long retryAfterSeconds) {
        public boolean refused() {
            return retryAfterSeconds > 0;
        }
    }

    Limit limit(Kind kind) {
        return switch (kind) {
            case READS -> reads;
            case WRITES -> writes;
            case DELETES -> deletes;
        };
    }

    /** The buckets themselves; {@code nanoTime} is the clock, so specs can drive refills. */
    public static final class Buckets {
        private final Throttle throttle;
        private final LongSupplier nanoTime;
        private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

        public Buckets(Throttle throttle, LongSupplier nanoTime) {
            this.throttle = throttle;
            this.nanoTime = nanoTime;
        }

        /** Takes a token for one request of {@code method} in {@code subscription}. */
        public Verdict take(String subscription, String method) {
            Kind kind = Kind.of(method);
            Limit limit = throttle.limit(kind);
            Bucket bucket = buckets.computeIfAbsent(subscription + "/" + kind,
                    k -> new Bucket(limit, nanoTime.getAsLong()));
            return bucket.take(kind, limit, nanoTime.getAsLong(), throttle.enforced());
        }

        /** The level {@code method}'s bucket is at, without taking a token. */
        public Verdict level(String subscription, String method) {
            Kind kind = Kind.of(method);
            Bucket bucket = buckets.get(subscription + "/" + kind);
            return new Verdict(kind, bucket == null ? throttle.limit(kind).size()
                    : bucket.level(throttle.limit(kind), nanoTime.getAsLong()), 0);
        }
    }

    private static final class Bucket {
        private double tokens;
        private long updated;

        Bucket(Limit limit, long now) {
            tokens = limit.size();
            updated = now;
        }

        synchronized long level(Limit limit, long now) {
            return (long) Math.floor(Math.min(limit.size(), tokens + (now - updated) / 1e9 * limit.refillPerSecond()));
        }

        synchronized Verdict take(Kind kind, Limit limit, long now, boolean enforced) {
            tokens = Math.min(limit.size(), tokens + (now - updated) / 1e9 * limit.refillPerSecond());
            updated = now;
            if (tokens >= 1) {
                tokens -= 1;
                return new Verdict(kind, (long) Math.floor(tokens), 0);
            }
            if (!enforced) {
                return new Verdict(kind, 0, 0);
            }
            // Whole seconds, as Azure sends them, until one token is back; never 0 (the SDK reads 0 as "no hint").
            long wait = (long) Math.ceil((1 - tokens) / limit.refillPerSecond());
            return new Verdict(kind, 0, Math.max(1, wait));
        }
    }
}
