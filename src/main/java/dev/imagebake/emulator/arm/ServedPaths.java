package dev.imagebake.emulator.arm;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The shapes of every path the emulator answers: {@code *} stands for a name, {@code {tenant}} and
 * {@code {subscription}} for an ID (a GUID). Used to refuse a {@code --fault} that could never fire: a mistyped resource type or a glob that no
 * served path fits. {@code RoutesCatalogueSpec} checks that each shape here reaches a route that serves it.
 */
public final class ServedPaths {
    private static final String SUB = "subscriptions/{subscription}";
    private static final String RG = SUB + "/resourcegroups/*/providers/";
    private static final String COMPUTE = RG + "microsoft.compute/";
    private static final String NETWORK = RG + "microsoft.network/";
    private static final String SCALE_SET = COMPUTE + "virtualMachineScaleSets/*";
    private static final String MARKETPLACE = SUB + "/providers/microsoft.compute/locations/*/publishers";

    static final List<String> SHAPES = shapes();

    private ServedPaths() {
    }

    private static List<String> shapes() {
        List<String> shapes = new ArrayList<>(List.of(
                "{tenant}/oauth2/v2.0/token",
                "metadata/endpoints",
                "adfs/.well-known/openid-configuration",
                "subscriptions", SUB, SUB + "/locations",
                SUB + "/providers", SUB + "/providers/*", SUB + "/providers/*/register",
                SUB + "/resourcegroups", SUB + "/resourcegroups/*",
                SUB + "/operationresults/*",
                SUB + "/providers/*/locations/*/operations/*",
                SUB + "/providers/*/locations/*/operationresults/*",
                RG + "microsoft.resources/deployments", RG + "microsoft.resources/deployments/*",
                RG + "microsoft.resources/deployments/*/validate", RG + "microsoft.resources/deployments/*/operations",
                RG + "microsoft.resources/deployments/*/operations/*",
                SUB + "/resourcegroups/*/deployments", SUB + "/resourcegroups/*/deployments/*",
                NETWORK + "virtualNetworks/*/subnets", NETWORK + "virtualNetworks/*/subnets/*",
                NETWORK + "networkSecurityGroups/*/securityRules", NETWORK + "networkSecurityGroups/*/securityRules/*",
                SUB + "/providers/microsoft.compute/galleries",
                SUB + "/providers/microsoft.compute/locations/*/capsoperations/*",
                SUB + "/providers/microsoft.compute/locations/*/communitygalleries/*/images/*/versions/*",
                SUB + "/providers/microsoft.compute/locations/*/sharedgalleries/*/images/*/versions/*",
                COMPUTE + "galleries/*/images", COMPUTE + "galleries/*/images/*",
                COMPUTE + "galleries/*/images/*/versions", COMPUTE + "galleries/*/images/*/versions/*",
                SUB + "/providers/microsoft.compute/virtualMachineScaleSets",
                COMPUTE + "virtualMachineScaleSets", SCALE_SET, SCALE_SET + "/networkInterfaces",
                SCALE_SET + "/rollingUpgrades/latest", SCALE_SET + "/rollingUpgrades/cancel",
                SCALE_SET + "/virtualMachines", SCALE_SET + "/virtualMachines/*",
                SCALE_SET + "/virtualMachines/*/instanceView", SCALE_SET + "/virtualMachines/*/networkInterfaces",
                SCALE_SET + "/virtualMachines/*/networkInterfaces/*",
                MARKETPLACE, MARKETPLACE + "/*/artifacttypes/vmimage/offers",
                MARKETPLACE + "/*/artifacttypes/vmimage/offers/*/skus",
                MARKETPLACE + "/*/artifacttypes/vmimage/offers/*/skus/*/versions",
                MARKETPLACE + "/*/artifacttypes/vmimage/offers/*/skus/*/versions/*"));
        for (String type : List.of("virtualMachines", "disks", "images", "diskEncryptionSets")) {
            shapes.addAll(List.of(SUB + "/providers/microsoft.compute/" + type, COMPUTE + type,
                    COMPUTE + type + "/*"));
        }
        for (String action : List.of("instanceView", "extensions", "generalize", "powerOff", "deallocate", "start",
                "restart")) {
            shapes.add(COMPUTE + "virtualMachines/*/" + action);
        }
        for (String action : List.of("instanceView", "powerOff", "deallocate", "start", "restart", "delete",
                "manualupgrade", "osRollingUpgrade")) {
            shapes.add(SCALE_SET + "/" + action);
        }
        for (String action : List.of("powerOff", "deallocate", "start", "restart")) {
            shapes.add(SCALE_SET + "/virtualMachines/*/" + action);
        }
        for (String type : List.of("networkSecurityGroups", "virtualNetworks", "publicIPAddresses",
                "networkInterfaces", "loadBalancers")) {
            shapes.addAll(List.of(SUB + "/providers/microsoft.network/" + type, NETWORK + type,
                    NETWORK + type + "/*"));
        }
        for (String child : List.of("frontendIPConfigurations", "backendAddressPools", "loadBalancingRules", "probes",
                "inboundNatRules", "inboundNatPools", "outboundRules")) {
            shapes.addAll(List.of(NETWORK + "loadBalancers/*/" + child, NETWORK + "loadBalancers/*/" + child + "/*"));
        }
        // Sign-in for older clients (Azure AD v1) and managed identities (IMDS), outside Resource Manager.
        shapes.addAll(List.of("{tenant}/oauth2/token", "metadata/identity/oauth2/token"));
        // Commands in VMs: run command, extensions and their catalogues.
        shapes.addAll(List.of(COMPUTE + "virtualMachines/*/extensions/*", COMPUTE + "virtualMachines/*/runCommand",
                SCALE_SET + "/virtualMachines/*/runCommand", MARKETPLACE + "/*/artifacttypes/vmextension/types",
                MARKETPLACE + "/*/artifacttypes/vmextension/types/*/versions",
                MARKETPLACE + "/*/artifacttypes/vmextension/types/*/versions/*",
                SUB + "/providers/microsoft.compute/locations/*/runcommands",
                SUB + "/providers/microsoft.compute/locations/*/runcommands/*"));
        shapes.addAll(List.of(SUB + "/providers/microsoft.compute/snapshots", COMPUTE + "snapshots",
                COMPUTE + "snapshots/*"));
        shapes.addAll(List.of(SUB + "/resources", SUB + "/resourcegroups/*/resources"));
        shapes.add(COMPUTE + "virtualMachines/*/retrieveBootDiagnosticsData");
        shapes.add(RG + "microsoft.resources/deployments/*/whatIf");
        return List.copyOf(shapes);
    }

