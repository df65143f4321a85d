package dev.imagebake.emulator.arm;

import dev.imagebake.emulator.http.Response;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /subscriptions/{id}/providers[/{namespace}]} and {@code POST .../{namespace}/register}: the resource
 * provider registrations, always {@code Registered}, with the resource types the emulator serves and the API
 * versions clients look up there (the Azure CLI picks template {@code apiVersion}s from this list).
 */
public final class ResourceProvidersProvider implements ResourceProvider {
    /** namespace -> resource type -> API versions, newest first. */
    private static final Map<String, Map<String, List<String>>> NAMESPACES = Map.of(
            "Microsoft.Network", Map.of(
                    "virtualNetworks", List.of("2022-07-01", "2022-01-01", "2018-11-01"),
                    "networkSecurityGroups", List.of("2022-07-01", "2022-01-01", "2018-11-01"),
                    "publicIPAddresses", List.of("2022-07-01", "2022-01-01", "2018-11-01"),
                    "networkInterfaces", List.of("2022-07-01", "2022-01-01", "2018-11-01"),
                    "loadBalancers", List.of("2022-07-01", "2022-01-01", "2018-11-01")),
            "Microsoft.Compute", Map.of(
                    "virtualMachines", List.of("2022-11-01", "2022-08-01", "2020-06-01"),
                    "virtualMachineScaleSets", List.of("2022-11-01", "2022-08-01", "2020-06-01"),
                    "disks", List.of("2022-07-02", "2019-07-01"),
                    "snapshots", List.of("2022-07-02", "2019-07-01"),
                    "images", List.of("2022-11-01", "2022-08-01", "2020-06-01"),
                    "galleries", List.of("2022-03-03", "2021-10-01", "2019-12-01")),
            "Microsoft.Resources", Map.of(
                    "deployments", List.of("2022-09-01", "2021-04-01", "2019-10-01"),
                    "resourceGroups", List.of("2022-09-01", "2021-04-01", "2019-10-01")));

    @Override
    public boolean accepts(ArmPath path) {
        return path.matches("subscriptions/*/providers") || path.matches("subscriptions/*/providers/*")
                || path.matches("subscriptions/*/providers/*/register");
    }

    @Override
    public Response handle(ArmRequest request) throws ArmException {
        ArmPath path = request.path();
        String subscriptionId = path.segment(1);
        if (path.size() == 3) {
            ProviderSupport.requireMethod(request, "GET");
            List<Object> value = new ArrayList<>();
            NAMESPACES.keySet().stream().sorted().forEach(n -> value.add(describe(subscriptionId, n)));
            return Response.json(200, Map.of("value", value));
        }
        ProviderSupport.requireMethod(request, path.size() == 5 ? "POST" : "GET");
        String namespace = NAMESPACES.keySet().stream().filter(n -> n.equalsIgnoreCase(path.segment(3)))
                .findFirst().orElseThrow(() -> ArmException.notFound("InvalidResourceNamespace",
                        "The resource namespace '" + path.segment(3) + "' is invalid."));
        return Response.json(200, describe(subscriptionId, namespace));
    }

    private static Map<String, Object> describe(String subscriptionId, String namespace) {
        List<Object> types = new ArrayList<>();
        NAMESPACES.get(namespace).entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(type -> {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("resourceType", type.getKey());
            json.put("locations", List.of("West Europe", "North Europe", "East US"));
            json.put("apiVersions", type.getValue());
            types.add(json);
        });
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", "/subscriptions/" + subscriptionId + "/providers/" + namespace);
        json.put("namespace", namespace);
        json.put("registrationState", "Registered");
        json.put("registrationPolicy", "RegistrationRequired");
        json.put("resourceTypes", types);
        return json;
    }
}
