package dev.imagebake.emulator

import dev.imagebake.emulator.arm.ArmException
import dev.imagebake.emulator.arm.ArmPath
import dev.imagebake.emulator.arm.TypedFields
import groovy.json.JsonSlurper
import spock.lang.Specification

/** The request fields typed as the REST specs type them, before any provider sees the body. */
class TypedFieldsSpec extends Specification {
    static final String VMSS = 'subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/ss'
    static final String LB = 'subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb'

    private static Map body(String json) {
        new JsonSlurper().parseText(json) as Map
    }

    def "should read booleans and integers sent as strings, as Azure stores them"() {
        given:
        def request = body('''{"sku": {"capacity": "2"}, "properties": {"overprovision": "True",
            "virtualMachineProfile": {"networkProfile": {"networkInterfaceConfigurations": [
              {"name": "a", "properties": {"primary": "true", "enableIPForwarding": false,
                "ipConfigurations": [{"name": "ip", "properties": {"primary": "false"}}]}},
              {"name": "b", "properties": {"primary": "false"}}]}}}}''')

        when:
        TypedFields.coerce(ArmPath.parse('/' + VMSS), request)
        def nics = request.get('properties').virtualMachineProfile.networkProfile.networkInterfaceConfigurations

        then:
        request.sku.capacity == 2
        request.sku.capacity instanceof Integer
        request.get('properties').overprovision == true
        nics*.get('properties')*.primary == [true, false]
        nics[0].get('properties').enableIPForwarding == false
        nics[0].get('properties').ipConfigurations[0].get('properties').primary == false
    }

    def "should refuse a value that is not of the field's type, naming its path as Azure does"() {
        when:
        TypedFields.coerce(ArmPath.parse('/' + path), body(json))

        then:
        def e = thrown(ArmException)
        e.status() == 400
        e.code() == 'InvalidRequestContent'
        e.message == "The request content was invalid and could not be deserialized: $reason".toString()

        where:
        path | json                                                                                       || reason
        VMSS | '{"properties": {"virtualMachineProfile": {"networkProfile": {"networkInterfaceConfigurations": [{}, {"properties": {"primary": "yes"}}]}}}}' ||
                "'Could not convert string to boolean: yes. Path 'properties.virtualMachineProfile.networkProfile.networkInterfaceConfigurations[1].properties.primary'.'."
        LB   | '{"properties": {"inboundNatPools": [{"properties": {"frontendPortRangeStart": "50000.5"}}]}}' ||
                "'Could not convert string to integer: 50000.5. Path 'properties.inboundNatPools[0].properties.frontendPortRangeStart'.'."
        LB   | '{"properties": {"probes": [{"properties": {"port": true}}]}}'                             ||
                "'Could not convert value to integer: true. Path 'properties.probes[0].properties.port'.'."
    }

    def "should leave fields of types and paths it does not know as sent"() {
        given:
        def request = body('{"properties": {"primary": "true", "custom": "1"}}')

        when:
        TypedFields.coerce(ArmPath.parse('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Foo/bars/b'), request)
        TypedFields.coerce(ArmPath.parse('/' + VMSS), request)

        then:
        request.get('properties') == [primary: 'true', custom: '1']
    }
}
