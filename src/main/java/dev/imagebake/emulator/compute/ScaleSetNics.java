package dev.imagebake.emulator.compute;

import dev.imagebake.emulator.vm.SshEndpoint;

import static dev.imagebake.emulator.arm.ProviderSupport.deepCopy;
import static dev.imagebake.emulator.arm.ProviderSupport.map;
import static dev.imagebake.emulator.arm.ProviderSupport.maps;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The network interfaces of a scale set instance, as {@code GET .../virtualMachines/{id}/networkInterfaces}
 * lists them: one per {@code networkInterfaceConfigurations} entry of the instance's model, named after it. They are
 * views of the instance, not resources of their own. The primary IP configuration of the primary interface carries
 * the instance machine's loopback address as {@code privateIPAddress}, and the interface the tag
 * {@value VmMachines#SSH_PORT_TAG} when its SSH port is not 22; an instance without a machine has no address.
 */
final class ScaleSetNics {
    private ScaleSetNics() {
    }

    static List<Map<String, Object>> of(Map<String, Object> instance) {
        List<Map<String, Object>> configurations = maps(map(map(instance.get("properties"))
                .get("networkProfileConfiguration")).get("networkInterfaceConfigurations"));
        SshEndpoint endpoint = ScaleSetMachines.endpoint(instance);
        List<Map<String, Object>> nics = new ArrayList<>();
        for (Map<String, Object> configuration : configurations) {
            boolean primary = isPrimary(configuration, configurations);
            nics.add(nic(instance, configuration, primary, primary ? endpoint : null));
        }
        return nics;
    }

    private static Map<String, Object> nic(Map<String, Object> instance, Map<String, Object> configuration,
                                           boolean primary, SshEndpoint endpoint) {
        Map<String, Object> settings = map(configuration.get("properties"));
        String id = instance.get("id") + "/networkInterfaces/" + configuration.get("name");
        List<Map<String, Object>> ipSettings = maps(settings.get("ipConfigurations"));
        List<Object> ipConfigurations = new ArrayList<>();
        for (Map<String, Object> ip : ipSettings) {
            boolean primaryIp = isPrimary(ip, ipSettings);
            Map<String, Object> properties = new LinkedHashMap<>();
            properties.put("provisioningState", "Succeeded");
            if (primaryIp && endpoint != null) {
                properties.put("privateIPAddress", endpoint.address());
            }
            properties.put("privateIPAllocationMethod", "Dynamic");
            properties.put("subnet", deepCopy(map(map(ip.get("properties")).get("subnet"))));
            properties.put("primary", primaryIp);
            properties.put("privateIPAddressVersion", "IPv4");
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("name", ip.get("name"));
            json.put("id", id + "/ipConfigurations/" + ip.get("name"));
            json.put("properties", properties);
            ipConfigurations.add(json);
        }
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("provisioningState", "Succeeded");
        properties.put("ipConfigurations", ipConfigurations);
        properties.put("dnsSettings", new LinkedHashMap<>(Map.of("dnsServers", List.of(),
                "appliedDnsServers", List.of())));
        properties.put("enableAcceleratedNetworking", Boolean.TRUE.equals(settings.get("enableAcceleratedNetworking")));
        properties.put("enableIPForwarding", Boolean.TRUE.equals(settings.get("enableIPForwarding")));
        if (settings.get("networkSecurityGroup") instanceof Map<?, ?> nsg) {
            properties.put("networkSecurityGroup", deepCopy(nsg));
        }
        properties.put("primary", primary);
        properties.put("virtualMachine", new LinkedHashMap<>(Map.of("id", instance.get("id"))));
        Map<String, Object> nic = new LinkedHashMap<>();
        nic.put("name", configuration.get("name"));
        nic.put("id", id);
        nic.put("type", "Microsoft.Network/networkInterfaces");
        nic.put("location", instance.get("location"));
        nic.put("properties", properties);
        if (endpoint != null) {
            VmMachines.tagPort(nic, endpoint);
        }
        return nic;
    }

    /** The entry marked primary, or the only one. */
    private static boolean isPrimary(Map<String, Object> entry, List<Map<String, Object>> all) {
        return Boolean.TRUE.equals(map(entry.get("properties")).get("primary")) || all.size() == 1;
    }
}
