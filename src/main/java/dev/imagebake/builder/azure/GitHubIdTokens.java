package dev.imagebake.builder.azure;

import com.azure.identity.CredentialUnavailableException;
import dev.imagebake.util.Json;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * GitHub Actions' OpenID Connect token service as a source of client assertions: each call asks it for a fresh ID
 * token for Entra ID ({@code GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=api://AzureADTokenExchange} with
 * {@code Authorization: Bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN}, reply {@code {"value": "<jwt>"}}). azure-identity
 * calls it whenever it needs an assertion, so a build that outlives one ID token (they last minutes) gets another.
 * Neither the request token nor an ID token is ever part of a message. MSAL may ask for an assertion more than
 * once per token request (1.23 asks twice, one of them unused); each call fetches, so none is ever stale.
 */
final class GitHubIdTokens implements Supplier<String> {
    static final String URL_VARIABLE = "ACTIONS_ID_TOKEN_REQUEST_URL";
    static final String TOKEN_VARIABLE = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";
    static final String AUDIENCE = "api://AzureADTokenExchange";

    private final URI uri;
    private final String requestToken;
    private final Consumer<String> secrets;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(15))
            .followRedirects(HttpClient.Redirect.NORMAL).build();

    /**
     * @param secrets told every ID token before it is handed on, so that output redacts it
     * @throws IOException when the environment does not have what GitHub Actions sets for such a job
     */
    GitHubIdTokens(Map<String, String> env, Consumer<String> secrets) throws IOException {
        String url = env.get(URL_VARIABLE);
        String token = env.get(TOKEN_VARIABLE);
        if (url == null || url.isBlank() || token == null || token.isBlank()) {
            throw new IOException("oidc 'github' needs the environment variables " + URL_VARIABLE + " and "
                    + TOKEN_VARIABLE + ", which GitHub Actions sets only for a job with `permissions: id-token: "
                    + "write`; " + (url == null || url.isBlank() ? URL_VARIABLE : TOKEN_VARIABLE) + " is not set");
        }
        secrets.accept(token);
        String separator = url.contains("?") ? "&" : "?";
        try {
            this.uri = URI.create(url + separator + "audience=" + URLEncoder.encode(AUDIENCE, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new IOException(URL_VARIABLE + " is not a URL");
        }
        if (uri.getHost() == null
                || !"https".equalsIgnoreCase(uri.getScheme()) && !"http".equalsIgnoreCase(uri.getScheme())) {
            throw new IOException(URL_VARIABLE + " is not an HTTP(S) URL");
        }
        this.requestToken = token;
        this.secrets = secrets;
    }

    /** Where tokens come from, for messages and the log: scheme, host and path, no query. */
    String origin() {
        return uri.getScheme() + "://" + uri.getAuthority() + uri.getPath();
    }

    @Override
    public String get() {
        HttpResponse<String> response;
        try {
            response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Bearer " + requestToken)
                    .header("Accept", "application/json; api-version=2.0").GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CredentialUnavailableException("interrupted while requesting an ID token from " + origin());
        } catch (IOException e) {
            throw new CredentialUnavailableException("cannot request an ID token from GitHub Actions at " + origin()
                    + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        }
        if (response.statusCode() != 200) {
            throw new CredentialUnavailableException("GitHub Actions' token service at " + origin() + " answered "
                    + response.statusCode() + (response.statusCode() == 401 || response.statusCode() == 403
                    ? " (is ACTIONS_ID_TOKEN_REQUEST_TOKEN from this job, which has `permissions: id-token: write`?)"
                    : ""));
        }
        Object reply;
        try {
            reply = Json.parse(response.body());
        } catch (RuntimeException e) {
            throw new CredentialUnavailableException("GitHub Actions' token service at " + origin()
                    + " did not answer JSON");
        }
        if (!(reply instanceof Map<?, ?> map) || !(map.get("value") instanceof String idToken) || idToken.isBlank()) {
            throw new CredentialUnavailableException("GitHub Actions' token service at " + origin()
                    + " answered without an ID token (no \"value\")");
        }
        secrets.accept(idToken);
        return idToken;
    }
}
