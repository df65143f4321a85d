package dev.imagebake.emulator

import dev.imagebake.emulator.arm.ArmPath
import dev.imagebake.emulator.arm.FaultSpec
import spock.lang.Specification

/** The {@code --fault} grammar: what each form means, which requests it aims at, and the messages for mistakes. */
class FaultSpecParsingSpec extends Specification {
    static final String VM = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm-1'

    def "should read a status fault with a count"() {
        when:
        def fault = FaultSpec.parse('PUT virtualMachines:500x2')

        then:
        fault.method() == 'PUT'
        fault.type() == 'virtualmachines'
        fault.status() == 500
        fault.code() == 'InternalServerError'
        fault.count() == 2
        fault.retryAfter() == -1
        fault.answersRequest()
    }

    def "should apply a fault once by default, every time with x*, and give a 429 a Retry-After"() {
        expect:
        FaultSpec.parse('PUT virtualMachines:409').count() == 1
        FaultSpec.parse('PUT virtualMachines:409').code() == 'Conflict'
        FaultSpec.parse('GET *:503x*').count() == -1
        FaultSpec.parse('PUT */virtualMachines/*:429x2,retry-after=3').retryAfter() == 3
        FaultSpec.parse('PUT virtualMachines:429').retryAfter() == 1
        FaultSpec.parse('PUT virtualMachines:429').code() == 'SubscriptionRequestsThrottled'
        FaultSpec.parse('PUT virtualMachines:500,code=AllocationFailed').code() == 'AllocationFailed'
    }

    def "should read the operation faults"() {
        when:
        def failed = FaultSpec.parse('PUT images:lro-failed=InternalExecutionError')
        def hang = FaultSpec.parse('DELETE virtualNetworks:hangx3')

        then:
        failed.failWith() == 'InternalExecutionError'
        failed.count() == 1
        !failed.answersRequest()
        hang.hang()
        hang.count() == 3
        hang.method() == 'DELETE'
    }

    def "should match the resource type, the action after it, or a path glob, ignoring case"() {
        expect:
        FaultSpec.parse(spec).matches(method, ArmPath.parse(path), path) == matches

        where:
        spec                                     | method   | path                              || matches
        'PUT virtualMachines:500'                | 'PUT'    | VM                                || true
        'PUT VIRTUALMACHINES:500'                | 'PUT'    | VM                                || true
        'PUT virtualMachines:500'                | 'GET'    | VM                                || false
        'virtualMachines:500'                    | 'GET'    | VM                                || true
        '* virtualMachines:500'                  | 'DELETE' | VM                                || true
        'POST virtualMachines:500'               | 'POST'   | VM + '/powerOff'                  || true
        'POST deallocate:500'                    | 'POST'   | VM + '/deallocate'                || true
        'POST deallocate:500'                    | 'POST'   | VM + '/powerOff'                  || false
        'PUT disks:500'                          | 'PUT'    | VM                                || false
        'PUT resourceGroups:500'                 | 'PUT'    | '/subscriptions/s/resourcegroups/rg' || true
        'PUT subnets:500'                        | 'PUT'    | '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/default' || true
        'PUT virtualNetworks:500'                | 'PUT'    | '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/default' || false
        'PUT */virtualMachines/*:429'            | 'PUT'    | VM                                || true
        'PUT */virtualMachines/*:429'            | 'POST'   | VM + '/powerOff'                  || false
        'POST */virtualMachines/*/*:429'         | 'POST'   | VM + '/powerOff'                  || true
        'PUT /subscriptions/**/vm-?:500'         | 'PUT'    | VM                                || true
        'PUT /resourceGroups/**:500'             | 'PUT'    | VM                                || false
        'PUT */virtualmachines/VM-1:500'         | 'PUT'    | VM                                || true
    }

    def "should explain what is wrong with a fault it cannot read"() {
        when:
        FaultSpec.parse(text)

        then:
        def e = thrown(IllegalArgumentException)
        e.message == "Invalid fault '$text': $why. Expected [METHOD ] TYPE-OR-PATH-GLOB:ACTION[xCOUNT][,OPTION...]," +
                " e.g. 'PUT virtualMachines:500x2', 'PUT images:lro-failed=InternalExecutionError'," +
                " 'DELETE virtualNetworks:hang'."

        where:
        text                               || why
        'PUT virtualMachines'              || "it has no ':' between the target and the action"
        'FETCH virtualMachines:500'        || "'FETCH' is not an HTTP method (GET, PUT, PATCH, POST, DELETE, HEAD or *)"
        ':500'                             || 'the target must be one resource type (virtualMachines) or one path glob'
        'PUT virtualMachines:200'          || 'the status must be an error status, 400 to 599'
        'PUT virtualMachines:explode'      || "the action 'explode' is none of STATUS (e.g. 500), lro-failed=CODE, hang"
        'PUT virtualMachines:lro-failed='  || 'lro-failed needs an error code, e.g. lro-failed=InternalExecutionError'
        'PUT virtualMachines:500x0'        || "the count after 'x' must be a whole number >= 1, or '*' for every matching request"
        'PUT virtualMachines:500,retry-after=soon' || 'retry-after must be whole seconds, e.g. retry-after=1'
        'PUT virtualMachines:hang,retry-after=1'   || "unknown option 'retry-after=1' (status faults take retry-after=SECONDS and code=CODE; lro-failed and hang take none)"
    }
}
