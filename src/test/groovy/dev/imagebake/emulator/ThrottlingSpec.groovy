package dev.imagebake.emulator

import com.azure.core.management.Region
import com.azure.resourcemanager.resources.fluentcore.utils.ResourceManagerUtils
import dev.imagebake.emulator.arm.Conditions
import dev.imagebake.emulator.arm.Operations
import dev.imagebake.emulator.arm.Throttle
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration

import static dev.imagebake.emulator.RawArm.json

/**
 * Enforced throttling over HTTPS, with buckets small enough to empty: reads 5 (+0.5/s), writes 2 (+1/s), deletes
 * 3 (+1/s).
 */
class ThrottlingSpec extends Specification {
    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    RawArm arm

    @Shared
    String token

    def setupSpec() {
        ResourceManagerUtils.InternalRuntimeContext.setDelayProvider({ Duration d -> Duration.ofMillis(10) })
        def throttle = new Throttle(true, new Throttle.Limit(5, 0.5), new Throttle.Limit(2, 1), new Throttle.Limit(3, 1))
        emulator = Emulator.start(new Emulator.Settings(dir, 0, new Operations.Settings(1, 1, Duration.ofSeconds(10)))
                .withConditions(Conditions.DEFAULT.withThrottle(throttle)))
        arm = new RawArm(emulator)
        token = arm.accessToken()
    }

    def cleanupSpec() {
        emulator?.close()
    }

    def "should count reads down in the header, refuse the sixth with 429 and Retry-After, and refill"() {
        when:
        def replies = (1..6).collect { arm.call('GET', "${arm.sub()}/resourcegroups?api-version=1", null, token) }
        def refused = replies[5]

        then:
        replies[0..4]*.statusCode() == [200] * 5
        replies[0..4].collect { it.headers().firstValue('x-ms-ratelimit-remaining-subscription-reads').get() } ==
                ['4', '3', '2', '1', '0']
        refused.statusCode() == 429
        refused.headers().firstValue('Retry-After').get() == '2'
        refused.headers().firstValue('x-ms-ratelimit-remaining-subscription-reads').get() == '0'
        json(refused).error.code == 'SubscriptionRequestsThrottled'
        json(refused).error.message == "Number of 'read' requests for subscription '${arm.cloud.subscriptionId}'" +
                " exceeded. Please try again after '2' seconds after additional tokens are available. Refer to" +
                " https://aka.ms/arm-throttling for additional information."
        refused.headers().firstValue('x-ms-request-id').isPresent()

        when: 'the client waits as told'
        Thread.sleep(2_000)
        def after = arm.call('GET', "${arm.sub()}/resourcegroups?api-version=1", null, token)

        then:
        after.statusCode() == 200
        after.headers().firstValue('x-ms-ratelimit-remaining-subscription-reads').get() == '0'
    }

    def "should keep writes and deletes in their own buckets"() {
        given: 'reads may be empty from the feature before'
        Thread.sleep(2_000)

        when:
        def writes = (1..3).collect {
            arm.call('PUT', "${arm.sub()}/resourcegroups/rg-w$it?api-version=1", [location: 'westeurope'], token)
        }
        def delete = arm.call('DELETE', "${arm.sub()}/resourcegroups/rg-none?api-version=1", null, token)

        then:
        writes*.statusCode() == [201, 201, 429]
        writes[0].headers().firstValue('x-ms-ratelimit-remaining-subscription-writes').get() == '1'
        writes[2].headers().firstValue('Retry-After').get() == '1'
        json(writes[2]).error.message.startsWith("Number of 'write' requests")
        delete.statusCode() == 404
        delete.headers().firstValue('x-ms-ratelimit-remaining-subscription-deletes').get() == '2'
    }

    def "should let the SDK ride out throttling with its retries"() {
        given:
        Thread.sleep(2_000)
        def resources = new AzureSdkClients(emulator.cloudFile()).resourceManager()

        when: 'four writes against a bucket of two that refills one a second'
        def groups = (1..4).collect { resources.resourceGroups().define("rg-sdk$it").withRegion(Region.EUROPE_WEST).create() }

        then:
        groups*.name() == ['rg-sdk1', 'rg-sdk2', 'rg-sdk3', 'rg-sdk4']
        def log = Files.readAllLines(dir.resolve('requests.log')).collect { new JsonSlurper().parseText(it) as Map }
        def puts = log.findAll { it.method == 'PUT' && it.path.contains('/rg-sdk') }
        puts.count { it.status == 429 && it.error == 'SubscriptionRequestsThrottled' } >= 1
        puts.count { it.status == 201 } == 4
    }
}
