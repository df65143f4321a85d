package dev.imagebake.emulator.network;

import dev.imagebake.emulator.arm.ArmException;
import dev.imagebake.emulator.state.State;

import static dev.imagebake.emulator.arm.ProviderSupport.map;
import static dev.imagebake.emulator.arm.ProviderSupport.maps;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code Microsoft.Network/loadBalancers}: what a PUT stores (child resources with their ids, defaults, references
 * checked), what a GET shows on top of it (the back-references Azure fills in, and the inbound NAT rules Azure derives
 * from a NAT pool for each scale set instance that uses it), and who may not be deleted while a load balancer uses
 * it. Scale sets join a pool through their model's {@code ipConfigurations[].properties.loadBalancerBackendAddressPools}
 * and {@code loadBalancerInboundNatPools}; the instances' own copy of that model decides.
 */
final class LoadBalancers {
    static final String TYPE = "loadBalancers";
    static final String FRONTENDS = "frontendIPConfigurations";
    static final String POOLS = "backendAddressPools";
    static final String NAT_POOLS = "inboundNatPools";
    static final String NAT_RULES = "inboundNatRules";
    static final String PROBES = "probes";
    static final String RULES = "loadBalancingRules";
    static final String OUTBOUND = "outboundRules";
    /** The child collections, in the order Azure lists them; each is also a path segment under the balancer. */
    static final List<String> CHILDREN = List.of(FRONTENDS, POOLS, RULES, PROBES, NAT_RULES, NAT_POOLS, OUTBOUND);

    private static final String SCALE_SETS = "Microsoft.Compute/virtualMachineScaleSets";
    /** The read-only lists a GET adds to children, per collection. */
    private static final Map<String, List<String>> BACK_REFERENCES = Map.of(
            FRONTENDS, List.of(RULES, NAT_RULES, NAT_POOLS, OUTBOUND),
            POOLS, List.of("backendIPConfigurations", RULES, OUTBOUND),
            PROBES, List.of(RULES));

    private LoadBalancers() {
    }

    /** One NAT rule derived from a pool: frontend port → an instance's IP configuration and backend port. */
    record NatMapping(String frontendId, int frontendPort, String instanceId, String ipConfigurationId,
                      int backendPort) {
    }

    /** Fills the balancer's {@code properties} from the request: child ids, defaults, references checked. */
    static Map<String, Object> build(State state, String id, Map<String, Object> body, Map<String, Object> properties,
                                     Function<String, Map<String, Object>> childFactory) throws ArmException {
        String sku = map(body.get("sku")).get("name") instanceof String s ? s : "Basic";
        sku = sku.equalsIgnoreCase("Standard") ? "Standard" : sku.equalsIgnoreCase("Gateway") ? "Gateway" : "Basic";
        List<String> names = new ArrayList<>();
        for (String collection : CHILDREN) {
            for (Map<String, Object> child : maps(properties.get(collection))) {
                names.add((id + "/" + collection + "/" + child.get("name")).toLowerCase(Locale.ROOT));
            }
        }
        List<String> natPools = maps(properties.get(NAT_POOLS)).stream()
                .map(pool -> String.valueOf(pool.get("name")).toLowerCase(Locale.ROOT)).toList();
        for (String collection : CHILDREN) {
            List<Object> built = new ArrayList<>();
            for (Map<String, Object> child : maps(properties.get(collection))) {
                if (!(child.get("name") instanceof String name) || name.isBlank()) {
                    throw ArmException.badRequest("InvalidRequestFormat", "Cannot parse the request: every entry of "
                            + collection + " of load balancer " + id + " needs a name.");
                }
                if (collection.equals(NAT_RULES) && name.matches(".+\\.\\d+")
                        && natPools.contains(name.substring(0, name.lastIndexOf('.')).toLowerCase(Locale.ROOT))) {
                    continue; // a rule derived from a NAT pool, sent back from a GET: it stays derived
                }
                Map<String, Object> p = map(child.get("properties"));
                p.remove("provisioningState");
                if (BACK_REFERENCES.containsKey(collection)) {
                    BACK_REFERENCES.get(collection).forEach(p::remove); // filled in by GET, never stored
                }
                String childId = id + "/" + collection + "/" + name;
                for (String reference : List.of("frontendIPConfiguration", "backendAddressPool", "probe")) {
                    if (map(p.get(reference)).get("id") instanceof String target) {
                        if (!names.contains(target.toLowerCase(Locale.ROOT))) {
                            throw invalidReference(target, childId);
                        }
                        p.put(reference, new LinkedHashMap<>(Map.of("id", canonical(id, target))));
                    }
                }
                switch (collection) {
                    case FRONTENDS -> frontend(state, id, childId, p);
                    case RULES -> {
                        requireAll(childId, p, "protocol", "frontendPort", "backendPort", "frontendIPConfiguration");
                        p.putIfAbsent("enableFloatingIP", false);
                        p.putIfAbsent("idleTimeoutInMinutes", 4);
                        p.putIfAbsent("enableTcpReset", false);
                        p.putIfAbsent("loadDistribution", "Default");
                        p.putIfAbsent("disableOutboundSnat", false);
                    }
                    case PROBES -> {
                        requireAll(childId, p, "protocol", "port");
                        p.putIfAbsent("intervalInSeconds", 15);
                        p.putIfAbsent("numberOfProbes", 2);
                    }
                    case NAT_RULES -> {
                        requireAll(childId, p, "protocol", "frontendPort", "backendPort", "frontendIPConfiguration");
                        natDefaults(p);
                    }
                    case NAT_POOLS -> {
                        requireAll(childId, p, "protocol", "frontendPortRangeStart", "frontendPortRangeEnd",
                                "backendPort", "frontendIPConfiguration");
                        if (((Number) p.get("frontendPortRangeStart")).intValue()
                                > ((Number) p.get("frontendPortRangeEnd")).intValue()) {
                            throw ArmException.badRequest("InvalidRequestFormat", "Inbound NAT pool " + childId
                                    + " has frontendPortRangeStart " + p.get("frontendPortRangeStart")
                                    + " after frontendPortRangeEnd " + p.get("frontendPortRangeEnd") + ".");
                        }
                        natDefaults(p);
                    }
                    default -> {
                    }
                }
                Map<String, Object> made = childFactory.apply(collection + "/" + name);
                made.put("properties", p);
                built.add(made);
            }
            properties.put(collection, built);
        }
        Map<String, Object> skuJson = new LinkedHashMap<>();
        skuJson.put("name", sku);
        skuJson.put("tier", "Regional");
        return skuJson;
    }

