package dev.imagebake.emulator.network;

import dev.imagebake.emulator.arm.ProviderSupport;
import dev.imagebake.emulator.arm.ArmException;
import dev.imagebake.emulator.arm.ArmPath;
import dev.imagebake.emulator.arm.ArmRequest;
import dev.imagebake.emulator.arm.Operations;
import dev.imagebake.emulator.arm.ResourceProvider;
import dev.imagebake.emulator.http.Response;
import dev.imagebake.emulator.state.State;
import dev.imagebake.emulator.state.StateStore;

import static dev.imagebake.emulator.arm.ProviderSupport.*;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code Microsoft.Network} under a resource group: networkSecurityGroups (securityRules inline), virtualNetworks
 * (subnets inline, and {@code .../subnets/{name}}), publicIPAddresses and networkInterfaces. PUT and DELETE answer
 * as Azure's asynchronous operations (201/200 or 202 with {@code Azure-AsyncOperation}); DELETE refuses what is
 * still referenced, with Azure's error codes.
 */
public final class NetworkProvider implements ResourceProvider {
    static final String NAMESPACE = "Microsoft.Network";
    static final String PUT_KIND = "network.put";
    private static final String DELETE_KIND = "network.delete";

    static final String NSG = "networkSecurityGroups";
    static final String VNET = "virtualNetworks";
    static final String PIP = "publicIPAddresses";
    static final String NIC = "networkInterfaces";
    static final String LB = LoadBalancers.TYPE;
    private static final List<String> TYPES = List.of(NSG, VNET, PIP, NIC, LB);

    private final StateStore store;
    private final Operations operations;

    public NetworkProvider(StateStore store, Operations operations) {
        this.store = store;
        this.operations = operations;
        operations.register(PUT_KIND, (state, target) -> succeeded(state, target));
        operations.register(DELETE_KIND, NetworkProvider::remove);
    }

    @Override
    public boolean accepts(ArmPath path) {
        if (path.size() == 5 && path.matches("subscriptions/*/providers/microsoft.network/*")) {
            return canonicalType(path.segment(4)) != null;
        }
        if (path.size() < 7 || path.size() > 10 || !path.matches(pattern(path.size()))) {
            return false;
        }
        String type = canonicalType(path.segment(6));
        if (type == null) {
            return false;
        }
        return path.size() <= 8 || (type.equals(VNET) && path.segment(8).equalsIgnoreCase("subnets"))
                || (type.equals(LB) && LoadBalancers.CHILDREN.stream().anyMatch(c -> c.equalsIgnoreCase(path.segment(8))));
    }

    private static String pattern(int size) {
        return "subscriptions/*/resourcegroups/*/providers/microsoft.network" + "/*".repeat(size - 6);
    }

    private static String canonicalType(String segment) {
        return TYPES.stream().filter(t -> t.equalsIgnoreCase(segment)).findFirst().orElse(null);
    }

    @Override
    public Response handle(ArmRequest request) throws ArmException {
        ArmPath path = request.path();
        if (path.size() == 5) {
            // The SDK's list() without a resource group: every resource of the type in the subscription.
            requireMethod(request, "GET");
            String listed = NAMESPACE + "/" + canonicalType(path.segment(4));
            String prefix = ("/subscriptions/" + path.segment(1) + "/resourceGroups/").toLowerCase(Locale.ROOT);
            return Response.json(200, Map.of("value", store.read(state -> state.allResources().stream()
                    .filter(d -> listed.equalsIgnoreCase(String.valueOf(d.get("type"))))
                    .filter(d -> String.valueOf(d.get("id")).toLowerCase(Locale.ROOT).startsWith(prefix))
                    .map(d -> view(state, d)).toList())));
        }
        String type = canonicalType(path.segment(6));
        String groupName = ProviderSupport.existingGroupName(store, path);
        String parentId = "/subscriptions/" + path.segment(1) + "/resourceGroups/" + groupName + "/providers/"
                + NAMESPACE;
        if (path.size() == 7) {
            requireMethod(request, "GET");
            return Response.json(200, Map.of("value", store.read(state -> state.children(parentId, type).stream()
                    .map(d -> view(state, d)).toList())));
        }
        String name = path.segment(7);
        String id = parentId + "/" + type + "/" + name;
        if (path.size() >= 9 && type.equals(LB)) {
            return loadBalancerChildren(request, id, path);
        }
        if (path.size() >= 9) {
            return subnets(request, id, path.size() == 10 ? path.segment(9) : null);
        }
        return switch (request.method()) {
            case "GET" -> {
                Map<String, Object> document = store.read(state -> viewOrNull(state, id));
                if (document == null) {
                    throw notFound(type, name, groupName);
                }
                yield Response.json(200, document);
            }
            case "PUT" -> put(request, type, id, name, request.jsonBody());
            case "DELETE" -> delete(request, id);
            default -> throw methodNotAllowed(request);
        };
    }

