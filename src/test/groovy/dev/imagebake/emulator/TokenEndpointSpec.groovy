package dev.imagebake.emulator

import com.azure.core.credential.TokenRequestContext
import com.microsoft.aad.msal4j.MsalServiceException
import groovy.json.JsonSlurper

import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import java.nio.file.attribute.PosixFilePermission

import static dev.imagebake.emulator.RawArm.json

/** The token endpoint, cloud.json and the cloud metadata: what a client needs before its first ARM call. */
class TokenEndpointSpec extends RunningEmulatorSpec {
    def "should describe the emulator in cloud.json, readable by its owner only"() {
        when:
        def cloud = new JsonSlurper().parse(dir.resolve('cloud.json').toFile()) as Map

        then:
        cloud.keySet() == ['resourceManagerEndpoint', 'activeDirectoryEndpoint', 'caCertificate', 'tenantId',
                           'subscriptionId', 'otherSubscriptionIds', 'clientId', 'clientSecret'] as Set
        cloud.otherSubscriptionIds.size() == 1 && cloud.otherSubscriptionIds[0] != cloud.subscriptionId
        cloud.resourceManagerEndpoint == emulator.endpoint() + '/'
        cloud.activeDirectoryEndpoint == emulator.endpoint() + '/'
        cloud.caCertificate == dir.resolve('ca.pem').toAbsolutePath().toString()
        Files.getPosixFilePermissions(dir.resolve('cloud.json')) ==
                [PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE] as Set
    }

    def "should issue a bearer token for the client credentials"() {
        when:
        def response = arm.token()
        def body = json(response)

        then:
        response.statusCode() == 200
        body.token_type == 'Bearer'
        body.expires_in == 3600
        body.ext_expires_in == 3600
        body.refresh_in == 1800
        body.access_token.split(/\./).length == 3
    }

    def "should answer an unknown client secret with 401 invalid_client"() {
        when:
        def response = arm.token('not-the-secret')

        then:
        response.statusCode() == 401
        json(response).error == 'invalid_client'
        json(response).error_description.startsWith('AADSTS7000215')
    }

    def "should make the Azure SDK's credential fail on an unknown client secret"() {
        when:
        new AzureSdkClients(emulator.cloudFile()).credential('not-the-secret')
                .getTokenSync(new TokenRequestContext().addScopes('https://management.core.windows.net//.default'))

        then: 'MSAL reports the 401 (the SDK wraps it in a RuntimeException on this path)'
        def e = thrown(RuntimeException)
        def msal = causes(e).find { it instanceof MsalServiceException } as MsalServiceException
        msal.statusCode() == 401
        msal.errorCode() == 'invalid_client'
        msal.message == 'AADSTS7000215: Invalid client secret provided.'
    }

    def "should serve cloud metadata for az cloud register"() {
        when:
        def response = arm.call('GET', '/metadata/endpoints?api-version=2015-01-01', null, null)

        then:
        response.statusCode() == 200
        json(response).authentication.loginEndpoint == emulator.endpoint() + '/adfs'
        json(response).authentication.audiences.contains('https://management.core.windows.net/')
    }

    def "should describe the ADFS-style authority that sends the CLI's token requests to the token endpoint"() {
        when:
        def response = arm.call('GET', '/adfs/.well-known/openid-configuration', null, null)

        then:
        response.statusCode() == 200
        json(response).issuer == emulator.endpoint() + '/adfs'
        json(response).token_endpoint == "${emulator.endpoint()}/${arm.cloud.tenantId}/oauth2/v2.0/token"
        json(response).authorization_endpoint == emulator.endpoint() + '/adfs/oauth2/authorize'
    }

