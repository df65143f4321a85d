package dev.imagebake.emulator.compute;

import dev.imagebake.emulator.state.State;

import static dev.imagebake.emulator.arm.ProviderSupport.deepCopy;
import static dev.imagebake.emulator.arm.ProviderSupport.map;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * The whole life of a scale set instance in one place: created from the scale set's model, brought up to date with
 * it (reimaged to a new image), powered on and off, deleted. A {@link Runtime} is told about every step: with
 * {@link ScaleSetMachines} each instance is a machine of the emulator's {@code VmRuntime}; with
 * {@link Runtime#NONE} an instance is only a document.
 */
public final class ScaleSetInstances {
    /** What backs instances; every call happens inside the state change that records the step. */
    public interface Runtime {
        /** A new instance, built from the scale set's current model (its image already applied). */
        default void created(State state, Map<String, Object> scaleSet, Map<String, Object> instance) {
        }

        /** The instance was reimaged to the scale set's current model: its disk starts again from that image. */
        default void upgraded(State state, Map<String, Object> scaleSet, Map<String, Object> instance) {
        }

        default void powerChanged(Map<String, Object> instance, String powerState) {
        }

        /** A restart was asked for: the instance goes down and up again on the same disk. */
        default void restarted(Map<String, Object> instance) {
        }

        default void deleted(Map<String, Object> instance) {
        }

        /** The emulator started again on its data folder; the instance's document is as it was left. */
        default void resumed(Map<String, Object> instance) {
        }

        /** Documents only: nothing runs. */
        Runtime NONE = new Runtime() {
        };
    }

    static final String TYPE = ComputeProvider.NAMESPACE + "/virtualMachineScaleSets/virtualMachines";
    static final String SEGMENT = "virtualMachines";
    /** Internal instance state kept in the document but never shown. */
    static final String INTERNAL = "_emulator";

    private final Runtime runtime;

    public ScaleSetInstances(Runtime runtime) {
        this.runtime = runtime;
    }

    /** The instances of a scale set, in creation order. */
    static List<Map<String, Object>> of(State state, String scaleSetId) {
        return state.children(scaleSetId, SEGMENT);
    }

    /** Creates instance {@code instanceId} from the scale set's current model, provisioning state Creating. */
    Map<String, Object> create(State state, Map<String, Object> scaleSet, int instanceId) {
        String scaleSetId = (String) scaleSet.get("id");
        Map<String, Object> instance = new LinkedHashMap<>();
        instance.put("name", scaleSet.get("name") + "_" + instanceId);
        instance.put("id", scaleSetId + "/" + SEGMENT + "/" + instanceId);
        instance.put("type", TYPE);
        instance.put("location", scaleSet.get("location"));
        instance.put("instanceId", String.valueOf(instanceId));
        Map<String, Object> sku = map(scaleSet.get("sku"));
        instance.put("sku", new LinkedHashMap<>(Map.of("name", String.valueOf(sku.get("name")),
                "tier", String.valueOf(sku.getOrDefault("tier", "Standard")))));
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("latestModelApplied", true);
        properties.put("vmId", UUID.randomUUID().toString());
        properties.put("hardwareProfile", new LinkedHashMap<>(Map.of("vmSize", String.valueOf(sku.get("name")))));
        Map<String, Object> profile = map(map(scaleSet.get("properties")).get("virtualMachineProfile"));
        Map<String, Object> osProfile = map(deepCopy(profile.get("osProfile")));
        String prefix = osProfile.remove("computerNamePrefix") instanceof String p ? p : (String) scaleSet.get("name");
        osProfile.put("computerName", prefix + String.format("%6s", Integer.toString(instanceId, 36)
                .toUpperCase(Locale.ROOT)).replace(' ', '0'));
        osProfile.remove("adminPassword");
        properties.put("osProfile", osProfile);
        properties.put("networkProfileConfiguration", new LinkedHashMap<>(Map.of("networkInterfaceConfigurations",
                deepCopy(map(profile.get("networkProfile")).get("networkInterfaceConfigurations")))));
        properties.put("timeCreated", Instant.now().toString());
        properties.put("provisioningState", "Creating");
        instance.put("properties", properties);
        Map<String, Object> internal = new LinkedHashMap<>();
        internal.put("powerState", "starting");
        instance.put(INTERNAL, internal);
        applyModel(scaleSet, instance);
        state.putResource((String) instance.get("id"), instance);
        runtime.created(state, scaleSet, instance);
        return instance;
    }

    /**
     * Brings an instance to the scale set's current model: reimaged (a new OS disk from the model's image) when its
     * image is not the model's; otherwise, as on Azure, it takes the model without a reimage and keeps its disk.
     */
    void upgrade(State state, Map<String, Object> scaleSet, Map<String, Object> instance) {
        Object modelImage = map(scaleSet.get(INTERNAL)).get("instanceImageReference");
        Object instanceImage = map(map(instance.get("properties")).get("storageProfile")).get("imageReference");
        if (modelImage != null && modelImage.equals(instanceImage)) {
            map(instance.get(INTERNAL)).put("modelVersion", modelVersion(scaleSet));
            return;
        }
        applyModel(scaleSet, instance);
        runtime.upgraded(state, scaleSet, instance);
    }

    /** Ends a transitional power state, or starts one: {@code starting}, {@code running}, {@code stopped}... */
    void power(Map<String, Object> instance, String powerState) {
        map(instance.get(INTERNAL)).put("powerState", powerState);
        runtime.powerChanged(instance, powerState);
    }

    /** Starts a restart: the power state goes through {@code starting} as for a start. */
    void restart(Map<String, Object> instance) {
        map(instance.get(INTERNAL)).put("powerState", "starting");
        runtime.restarted(instance);
    }

    void resume(Map<String, Object> instance) {
        runtime.resumed(instance);
    }

    /** Ends the instance's machine; its document stays (it goes with its resource group). */
    void machineGone(Map<String, Object> instance) {
        runtime.deleted(instance);
    }

    void delete(State state, Map<String, Object> instance) {
        state.removeTree((String) instance.get("id"));
        runtime.deleted(instance);
    }

    /** True when the instance runs the scale set's current model. */
    static boolean latestModelApplied(Map<String, Object> scaleSet, Map<String, Object> instance) {
        return modelVersion(instance) == modelVersion(scaleSet);
    }

    static long modelVersion(Map<String, Object> document) {
        return map(document.get(INTERNAL)).get("modelVersion") instanceof Number n ? n.longValue() : 0;
    }

    static String powerState(Map<String, Object> instance) {
        return String.valueOf(map(instance.get(INTERNAL)).get("powerState"));
    }

    private static void applyModel(Map<String, Object> scaleSet, Map<String, Object> instance) {
        Map<String, Object> scaleSetInternal = map(scaleSet.get(INTERNAL));
        Map<String, Object> storage = map(deepCopy(map(map(map(scaleSet.get("properties"))
                .get("virtualMachineProfile")).get("storageProfile"))));
        storage.put("imageReference", deepCopy(scaleSetInternal.get("instanceImageReference")));
        Map<String, Object> osDisk = map(storage.get("osDisk"));
        Map<String, Object> managed = map(osDisk.get("managedDisk"));
        String diskName = instance.get("name") + "_OsDisk_" + UUID.randomUUID().toString().replace("-", "");
        String id = (String) instance.get("id");
        managed.put("id", id.substring(0, id.indexOf("/providers/")) + "/providers/" + ComputeProvider.NAMESPACE
                + "/disks/" + diskName);
        managed.putIfAbsent("storageAccountType", "Premium_LRS");
        osDisk.put("managedDisk", managed);
        osDisk.put("name", diskName);
        osDisk.put("osType", "Linux");
        osDisk.putIfAbsent("createOption", "FromImage");
        osDisk.putIfAbsent("caching", "ReadWrite");
        osDisk.putIfAbsent("diskSizeGB", 30);
        storage.put("osDisk", osDisk);
        storage.putIfAbsent("dataDisks", List.of());
        Map<String, Object> properties = map(instance.get("properties"));
        properties.put("storageProfile", storage);
        map(instance.get(INTERNAL)).put("modelVersion", modelVersion(scaleSet));
        map(instance.get(INTERNAL)).put("hyperVGeneration", scaleSetInternal.get("hyperVGeneration"));
    }
}
