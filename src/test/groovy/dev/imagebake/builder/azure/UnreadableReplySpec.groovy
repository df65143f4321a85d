package dev.imagebake.builder.azure

import com.azure.resourcemanager.compute.fluent.models.VirtualMachineScaleSetInner
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetVMListResult
import spock.lang.Specification

/** Where in a reply the SDK's model gives up, found by reading it again with a reader that tracks its path. */
class UnreadableReplySpec extends Specification {

    def "should name the field of a scale set reply that holds a string where the model has a boolean"() {
        given:
        def body = '''{"name": "ss", "sku": {"name": "Standard_B1s", "capacity": 2}, "properties": {
            "virtualMachineProfile": {"networkProfile": {"networkInterfaceConfigurations": [
                {"name": "a", "properties": {"primary": true, "ipConfigurations": []}},
                {"name": "b", "properties": {"primary": "true", "ipConfigurations": []}}]}}}}'''

        expect:
        UnreadableReply.fieldAtFault(body, VirtualMachineScaleSetInner) ==
                'properties.virtualMachineProfile.networkProfile.networkInterfaceConfigurations[1].properties.primary' +
                ' holds the string "true"'
    }

    def "should name the element of a list reply, and the number where the model has an integer"() {
        given:
        def body = '''{"value": [{"name": "ss_0", "instanceId": "0"},
            {"name": "ss_1", "instanceId": "1", "properties": {"storageProfile": {"osDisk": {"diskSizeGB": "thirty"}}}}]}'''

        expect:
        UnreadableReply.fieldAtFault(body, VirtualMachineScaleSetVMListResult) ==
                'value[1].properties.storageProfile.osDisk.diskSizeGB holds the string "thirty"'
    }

    def "should find nothing in a reply the model reads"() {
        expect:
        UnreadableReply.fieldAtFault('{"name": "ss", "properties": {"overprovision": false}}',
                VirtualMachineScaleSetInner) == null
    }
}
