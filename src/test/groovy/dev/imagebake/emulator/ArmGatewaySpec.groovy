package dev.imagebake.emulator


import java.nio.file.Files

import static dev.imagebake.emulator.RawArm.json

/** What ARM checks and adds on every request, and the exact replies for resource groups, over plain HTTPS. */
class ArmGatewaySpec extends RunningEmulatorSpec {
    def "should refuse a request without api-version with Azure's error shape"() {
        when:
        def response = arm.call('GET', "${arm.sub()}/resourcegroups")

        then:
        response.statusCode() == 400
        json(response) == [error: [code: 'MissingApiVersionParameter',
                message: 'The api-version query parameter (?api-version=) is required for all requests.']]
        response.headers().firstValue('x-ms-request-id').present
    }

    def "should refuse a request without a token, or with a forged one"() {
        expect:
        arm.call('GET', "${arm.sub()}?api-version=2025-04-01", null, token).statusCode() == 401
        json(arm.call('GET', "${arm.sub()}?api-version=2025-04-01", null, token)).error.code == code

        where:
        token                               | code
        null                                | 'AuthenticationFailed'
        'eyJhbGciOiJIUzI1NiJ9.e30.forged'   | 'InvalidAuthenticationToken'
    }

    def "should answer the subscription, with the ARM headers"() {
        when:
        def response = arm.call('GET', "${arm.sub()}?api-version=2025-04-01")

        then:
        response.statusCode() == 200
        json(response).subscriptionId == arm.cloud.subscriptionId
        json(response).tenantId == arm.cloud.tenantId
        json(response).state == 'Enabled'
        response.headers().firstValue('x-ms-request-id').present
        response.headers().firstValue('x-ms-ratelimit-remaining-subscription-reads').get() ==~ /\d+/
    }

    def "should list the tenant's subscriptions, serve each of them and refuse any other as ARM does"() {
        given:
        String other = (arm.cloud.otherSubscriptionIds as List)[0]
        String added = 'c0ffee00-1111-4222-8333-444455556666'
        String unknown = 'deadbeef-0000-4000-8000-000000000000'

        when:
        emulator.addSubscription(added)
        def cloud = new groovy.json.JsonSlurper().parse(emulator.cloudFile().toFile()) as Map
        def list = json(arm.call('GET', "/subscriptions?api-version=2022-12-01"))
        def group = arm.call('PUT', "/subscriptions/${added}/resourcegroups/rg-elsewhere?api-version=2025-04-01",
                [location: 'westeurope'])
        def refused = arm.call('GET', "/subscriptions/${unknown}/resourcegroups?api-version=2025-04-01")

        then: 'the cloud file lists the other subscriptions; the default one comes first'
        other ==~ /[-0-9a-f]{36}/
        cloud.otherSubscriptionIds == [other, added]
        list.value*.subscriptionId == [arm.cloud.subscriptionId, other, added]
        list.value*.tenantId.unique() == [arm.cloud.tenantId]

        and: 'a resource group in an added subscription is its own'
        group.statusCode() == 201
        json(group).id == "/subscriptions/${added}/resourceGroups/rg-elsewhere"
        arm.call('GET', "${arm.sub()}/resourcegroups/rg-elsewhere?api-version=2025-04-01").statusCode() == 404

        and:
        refused.statusCode() == 404
        json(refused) == [error: [code: 'SubscriptionNotFound',
                message: "The subscription '${unknown}' could not be found.".toString()]]
    }

