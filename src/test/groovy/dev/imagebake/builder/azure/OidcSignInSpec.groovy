package dev.imagebake.builder.azure

import com.azure.resourcemanager.resources.fluent.models.ResourceGroupInner
import dev.imagebake.cli.Main
import dev.imagebake.emulator.AzureSdkClients
import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.arm.Operations
import dev.imagebake.testsupport.GitHubActionsTokenService
import dev.imagebake.util.Json
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration

/**
 * Signing in with OpenID Connect as CI systems do it: GitHub Actions' token service (played on loopback, with its
 * own signing key) issues ID tokens; the emulator's token endpoint checks them against a federated identity
 * credential as Entra ID does (issuer, subject, audience, signature by OpenID discovery, time range). The builds use
 * a cloud file with no client secret, so OIDC is the only way in.
 */
class OidcSignInSpec extends Specification {
    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    AzureSdkClients sdk

    @Shared
    GitHubActionsTokenService github

    /** The emulator's cloud file without its client secret. */
    @Shared
    Path cloudFile

    @TempDir
    Path work

    def setupSpec() {
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('emulator'), 0, Operations.Settings.DEFAULT,
                Emulator.Machines.SANDBOX))
        sdk = new AzureSdkClients(emulator.cloudFile())
        sdk.resourceManager().serviceClient().resourceGroups.createOrUpdate('images',
                new ResourceGroupInner().withLocation('westeurope'))
        github = new GitHubActionsTokenService()
        emulator.addFederatedCredential('github-main', github.issuer(), GitHubActionsTokenService.SUBJECT)
        Map cloud = Json.parse(Files.readString(emulator.cloudFile())) as Map
        cloud.remove('clientSecret')
        cloudFile = dir.resolve('oidc-cloud.json')
        Files.writeString(cloudFile, Json.writePretty(cloud))
    }

    def cleanup() {
        github.subject = GitHubActionsTokenService.SUBJECT
        github.lifetime = Duration.ofMinutes(10)
        github.signWithOtherKey = false
    }

    def cleanupSpec() {
        github?.close()
        emulator?.close()
    }

    String template(String signIn, String destination = "managedImage 'oidc-web', resourceGroup: 'images'") {
        """
builder azure {
    location 'westeurope'
    vmSize 'Standard_B1s'
    source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
    ${destination}
    clientId '${emulator.identity().clientId()}'
    ${signIn}
    sshTimeout '30s'
}
provision shell { inline 'echo baked-with-oidc | sudo tee /etc/oidc-marker' }
"""
    }

    Map run(String text, Map<String, String> env, String command = 'build') {
        Path file = work.resolve('t.imagebake.groovy')
        Files.writeString(file, text)
        Path log = work.resolve('build.log')
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()
        List<String> args = command == 'build'
                ? ['build', '--cloud', cloudFile.toString(), '--log-file', log.toString(), file.toString()]
                : [command, file.toString()]
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(err, true, 'UTF-8'), env,
                args as String[])
        [code: code, out: out.toString('UTF-8'), err: err.toString('UTF-8'),
         log: Files.exists(log) ? Files.readString(log) : '']
    }

    /** Token requests the emulator answered with {@code status} since the spec started. */
    int tokenRequests(int status) {
        Files.readAllLines(dir.resolve('emulator/requests.log')).count {
            it.contains('/oauth2/v2.0/token"') && it.contains('"status":' + status + ',')
        } as int
    }

    boolean showsNoSecret(Map r) {
        String all = r.out + r.err + r.log
        !all.contains(github.requestToken) && github.issued.every { !all.contains(it) }
    }

    def "should bake an image signed in only with ID tokens from GitHub Actions"() {
        given:
        int issuedBefore = github.issued.size()

        when:
        def r = run(template("oidc 'github'"), github.environment())

        then:
        r.code == 0
        r.out.contains("signed in to the cloud described by ${cloudFile}, subscription ${emulator.identity().subscriptionId()}, " +
                "as application ${emulator.identity().clientId()} with OpenID Connect ID tokens from GitHub Actions (${github.issuer()}/token)")
        r.out.contains('baked-with-oidc')
        r.out =~ /(?m)^azure +succeeded .*\/images\/oidc-web$/
        github.issued.size() > issuedBefore
        github.audiences.every { it == 'api://AzureADTokenExchange' }
        showsNoSecret(r)
        AzureBuildFaultsSpec.leftovers(sdk) == []
        sdk.computeManager().serviceClient().images.getByResourceGroup('images', 'oidc-web') != null
    }

    def "the plan says that GitHub Actions' OIDC is used, and a clientJwt shows as sensitive"() {
        given:
        String jwt = github.idToken()

        when:
        def oidc = run(template("oidc 'github'"), [:], 'plan')
        def assertion = run(template("clientJwt '${jwt}'"), [:], 'plan')

        then:
        oidc.code == 0
        oidc.out =~ /(?m)^ +oidc +github$/
        assertion.code == 0
        assertion.out =~ /(?m)^ +clientJwt +<sensitive>$/
        !assertion.out.contains(jwt)
    }

    def "a clientJwt made beforehand signs in in place of a secret"() {
        given: 'an ID token fetched by an earlier step of the job (as Packer users do with curl)'
        String jwt = github.idToken()

        when: 'a destination that does not exist stops the build right after signing in'
        def r = run(template("clientJwt '${jwt}'",
                "gallery 'missing', resourceGroup: 'images', image: 'web', version: '1.0.0', regions: [westeurope: 1]"), [:])

        then:
        r.code == 1
        r.out.contains("subscription ${emulator.identity().subscriptionId()}, as application " +
                "${emulator.identity().clientId()} with the clientJwt assertion")
        r.out.contains('cannot publish to gallery missing')
        showsNoSecret(r)
        AzureBuildFaultsSpec.leftovers(sdk) == []
    }

    def "an expired clientJwt is refused before Azure is asked"() {
        given:
        github.lifetime = Duration.ofMinutes(-1)
        String jwt = github.idToken()
        int before = tokenRequests(400) + tokenRequests(200)

        when:
        def r = run(template("clientJwt '${jwt}'"), [:])

        then:
        r.code == 1
        r.out =~ /sign in to Azure failed after .*: the clientJwt expired at \S+ \(it is now \S+\); give a fresh token, or on GitHub Actions use oidc 'github', which fetches one whenever Azure needs it/
        tokenRequests(400) + tokenRequests(200) == before
        showsNoSecret(r)
    }

    def "Entra ID's refusal of #problem is shown as is and not retried"() {
        given:
        change(github)
        int issuedBefore = github.issued.size()
        int refusedBefore = tokenRequests(status)

        when:
        def r = run(template("oidc 'github'"), github.environment())

        then:
        r.code == 1
        r.out.readLines().find { it.contains('sign in to Azure failed') }.replaceAll(/after \d+ ms/, 'after N ms')
                .replaceAll(/Current time: \S+, assertion valid from \S+, expiry time of assertion \S+\./,
                        'Current time: T, assertion valid from T, expiry time of assertion T.') ==
                "==> azure: sign in to Azure failed after N ms: cannot sign in to the cloud described by ${cloudFile}: " +
                message(github.issuer())
        // One assertion reached the token endpoint: a refusal is final, not retried (MSAL asks the supplier for
        // an assertion more than once per request, so the ID tokens issued are not counted exactly)
        tokenRequests(status) - refusedBefore == 1
        github.issued.size() > issuedBefore
        showsNoSecret(r)
        AzureBuildFaultsSpec.leftovers(sdk) == []

        where:
        problem                       | status | change                                                   || message
        'a subject it does not trust' | 400    | { it.subject = 'repo:octo-org/web-images:pull_request' } || { String issuer ->
            "AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: " +
                    "'${issuer}'. Assertion Subject: 'repo:octo-org/web-images:pull_request'. Assertion Audience: " +
                    "'api://AzureADTokenExchange'. https://learn.microsoft.com/entra/workload-id/workload-identity-federation" }
        'an expired ID token'         | 400    | { it.lifetime = Duration.ofMinutes(-10) }                || { String issuer ->
            'AADSTS700024: Client assertion is not within its valid time range. Current time: T, assertion valid ' +
                    'from T, expiry time of assertion T. Review the documentation at ' +
                    'https://learn.microsoft.com/entra/identity-platform/certificate-credentials .' }
        'a forged signature'          | 401    | { it.signWithOtherKey = true }                           || { String issuer ->
            "AADSTS50013: Assertion failed signature validation. [Reason - Key was found, but use of the key to " +
                    "verify the signature failed., Thumbprint of key used by client: '${github.keyId}']" }
    }

    def "a clientJwt from an issuer no federated credential names is refused with AADSTS700211"() {
        given: 'another token service, with its own issuer URL and key'
        def other = new GitHubActionsTokenService()
        String jwt = other.idToken()

        when:
        def r = run(template("clientJwt '${jwt}'"), [:])

        then:
        r.code == 1
        r.out.readLines().find { it.contains('sign in to Azure failed') }.replaceAll(/after \d+ ms/, 'after N ms') ==
                "==> azure: sign in to Azure failed after N ms: cannot sign in to the cloud described by ${cloudFile}: " +
                "AADSTS700211: No matching federated identity record found for presented assertion issuer " +
                "'${other.issuer()}'. Please check your federated identity credential Subject, Audience and Issuer " +
                "against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation"
        !(r.out + r.log).contains(jwt)

        cleanup:
        other?.close()
    }

    def "a request token GitHub refuses fails the sign-in with GitHub's answer, not retried, and is never shown"() {
        given:
        String stale = 'ghs_' + 'stale'.multiply(8)
        int refusedBefore = github.refused
        Map env = github.environment() + [ACTIONS_ID_TOKEN_REQUEST_TOKEN: stale]

        when:
        def r = run(template("oidc 'github'"), env)

        then:
        r.code == 1
        r.out.readLines().find { it.contains('sign in to Azure failed') }.replaceAll(/after [\d.]+ m?s/, 'after T') ==
                "==> azure: sign in to Azure failed after T: cannot sign in to the cloud described by ${cloudFile}: " +
                "the credential was refused: GitHub Actions' token service at ${github.issuer()}/token answered 401 " +
                "(is ACTIONS_ID_TOKEN_REQUEST_TOKEN from this job, which has `permissions: id-token: write`?) (not retried)"
        github.refused - refusedBefore == 1
        !(r.out + r.err + r.log).contains(stale)
    }

    def "oidc 'github' outside a job with id-token: write says which variable is missing"() {
        when:
        def r = run(template("oidc 'github'"), [ACTIONS_ID_TOKEN_REQUEST_URL: github.issuer() + '/token?api-version=2.0'])

        then:
        r.code == 1
        r.out.contains("oidc 'github' needs the environment variables ACTIONS_ID_TOKEN_REQUEST_URL and " +
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN, which GitHub Actions sets only for a job with `permissions: " +
                "id-token: write`; ACTIONS_ID_TOKEN_REQUEST_TOKEN is not set")
    }
}