    private static void frontend(State state, String lbId, String childId, Map<String, Object> p)
            throws ArmException {
        if (map(p.get("publicIPAddress")).get("id") instanceof String pipId) {
            Map<String, Object> pip = state.resource(pipId);
            if (pip == null) {
                throw invalidReference(pipId, lbId);
            }
            String user = NetworkProvider.publicIpUser(state, pipId, lbId);
            if (user != null) {
                throw ArmException.badRequest("PublicIPAddressInUse", "Public IP address " + pip.get("id")
                        + " is already allocated to resource " + user + ".");
            }
            p.put("publicIPAddress", new LinkedHashMap<>(Map.of("id", pip.get("id"))));
            p.remove("subnet");
            p.remove("privateIPAddress");
        } else if (map(p.get("subnet")).get("id") instanceof String subnetId) {
            Map<String, Object> subnet = NetworkProvider.findSubnet(state, subnetId);
            if (subnet == null) {
                throw invalidReference(subnetId, lbId);
            }
            p.put("subnet", new LinkedHashMap<>(Map.of("id", subnet.get("id"))));
            String allocation = p.get("privateIPAllocationMethod") instanceof String a ? a : "Dynamic";
            p.put("privateIPAllocationMethod", allocation);
            if (!allocation.equalsIgnoreCase("Static") || !(p.get("privateIPAddress") instanceof String)) {
                // Addresses NICs hold are skipped; balancers' frontends are few, one per subnet here.
                p.put("privateIPAddress", NetworkProvider.freeAddress(state, subnet, lbId, List.of()));
            }
            p.putIfAbsent("privateIPAddressVersion", "IPv4");
        } else {
            throw ArmException.badRequest("InvalidRequestFormat", "Frontend IP configuration " + childId
                    + " needs either properties.publicIPAddress or properties.subnet.");
        }
        p.putIfAbsent("privateIPAllocationMethod", "Dynamic");
    }

    private static void natDefaults(Map<String, Object> p) {
        p.putIfAbsent("enableFloatingIP", false);
        p.putIfAbsent("idleTimeoutInMinutes", 4);
        p.putIfAbsent("enableTcpReset", false);
    }

    private static void requireAll(String childId, Map<String, Object> p, String... fields) throws ArmException {
        for (String field : fields) {
            if (p.get(field) == null) {
                throw ArmException.badRequest("InvalidRequestFormat", "Cannot parse the request: " + childId
                        + " has no value for the required property '" + field + "'.");
            }
        }
    }

    /** A reference to one of the balancer's own children, spelled with the balancer's id as stored. */
    private static String canonical(String lbId, String target) {
        return lbId + target.substring(lbId.length());
    }

    static ArmException invalidReference(String id, String referrer) {
        return ArmException.badRequest("InvalidResourceReference", "Resource " + id + " referenced by resource "
                + referrer + " was not found. Please make sure that the referenced resource exists, and that both "
                + "resources are in the same region.");
    }

