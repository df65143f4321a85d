package dev.imagebake.emulator.auth;

import dev.imagebake.util.Json;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Issues and checks access tokens: JWTs signed with HMAC-SHA256 under a key kept in the data folder. Signed rather
 * than remembered, so that tokens a client cached stay valid across an emulator restart, as Azure's do.
 */
public final class AccessTokens {
    public static final Duration LIFETIME = Duration.ofHours(1);

    private final byte[] key;
    private final String tenantId;
    private final Clock clock;
    private final Map<String, Long> verified = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, String> audiences = new java.util.concurrent.ConcurrentHashMap<>();

    public AccessTokens(String key, String tenantId, Clock clock) {
        this.key = key.getBytes(StandardCharsets.UTF_8);
        this.tenantId = tenantId;
        this.clock = clock;
    }

    public String issue(String clientId, String issuer) {
        return issue(clientId, issuer, "https://management.core.windows.net/");
    }

    /** A token for {@code audience}: a v1 token's audience is the {@code resource} the client asked for. */
    public String issue(String clientId, String issuer, String audience) {
        long now = clock.instant().getEpochSecond();
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("aud", audience);
        claims.put("iss", issuer);
        claims.put("iat", now);
        claims.put("nbf", now);
        claims.put("exp", now + LIFETIME.toSeconds());
        claims.put("appid", clientId);
        claims.put("tid", tenantId);
        String unsigned = encode(Json.write(Map.of("alg", "HS256", "typ", "JWT"))) + "." + encode(Json.write(claims));
        return unsigned + "." + sign(unsigned);
    }

    /** True when the token is one of ours, unaltered and not expired. */
    public boolean isValid(String token) {
        // Clients send the same token for an hour; checking its signature on every request was the largest part
        // of the emulator's time per request.
        Long knownExpiry = verified.get(token);
        if (knownExpiry != null) {
            return knownExpiry > clock.instant().getEpochSecond();
        }
        Long expiry = verify(token);
        if (expiry != null) {
            if (verified.size() >= 1000) {
                verified.clear();
            }
            verified.put(token, expiry);
        }
        return expiry != null && expiry > clock.instant().getEpochSecond();
    }

    /** The expiry (epoch seconds) of a token that is ours and unaltered, else {@code null}. */
    private Long verify(String token) {
        String[] parts = token.split("\\.");
        if (parts.length != 3 || !MessageDigest.isEqual(
                sign(parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII),
                parts[2].getBytes(StandardCharsets.US_ASCII))) {
            return null;
        }
        try {
            Map<?, ?> claims = (Map<?, ?>) Json.parse(new String(Base64.getUrlDecoder().decode(parts[1]),
                    StandardCharsets.UTF_8));
            return claims.get("exp") instanceof Long exp && tenantId.equals(claims.get("tid")) ? exp : null;
        } catch (IllegalArgumentException | ClassCastException e) {
            return null;
        }
    }

    /**
     * The audience of a token this class issued and {@link #isValid found valid}; the resource a v1 client asked for.
     */
    public String audience(String token) {
        String known = audiences.get(token);
        if (known != null) {
            return known;
        }
        Map<?, ?> claims = (Map<?, ?>) Json.parse(new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]),
                StandardCharsets.UTF_8));
        String audience = String.valueOf(claims.get("aud"));
        if (audiences.size() >= 1000) {
            audiences.clear();
        }
        audiences.put(token, audience);
        return audience;
    }

    /** A numeric claim of a token this class issued (not checked: for building a reply around it). */
    static long claim(String token, String name) {
        Map<?, ?> claims = (Map<?, ?>) Json.parse(new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]),
                StandardCharsets.UTF_8));
        return ((Number) claims.get(name)).longValue();
    }

    private String sign(String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(
                    mac.doFinal(text.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    private static String encode(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
