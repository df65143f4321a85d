package dev.imagebake.emulator.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.imagebake.util.Json;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.Key;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Checks a client assertion the way Microsoft Entra ID checks one for an application with federated identity
 * credentials: the JWT's issuer must be one a credential names, its subject and audience must match that
 * credential exactly, it must be signed by a key the issuer publishes (OpenID discovery:
 * {@code ISSUER/.well-known/openid-configuration}, then its {@code jwks_uri}), and it must be within its valid time
 * range. Each refusal carries Entra ID's AADSTS code and wording, so that a client sees what it would see on Azure.
 */
public final class ClientAssertions {
    /** Entra ID tolerates this much difference between its clock and the issuer's. */
    static final Duration CLOCK_SKEW = Duration.ofMinutes(5);
    private static final String DOCS = "https://learn.microsoft.com/entra/workload-id/workload-identity-federation";

    /** Why an assertion was refused: the OAuth error, the AADSTS code and its description. */
    public record Refusal(int status, String error, int code, String description) {
    }

    private final FederatedCredentials credentials;
    private final Clock clock;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NORMAL).build();
    /** Issuer URL to its published keys; refetched when a token names a key that is not there (key rotation). */
    private final Map<String, JWKSet> keys = new ConcurrentHashMap<>();

    public ClientAssertions(FederatedCredentials credentials, Clock clock) {
        this.credentials = credentials;
        this.clock = clock;
    }

    /** Null when {@code assertion} signs in as the application; else why not. */
    public Refusal check(String assertion) {
        SignedJWT jwt;
        JWTClaimsSet claims;
        try {
            jwt = SignedJWT.parse(assertion);
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            return new Refusal(400, "invalid_client", 50027, "JWT token is invalid or malformed.");
        }
        String issuer = claims.getIssuer();
        List<FederatedCredentials.Credential> fromIssuer = credentials.all().stream()
                .filter(c -> c.issuer().equals(issuer)).toList();
        if (fromIssuer.isEmpty()) {
            return new Refusal(400, "invalid_client", 700211, "No matching federated identity record found for "
                    + "presented assertion issuer '" + issuer + "'. Please check your federated identity credential "
                    + "Subject, Audience and Issuer against the presented assertion. " + DOCS);
        }
        String subject = claims.getSubject();
        List<String> audiences = claims.getAudience();
        boolean matches = fromIssuer.stream().anyMatch(c -> c.subject().equals(subject)
                && audiences.stream().anyMatch(c.audiences()::contains));
        if (!matches) {
            return new Refusal(400, "invalid_request", 70021, "No matching federated identity record found for "
                    + "presented assertion. Assertion Issuer: '" + issuer + "'. Assertion Subject: '" + subject
                    + "'. Assertion Audience: '" + String.join(",", audiences) + "'. " + DOCS);
        }
        Refusal signature = verifySignature(issuer, jwt);
        if (signature != null) {
            return signature;
        }
        Instant now = clock.instant();
        Instant notBefore = claims.getNotBeforeTime() != null ? claims.getNotBeforeTime().toInstant()
                : claims.getIssueTime() != null ? claims.getIssueTime().toInstant() : null;
        Instant expiry = claims.getExpirationTime() == null ? null : claims.getExpirationTime().toInstant();
        if (expiry == null || !now.isBefore(expiry.plus(CLOCK_SKEW))
                || notBefore != null && now.isBefore(notBefore.minus(CLOCK_SKEW))) {
            return new Refusal(400, "invalid_client", 700024, "Client assertion is not within its valid time "
                    + "range. Current time: " + now + ", assertion valid from " + notBefore + ", expiry time of "
                    + "assertion " + expiry + ". Review the documentation at "
                    + "https://learn.microsoft.com/entra/identity-platform/certificate-credentials .");
        }
        return null;
    }

    private Refusal verifySignature(String issuer, SignedJWT jwt) {
        String keyId = jwt.getHeader().getKeyID();
        JWK key;
        try {
            JWKSet published = keys.get(issuer);
            key = published == null || keyId == null ? null : published.getKeyByKeyId(keyId);
            if (key == null) {
                published = fetchKeys(issuer);
                keys.put(issuer, published);
                key = keyId != null ? published.getKeyByKeyId(keyId)
                        : published.getKeys().size() == 1 ? published.getKeys().get(0) : null;
            }
        } catch (IOException e) {
            return new Refusal(401, "invalid_client", 50166, "Request to External OIDC endpoint failed. "
                    + e.getMessage());
        }
        if (key == null) {
            return new Refusal(401, "invalid_client", 50013, "Assertion failed signature validation. [Reason - "
                    + "The key was not found., Thumbprint of key used by client: '" + keyId + "']");
        }
        try {
            Key publicKey = switch (key.getKeyType().getValue()) {
                case "RSA" -> key.toRSAKey().toPublicKey();
                case "EC" -> key.toECKey().toPublicKey();
                default -> null;
            };
            JWSVerifier verifier = publicKey == null ? null
                    : new DefaultJWSVerifierFactory().createJWSVerifier(jwt.getHeader(), publicKey);
            if (verifier != null && jwt.verify(verifier)) {
                return null;
            }
        } catch (JOSEException e) {
            // falls through: a key that cannot verify this algorithm is a failed validation
        }
        return new Refusal(401, "invalid_client", 50013, "Assertion failed signature validation. [Reason - Key was "
                + "found, but use of the key to verify the signature failed., Thumbprint of key used by client: '"
                + keyId + "']");
    }

    /** OpenID discovery, as Entra ID does it: the issuer's configuration document, then the keys it points to. */
    private JWKSet fetchKeys(String issuer) throws IOException {
        String discovery = issuer.replaceAll("/+$", "") + "/.well-known/openid-configuration";
        Object document = Json.parse(get(discovery));
        if (!(document instanceof Map<?, ?> map) || !(map.get("jwks_uri") instanceof String jwksUri)) {
            throw new IOException("The OpenID configuration at " + discovery + " has no jwks_uri.");
        }
        try {
            return JWKSet.parse(get(jwksUri));
        } catch (ParseException e) {
            throw new IOException("The keys at " + jwksUri + " are not a JSON Web Key Set: " + e.getMessage());
        }
    }

    private String get(String url) throws IOException {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new IOException("'" + url + "' is not a URL.");
        }
        if (!"https".equalsIgnoreCase(uri.getScheme()) && !isLoopback(uri)) {
            // Entra ID fetches keys over HTTPS only; plain HTTP is allowed for an issuer on this machine (tests).
            throw new IOException("'" + url + "' is not an HTTPS URL.");
        }
        HttpResponse<String> response;
        try {
            response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(15))
                    .header("Accept", "application/json").GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while fetching " + url);
        } catch (IOException e) {
            throw new IOException("GET " + url + " failed: " + (e.getMessage() == null
                    ? e.getClass().getSimpleName() : e.getMessage()), e);
        }
        if (response.statusCode() != 200) {
            throw new IOException("GET " + url + " answered " + response.statusCode() + ".");
        }
        return response.body();
    }

    private static boolean isLoopback(URI uri) {
        String host = uri.getHost();
        return "http".equalsIgnoreCase(uri.getScheme()) && host != null
                && (host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]"));
    }
}
