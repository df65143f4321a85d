package dev.imagebake.emulator

import com.azure.core.credential.TokenRequestContext
import com.microsoft.aad.msal4j.MsalServiceException
import groovy.json.JsonSlurper

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

    private static List<Throwable> causes(Throwable e) {
        List<Throwable> chain = []
        for (Throwable t = e; t != null && !chain.contains(t); t = t.cause) {
            chain << t
        }
        chain
    }
}