    // ---- PUT ----

    private Response put(ArmRequest request, String type, String id, String name, Map<String, Object> body)
            throws ArmException {
        if (!name.matches("[\\w][-\\w.]{0,78}[\\w]|\\w")) {
            throw ArmException.badRequest("InvalidResourceName", "Resource name " + name + " is invalid. The name can"
                    + " be up to 80 characters long. It must begin with a word character, and it must end with a word"
                    + " character or with '_'. The name may contain word characters or '.', '-', '_'.");
        }
        if (!(body.get("location") instanceof String rawLocation) || rawLocation.isBlank()) {
            throw ArmException.badRequest("LocationRequired", "The location property is required for this definition.");
        }
        String location = rawLocation.replace(" ", "").toLowerCase(Locale.ROOT);
        Object outcome = store.write(state -> {
            Map<String, Object> existing = state.resource(id);
            try {
                if (existing != null) {
                    if (!location.equals(existing.get("location"))) {
                        throw new ArmException(409, "InvalidResourceLocation", "The resource '" + name
                                + "' already exists in location '" + existing.get("location")
                                + "' in resource group. A resource with the same name cannot be created in location '"
                                + location + "'. Please select a new resource name.");
                    }
                    if ("Deleting".equals(provisioningState(existing))) {
                        throw ArmException.conflict("AnotherOperationInProgress", "Another operation on this or"
                                + " dependent resource is in progress. To retrieve status of the operation use uri: "
                                + id + ".");
                    }
                }
                Map<String, Object> document = build(state, type, id, existing == null ? name
                        : (String) existing.get("name"), location, body, existing);
                String transitional = existing == null ? "Creating" : "Updating";
                setProvisioningState(document, transitional);
                state.putResource(id, document);
                String operationId = operations.start(state, PUT_KIND, id);
                return operations.asyncAccepted(request, existing == null ? 201 : 200, view(state, document),
                        NAMESPACE, location, operationId, false);
            } catch (ArmException e) {
                return e;
            }
        });
        return answer(outcome);
    }

    private Map<String, Object> build(State state, String type, String id, String name, String location,
                                      Map<String, Object> body, Map<String, Object> existing) throws ArmException {
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("name", name);
        document.put("id", id);
        document.put("etag", etag());
        document.put("type", NAMESPACE + "/" + type);
        document.put("location", location);
        if (body.get("tags") instanceof Map<?, ?> tags) {
            document.put("tags", new LinkedHashMap<>(tags));
        }
        Map<String, Object> properties = map(deepCopy(body.get("properties")));
        Map<String, Object> previous = existing == null ? Map.of() : map(existing.get("properties"));
        properties.remove("provisioningState");
        properties.put("resourceGuid", previous.getOrDefault("resourceGuid", UUID.randomUUID().toString()));
        switch (type) {
            case NSG -> buildNsg(id, properties);
            case VNET -> buildVnet(state, id, properties, existing);
            case PIP -> {
                document.put("sku", buildPip(body, properties, previous));
                // Azure names a labelled address {label}.{region}.cloudapp.azure.com.
                if (properties.get("dnsSettings") instanceof Map<?, ?> dns
                        && dns.get("domainNameLabel") instanceof String label && !label.isEmpty()) {
                    Map<String, Object> settings = new LinkedHashMap<>(map(dns));
                    settings.put("fqdn", label + "." + location.toLowerCase(Locale.ROOT).replace(" ", "")
                            + ".cloudapp.azure.com");
                    properties.put("dnsSettings", settings);
                }
            }
            case NIC -> buildNic(state, id, location, properties);
            case LB -> document.put("sku", LoadBalancers.build(state, id, body, properties,
                    childPath -> child(id, childPath.substring(0, childPath.indexOf('/')),
                            childPath.substring(childPath.indexOf('/') + 1), new LinkedHashMap<>())));
            default -> throw new IllegalStateException(type);
        }
        document.put("properties", properties);
        return document;
    }

    static void buildNsg(String id, Map<String, Object> properties) throws ArmException {
        List<Object> rules = new ArrayList<>();
        for (Map<String, Object> rule : maps(properties.get("securityRules"))) {
            Map<String, Object> p = map(rule.get("properties"));
            String ruleName = String.valueOf(rule.get("name"));
            for (String required : List.of("protocol", "access", "direction", "priority")) {
                if (p.get(required) == null) {
                    throw ArmException.badRequest("SecurityRuleParameterMissing", "Security rule " + ruleName
                            + " has no value for the required parameter '" + required + "'.");
                }
            }
            if (!(p.get("priority") instanceof Number priority) || priority.intValue() < 100
                    || priority.intValue() > 4096) {
                throw ArmException.badRequest("SecurityRuleInvalidPriority", "Security rule " + ruleName
                        + " has invalid Priority. Value provided: " + p.get("priority")
                        + " Allowed range 100-4096.");
            }
            rules.add(child(id, "securityRules", ruleName, p));
        }
        properties.put("securityRules", rules);
        properties.put("defaultSecurityRules", defaultRules(id));
    }