    // ---- who uses what ----

    static List<Map<String, Object>> all(State state) {
        return state.allResources().stream()
                .filter(d -> String.valueOf(d.get("type")).equalsIgnoreCase(NetworkProvider.NAMESPACE + "/" + TYPE))
                .toList();
    }

    /** The frontend IP configuration (of a balancer other than {@code exceptLbId}) that uses the public IP. */
    static String publicIpUser(State state, String pipId, String exceptLbId) {
        for (Map<String, Object> lb : all(state)) {
            if (String.valueOf(lb.get("id")).equalsIgnoreCase(exceptLbId)) {
                continue;
            }
            for (Map<String, Object> frontend : maps(map(lb.get("properties")).get(FRONTENDS))) {
                if (pipId.equalsIgnoreCase(String.valueOf(map(map(frontend.get("properties"))
                        .get("publicIPAddress")).get("id")))) {
                    return String.valueOf(frontend.get("id"));
                }
            }
        }
        return null;
    }

    /** A scale set instance's IP configuration that names one of the balancer's children in {@code field}. */
    private record Member(Map<String, Object> scaleSet, Map<String, Object> instance, String ipConfigurationId,
                          List<String> references) {
    }

    private static List<Member> members(State state, String field) {
        List<Member> members = new ArrayList<>();
        for (Map<String, Object> scaleSet : state.allResources()) {
            if (!String.valueOf(scaleSet.get("type")).equalsIgnoreCase(SCALE_SETS)) {
                continue;
            }
            for (Map<String, Object> instance : state.children((String) scaleSet.get("id"), "virtualMachines")) {
                for (Map<String, Object> nic : maps(map(map(instance.get("properties"))
                        .get("networkProfileConfiguration")).get("networkInterfaceConfigurations"))) {
                    for (Map<String, Object> ip : maps(map(nic.get("properties")).get("ipConfigurations"))) {
                        List<String> references = maps(map(ip.get("properties")).get(field)).stream()
                                .map(r -> String.valueOf(r.get("id"))).toList();
                        if (!references.isEmpty()) {
                            members.add(new Member(scaleSet, instance, instance.get("id") + "/networkInterfaces/"
                                    + nic.get("name") + "/ipConfigurations/" + ip.get("name"), references));
                        }
                    }
                }
            }
        }
        return members;
    }

    /** The scale sets whose model names one of the balancer's pools or NAT pools: they keep it from being deleted. */
    static Map<String, List<String>> scaleSetUsers(State state, String lbId) {
        String prefix = lbId.toLowerCase(Locale.ROOT) + "/";
        Map<String, List<String>> users = new LinkedHashMap<>();
        for (Map<String, Object> scaleSet : state.allResources()) {
            if (!String.valueOf(scaleSet.get("type")).equalsIgnoreCase(SCALE_SETS)) {
                continue;
            }
            Map<String, Object> profile = map(map(map(scaleSet.get("properties")).get("virtualMachineProfile"))
                    .get("networkProfile"));
            for (Map<String, Object> nic : maps(profile.get("networkInterfaceConfigurations"))) {
                for (Map<String, Object> ip : maps(map(nic.get("properties")).get("ipConfigurations"))) {
                    for (String field : List.of("loadBalancerBackendAddressPools", "loadBalancerInboundNatPools")) {
                        for (Map<String, Object> reference : maps(map(ip.get("properties")).get(field))) {
                            String target = String.valueOf(reference.get("id"));
                            if (target.toLowerCase(Locale.ROOT).startsWith(prefix)) {
                                List<String> children = users.computeIfAbsent((String) scaleSet.get("id"),
                                        k -> new ArrayList<>());
                                String child = target.substring(target.lastIndexOf('/') + 1);
                                if (!children.contains(child)) {
                                    children.add(child);
                                }
                            }
                        }
                    }
                }
            }
        }
        return users;
    }

    static void checkDeletable(State state, String lbId) throws ArmException {
        Map<String, List<String>> users = scaleSetUsers(state, lbId);
        if (!users.isEmpty()) {
            Map.Entry<String, List<String>> first = users.entrySet().iterator().next();
            throw ArmException.badRequest("LoadBalancerInUseByVirtualMachineScaleSet", "Cannot delete load balancer "
                    + lbId + " since its child resources " + String.join(", ", first.getValue())
                    + " are in use by virtual machine scale set " + first.getKey() + ".");
        }
    }