    def "should answer the Azure AD v1 endpoint with a token for the resource, its times as strings of seconds"() {
        when:
        def response = v1Token(arm.cloud.clientSecret as String, 'https://management.azure.com/')
        def body = json(response) as Map
        long now = System.currentTimeMillis().intdiv(1000)

        then: "the fields and JSON types of AAD v1's documented reply (all times strings), plus what AAD also sends"
        response.statusCode() == 200
        RestGolden.types(body) == [token_type: 'string', expires_in: 'string', ext_expires_in: 'string',
                                   expires_on: 'string', not_before: 'string', resource: 'string', access_token: 'string']
        body.token_type == 'Bearer'
        body.expires_in == '3600'
        body.ext_expires_in == '3600'
        Math.abs((body.not_before as long) - now) < 120
        (body.expires_on as long) == (body.not_before as long) + 3600
        body.resource == 'https://management.azure.com/'
        claims(body.access_token as String).aud == 'https://management.azure.com/'

        and: 'the token opens ARM'
        arm.call('GET', arm.sub() + '/resourcegroups?api-version=2021-04-01', null, body.access_token as String)
                .statusCode() == 200
        RestGolden.check('auth/token-v1', body)
    }

    def "should give a v1 token for Key Vault the audience https://vault.azure.net, which Resource Manager refuses"() {
        when:
        def body = json(v1Token(arm.cloud.clientSecret as String, 'https://vault.azure.net')) as Map
        def armReply = arm.call('GET', arm.sub() + '/resourcegroups?api-version=2021-04-01', null,
                body.access_token as String)

        then:
        body.resource == 'https://vault.azure.net'
        claims(body.access_token as String).aud == 'https://vault.azure.net'
        armReply.statusCode() == 401
        json(armReply).error.code == 'InvalidAuthenticationTokenAudience'
        json(armReply).error.message == "The access token has been obtained for wrong audience or resource " +
                "'https://vault.azure.net'. It should exactly match with one of the allowed audiences " +
                "'https://management.core.windows.net/','https://management.core.windows.net'," +
                "'https://management.azure.com/','https://management.azure.com'."
    }

    def "should refuse a wrong client secret on the v1 endpoint with AADSTS7000215 and a missing resource with AADSTS900144"() {
        when:
        def wrong = v1Token('not-the-secret', 'https://management.azure.com/')
        def noResource = v1Token(arm.cloud.clientSecret as String, null)

        then:
        wrong.statusCode() == 401
        json(wrong).error == 'invalid_client'
        json(wrong).error_description == 'AADSTS7000215: Invalid client secret provided.'
        json(wrong).error_codes == [7000215]
        noResource.statusCode() == 400
        json(noResource).error == 'invalid_request'
        json(noResource).error_description.startsWith('AADSTS900144: ')
        !wrong.body().contains(arm.cloud.clientSecret as String)
    }

    def "should serve the managed identity token of the instance metadata service only with the header Metadata: true"() {
        when:
        def withHeader = imds('api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F', true)
        def without = imds('api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F', false)
        def noResource = imds('api-version=2018-02-01', true)
        def body = json(withHeader) as Map

        then: "the fields and JSON types of Microsoft's documented IMDS token reply, plus client_id"
        withHeader.statusCode() == 200
        RestGolden.types(body) == [refresh_token: 'string', token_type: 'string', expires_in: 'string',
                                   ext_expires_in: 'string', expires_on: 'string', not_before: 'string',
                                   resource: 'string', access_token: 'string', client_id: 'string']
        body.resource == 'https://management.azure.com/'
        body.client_id == arm.cloud.clientId
        claims(body.access_token as String).aud == 'https://management.azure.com/'
        arm.call('GET', arm.sub() + '/resourcegroups?api-version=2021-04-01', null, body.access_token as String)
                .statusCode() == 200
        RestGolden.check('auth/imds-token', body)

        and: 'without the header IMDS refuses, as a guard against request forgery'
        without.statusCode() == 400
        json(without) == [error: 'invalid_request', error_description: 'Required metadata header not specified']
        noResource.statusCode() == 400
        json(noResource).error == 'invalid_request'
    }

