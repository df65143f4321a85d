package dev.imagebake.builder.azure

import com.nimbusds.jwt.JWTClaimsSet
import com.nimbusds.jwt.PlainJWT
import dev.imagebake.plan.AzureBuilderSpec
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Path
import java.time.Duration
import java.time.Instant

/**
 * What {@link AzureCloud} refuses before any request when a build signs in with a client assertion: no tenant, a
 * clientJwt that will not last, GitHub's variables missing. Each message says what to do and never holds the token.
 */
class AssertionSignInSpec extends Specification {
    @TempDir
    Path dir

    static String jwt(Duration validFor) {
        new PlainJWT(new JWTClaimsSet.Builder().subject('repo:o/r:ref:refs/heads/main')
                .expirationTime(Date.from(Instant.now() + validFor)).build()).serialize()
    }

    static AzureBuilderSpec.Auth auth(String tenant, String clientJwt, String oidc = null) {
        new AzureBuilderSpec.Auth('public', 'sub', tenant, 'app', null, null, clientJwt, oidc)
    }

    String refusal(AzureBuilderSpec.Auth auth, Map<String, String> env = [:]) {
        try {
            AzureCloud.resolve(auth, null, dir, env, { })
            return null
        } catch (IOException e) {
            return e.message
        }
    }

    def "a clientJwt needs a tenant"() {
        expect:
        refusal(auth(null, jwt(Duration.ofHours(1)))) == 'clientJwt needs the tenant of the application: set ' +
                '`tenant` in the builder, AZURE_TENANT_ID, or use a cloud file that names one'
    }

    def "a clientJwt valid for less than 5 more minutes is refused, saying when it expires"() {
        given:
        String token = jwt(Duration.ofMinutes(2))

        when:
        String message = refusal(auth('t', token))

        then:
        message ==~ /the clientJwt expires at \S+Z, in less than 5 minutes; give a token valid for at least 5 more minutes/
        !message.contains(token)
    }

    def "a clientJwt valid for long enough, and oidc 'github' with both variables, make a credential"() {
        expect:
        refusal(auth('t', jwt(Duration.ofMinutes(10)))) == null
        refusal(auth('t', null, 'github'), [ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token.example/x?api-version=2.0',
                                            ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token']) == null
    }

    def "oidc 'github' says which of GitHub's variables is missing"() {
        expect:
        refusal(auth('t', null, 'github'), [ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token']) ==
                "oidc 'github' needs the environment variables ACTIONS_ID_TOKEN_REQUEST_URL and " +
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN, which GitHub Actions sets only for a job with `permissions: " +
                "id-token: write`; ACTIONS_ID_TOKEN_REQUEST_URL is not set"
    }
}