    private static List<Object> defaultRules(String id) {
        List<Object> rules = new ArrayList<>();
        Object[][] table = {
                {"AllowVnetInBound", "Allow inbound traffic from all VMs in VNET", "VirtualNetwork", "VirtualNetwork",
                        "Allow", 65000, "Inbound"},
                {"AllowAzureLoadBalancerInBound", "Allow inbound traffic from azure load balancer",
                        "AzureLoadBalancer", "*", "Allow", 65001, "Inbound"},
                {"DenyAllInBound", "Deny all inbound traffic", "*", "*", "Deny", 65500, "Inbound"},
                {"AllowVnetOutBound", "Allow outbound traffic from all VMs to all VMs in VNET", "VirtualNetwork",
                        "VirtualNetwork", "Allow", 65000, "Outbound"},
                {"AllowInternetOutBound", "Allow outbound traffic from all VMs to Internet", "*", "Internet",
                        "Allow", 65001, "Outbound"},
                {"DenyAllOutBound", "Deny all outbound traffic", "*", "*", "Deny", 65500, "Outbound"}};
        for (Object[] row : table) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("description", row[1]);
            p.put("protocol", "*");
            p.put("sourcePortRange", "*");
            p.put("destinationPortRange", "*");
            p.put("sourceAddressPrefix", row[2]);
            p.put("destinationAddressPrefix", row[3]);
            p.put("access", row[4]);
            p.put("priority", row[5]);
            p.put("direction", row[6]);
            Map<String, Object> rule = child(id, "defaultSecurityRules", (String) row[0], p);
            map(rule.get("properties")).put("provisioningState", "Succeeded");
            rules.add(rule);
        }
        return rules;
    }

    private static void buildVnet(State state, String id, Map<String, Object> properties,
                                  Map<String, Object> existing) throws ArmException {
        Object prefixes = map(properties.get("addressSpace")).get("addressPrefixes");
        if (!(prefixes instanceof List<?> list) || list.isEmpty()) {
            throw ArmException.badRequest("InvalidRequestFormat", "Cannot parse the request: the virtual network "
                    + id + " needs properties.addressSpace.addressPrefixes.");
        }
        List<Object> subnets = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Map<String, Object> subnet : maps(properties.get("subnets"))) {
            String subnetName = String.valueOf(subnet.get("name"));
            Map<String, Object> p = map(subnet.get("properties"));
            if (!(p.get("addressPrefix") instanceof String) && !(p.get("addressPrefixes") instanceof List<?>)) {
                throw ArmException.badRequest("InvalidRequestFormat", "Subnet " + subnetName
                        + " needs properties.addressPrefix.");
            }
            requireReference(state, id, p.get("networkSecurityGroup"));
            p.putIfAbsent("privateEndpointNetworkPolicies", "Disabled");
            p.putIfAbsent("privateLinkServiceNetworkPolicies", "Enabled");
            subnets.add(child(id, "subnets", subnetName, p));
            names.add(subnetName.toLowerCase(Locale.ROOT));
        }
        if (existing != null) {
            for (Map<String, Object> old : maps(map(existing.get("properties")).get("subnets"))) {
                if (!names.contains(String.valueOf(old.get("name")).toLowerCase(Locale.ROOT))) {
                    checkSubnetUnused(state, (String) old.get("id"), (String) old.get("name"));
                }
            }
        }
        properties.put("subnets", subnets);
        properties.putIfAbsent("virtualNetworkPeerings", List.of());
        properties.putIfAbsent("enableDdosProtection", false);
    }

    private static Map<String, Object> buildPip(Map<String, Object> body, Map<String, Object> properties,
                                                Map<String, Object> previous) {
        String sku = map(body.get("sku")).get("name") instanceof String s ? s : "Standard";
        sku = sku.equalsIgnoreCase("Basic") ? "Basic" : "Standard";
        // Standard public IPs are always static; Basic ones default to dynamic.
        String allocation = sku.equals("Standard") ? "Static"
                : properties.get("publicIPAllocationMethod") instanceof String a ? a : "Dynamic";
        properties.put("publicIPAllocationMethod", allocation);
        properties.putIfAbsent("publicIPAddressVersion", "IPv4");
        properties.putIfAbsent("idleTimeoutInMinutes", 4);
        if (allocation.equalsIgnoreCase("Static")) {
            properties.put("ipAddress", previous.get("ipAddress") instanceof String ip ? ip : "20."
                    + ThreadLocalRandom.current().nextInt(1, 255) + "." + ThreadLocalRandom.current().nextInt(0, 256)
                    + "." + ThreadLocalRandom.current().nextInt(1, 255));
        } else if (previous.get("ipAddress") instanceof String ip) {
            properties.put("ipAddress", ip); // a dynamic address in use stays through an update
        } else {
            properties.remove("ipAddress");
        }
        properties.remove("ipConfiguration");
        return new LinkedHashMap<>(Map.of("name", sku, "tier", "Regional"));
    }

    private static void buildNic(State state, String id, String location, Map<String, Object> properties)
            throws ArmException {
        List<Map<String, Object>> configs = maps(properties.get("ipConfigurations"));
        if (configs.isEmpty()) {
            throw ArmException.badRequest("NetworkInterfaceMustHaveAtLeastOneIpConfiguration", "Network interface "
                    + id + " must have one or more IP configurations.");
        }
        requireReference(state, id, properties.get("networkSecurityGroup"));
        // A dynamic address stays while the NIC exists (a redeployed template must not move the VM's address).
        Map<String, Map<String, Object>> before = new LinkedHashMap<>();
        Map<String, Object> existing = state.resource(id);
        if (existing != null) {
            for (Map<String, Object> old : maps(map(existing.get("properties")).get("ipConfigurations"))) {
                before.put(String.valueOf(old.get("name")).toLowerCase(Locale.ROOT), map(old.get("properties")));
            }
        }
        List<String> taken = new ArrayList<>();
        List<Object> built = new ArrayList<>();
        boolean first = true;
        for (Map<String, Object> config : configs) {
            String configName = String.valueOf(config.get("name"));
            Map<String, Object> p = map(config.get("properties"));
            for (String key : IP_CONFIGURATION_KEYS) {
                canonicalKey(p, key);
            }
            String subnetId = map(p.get("subnet")).get("id") instanceof String s ? s : null;
            if (subnetId == null) {
                throw ArmException.badRequest("SubnetIsRequired", "Subnet is required for the IP configuration "
                        + id + "/ipConfigurations/" + configName + ".");
            }
            Map<String, Object> subnet = findSubnet(state, subnetId);
            if (subnet == null) {
                throw invalidReference(subnetId, id);
            }
            p.put("subnet", new LinkedHashMap<>(Map.of("id", subnet.get("id"))));
            if (map(p.get("publicIPAddress")).get("id") instanceof String pipId) {
                Map<String, Object> pip = state.resource(pipId);
                if (pip == null) {
                    throw invalidReference(pipId, id);
                }
                String user = publicIpUser(state, pipId, id);
                if (user != null) {
                    throw ArmException.badRequest("PublicIPAddressInUse", "Public IP address " + pip.get("id")
                            + " is already allocated to resource " + user + ".");
                }
                p.put("publicIPAddress", new LinkedHashMap<>(Map.of("id", pip.get("id"))));
            }
            String allocation = p.get("privateIPAllocationMethod") instanceof String a ? a : "Dynamic";
            p.put("privateIPAllocationMethod", allocation);
            Map<String, Object> was = before.getOrDefault(configName.toLowerCase(Locale.ROOT), Map.of());
            boolean sameSubnet = String.valueOf(map(was.get("subnet")).get("id"))
                    .equalsIgnoreCase(String.valueOf(subnet.get("id")));
            if (!allocation.equalsIgnoreCase("Static") && sameSubnet
                    && was.get("privateIPAddress") instanceof String kept && !taken.contains(kept)) {
                p.put("privateIPAddress", kept);
            } else if (!allocation.equalsIgnoreCase("Static") || !(p.get("privateIPAddress") instanceof String)) {
                p.put("privateIPAddress", freeAddress(state, subnet, id, taken));
            }
            taken.add((String) p.get("privateIPAddress"));
            p.putIfAbsent("privateIPAddressVersion", "IPv4");
            p.put("primary", p.get("primary") instanceof Boolean b ? b : first);
            first = false;
            built.add(child(id, "ipConfigurations", configName, p));
        }
        properties.put("ipConfigurations", built);
        properties.putIfAbsent("enableAcceleratedNetworking", false);
        properties.putIfAbsent("enableIPForwarding", false);
        properties.putIfAbsent("dnsSettings", new LinkedHashMap<>(Map.of("dnsServers", List.of(),
                "appliedDnsServers", List.of())));
        properties.putIfAbsent("nicType", "Standard");
        properties.remove("virtualMachine");
        Map<String, Object> previous = state.resource(id);
        if (previous != null && map(previous.get("properties")).get("virtualMachine") != null) {
            properties.put("virtualMachine", map(previous.get("properties")).get("virtualMachine"));
        }
    }

    /** IP configuration fields that templates spell in other cases ({@code publicIpAddress}); ARM ignores case. */
    private static final List<String> IP_CONFIGURATION_KEYS = List.of("subnet", "publicIPAddress",
            "privateIPAddress", "privateIPAllocationMethod", "privateIPAddressVersion", "primary");

    /** Renames a key spelt in another case to {@code key}, as ARM reads property names without regard to case. */
    private static void canonicalKey(Map<String, Object> properties, String key) {
        if (properties.containsKey(key)) {
            return;
        }
        for (String present : List.copyOf(properties.keySet())) {
            if (present.equalsIgnoreCase(key)) {
                properties.put(key, properties.remove(present));
                return;
            }
        }
    }

    /** The next address from the subnet's range (from .4, as Azure reserves the first four), not used by a NIC. */
    static String freeAddress(State state, Map<String, Object> subnet, String nicId, List<String> taken) {
        Map<String, Object> p = map(subnet.get("properties"));
        String prefix = p.get("addressPrefix") instanceof String s ? s
                : p.get("addressPrefixes") instanceof List<?> l && !l.isEmpty() ? String.valueOf(l.get(0)) : "10.0.0.0/24";
        String[] parts = prefix.split("/");
        long base = 0;
        for (String octet : parts[0].split("\\.")) {
            base = base * 256 + Long.parseLong(octet);
        }
        List<String> used = new ArrayList<>(taken);
        for (Map<String, Object> nic : nics(state)) {
            if (!String.valueOf(nic.get("id")).equalsIgnoreCase(nicId)) {
                for (Map<String, Object> config : maps(map(nic.get("properties")).get("ipConfigurations"))) {
                    if (map(config.get("properties")).get("privateIPAddress") instanceof String ip) {
                        used.add(ip);
                    }
                }
            }
        }
        for (long candidate = base + 4; ; candidate++) {
            String ip = (candidate >> 24 & 255) + "." + (candidate >> 16 & 255) + "." + (candidate >> 8 & 255) + "."
                    + (candidate & 255);
            if (!used.contains(ip)) {
                return ip;
            }
        }
    }

    // ---- DELETE ----

    private Response delete(ArmRequest request, String id) throws ArmException {
        Object outcome = store.write(state -> {
            Map<String, Object> document = state.resource(id);
            if (document == null) {
                return Response.empty(204);
            }
            try {
                checkDeletable(state, document);
            } catch (ArmException e) {
                return e;
            }
            setProvisioningState(document, "Deleting");
            String operationId = operations.start(state, DELETE_KIND, id);
            return operations.asyncAccepted(request, 202, null, NAMESPACE, (String) document.get("location"),
                    operationId, true);
        });
        return answer(outcome);
    }

    private static void checkDeletable(State state, Map<String, Object> document) throws ArmException {
        String id = (String) document.get("id");
        String type = String.valueOf(document.get("type"));
        if (type.equalsIgnoreCase(NAMESPACE + "/" + LB)) {
            LoadBalancers.checkDeletable(state, id);
        } else if (type.equalsIgnoreCase(NAMESPACE + "/" + PIP)) {
            String user = publicIpUser(state, id, null);
            if (user != null) {
                throw ArmException.badRequest("PublicIPAddressInUse", "Public IP address " + id + " can not be "
                        + "deleted since it is still allocated to resource " + user + ". In order to delete the "
                        + "public IP, disassociate/detach the Public IP address from the resource.  To learn how to"
                        + " do this, see aka.ms/deletepublicip.");
            }
        } else if (type.equalsIgnoreCase(NAMESPACE + "/" + NSG)) {
            List<String> users = nsgUsers(state, id);
            if (!users.isEmpty()) {
                throw ArmException.badRequest("InUseNetworkSecurityGroupCannotBeDeleted", "Network security group "
                        + id + " cannot be deleted because it is in use by the following resources: "
                        + String.join(", ", users) + ". In order to delete the Network security group, remove the "
                        + "association with the resource(s). To learn how to do this, see aka.ms/deletensg.");
            }
        } else if (type.equalsIgnoreCase(NAMESPACE + "/" + VNET)) {
            for (Map<String, Object> subnet : maps(map(document.get("properties")).get("subnets"))) {
                checkSubnetUnused(state, (String) subnet.get("id"), (String) subnet.get("name"));
            }
        } else if (type.equalsIgnoreCase(NAMESPACE + "/" + NIC)) {
            if (map(map(document.get("properties")).get("virtualMachine")).get("id") instanceof String vm) {
                throw ArmException.badRequest("NicInUse", "Network Interface " + id + " is used by existing "
                        + "resource " + vm + ". In order to delete the network interface, it must be dissociated "
                        + "from the resource. To learn more, see aka.ms/deletenic.");
            }
        }
    }

    private static void checkSubnetUnused(State state, String subnetId, String subnetName) throws ArmException {
        List<String> users = subnetUsers(state, subnetId);
        if (!users.isEmpty()) {
            throw ArmException.badRequest("InUseSubnetCannotBeDeleted", "Subnet " + subnetName + " is in use by "
                    + String.join(", ", users) + " and cannot be deleted. In order to delete the subnet, delete all"
                    + " the resources within the subnet. See aka.ms/deletesubnet.");
        }
    }

    private static void remove(State state, String target) {
        int subnets = target.toLowerCase(Locale.ROOT).lastIndexOf("/subnets/");
        if (subnets < 0) {
            state.removeTree(target);
            return;
        }
        Map<String, Object> vnet = state.resource(target.substring(0, subnets));
        if (vnet != null) {
            map(vnet.get("properties")).put("subnets", new ArrayList<>(maps(map(vnet.get("properties"))
                    .get("subnets")).stream().filter(s -> !String.valueOf(s.get("id")).equalsIgnoreCase(target))
                    .toList()));
        }
    }

    private static void succeeded(State state, String target) {
        int subnets = target.toLowerCase(Locale.ROOT).lastIndexOf("/subnets/");
        Map<String, Object> document = state.resource(subnets < 0 ? target : target.substring(0, subnets));
        if (document != null) {
            setProvisioningState(document, "Succeeded");
        }
    }

    // ---- a load balancer's child resources (read only: GET one, or list a collection) ----

    private Response loadBalancerChildren(ArmRequest request, String lbId, ArmPath path) throws ArmException {
        requireMethod(request, "GET");
        String collection = LoadBalancers.CHILDREN.stream().filter(c -> c.equalsIgnoreCase(path.segment(8)))
                .findFirst().orElseThrow();
        Map<String, Object> lb = store.read(state -> viewOrNull(state, lbId));
        if (lb == null) {
            throw notFound(LB, path.segment(7), path.segment(3));
        }
        List<Map<String, Object>> children = maps(map(lb.get("properties")).get(collection));
        if (path.size() == 9) {
            return Response.json(200, Map.of("value", children));
        }
        return Response.json(200, children.stream()
                .filter(c -> String.valueOf(c.get("name")).equalsIgnoreCase(path.segment(9))).findFirst()
                .orElseThrow(() -> ArmException.notFound("NotFound", "Resource " + lbId + "/" + collection + "/"
                        + path.segment(9) + " not found.")));
    }

    // ---- subnets as child resources ----

    private Response subnets(ArmRequest request, String vnetId, String subnetName) throws ArmException {
        if (subnetName == null) {
            requireMethod(request, "GET");
            Map<String, Object> vnet = store.read(state -> viewOrNull(state, vnetId));
            if (vnet == null) {
                throw notFound(VNET, vnetId.substring(vnetId.lastIndexOf('/') + 1), null);
            }
            return Response.json(200, Map.of("value", map(vnet.get("properties")).get("subnets")));
        }
        String subnetId = vnetId + "/subnets/" + subnetName;
        return switch (request.method()) {
            case "GET" -> {
                Map<String, Object> subnet = store.read(state -> {
                    Map<String, Object> vnet = viewOrNull(state, vnetId);
                    return vnet == null ? null : maps(map(vnet.get("properties")).get("subnets")).stream()
                            .filter(s -> String.valueOf(s.get("name")).equalsIgnoreCase(subnetName))
                            .findFirst().orElse(null);
                });
                if (subnet == null) {
                    throw ArmException.notFound("NotFound", "Resource " + subnetId + " not found.");
                }
                yield Response.json(200, subnet);
            }
            case "PUT" -> putSubnet(request, vnetId, subnetName, request.jsonBody());
            case "DELETE" -> {
                Object outcome = store.write(state -> {
                    Map<String, Object> vnet = state.resource(vnetId);
                    Map<String, Object> subnet = vnet == null ? null : findSubnet(state, subnetId);
                    if (subnet == null) {
                        return Response.empty(204);
                    }
                    try {
                        checkSubnetUnused(state, (String) subnet.get("id"), (String) subnet.get("name"));
                    } catch (ArmException e) {
                        return e;
                    }
                    setProvisioningState(subnet, "Deleting");
                    String operationId = operations.start(state, DELETE_KIND, (String) subnet.get("id"));
                    return operations.asyncAccepted(request, 202, null, NAMESPACE, (String) vnet.get("location"),
                            operationId, true);
                });
                yield answer(outcome);
            }
            default -> throw methodNotAllowed(request);
        };
    }

    private Response putSubnet(ArmRequest request, String vnetId, String subnetName, Map<String, Object> body)
            throws ArmException {
        Object outcome = store.write(state -> {
            Map<String, Object> vnet = state.resource(vnetId);
            if (vnet == null) {
                return notFound(VNET, vnetId.substring(vnetId.lastIndexOf('/') + 1), null);
            }
            Map<String, Object> vnetProperties = map(vnet.get("properties"));
            List<Object> subnets = new ArrayList<>();
            Map<String, Object> replaced = null;
            for (Map<String, Object> subnet : maps(vnetProperties.get("subnets"))) {
                if (String.valueOf(subnet.get("name")).equalsIgnoreCase(subnetName)) {
                    replaced = subnet;
                } else {
                    subnets.add(subnet);
                }
            }
            Map<String, Object> p = map(deepCopy(body.get("properties")));
            p.remove("provisioningState");
            try {
                if (!(p.get("addressPrefix") instanceof String) && !(p.get("addressPrefixes") instanceof List<?>)) {
                    throw ArmException.badRequest("InvalidRequestFormat", "Subnet " + subnetName
                            + " needs properties.addressPrefix.");
                }
                requireReference(state, vnetId, p.get("networkSecurityGroup"));
            } catch (ArmException e) {
                return e;
            }
            p.putIfAbsent("privateEndpointNetworkPolicies", "Disabled");
            p.putIfAbsent("privateLinkServiceNetworkPolicies", "Enabled");
            Map<String, Object> subnet = child(vnetId, "subnets",
                    replaced == null ? subnetName : (String) replaced.get("name"), p);
            map(subnet.get("properties")).put("provisioningState", replaced == null ? "Creating" : "Updating");
            subnets.add(subnet);
            vnetProperties.put("subnets", subnets);
            String operationId = operations.start(state, PUT_KIND, (String) subnet.get("id"));
            Map<String, Object> view = viewOrNull(state, vnetId);
            Object reply = maps(map(view.get("properties")).get("subnets")).stream()
                    .filter(s -> String.valueOf(s.get("name")).equalsIgnoreCase(subnetName)).findFirst().orElse(subnet);
            return operations.asyncAccepted(request, replaced == null ? 201 : 200, reply, NAMESPACE,
                    (String) vnet.get("location"), operationId, false);
        });
        return answer(outcome);
    }

    // ---- references ----

    private static List<Map<String, Object>> nics(State state) {
        return state.allResources().stream()
                .filter(d -> String.valueOf(d.get("type")).equalsIgnoreCase(NAMESPACE + "/" + NIC)).toList();
    }

    private static List<Map<String, Object>> ipConfigurations(State state) {
        List<Map<String, Object>> configs = new ArrayList<>();
        for (Map<String, Object> nic : nics(state)) {
            configs.addAll(maps(map(nic.get("properties")).get("ipConfigurations")));
        }
        return configs;
    }

    /** The NIC IP configuration or load balancer frontend using the IP, other than those of {@code exceptNicId}. */
    static String publicIpUser(State state, String pipId, String exceptNicId) {
        for (Map<String, Object> config : ipConfigurations(state)) {
            String configId = String.valueOf(config.get("id"));
            if (exceptNicId != null && configId.toLowerCase(Locale.ROOT)
                    .startsWith(exceptNicId.toLowerCase(Locale.ROOT) + "/")) {
                continue;
            }
            if (pipId.equalsIgnoreCase(String.valueOf(map(map(config.get("properties")).get("publicIPAddress"))
                    .get("id")))) {
                return configId;
            }
        }
        return LoadBalancers.publicIpUser(state, pipId, exceptNicId);
    }

    private static List<String> subnetUsers(State state, String subnetId) {
        List<String> users = new ArrayList<>();
        for (Map<String, Object> config : ipConfigurations(state)) {
            if (subnetId.equalsIgnoreCase(String.valueOf(map(map(config.get("properties")).get("subnet"))
                    .get("id")))) {
                users.add(String.valueOf(config.get("id")));
            }
        }
        return users;
    }

    private static List<String> nsgUsers(State state, String nsgId) {
        List<String> users = new ArrayList<>();
        for (Map<String, Object> document : state.allResources()) {
            String type = String.valueOf(document.get("type"));
            Map<String, Object> properties = map(document.get("properties"));
            if (type.equalsIgnoreCase(NAMESPACE + "/" + NIC)
                    && nsgId.equalsIgnoreCase(String.valueOf(map(properties.get("networkSecurityGroup")).get("id")))) {
                users.add(String.valueOf(document.get("id")));
            } else if (type.equalsIgnoreCase(NAMESPACE + "/" + VNET)) {
                for (Map<String, Object> subnet : maps(properties.get("subnets"))) {
                    if (nsgId.equalsIgnoreCase(String.valueOf(map(map(subnet.get("properties"))
                            .get("networkSecurityGroup")).get("id")))) {
                        users.add(String.valueOf(subnet.get("id")));
                    }
                }
            }
        }
        return users;
    }

    static Map<String, Object> findSubnet(State state, String subnetId) {
        int at = subnetId.toLowerCase(Locale.ROOT).lastIndexOf("/subnets/");
        if (at < 0) {
            return null;
        }
        Map<String, Object> vnet = state.resource(subnetId.substring(0, at));
        if (vnet == null) {
            return null;
        }
        return maps(map(vnet.get("properties")).get("subnets")).stream()
                .filter(s -> String.valueOf(s.get("id")).equalsIgnoreCase(subnetId)).findFirst().orElse(null);
    }

    private static void requireReference(State state, String referrer, Object reference) throws ArmException {
        if (map(reference).get("id") instanceof String id && state.resource(id) == null) {
            throw invalidReference(id, referrer);
        }
    }

    private static ArmException invalidReference(String id, String referrer) {
        return ArmException.badRequest("InvalidResourceReference", "Resource " + id + " referenced by resource "
                + referrer + " was not found. Please make sure that the referenced resource exists, and that both "
                + "resources are in the same region.");
    }

    // ---- views ----

    private static Map<String, Object> viewOrNull(State state, String id) {
        Map<String, Object> document = state.resource(id);
        return document == null ? null : view(state, document);
    }

    /** A deep copy for the reply, with the back-references Azure reports (who uses this IP, subnet, NSG). */
    private static Map<String, Object> view(State state, Map<String, Object> document) {
        Map<String, Object> json = map(deepCopy(document));
        String id = String.valueOf(json.get("id"));
        String type = String.valueOf(json.get("type"));
        Map<String, Object> properties = map(json.get("properties"));
        if (type.equalsIgnoreCase(NAMESPACE + "/" + PIP)) {
            String user = publicIpUser(state, id, null);
            if (user != null) {
                properties.put("ipConfiguration", new LinkedHashMap<>(Map.of("id", user)));
            }
        } else if (type.equalsIgnoreCase(NAMESPACE + "/" + VNET)) {
            for (Map<String, Object> subnet : maps(properties.get("subnets"))) {
                List<Object> users = subnetUsers(state, String.valueOf(subnet.get("id"))).stream()
                        .map(u -> (Object) new LinkedHashMap<>(Map.of("id", u))).toList();
                if (!users.isEmpty()) {
                    map(subnet.get("properties")).put("ipConfigurations", new ArrayList<>(users));
                }
            }
        } else if (type.equalsIgnoreCase(NAMESPACE + "/" + LB)) {
            LoadBalancers.view(state, json);
        } else if (type.equalsIgnoreCase(NAMESPACE + "/" + NSG)) {
            List<Object> nicUsers = new ArrayList<>();
            List<Object> subnetUsers = new ArrayList<>();
            for (String user : nsgUsers(state, id)) {
                (user.toLowerCase(Locale.ROOT).contains("/subnets/") ? subnetUsers : nicUsers)
                        .add(new LinkedHashMap<>(Map.of("id", user)));
            }
            if (!nicUsers.isEmpty()) {
                properties.put("networkInterfaces", nicUsers);
            }
            if (!subnetUsers.isEmpty()) {
                properties.put("subnets", subnetUsers);
            }
        }
        return json;
    }

    // ---- helpers ----

    private static Map<String, Object> child(String parentId, String segment, String name, Map<String, Object> p) {
        Map<String, Object> child = new LinkedHashMap<>();
        child.put("name", name);
        child.put("id", parentId + "/" + segment + "/" + name);
        child.put("etag", etag());
        String parentType = parentId.substring(parentId.indexOf("/providers/") + "/providers/".length());
        parentType = parentType.substring(0, parentType.lastIndexOf('/'));
        child.put("type", parentType + "/" + segment);
        p.remove("provisioningState");
        child.put("properties", p);
        return child;
    }

    private static String provisioningState(Map<String, Object> document) {
        return String.valueOf(map(document.get("properties")).get("provisioningState"));
    }

    /** Sets the state on the resource and its inline children (rules, subnets, IP configurations). */
    private static void setProvisioningState(Map<String, Object> document, String value) {
        Map<String, Object> properties = map(document.get("properties"));
        properties.put("provisioningState", value);
        List<String> collections = new ArrayList<>(List.of("securityRules", "subnets", "ipConfigurations"));
        collections.addAll(LoadBalancers.CHILDREN);
        for (String children : collections) {
            for (Map<String, Object> child : maps(properties.get(children))) {
                if (child.get("properties") instanceof Map<?, ?>) {
                    map(child.get("properties")).put("provisioningState", value);
                }
            }
        }
        document.put("etag", etag());
    }

    private static String etag() {
        return "W/\"" + UUID.randomUUID() + "\"";
    }

    private static ArmException notFound(String type, String name, String group) {
        return resourceNotFound(NAMESPACE + "/" + type, name, group);
    }
}
