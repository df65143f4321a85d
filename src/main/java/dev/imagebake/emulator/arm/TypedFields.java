package dev.imagebake.emulator.arm;

import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The request fields the REST specs type as boolean or integer, per resource type, and their coercion. Azure's
 * front ends read a request with a typed JSON reader: {@code "primary": "true"} (as {@code az vmss create} sends it)
 * is stored and returned as the boolean {@code true}, {@code "frontendPortRangeStart": "50000"} as a number, and a
 * value that cannot be read as the type is refused with 400 {@code InvalidRequestContent}, naming its path. Every
 * PUT and PATCH body passes through {@link #coerce} once, in {@link ArmRequest#jsonBody()}, so providers only ever
 * see typed values; a field missing from this table is stored as sent.
 *
 * <p>Paths are dotted; {@code []} steps into every element of an array.
 */
public final class TypedFields {
    enum Kind { BOOLEAN, INTEGER }

    private static final String VMSS_NIC = "properties.virtualMachineProfile.networkProfile"
            + ".networkInterfaceConfigurations[].properties.";
    private static final String VMSS_STORAGE = "properties.virtualMachineProfile.storageProfile.";
    private static final String NAT_POOL = "properties.inboundNatPools[].properties.";
    private static final String NAT_RULE = "properties.inboundNatRules[].properties.";
    private static final String LB_RULE = "properties.loadBalancingRules[].properties.";
    private static final String PROBE = "properties.probes[].properties.";

    /** Resource type (lower case) → field path → kind. */
    private static final Map<String, Map<String, Kind>> TABLE = Map.of(
            "microsoft.compute/virtualmachinescalesets", Map.ofEntries(
                    Map.entry("sku.capacity", Kind.INTEGER),
                    Map.entry("properties.overprovision", Kind.BOOLEAN),
                    Map.entry("properties.singlePlacementGroup", Kind.BOOLEAN),
                    Map.entry("properties.platformFaultDomainCount", Kind.INTEGER),
                    Map.entry("properties.doNotRunExtensionsOnOverprovisionedVMs", Kind.BOOLEAN),
                    Map.entry("properties.upgradePolicy.rollingUpgradePolicy.maxBatchInstancePercent", Kind.INTEGER),
                    Map.entry("properties.upgradePolicy.rollingUpgradePolicy.maxUnhealthyInstancePercent",
                            Kind.INTEGER),
                    Map.entry("properties.upgradePolicy.rollingUpgradePolicy.maxUnhealthyUpgradedInstancePercent",
                            Kind.INTEGER),
                    Map.entry("properties.upgradePolicy.automaticOSUpgradePolicy.enableAutomaticOSUpgrade",
                            Kind.BOOLEAN),
                    Map.entry(VMSS_NIC + "primary", Kind.BOOLEAN),
                    Map.entry(VMSS_NIC + "enableAcceleratedNetworking", Kind.BOOLEAN),
                    Map.entry(VMSS_NIC + "enableIPForwarding", Kind.BOOLEAN),
                    Map.entry(VMSS_NIC + "ipConfigurations[].properties.primary", Kind.BOOLEAN),
                    Map.entry("properties.virtualMachineProfile.osProfile.linuxConfiguration"
                            + ".disablePasswordAuthentication", Kind.BOOLEAN),
                    Map.entry(VMSS_STORAGE + "osDisk.diskSizeGB", Kind.INTEGER),
                    Map.entry(VMSS_STORAGE + "dataDisks[].lun", Kind.INTEGER),
                    Map.entry(VMSS_STORAGE + "dataDisks[].diskSizeGB", Kind.INTEGER)),
            "microsoft.compute/virtualmachines", Map.of(
                    "properties.networkProfile.networkInterfaces[].properties.primary", Kind.BOOLEAN,
                    "properties.osProfile.linuxConfiguration.disablePasswordAuthentication", Kind.BOOLEAN,
                    "properties.storageProfile.osDisk.diskSizeGB", Kind.INTEGER,
                    "properties.storageProfile.dataDisks[].lun", Kind.INTEGER,
                    "properties.storageProfile.dataDisks[].diskSizeGB", Kind.INTEGER),
            "microsoft.network/networkinterfaces", Map.of(
                    "properties.enableAcceleratedNetworking", Kind.BOOLEAN,
                    "properties.enableIPForwarding", Kind.BOOLEAN,
                    "properties.ipConfigurations[].properties.primary", Kind.BOOLEAN),
            "microsoft.network/loadbalancers", Map.ofEntries(
                    Map.entry(NAT_POOL + "frontendPortRangeStart", Kind.INTEGER),
                    Map.entry(NAT_POOL + "frontendPortRangeEnd", Kind.INTEGER),
                    Map.entry(NAT_POOL + "backendPort", Kind.INTEGER),
                    Map.entry(NAT_POOL + "idleTimeoutInMinutes", Kind.INTEGER),
                    Map.entry(NAT_POOL + "enableFloatingIP", Kind.BOOLEAN),
                    Map.entry(NAT_POOL + "enableTcpReset", Kind.BOOLEAN),
                    Map.entry(NAT_RULE + "frontendPort", Kind.INTEGER),
                    Map.entry(NAT_RULE + "backendPort", Kind.INTEGER),
                    Map.entry(NAT_RULE + "idleTimeoutInMinutes", Kind.INTEGER),
                    Map.entry(NAT_RULE + "enableFloatingIP", Kind.BOOLEAN),
                    Map.entry(NAT_RULE + "enableTcpReset", Kind.BOOLEAN),
                    Map.entry(LB_RULE + "frontendPort", Kind.INTEGER),
                    Map.entry(LB_RULE + "backendPort", Kind.INTEGER),
                    Map.entry(LB_RULE + "idleTimeoutInMinutes", Kind.INTEGER),
                    Map.entry(LB_RULE + "enableFloatingIP", Kind.BOOLEAN),
                    Map.entry(LB_RULE + "enableTcpReset", Kind.BOOLEAN),
                    Map.entry(LB_RULE + "disableOutboundSnat", Kind.BOOLEAN),
                    Map.entry(PROBE + "port", Kind.INTEGER),
                    Map.entry(PROBE + "intervalInSeconds", Kind.INTEGER),
                    Map.entry(PROBE + "numberOfProbes", Kind.INTEGER)),
            "microsoft.network/publicipaddresses", Map.of(
                    "properties.idleTimeoutInMinutes", Kind.INTEGER),
            "microsoft.network/networksecuritygroups", Map.of(
                    "properties.securityRules[].properties.priority", Kind.INTEGER),
            "microsoft.network/networksecuritygroups/securityrules", Map.of(
                    "properties.priority", Kind.INTEGER),
            "microsoft.network/virtualnetworks", Map.of(
                    "properties.enableDdosProtection", Kind.BOOLEAN));

    private TypedFields() {
    }

    /**
     * The resource type a path addresses: the namespace after the last {@code providers} segment and every other
     * segment after it ({@code Microsoft.Network/loadBalancers/inboundNatRules}), or {@code null}.
     */
    static String resourceType(ArmPath path) {
        int providers = -1;
        for (int i = 0; i < path.size(); i++) {
            if (path.segment(i).equalsIgnoreCase("providers")) {
                providers = i;
            }
        }
        if (providers < 0 || providers + 2 >= path.size()) {
            return null;
        }
        StringBuilder type = new StringBuilder(path.segment(providers + 1));
        for (int i = providers + 2; i < path.size(); i += 2) {
            type.append('/').append(path.segment(i));
        }
        return type.toString().toLowerCase(Locale.ROOT);
    }

    /** Replaces, in place, the values of the table's fields for the path's resource type with typed ones. */
    public static void coerce(ArmPath path, Map<String, Object> body) throws ArmException {
        String type = resourceType(path);
        Map<String, Kind> fields = type == null ? null : TABLE.get(type);
        if (fields == null) {
            return;
        }
        for (Map.Entry<String, Kind> field : fields.entrySet()) {
            walk(body, List.of(field.getKey().split("\\.")), 0, "", field.getValue());
        }
    }

    @SuppressWarnings("unchecked")
    private static void walk(Object node, List<String> steps, int at, String where, Kind kind) throws ArmException {
        if (!(node instanceof Map<?, ?> map)) {
            return;
        }
        String step = steps.get(at);
        boolean array = step.endsWith("[]");
        String key = array ? step.substring(0, step.length() - 2) : step;
        String here = where.isEmpty() ? key : where + "." + key;
        Map<String, Object> object = (Map<String, Object>) map;
        if (!object.containsKey(key)) {
            return;
        }
        Object value = object.get(key);
        if (at == steps.size() - 1) {
            if (value != null) {
                object.put(key, typed(value, kind, here));
            }
        } else if (array) {
            if (value instanceof List<?> list) {
                for (int i = 0; i < list.size(); i++) {
                    walk(list.get(i), steps, at + 1, here + "[" + i + "]", kind);
                }
            }
        } else {
            walk(value, steps, at + 1, here, kind);
        }
    }

    private static Object typed(Object value, Kind kind, String path) throws ArmException {
        return switch (kind) {
            case BOOLEAN -> {
                if (value instanceof Boolean) {
                    yield value;
                }
                if (value instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
                    yield Boolean.parseBoolean(s);
                }
                if (value instanceof Number n && (n.doubleValue() == 0 || n.doubleValue() == 1)) {
                    yield n.doubleValue() == 1;
                }
                throw unreadable("boolean", value, path);
            }
            case INTEGER -> {
                try {
                    BigDecimal number = value instanceof Number n ? new BigDecimal(n.toString())
                            : value instanceof String s ? new BigDecimal(s.strip()) : null;
                    if (number != null) {
                        long whole = number.longValueExact();
                        yield whole >= Integer.MIN_VALUE && whole <= Integer.MAX_VALUE ? (Object) (int) whole
                                : (Object) whole;
                    }
                } catch (NumberFormatException | ArithmeticException e) {
                    // not an integer: refused below
                }
                throw unreadable("integer", value, path);
            }
        };
    }

    private static ArmException unreadable(String type, Object value, String path) {
        String shown = value instanceof String s ? s : value instanceof Map<?, ?> ? "{...}"
                : value instanceof List<?> ? "[...]" : String.valueOf(value);
        return ArmException.badRequest("InvalidRequestContent", "The request content was invalid and could not be "
                + "deserialized: 'Could not convert " + (value instanceof String ? "string" : "value") + " to "
                + type + ": " + shown + ". Path '" + path + "'.'.");
    }
}
