package dev.imagebake.emulator

import dev.imagebake.testsupport.GitHubActionsTokenService
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir

import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Path

import static dev.imagebake.emulator.RawArm.json

/**
 * The token endpoint's client assertions, over raw HTTPS: what Entra ID answers for an application with a federated
 * identity credential, for each way an assertion can be right or wrong.
 */
class FederatedCredentialSpec extends Specification {
    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    RawArm arm

    @Shared
    GitHubActionsTokenService github

    def setupSpec() {
        emulator = Emulator.start(new Emulator.Settings(dir, 0))
        arm = new RawArm(emulator)
        github = new GitHubActionsTokenService()
        emulator.addFederatedCredential('main', github.issuer(), GitHubActionsTokenService.SUBJECT)
    }

    def cleanupSpec() {
        github?.close()
        emulator?.close()
    }

    HttpResponse<String> token(String assertion, String type = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
        def identity = emulator.identity()
        def form = "grant_type=client_credentials&client_id=${identity.clientId()}" +
                "&client_assertion_type=${URLEncoder.encode(type, 'UTF-8')}" +
                "&client_assertion=${URLEncoder.encode(assertion, 'UTF-8')}" +
                '&scope=https%3A%2F%2Fmanagement.core.windows.net%2F%2F.default'
        arm.http.send(
                HttpRequest.newBuilder(URI.create("${emulator.endpoint()}/${identity.tenantId()}/oauth2/v2.0/token"))
                        .header('Content-Type', 'application/x-www-form-urlencoded')
                        .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString())
    }

    def "an ID token from the trusted issuer for the trusted subject buys an access token ARM accepts"() {
        when:
        def response = token(github.idToken())
        String access = json(response).access_token
        def subscription = arm.call('GET', "/subscriptions/${emulator.identity().subscriptionId()}?api-version=2022-12-01",
                null, access)

        then:
        response.statusCode() == 200
        json(response).token_type == 'Bearer'
        subscription.statusCode() == 200
    }

    def "an assertion for another audience is refused with AADSTS70021 naming issuer, subject and audience"() {
        when:
        def response = token(github.idToken('api://other-audience'))

        then:
        response.statusCode() == 400
        json(response).error == 'invalid_request'
        json(response).error_codes == [70021]
        json(response).error_description == "AADSTS70021: No matching federated identity record found for presented " +
                "assertion. Assertion Issuer: '${github.issuer()}'. Assertion Subject: '${GitHubActionsTokenService.SUBJECT}'. " +
                "Assertion Audience: 'api://other-audience'. https://learn.microsoft.com/entra/workload-id/workload-identity-federation"
    }

    def "#what is refused with #code"() {
        when:
        def response = token(assertion, type)

        then:
        response.statusCode() == 400
        json(response).error_codes == [code]
        json(response).error_description == "AADSTS${code}: ${description}"

        where:
        what                       | assertion       | type                                                  || code  | description
        'a text that is not a JWT' | 'not.a-jwt'     | 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' || 50027 | 'JWT token is invalid or malformed.'
        'another assertion type'   | 'eyJ.eyJ.sig'   | 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer' || 50027 | "Invalid client_assertion_type 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer'; expected 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'."
    }

    def "an issuer whose discovery document cannot be fetched is refused with AADSTS50166"() {
        given: 'a federated credential for an issuer that was there and is gone'
        def gone = new GitHubActionsTokenService()
        emulator.addFederatedCredential('gone', gone.issuer(), GitHubActionsTokenService.SUBJECT)
        String jwt = gone.idToken()
        gone.close()

        when:
        def response = token(jwt)

        then:
        response.statusCode() == 401
        json(response).error_codes == [50166]
        json(response).error_description.startsWith("AADSTS50166: Request to External OIDC endpoint failed. GET " +
                "${gone.issuer()}/.well-known/openid-configuration failed: ")
    }

    def "the federated credentials outlive a restart, and a rotated issuer key is fetched again"() {
        given:
        def credentials = new JsonSlurper().parse(dir.resolve('federated-credentials.json').toFile()) as List
        emulator.close()
        emulator = Emulator.start(new Emulator.Settings(dir, 0))
        arm = new RawArm(emulator)
        token(github.idToken()) // the restarted emulator caches the issuer's current keys
        github.rotateKey()

        when:
        def response = token(github.idToken())

        then:
        credentials[0] == [name: 'main', issuer: github.issuer(), subject: GitHubActionsTokenService.SUBJECT,
                           audiences: ['api://AzureADTokenExchange']]
        response.statusCode() == 200
    }
}
