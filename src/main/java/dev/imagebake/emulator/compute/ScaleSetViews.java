package dev.imagebake.emulator.compute;

import dev.imagebake.emulator.state.State;

import static dev.imagebake.emulator.arm.ProviderSupport.deepCopy;
import static dev.imagebake.emulator.arm.ProviderSupport.map;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** What clients read about scale set instances: the instance documents and the instance views. */
final class ScaleSetViews {
    private static final String INTERNAL = ScaleSetInstances.INTERNAL;

    private ScaleSetViews() {
    }

    static Map<String, Object> instance(Map<String, Object> scaleSet, Map<String, Object> instance,
                                                    boolean withInstanceView) {
        Map<String, Object> json = map(deepCopy(instance));
        json.remove(INTERNAL);
        Map<String, Object> properties = map(json.get("properties"));
        properties.put("latestModelApplied", ScaleSetInstances.latestModelApplied(scaleSet, instance));
        // As in Azure: the instance names its network interfaces, served at .../networkInterfaces/{name}.
        properties.put("networkProfile", Map.of("networkInterfaces", ScaleSetNics.of(instance).stream()
                .map(nic -> Map.of("id", nic.get("id"), "properties",
                        Map.of("primary", map(nic.get("properties")).get("primary")))).toList()));
        if (withInstanceView) {
            properties.put("instanceView", instanceView(instance));
        }
        return json;
    }

    static Map<String, Object> instanceView(Map<String, Object> instance) {
        Map<String, Object> properties = map(instance.get("properties"));
        String provisioning = provisioningState(instance).toLowerCase(Locale.ROOT);
        String power = ScaleSetInstances.powerState(instance);
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("platformUpdateDomain", 0);
        view.put("platformFaultDomain", 0);
        view.put("computerName", map(properties.get("osProfile")).get("computerName"));
        view.put("osName", "ubuntu");
        view.put("hyperVGeneration", map(instance.get(INTERNAL)).get("hyperVGeneration"));
        Map<String, Object> osDisk = map(map(properties.get("storageProfile")).get("osDisk"));
        view.put("disks", List.of(new LinkedHashMap<>(Map.of("name", String.valueOf(osDisk.get("name")),
                "statuses", List.of(status("ProvisioningState/succeeded", "Provisioning succeeded"))))));
        view.put("statuses", List.of(status("ProvisioningState/" + provisioning, "Provisioning " + provisioning),
                status("PowerState/" + power, "VM " + power)));
        return view;
    }

    static Map<String, Object> scaleSetInstanceView(State state, Map<String, Object> scaleSet) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (Map<String, Object> instance : ScaleSetInstances.of(state, (String) scaleSet.get("id"))) {
            counts.merge("ProvisioningState/" + provisioningState(instance).toLowerCase(Locale.ROOT), 1L, Long::sum);
            counts.merge("PowerState/" + ScaleSetInstances.powerState(instance), 1L, Long::sum);
        }
        List<Object> summary = new ArrayList<>();
        counts.forEach((code, count) -> summary.add(new LinkedHashMap<>(Map.of("code", code, "count", count))));
        String provisioning = String.valueOf(map(scaleSet.get("properties")).get("provisioningState"))
                .toLowerCase(Locale.ROOT);
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("virtualMachine", new LinkedHashMap<>(Map.of("statusesSummary", summary)));
        view.put("statuses", List.of(status("ProvisioningState/" + provisioning, "Provisioning " + provisioning)));
        return view;
    }

    private static Map<String, Object> status(String code, String display) {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("code", code);
        status.put("level", "Info");
        status.put("displayStatus", display);
        return status;
    }

    private static String provisioningState(Map<String, Object> document) {
        return String.valueOf(map(document.get("properties")).get("provisioningState"));
    }
}
