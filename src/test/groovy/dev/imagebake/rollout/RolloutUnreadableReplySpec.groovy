package dev.imagebake.rollout

import com.azure.core.management.Region
import com.azure.resourcemanager.compute.ComputeManager
import com.azure.resourcemanager.compute.models.UpgradeMode
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetSkuTypes
import com.azure.resourcemanager.resources.fluentcore.utils.ResourceManagerUtils
import dev.imagebake.cli.Main
import dev.imagebake.emulator.AzureSdkClients
import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.arm.Operations
import groovy.json.JsonOutput
import groovy.json.JsonSlurper
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration

/**
 * A scale set whose reply the Azure SDK cannot read: `imagebake rollout` must say which field of which resource,
 * not the SDK's bare "Deserialization Failed.". The reply comes from the emulator, whose state file was edited while
 * it was stopped to hold the string {@code "true"} where the API has a boolean (what an emulator that stored
 * {@code az vmss create}'s request as sent used to serve).
 */
class RolloutUnreadableReplySpec extends Specification {
    static final String SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl t@t'

    @TempDir
    Path dir

    def "a rollout should name the field of the scale set reply it cannot read"() {
        given: 'a scale set created through the SDK'
        ResourceManagerUtils.InternalRuntimeContext.setDelayProvider({ Duration d -> Duration.ofMillis(10) })
        def settings = new Emulator.Settings(dir.resolve('data'), 0, new Operations.Settings(0, 1,
                Duration.ofSeconds(10)))
        def emulator = Emulator.start(settings)
        ComputeManager compute = new AzureSdkClients(emulator.cloudFile()).computeManager()
        compute.resourceManager().resourceGroups().define('web').withRegion(Region.EUROPE_WEST).create()
        def vnet = compute.networkManager().networks().define('vnet').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('web').withAddressSpace('10.0.0.0/16')
                .withSubnet('default', '10.0.0.0/24').create()
        compute.virtualMachineScaleSets().define('ss').withRegion(Region.EUROPE_WEST).withExistingResourceGroup('web')
                .withSku(VirtualMachineScaleSetSkuTypes.STANDARD_A0)
                .withExistingPrimaryNetworkSubnet(vnet, 'default')
                .withoutPrimaryInternetFacingLoadBalancer().withoutPrimaryInternalLoadBalancer()
                .withLatestLinuxImage('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
                .withRootUsername('azureuser').withSsh(SSH_KEY)
                .withCapacity(1).withUpgradeMode(UpgradeMode.MANUAL).create()
        emulator.close()

        and: 'its stored network profile edited to hold a string where the API has a boolean'
        Path stateFile = dir.resolve('data/state.json')
        def state = new JsonSlurper().parse(stateFile.toFile()) as Map
        def scaleSet = state.resources.values().find { it.type == 'Microsoft.Compute/virtualMachineScaleSets' }
        scaleSet.get('properties').virtualMachineProfile.networkProfile.networkInterfaceConfigurations[0].get('properties')
                .primary = 'true'
        Files.writeString(stateFile, JsonOutput.toJson(state))
        emulator = Emulator.start(settings)

        when:
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(err, true, 'UTF-8'), [:],
                ['rollout', '--cloud', emulator.cloudFile().toString(), '--scale-set', 'web/ss', '--image',
                 'Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest'] as String[])

        then:
        code == 1
        err.toString('UTF-8').contains('reading scale set web/ss failed: Azure\'s reply could not be read: field ' +
                'properties.virtualMachineProfile.networkProfile.networkInterfaceConfigurations[0].properties.primary' +
                ' holds the string "true"')
        !err.toString('UTF-8').contains('Deserialization Failed')

        cleanup:
        emulator?.close()
    }
}