    private static final String SAMPLE_ID = "00000000-0000-0000-0000-000000000000";
    /** What a glob segment may be to fit an ID: hex digits, '-' and wildcards. */
    private static final Pattern ID_SEGMENT = Pattern.compile("[0-9a-fA-F*?-]+");

    /** A sample path of each shape, names and IDs filled in, for checking that a route serves it. */
    public static List<String> samples(String tenant, String subscription) {
        return SHAPES.stream().map(s -> sample(s, tenant, subscription)).toList();
    }

    private static String sample(String shape, String tenant, String subscription) {
        return "/" + shape.replace("{tenant}", tenant).replace("{subscription}", subscription).replace("*", "x1");
    }

    /** Whether some request the emulator answers can match this fault (its method aside). */
    public static boolean reachable(FaultSpec fault) {
        if (fault.glob() == null) {
            // A resource type or action: it must be one the emulator serves somewhere.
            return fault.type().equals("*") || SHAPES.stream().map(s -> sample(s, SAMPLE_ID, SAMPLE_ID))
                    .anyMatch(path -> fault.matches(null, ArmPath.parse(path), path));
        }
        return SHAPES.stream().anyMatch(shape -> fits(segments(fault.target()), 0, shape.split("/"), 0));
    }

    /** The glob as segments; one without a leading '/' matches the end of a path, as if it began with '**'. */
    private static List<String> segments(String glob) {
        List<String> parts = new ArrayList<>();
        if (!glob.startsWith("/")) {
            parts.add("**");
        }
        for (String part : glob.split("/")) {
            if (!part.isEmpty()) {
                parts.add(part);
            }
        }
        return parts;
    }

    /**
     * Whether some path of the shape fits the glob: a {@code *} of the shape is any name, so any glob segment
     * fits it; an ID fits a glob segment of hex digits, '-' and wildcards; a literal must match the glob segment; a glob segment holding {@code **} spans any segments.
     */
    private static boolean fits(List<String> glob, int g, String[] shape, int s) {
        if (g == glob.size()) {
            return s == shape.length;
        }
        String part = glob.get(g);
        if (part.contains("**")) {
            for (int next = s; next <= shape.length; next++) {
                if (fits(glob, g + 1, shape, next)) {
                    return true;
                }
            }
            return false;
        }
        if (s == shape.length) {
            return false;
        }
        boolean segmentFits = shape[s].equals("*")
                || (shape[s].startsWith("{") ? ID_SEGMENT.matcher(part).matches()
                : segmentPattern(part).matcher(shape[s]).matches());
        return segmentFits && fits(glob, g + 1, shape, s + 1);
    }

    private static Pattern segmentPattern(String part) {
        StringBuilder regex = new StringBuilder();
        for (char c : part.toCharArray()) {
            regex.append(c == '*' ? "[^/]*" : c == '?' ? "[^/]" : Pattern.quote(String.valueOf(c)));
        }
        return Pattern.compile(regex.toString(), Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    }
}