    def "should create a resource group synchronously, 201 then 200, whatever the path's case"() {
        when:
        def first = arm.call('PUT', "${arm.sub()}/resourcegroups/rg-Case?api-version=2025-04-01",
                [location: 'West Europe', tags: [k: 'v']])
        def second = arm.call('PUT', "${arm.sub().toUpperCase()}/RESOURCEGROUPS/RG-CASE?api-version=2025-04-01",
                [location: 'westeurope'])

        then:
        first.statusCode() == 201
        json(first) == [id: "${arm.sub()}/resourceGroups/rg-Case".toString(), name: 'rg-Case',
                type: 'Microsoft.Resources/resourceGroups', location: 'westeurope', tags: [k: 'v'],
                properties: [provisioningState: 'Succeeded']]
        first.headers().firstValue('x-ms-ratelimit-remaining-subscription-writes').get() ==~ /\d+/
        second.statusCode() == 200
        json(second).name == 'rg-Case'
        !json(second).containsKey('tags')
    }

    def "should refuse a resource group without a location, or moved to another one"() {
        given:
        arm.call('PUT', "${arm.sub()}/resourcegroups/rg-loc?api-version=1", [location: 'westeurope'])

        expect:
        json(arm.call('PUT', "${arm.sub()}/resourcegroups/rg-new?api-version=1", [:])).error.code == 'LocationRequired'
        arm.call('PUT', "${arm.sub()}/resourcegroups/rg-loc?api-version=1", [location: 'eastus']).statusCode() == 409
    }

    def "should answer a missing resource group with 404 ResourceGroupNotFound, and HEAD with 204 or 404"() {
        given:
        arm.call('PUT', "${arm.sub()}/resourcegroups/rg-head?api-version=1", [location: 'westeurope'])

        when:
        def missing = arm.call('GET', "${arm.sub()}/resourceGroups/rg-missing?api-version=2025-04-01")

        then:
        missing.statusCode() == 404
        json(missing) == [error: [code: 'ResourceGroupNotFound', message: "Resource group 'rg-missing' could not be found."]]
        arm.call('HEAD', "${arm.sub()}/resourcegroups/rg-head?api-version=1").statusCode() == 204
        arm.call('HEAD', "${arm.sub()}/resourcegroups/rg-missing?api-version=1").statusCode() == 404
    }

    def "should delete with 202 and an absolute Location that answers 202, then 200 once deleted"() {
        given:
        arm.call('PUT', "${arm.sub()}/resourcegroups/rg-del?api-version=1", [location: 'westeurope'])

        when:
        def accepted = arm.call('DELETE', "${arm.sub()}/resourcegroups/rg-del?api-version=2025-04-01")
        def location = accepted.headers().firstValue('Location').get()
        def during = arm.call('GET', "${arm.sub()}/resourcegroups/rg-del?api-version=1")
        def recreate = arm.call('PUT', "${arm.sub()}/resourcegroups/rg-del?api-version=1", [location: 'westeurope'])
        def firstPoll = arm.call('GET', location)
        def secondPoll = arm.call('GET', location)

        then:
        accepted.statusCode() == 202
        location.startsWith(emulator.endpoint() + "${arm.sub()}/operationresults/")
        location.contains('api-version=2025-04-01')
        accepted.headers().firstValue('Retry-After').get() ==~ /\d+/
        (json(during) as Map).get('properties').provisioningState == 'Deleting'
        recreate.statusCode() == 409
        json(recreate).error.code == 'ResourceGroupBeingDeleted'
        firstPoll.statusCode() == 202
        secondPoll.statusCode() == 200
        arm.call('GET', "${arm.sub()}/resourcegroups/rg-del?api-version=1").statusCode() == 404
        arm.call('DELETE', "${arm.sub()}/resourcegroups/rg-del?api-version=1").statusCode() == 404
    }

    def "should log every request as a JSON line, without the secret or any token"() {
        given:
        String token = arm.accessToken()
        arm.call('GET', "${arm.sub()}?api-version=1", null, token)

        when:
        def log = Files.readAllLines(dir.resolve('requests.log'))

        then:
        log.every { it.startsWith('{') && it.endsWith('}') }
        log.any { it.contains('"method":"POST"') && it.contains('/oauth2/v2.0/token') && it.contains('"status":200') }
        !log.any { it.contains(arm.cloud.clientSecret as String) || it.contains(token) }
    }
}
