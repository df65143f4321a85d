package dev.imagebake.testsupport

import com.nimbusds.jose.JWSAlgorithm
import com.nimbusds.jose.JWSHeader
import com.nimbusds.jose.crypto.RSASSASigner
import com.nimbusds.jose.jwk.JWKSet
import com.nimbusds.jose.jwk.RSAKey
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator
import com.nimbusds.jwt.JWTClaimsSet
import com.nimbusds.jwt.SignedJWT
import com.sun.net.httpserver.HttpExchange
import com.sun.net.httpserver.HttpServer
import dev.imagebake.util.Json

import java.nio.charset.StandardCharsets
import java.time.Duration
import java.time.Instant
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.Executors

/**
 * Plays GitHub Actions' OpenID Connect token service on 127.0.0.1: an issuer with its own RSA key that publishes
 * OpenID discovery ({@code /.well-known/openid-configuration}) and its keys ({@code /.well-known/jwks}), and
 * issues RS256 ID tokens at {@code /token} to a caller that shows the job's request token, as a job with
 * {@code permissions: id-token: write} gets them through ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN.
 */
class GitHubActionsTokenService implements Closeable {
    /** GitHub's subject for a workflow run on the main branch of a repository. */
    static final String SUBJECT = 'repo:octo-org/web-images:ref:refs/heads/main'

    final String requestToken = 'ghs_' + UUID.randomUUID().toString().replace('-', '')
    /** Every ID token handed out, so that a spec can look for them in output. */
    final List<String> issued = new CopyOnWriteArrayList<>()
    /** How many token requests came with a wrong request token. */
    volatile int refused

    /** The audience of each request, as asked. */
    final List<String> audiences = new CopyOnWriteArrayList<>()

    /** What the next tokens say and how they are signed; a spec changes these to provoke each refusal. */
    volatile String subject = SUBJECT
    volatile Duration lifetime = Duration.ofMinutes(10)
    volatile boolean signWithOtherKey

    private volatile RSAKey key = newKey()
    /** Same key id as {@link #key}, other key material: what a forged token would carry. */
    private volatile RSAKey otherKey = new RSAKeyGenerator(2048).keyID(key.keyID).generate()
    private final HttpServer server

    GitHubActionsTokenService() {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0)
        server.executor = Executors.newCachedThreadPool()
        server.createContext('/.well-known/openid-configuration') { HttpExchange e ->
            reply(e, 200, [issuer: issuer(), jwks_uri: issuer() + '/.well-known/jwks',
                           subject_types_supported: ['public'], response_types_supported: ['id_token'],
                           id_token_signing_alg_values_supported: ['RS256']])
        }
        server.createContext('/.well-known/jwks') { HttpExchange e ->
            reply(e, 200, new JWKSet(key.toPublicJWK()).toJSONObject())
        }
        server.createContext('/token') { HttpExchange e -> token(e) }
        server.start()
    }

    private static RSAKey newKey() {
        new RSAKeyGenerator(2048).keyID('gh-' + UUID.randomUUID()).generate()
    }

    /** Signs from now on with a new key under a new key id, published in place of the old one (key rotation). */
    void rotateKey() {
        key = newKey()
        otherKey = new RSAKeyGenerator(2048).keyID(key.keyID).generate()
    }

    /** The id of the key it signs with, as its tokens' headers name it. */
    String getKeyId() {
        key.keyID
    }

    /** The issuer URL, as tokens carry it in {@code iss}. */
    String issuer() {
        "http://127.0.0.1:${server.address.port}"
    }

    /** The environment GitHub Actions gives a job with {@code permissions: id-token: write}. */
    Map<String, String> environment() {
        [ACTIONS_ID_TOKEN_REQUEST_URL  : issuer() + '/token?api-version=2.0',
         ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken]
    }

    /** An ID token for {@code audience}, made as the service would make it now. */
    String idToken(String audience = 'api://AzureADTokenExchange') {
        Instant now = Instant.now()
        Instant expiry = now + lifetime
        def claims = new JWTClaimsSet.Builder().issuer(issuer()).subject(subject).audience(audience)
                .issueTime(Date.from(lifetime.negative ? expiry - Duration.ofMinutes(10) : now))
                .notBeforeTime(Date.from(lifetime.negative ? expiry - Duration.ofMinutes(10) : now))
                .expirationTime(Date.from(expiry)).jwtID(UUID.randomUUID().toString())
                .claim('repository', 'octo-org/web-images').claim('ref', 'refs/heads/main').build()
        def jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.keyID)
                .type(com.nimbusds.jose.JOSEObjectType.JWT).build(), claims)
        jwt.sign(new RSASSASigner(signWithOtherKey ? otherKey : key))
        String token = jwt.serialize()
        issued << token
        token
    }

    private void token(HttpExchange e) {
        if (e.requestHeaders.getFirst('Authorization') != 'Bearer ' + requestToken) {
            refused++
            reply(e, 401, [message: 'Bad credentials'])
            return
        }
        Map<String, String> query = (e.requestURI.rawQuery ?: '').split('&').findAll { it.contains('=') }
                .collectEntries { String p -> p.split('=', 2).collect { URLDecoder.decode(it, 'UTF-8') } }
        audiences << query.audience
        reply(e, 200, [count: 1, value: idToken(query.audience ?: 'https://github.com/octo-org')])
    }

    private static void reply(HttpExchange e, int status, Object body) {
        byte[] bytes = Json.write(body).getBytes(StandardCharsets.UTF_8)
        e.responseHeaders.set('Content-Type', 'application/json')
        e.sendResponseHeaders(status, bytes.length)
        e.responseBody.withCloseable { it.write(bytes) }
    }

    @Override
    void close() {
        server.stop(0)
        (server.executor as java.util.concurrent.ExecutorService).shutdownNow()
    }
}
