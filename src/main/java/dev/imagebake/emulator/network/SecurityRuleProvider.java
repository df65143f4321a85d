package dev.imagebake.emulator.network;

import dev.imagebake.emulator.arm.ArmException;
import dev.imagebake.emulator.arm.ArmPath;
import dev.imagebake.emulator.arm.ArmRequest;
import dev.imagebake.emulator.arm.Operations;
import dev.imagebake.emulator.arm.ResourceProvider;
import dev.imagebake.emulator.http.Response;
import dev.imagebake.emulator.state.StateStore;

import static dev.imagebake.emulator.arm.ProviderSupport.*;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A network security group's rules as child resources, {@code .../networkSecurityGroups/{nsg}/securityRules[/{rule}]}
 * (what {@code az network nsg rule create} uses). The rules stay inline in the NSG document, so the NSG's own GET
 * and PUT see them; a rule PUT or DELETE re-validates the whole rule set as an NSG PUT would, and answers as the
 * same asynchronous operation on the NSG.
 */
public final class SecurityRuleProvider implements ResourceProvider {
    private static final String BASE = "subscriptions/*/resourcegroups/*/providers/microsoft.network/"
            + "networksecuritygroups/*/securityrules";

    private final StateStore store;
    private final Operations operations;

    public SecurityRuleProvider(StateStore store, Operations operations) {
        this.store = store;
        this.operations = operations;
    }

    @Override
    public boolean accepts(ArmPath path) {
        return path.matches(BASE) || path.matches(BASE + "/*");
    }

    @Override
    public Response handle(ArmRequest request) throws ArmException {
        ArmPath path = request.path();
        String nsgName = path.segment(7);
        String nsgPath = "/subscriptions/" + path.segment(1) + "/resourceGroups/" + path.segment(3)
                + "/providers/" + NetworkProvider.NAMESPACE + "/" + NetworkProvider.NSG + "/" + nsgName;
        if (path.size() == 9) {
            requireMethod(request, "GET");
            return Response.json(200, Map.of("value", rules(nsgPath, nsgName, path.segment(3))));
        }
        String ruleName = path.segment(9);
        return switch (request.method()) {
            case "GET" -> Response.json(200, rules(nsgPath, nsgName, path.segment(3)).stream()
                    .filter(r -> ruleName.equalsIgnoreCase(String.valueOf(r.get("name")))).findFirst()
                    .orElseThrow(() -> ArmException.notFound("NotFound", "Resource " + nsgPath + "/securityRules/"
                            + ruleName + " not found.")));
            case "PUT" -> change(request, nsgPath, ruleName, map(request.jsonBody().get("properties")));
            case "DELETE" -> change(request, nsgPath, ruleName, null);
            default -> throw methodNotAllowed(request);
        };
    }

    private List<Map<String, Object>> rules(String nsgPath, String nsgName, String group) throws ArmException {
        List<Map<String, Object>> rules = store.read(state -> {
            Map<String, Object> nsg = state.resource(nsgPath);
            return nsg == null ? null : maps(deepCopy(map(nsg.get("properties")).get("securityRules")));
        });
        if (rules == null) {
            throw resourceNotFound(NetworkProvider.NAMESPACE + "/" + NetworkProvider.NSG, nsgName, group);
        }
        return rules;
    }

    /** Adds or replaces ({@code properties} given) or removes ({@code null}) one rule. */
    private Response change(ArmRequest request, String nsgPath, String ruleName, Map<String, Object> properties)
            throws ArmException {
        Object outcome = store.write(state -> {
            Map<String, Object> nsg = state.resource(nsgPath);
            if (nsg == null) {
                return properties == null ? Response.empty(204) : resourceNotFound(NetworkProvider.NAMESPACE + "/"
                        + NetworkProvider.NSG, nsgPath.substring(nsgPath.lastIndexOf('/') + 1), null);
            }
            Map<String, Object> nsgProperties = map(nsg.get("properties"));
            List<Object> rules = new ArrayList<>();
            Map<String, Object> previous = null;
            for (Map<String, Object> rule : maps(deepCopy(nsgProperties.get("securityRules")))) {
                if (String.valueOf(rule.get("name")).equalsIgnoreCase(ruleName)) {
                    previous = rule;
                } else {
                    rules.add(rule);
                }
            }
            if (properties == null && previous == null) {
                return Response.empty(204);
            }
            if (properties != null) {
                rules.add(new LinkedHashMap<>(Map.of("name", previous == null ? ruleName : previous.get("name"),
                        "properties", deepCopy(properties))));
            }
            Map<String, Object> candidate = new LinkedHashMap<>(nsgProperties);
            candidate.put("securityRules", rules);
            try {
                NetworkProvider.buildNsg((String) nsg.get("id"), candidate);
            } catch (ArmException e) {
                return e;
            }
            nsgProperties.put("securityRules", candidate.get("securityRules"));
            String transitional = properties == null ? "Updating" : previous == null ? "Creating" : "Updating";
            nsgProperties.put("provisioningState", "Updating");
            Map<String, Object> reply = null;
            for (Map<String, Object> rule : maps(nsgProperties.get("securityRules"))) {
                map(rule.get("properties")).put("provisioningState", "Updating");
                if (String.valueOf(rule.get("name")).equalsIgnoreCase(ruleName)) {
                    map(rule.get("properties")).put("provisioningState", transitional);
                    reply = map(deepCopy(rule));
                }
            }
            String operationId = operations.start(state, NetworkProvider.PUT_KIND, (String) nsg.get("id"));
            String location = (String) nsg.get("location");
            return properties == null
                    ? operations.asyncAccepted(request, 202, null, NetworkProvider.NAMESPACE, location, operationId,
                    true)
                    : operations.asyncAccepted(request, previous == null ? 201 : 200, Objects.requireNonNull(reply),
                    NetworkProvider.NAMESPACE, location, operationId, false);
        });
        return answer(outcome);
    }
}
