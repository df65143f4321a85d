package dev.imagebake.emulator

import com.azure.core.management.Region
import com.azure.resourcemanager.compute.ComputeManager
import com.azure.resourcemanager.compute.models.HyperVGenerationTypes
import com.azure.resourcemanager.compute.models.ImageReference
import com.azure.resourcemanager.compute.models.PowerState
import com.azure.resourcemanager.compute.models.RollingUpgradePolicy
import com.azure.resourcemanager.compute.models.RollingUpgradeStatusCode
import com.azure.resourcemanager.compute.models.UpgradeMode
import com.azure.resourcemanager.compute.models.UpgradePolicy
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetSkuTypes
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetUpdate
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetUpdateStorageProfile
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetUpdateVMProfile
import com.azure.resourcemanager.compute.models.VirtualMachineSizeTypes
import com.azure.resourcemanager.resources.fluentcore.utils.ResourceManagerUtils
import dev.imagebake.emulator.arm.Operations
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Path
import java.time.Duration

/** Compute resources live in the data folder: a restart keeps VMs, disks, images and scale sets, and a roll goes on. */
class ComputeRestartSpec extends Specification {
    static final String SSH_KEY = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7emulatortestkeyonly imagebake@test'
    static final Operations.Settings FAST = new Operations.Settings(0, 1, Duration.ofSeconds(10))

    @TempDir
    Path dir

    def setup() {
        ResourceManagerUtils.InternalRuntimeContext.setDelayProvider({ Duration d -> Duration.ofMillis(10) })
    }

    private ComputeManager computeOf(Emulator emulator) {
        new AzureSdkClients(emulator.cloudFile()).computeManager()
    }

    def "should keep a generalized VM, its disk, an image and a scale set mid-roll across a restart"() {
        given: 'a generalized VM, an image of it and a Rolling scale set on the first run'
        def first = Emulator.start(new Emulator.Settings(dir, 0, FAST))
        def compute = computeOf(first)
        def network = compute.networkManager()
        compute.resourceManager().resourceGroups().define('rg-keep').withRegion(Region.EUROPE_WEST).create()
        def vnet = network.networks().define('vnet').withRegion(Region.EUROPE_WEST).withExistingResourceGroup('rg-keep')
                .withAddressSpace('10.0.0.0/16').withSubnet('default', '10.0.0.0/24').create()
        def nic = network.networkInterfaces().define('nic').withRegion(Region.EUROPE_WEST).withExistingResourceGroup('rg-keep')
                .withExistingPrimaryNetwork(vnet).withSubnet('default').withPrimaryPrivateIPAddressDynamic().create()
        def vm = compute.virtualMachines().define('vm').withRegion(Region.EUROPE_WEST).withExistingResourceGroup('rg-keep')
                .withExistingPrimaryNetworkInterface(nic)
                .withLatestLinuxImage('Canonical', 'ubuntu-24_04-lts', 'server')
                .withRootUsername('azureuser').withSsh(SSH_KEY).withSize(VirtualMachineSizeTypes.STANDARD_B2S).create()
        vm.deallocate()
        vm.generalize()
        def image = compute.virtualMachineCustomImages().define('img').withRegion(Region.EUROPE_WEST)
                .withExistingResourceGroup('rg-keep').withHyperVGeneration(HyperVGenerationTypes.V2)
                .fromVirtualMachine(vm).create()
        compute.virtualMachineScaleSets().define('vmss').withRegion(Region.EUROPE_WEST).withExistingResourceGroup('rg-keep')
                .withSku(VirtualMachineScaleSetSkuTypes.STANDARD_A0).withExistingPrimaryNetworkSubnet(vnet, 'default')
                .withoutPrimaryInternetFacingLoadBalancer().withoutPrimaryInternalLoadBalancer()
                .withLatestLinuxImage('Canonical', 'ubuntu-24_04-lts', 'server')
                .withRootUsername('azureuser').withSsh(SSH_KEY).withCapacity(2).withUpgradeMode(UpgradeMode.ROLLING)
                .create()

        and: 'a roll of the image over the scale set, one instance per batch, five seconds apart'
        compute.serviceClient().virtualMachineScaleSets.update('rg-keep', 'vmss', new VirtualMachineScaleSetUpdate()
                .withUpgradePolicy(new UpgradePolicy().withMode(UpgradeMode.ROLLING).withRollingUpgradePolicy(
                        new RollingUpgradePolicy().withMaxBatchInstancePercent(50).withPauseTimeBetweenBatches('PT5S')))
                .withVirtualMachineProfile(new VirtualMachineScaleSetUpdateVMProfile().withStorageProfile(
                        new VirtualMachineScaleSetUpdateStorageProfile().withImageReference(new ImageReference().withId(image.id())))))
        first.close()

        when:
        def second = Emulator.start(new Emulator.Settings(dir, 0, FAST))
        def again = computeOf(second)
        def rollAfterRestart = again.serviceClient().virtualMachineScaleSetRollingUpgrades.getLatest('rg-keep', 'vmss')
        def keptVm = again.virtualMachines().getByResourceGroup('rg-keep', 'vm')

        then: 'the roll was still under way when the emulator came back'
        rollAfterRestart.runningStatus().code() == RollingUpgradeStatusCode.ROLLING_FORWARD

        and: 'the VM is still deallocated and generalized, its disk and image are there'
        keptVm.refreshInstanceView().statuses()*.code().contains('OSState/generalized')
        keptVm.powerState() == PowerState.DEALLOCATED
        keptVm.storageProfile().imageReference().exactVersion() == '24.04.202502210'
        again.disks().getById(keptVm.osDiskId()).virtualMachineId().equalsIgnoreCase(keptVm.id())
        again.virtualMachineCustomImages().getByResourceGroup('rg-keep', 'img').sourceVirtualMachineId()
                .equalsIgnoreCase(keptVm.id())

        and: 'the scale set keeps its model and instances, and its roll finishes after the restart'
        def scaleSet = again.virtualMachineScaleSets().getByResourceGroup('rg-keep', 'vmss')
        scaleSet.capacity() == 2
        scaleSet.storageProfile().imageReference().id().equalsIgnoreCase(image.id())
        awaitRoll(again) == RollingUpgradeStatusCode.COMPLETED
        scaleSet.virtualMachines().list().collect { [it.instanceId(), it.isLatestScaleSetUpdateApplied()] } ==
                [['0', true], ['1', true]]
        scaleSet.virtualMachines().list().every { it.storageProfile().imageReference().id().equalsIgnoreCase(image.id()) }

        cleanup:
        second?.close()
    }

    private static RollingUpgradeStatusCode awaitRoll(ComputeManager compute) {
        long deadline = System.currentTimeMillis() + 30_000
        while (System.currentTimeMillis() < deadline) {
            def code = compute.serviceClient().virtualMachineScaleSetRollingUpgrades.getLatest('rg-keep', 'vmss')
                    .runningStatus().code()
            if (code != RollingUpgradeStatusCode.ROLLING_FORWARD) {
                return code
            }
            Thread.sleep(100)
        }
        RollingUpgradeStatusCode.ROLLING_FORWARD
    }
}
