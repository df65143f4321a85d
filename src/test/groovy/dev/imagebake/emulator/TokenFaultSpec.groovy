package dev.imagebake.emulator

import com.azure.core.credential.TokenRequestContext
import com.microsoft.aad.msal4j.MsalServiceException
import dev.imagebake.cli.ExitCodes
import dev.imagebake.cli.Main
import dev.imagebake.emulator.arm.Conditions
import dev.imagebake.emulator.arm.FaultSpec
import dev.imagebake.emulator.arm.ServedPaths
import groovy.json.JsonSlurper
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path

/**
 * Faults aimed at sign-in: the token endpoint answers an injected status as Entra ID answers an outage, and the
 * Azure SDK's credential retries it or gives up as it would against Azure. A fault that no route serves is refused.
 */
class TokenFaultSpec extends Specification {
    static final String SCOPE = 'https://management.core.windows.net//.default'

    @TempDir
    Path dir

    Emulator emulator

    def cleanup() {
        emulator?.close()
    }

    Emulator start(String... faults) {
        emulator = Emulator.start(new Emulator.Settings(dir, 0).withConditions(Conditions.DEFAULT.withFaults(faults)))
    }

    List<Map> tokenRequests() {
        Files.readAllLines(dir.resolve('requests.log')).collect { new JsonSlurper().parseText(it) as Map }
                .findAll { it.path.endsWith('/oauth2/v2.0/token') }
    }

    def "a token fault with a count fails that many sign-in attempts, which the SDK's credential retries"() {
        given:
        start('POST oauth2/v2.0/token:503x2')

        when:
        def token = new AzureSdkClients(emulator.cloudFile()).credential()
                .getTokenSync(new TokenRequestContext().addScopes(SCOPE))

        then:
        token.token.split(/\./).length == 3
        tokenRequests()*.status == [503, 503, 200]
        tokenRequests()*.fault == ['POST oauth2/v2.0/token:503x2', 'POST oauth2/v2.0/token:503x2', null]
    }

    def "a token fault for every request makes sign-in fail with the injected status, in Entra ID's error shape"() {
        given:
        start('POST oauth2/v2.0/token:500x*')

        when:
        new AzureSdkClients(emulator.cloudFile()).credential().getTokenSync(new TokenRequestContext().addScopes(SCOPE))

        then:
        def e = thrown(RuntimeException)
        def msal = causes(e).find { it instanceof MsalServiceException } as MsalServiceException
        msal.statusCode() == 500
        msal.errorCode() == 'server_error'
        msal.message.contains("Injected fault 'POST oauth2/v2.0/token:500x*'")
        tokenRequests().size() > 1
        tokenRequests().every { it.status == 500 }
    }

    def "a fault aimed at the v1 token endpoint fails v1 sign-in in the same OAuth shape, and v2.0 sign-in not at all"() {
        given:
        start('POST /*/oauth2/token:503x1')
        def arm = new RawArm(emulator)
        def cloud = arm.cloud
        def form = "grant_type=client_credentials&client_id=${cloud.clientId}&client_secret=" +
                "${URLEncoder.encode(cloud.clientSecret as String, 'UTF-8')}&resource=https%3A%2F%2Fmanagement.azure.com%2F"
        def v1 = { ->
            arm.http.send(java.net.http.HttpRequest.newBuilder(URI.create(
                    "${emulator.endpoint()}/${cloud.tenantId}/oauth2/token"))
                    .header('Content-Type', 'application/x-www-form-urlencoded')
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(form)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString())
        }

        when:
        def v2 = arm.token()
        def first = v1()
        def second = v1()

        then:
        v2.statusCode() == 200
        first.statusCode() == 503
        new JsonSlurper().parseText(first.body()).error == 'temporarily_unavailable'
        second.statusCode() == 200
    }

    def "a resource-type fault, even '*', leaves sign-in alone"() {
        given:
        start('POST *:500x*')

        when:
        def token = new AzureSdkClients(emulator.cloudFile()).credential()
                .getTokenSync(new TokenRequestContext().addScopes(SCOPE))

        then:
        token.token != null
        tokenRequests()*.status == [200]
    }

    def "the emulator command refuses a fault that matches no route it serves, as a usage error naming it"() {
        given:
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()

        when: 'a refused fault ends the command at once; one that is accepted would serve until interrupted'
        int code = -1
        def thread = Thread.start {
            code = Main.run(new PrintStream(out, true), new PrintStream(err, true), 'emulator', '--data',
                    dir.toString(), '--fault', 'PUT virtualMachines:500', '--fault', spec)
        }
        thread.join(15_000)
        if (thread.alive) {
            thread.interrupt()
            thread.join(15_000)
        }

        then:
        code == ExitCodes.INVALID
        err.toString('UTF-8').contains("Invalid value for option '--fault' (SPEC): Fault '$spec' matches no "
                + "request the emulator serves")
        !Files.exists(dir.resolve('cloud.json'))

        where:
        spec << ['PUT virtualMachiness:500', 'PUT /resourceGroups/**:500', 'POST oauth2/v2/token:500x*',
                 'POST deallocat:500']
    }

    def "faults that name what the emulator serves are accepted: #spec"() {
        expect:
        ServedPaths.reachable(FaultSpec.parse(spec))

        where:
        spec << ['PUT virtualMachines:500x2', 'GET *:503x*', 'POST deallocate:500', 'PUT resourceGroups:500',
                 'PUT */networkSecurityGroups/nsg-busy:429x2,retry-after=1', 'DELETE publicIPAddresses:hang',
                 'POST */virtualMachines/*/deallocate:409,code=OperationNotAllowed', 'PUT /subscriptions/**/vm-?:500',
                 'POST oauth2/v2.0/token:500x*', 'POST /*/oauth2/v2.0/token:503', 'PUT subnets:500',
                 'POST manualupgrade:500', 'PUT versions:lro-failed=ReplicationFailed', 'GET capsOperations:500',
                 'POST /*/oauth2/token:503']
    }

    def "every path shape the fault check knows reaches a route that serves it"() {
        given:
        start()
        def arm = new RawArm(emulator)
        def cloud = new JsonSlurper().parse(emulator.cloudFile().toFile()) as Map

        expect:
        ServedPaths.samples(cloud.tenantId as String, cloud.subscriptionId as String).each { String path ->
            def reply = arm.call('GET', path + '?api-version=2025-04-01')
            assert !(reply.statusCode() == 404 && reply.body().contains('does not serve')): path
            assert !reply.body().contains('InvalidResourceType'): path
        }
    }

    static List<Throwable> causes(Throwable t) {
        def all = []
        for (def c = t; c != null && !all.contains(c); c = c.cause) {
            all << c
        }
        all
    }
}