    def "should give the Python SDK's ManagedIdentityCredential a token when AZURE_POD_IDENTITY_AUTHORITY_HOST names the emulator"() {
        given: "Debian's azure-identity (shipped with the Azure CLI), run as a managed-identity client would be"
        def process = new ProcessBuilder('/usr/bin/python3', '-c', """
import json, time
from azure.identity import ManagedIdentityCredential
token = ManagedIdentityCredential().get_token('https://management.azure.com/.default')
print(json.dumps({'token': token.token, 'expiresIn': token.expires_on - int(time.time())}))
""").redirectErrorStream(true)
        process.environment().putAll([AZURE_POD_IDENTITY_AUTHORITY_HOST: emulator.endpoint(),
                                      REQUESTS_CA_BUNDLE: emulator.caCertificate().toString()])
        ['AZURE_CLIENT_ID', 'IDENTITY_ENDPOINT', 'MSI_ENDPOINT', 'HTTPS_PROXY', 'https_proxy'].each {
            process.environment().remove(it)
        }

        when:
        def started = process.start()
        String output = new String(started.inputStream.readAllBytes())
        int exit = started.waitFor()
        def reply = new JsonSlurper().parseText(output.readLines().last()) as Map

        then:
        exit == 0
        claims(reply.token as String).aud == 'https://management.azure.com'
        Math.abs((reply.expiresIn as long) - 3600) < 120
    }

    def "should serve the tenant's OpenID discovery document that MSAL reads at login.microsoftonline.com/{tenant}"() {
        when:
        def v2 = arm.call('GET', "/${arm.cloud.tenantId}/v2.0/.well-known/openid-configuration", null, null)
        def v1 = arm.call('GET', "/${arm.cloud.tenantId}/.well-known/openid-configuration", null, null)
        def unknown = arm.call('GET', '/00000000-0000-0000-0000-000000000000/v2.0/.well-known/openid-configuration',
                null, null)
        def body = json(v2) as Map

        then: "the fields MSAL uses, of the types in Entra ID's document"
        v2.statusCode() == 200
        ['token_endpoint', 'issuer', 'authorization_endpoint', 'jwks_uri', 'tenant_region_scope'].every {
            RestGolden.typeOf(body[it]) == 'string' }
        ['token_endpoint_auth_methods_supported', 'response_types_supported', 'subject_types_supported',
         'id_token_signing_alg_values_supported'].every { RestGolden.typeOf(body[it]) == 'array' }
        body.token_endpoint == "${emulator.endpoint()}/${arm.cloud.tenantId}/oauth2/v2.0/token"
        body.issuer == "${emulator.endpoint()}/${arm.cloud.tenantId}/v2.0"
        json(v1).token_endpoint == "${emulator.endpoint()}/${arm.cloud.tenantId}/oauth2/token"
        json(v1).issuer == "https://sts.windows.net/${arm.cloud.tenantId}/"
        unknown.statusCode() == 400
        json(unknown).error_description.startsWith('AADSTS90002: ')
        RestGolden.check('auth/tenant-openid-configuration', body)
    }

    private HttpResponse<String> v1Token(String secret, String resource) {
        def form = "grant_type=client_credentials&client_id=${arm.cloud.clientId}" +
                "&client_secret=${URLEncoder.encode(secret, 'UTF-8')}" +
                (resource == null ? '' : "&resource=${URLEncoder.encode(resource, 'UTF-8')}")
        arm.http.send(HttpRequest.newBuilder(URI.create("${emulator.endpoint()}/${arm.cloud.tenantId}/oauth2/token"))
                .header('Content-Type', 'application/x-www-form-urlencoded')
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString())
    }

    private HttpResponse<String> imds(String query, boolean metadataHeader) {
        def request = HttpRequest.newBuilder(URI.create("${emulator.endpoint()}/metadata/identity/oauth2/token?$query"))
        if (metadataHeader) {
            request.header('Metadata', 'true')
        }
        arm.http.send(request.GET().build(), HttpResponse.BodyHandlers.ofString())
    }

    private static Map claims(String jwt) {
        new JsonSlurper().parse(Base64.urlDecoder.decode(jwt.split(/\./)[1])) as Map
    }

    private static List<Throwable> causes(Throwable e) {
        List<Throwable> chain = []
        for (Throwable t = e; t != null && !chain.contains(t); t = t.cause) {
            chain << t
        }
        chain
    }
}