    /**
     * The NAT rules Azure derives from the balancer's NAT pools: one per scale set instance whose IP configuration
     * names the pool, frontend port {@code frontendPortRangeStart + instanceId} (within the range), in instance
     * order.
     */
    static List<NatMapping> natMappings(State state, Map<String, Object> lb) {
        List<NatMapping> mappings = new ArrayList<>();
        List<Member> members = members(state, "loadBalancerInboundNatPools");
        for (Map<String, Object> pool : maps(map(lb.get("properties")).get(NAT_POOLS))) {
            Map<String, Object> p = map(pool.get("properties"));
            int start = ((Number) p.get("frontendPortRangeStart")).intValue();
            int end = ((Number) p.get("frontendPortRangeEnd")).intValue();
            for (Member member : members) {
                if (member.references().stream().noneMatch(r -> r.equalsIgnoreCase(String.valueOf(pool.get("id"))))) {
                    continue;
                }
                int instanceId = Integer.parseInt(String.valueOf(member.instance().get("instanceId")));
                if (start + instanceId <= end) {
                    mappings.add(new NatMapping(String.valueOf(map(p.get("frontendIPConfiguration")).get("id")),
                            start + instanceId, String.valueOf(member.instance().get("id")),
                            member.ipConfigurationId(), ((Number) p.get("backendPort")).intValue()));
                }
            }
        }
        return mappings;
    }

    /** Adds what a GET shows beyond the stored document: back-references and the NAT rules derived from pools. */
    static void view(State state, Map<String, Object> json) {
        Map<String, Object> properties = map(json.get("properties"));
        String lbId = String.valueOf(json.get("id"));
        // Rules derived from NAT pools, named "{pool}.{instanceId}" as Azure names them.
        List<Object> natRules = new ArrayList<>(maps(properties.get(NAT_RULES)));
        for (Map<String, Object> pool : maps(properties.get(NAT_POOLS))) {
            Map<String, Object> poolProperties = map(pool.get("properties"));
            for (NatMapping mapping : natMappings(state, Map.of("properties", Map.of(NAT_POOLS, List.of(pool))))) {
                String instanceId = mapping.instanceId().substring(mapping.instanceId().lastIndexOf('/') + 1);
                Map<String, Object> p = new LinkedHashMap<>();
                p.put("provisioningState", poolProperties.get("provisioningState"));
                p.put("frontendIPConfiguration", new LinkedHashMap<>(Map.of("id", mapping.frontendId())));
                p.put("backendIPConfiguration", new LinkedHashMap<>(Map.of("id", mapping.ipConfigurationId())));
                p.put("protocol", poolProperties.get("protocol"));
                p.put("frontendPort", mapping.frontendPort());
                p.put("backendPort", mapping.backendPort());
                p.put("idleTimeoutInMinutes", poolProperties.get("idleTimeoutInMinutes"));
                p.put("enableFloatingIP", poolProperties.get("enableFloatingIP"));
                p.put("enableTcpReset", poolProperties.get("enableTcpReset"));
                String name = pool.get("name") + "." + instanceId;
                Map<String, Object> rule = new LinkedHashMap<>();
                rule.put("name", name);
                rule.put("id", lbId + "/" + NAT_RULES + "/" + name);
                rule.put("etag", pool.get("etag"));
                rule.put("type", NetworkProvider.NAMESPACE + "/" + TYPE + "/" + NAT_RULES);
                rule.put("properties", p);
                natRules.add(rule);
            }
        }
        properties.put(NAT_RULES, natRules);
        // Back-references: who points at each frontend, pool and probe.
        for (Map<String, Object> target : maps(properties.get(FRONTENDS))) {
            backReferences(properties, target, "frontendIPConfiguration", RULES, NAT_RULES, NAT_POOLS, OUTBOUND);
        }
        for (Map<String, Object> target : maps(properties.get(POOLS))) {
            backReferences(properties, target, "backendAddressPool", RULES, OUTBOUND);
            List<Object> members = new ArrayList<>();
            for (Member member : members(state, "loadBalancerBackendAddressPools")) {
                if (member.references().stream().anyMatch(r -> r.equalsIgnoreCase(String.valueOf(target.get("id"))))) {
                    members.add(new LinkedHashMap<>(Map.of("id", member.ipConfigurationId())));
                }
            }
            if (!members.isEmpty()) {
                map(target.get("properties")).put("backendIPConfigurations", members);
            }
        }
        for (Map<String, Object> target : maps(properties.get(PROBES))) {
            backReferences(properties, target, "probe", RULES);
        }
    }

    private static void backReferences(Map<String, Object> properties, Map<String, Object> target, String field,
                                       String... collections) {
        for (String collection : collections) {
            List<Object> users = new ArrayList<>();
            for (Map<String, Object> user : maps(properties.get(collection))) {
                if (String.valueOf(target.get("id")).equalsIgnoreCase(String.valueOf(map(map(user.get("properties"))
                        .get(field)).get("id")))) {
                    users.add(new LinkedHashMap<>(Map.of("id", user.get("id"))));
                }
            }
            if (!users.isEmpty()) {
                map(target.get("properties")).put(collection, users);
            }
        }
    }
}
