package dev.imagebake.emulator.compute;

import dev.imagebake.emulator.arm.ProviderSupport;
import dev.imagebake.emulator.arm.ArmException;
import dev.imagebake.emulator.arm.ArmPath;
import dev.imagebake.emulator.arm.ResourceGroupProvider;
import dev.imagebake.emulator.arm.ArmRequest;
import dev.imagebake.emulator.arm.Operations;
import dev.imagebake.emulator.arm.ResourceProvider;
import dev.imagebake.emulator.http.Response;
import dev.imagebake.emulator.state.State;
import dev.imagebake.emulator.state.StateStore;
import dev.imagebake.emulator.vm.VmRuntime;
import dev.imagebake.util.AzureNames;

import static dev.imagebake.emulator.arm.ProviderSupport.*;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * {@code Microsoft.Compute/virtualMachineScaleSets} (Uniform orchestration): create from a marketplace image, a
 * managed image or a gallery image (version or definition = latest); change the model with PUT or PATCH; scale with
 * {@code sku.capacity}; the instances {@code .../virtualMachines[/{id}[/instanceView]]} with
 * {@code latestModelApplied}; the upgrade policies: Automatic (every instance follows the model), Manual
 * ({@code POST .../manualupgrade}) and Rolling (a model change starts a {@link RollingUpgrade}, watched at
 * {@code GET .../rollingUpgrades/latest}, cancelled with {@code POST .../rollingUpgrades/cancel}, started by hand
 * with {@code POST .../osRollingUpgrade}); power actions and instance deletion, for all instances or some.
 * PUT, PATCH, POST and DELETE answer as Azure's asynchronous operations. An instance's life goes through
 * {@link ScaleSetInstances}.
 *
 * <p>A batch of a rolling upgrade lasts the {@code Retry-After} the emulator sends (at least one second), so a
 * client polling at that pace sees every batch; {@code pauseTimeBetweenBatches} is honoured. The operation of
 * {@code osRollingUpgrade} succeeds once the roll has started, not when it ends.
 *
 * <p>A scale set in Flexible orchestration mode is kept as a model with no instances (capacity 0): its virtual
 * machines are not created. Not emulated: overprovisioning, zones, load balancers and health probes (a roll never
 * faults), extensions, reimage and the other per-instance actions (only the power actions, run command
 * ({@link RunCommands}) and DELETE of one instance), instance OS disks as {@code disks} resources.
 */
public final class ScaleSetProvider implements ResourceProvider, ResourceGroupProvider.Teardown {
    private static final String NAMESPACE = ComputeProvider.NAMESPACE;
    static final String SEGMENT = "virtualMachineScaleSets";
    static final String TYPE = NAMESPACE + "/" + SEGMENT;
    private static final String INTERNAL = ScaleSetInstances.INTERNAL;
    private static final String PUT_KIND = "scaleset.put";
    private static final String DELETE_KIND = "scaleset.delete";
    private static final String ACTION_KIND = "scaleset.action";
    /** Power actions by their path segment; the SDK sends {@code poweroff} in lower case for scale sets. */
    private static final List<String> POWER_ACTIONS = List.of("start", "powerOff", "deallocate", "restart");

    private final StateStore store;
    private final Operations operations;
    private final Clock clock;
    private final ScaleSetInstances instances;
    private final RunCommands runCommands;

    /** Documents only: nothing runs behind the instances. */
    public ScaleSetProvider(StateStore store, Operations operations) {
        this(store, operations, Clock.systemUTC(), ScaleSetInstances.Runtime.NONE);
    }

    /** @param runtime what runs behind the instances: the same runtime as behind the emulator's VMs */
    public ScaleSetProvider(StateStore store, Operations operations, VmRuntime runtime) {
        this(store, operations, Clock.systemUTC(), new ScaleSetMachines(runtime), runtime);
    }

    public ScaleSetProvider(StateStore store, Operations operations, Clock clock, ScaleSetInstances.Runtime runtime) {
        this(store, operations, clock, runtime, new dev.imagebake.emulator.vm.NoVmRuntime());
    }

    /** @param machines where instances' run commands run (the runtime behind {@code runtime}) */
    private ScaleSetProvider(StateStore store, Operations operations, Clock clock, ScaleSetInstances.Runtime runtime,
                             VmRuntime machines) {
        this.runCommands = new RunCommands(store, operations, new GuestCommands(machines));
        this.store = store;
        this.operations = operations;
        this.clock = clock;
        this.instances = new ScaleSetInstances(runtime);
        operations.register(PUT_KIND, this::putDone);
        operations.register(DELETE_KIND, this::deleteDone);
        operations.register(ACTION_KIND, this::actionDone);
    }

    @Override
    public boolean accepts(ArmPath path) {
        if (path.matches("subscriptions/*/providers/microsoft.compute/" + SEGMENT)) {
            return true;
        }
        return path.size() >= 7 && path.size() <= 12 && path.matches("subscriptions/*/resourcegroups/*/providers/"
                + "microsoft.compute/" + SEGMENT + "/*".repeat(path.size() - 7));
    }

    @Override
    public Response handle(ArmRequest request) throws ArmException {
        settleRolls();
        ArmPath path = request.path();
        if (path.size() == 5) {
            requireMethod(request, "GET");
            String prefix = ("/subscriptions/" + path.segment(1) + "/resourceGroups/").toLowerCase(Locale.ROOT);
            return Response.json(200, Map.of("value", store.read(state -> state.allResources().stream()
                    .filter(d -> TYPE.equalsIgnoreCase(String.valueOf(d.get("type"))))
                    .filter(d -> String.valueOf(d.get("id")).toLowerCase(Locale.ROOT).startsWith(prefix))
                    .map(ScaleSetProvider::view).toList())));
        }
        String groupName = ProviderSupport.existingGroupName(store, path);
        String parentId = "/subscriptions/" + path.segment(1) + "/resourceGroups/" + groupName + "/providers/"
                + NAMESPACE;
        if (path.size() == 7) {
            requireMethod(request, "GET");
            return Response.json(200, Map.of("value", store.read(state -> state.children(parentId, SEGMENT).stream()
                    .map(ScaleSetProvider::view).toList())));
        }
        String name = path.segment(7);
        String id = parentId + "/" + SEGMENT + "/" + name;
        Scope scope = new Scope(request, id, name, groupName);
        if (path.size() == 8) {
            return switch (request.method()) {
                case "GET" -> Response.json(200, read(scope, ScaleSetProvider::view));
                case "PUT" -> put(scope, request.jsonBody(), true);
                case "PATCH" -> put(scope, request.jsonBody(), false);
                case "DELETE" -> delete(scope);
                default -> throw methodNotAllowed(request);
            };
        }
        String segment = path.segment(8);
        if (segment.equalsIgnoreCase("virtualMachines")) {
            return instanceRequest(scope, path);
        }
        if (segment.equalsIgnoreCase("networkInterfaces") && path.size() == 9) {
            requireMethod(request, "GET");
            return Response.json(200, read(scope, (state, scaleSet) -> Map.of("value", ScaleSetInstances.of(state,
                    scope.id()).stream().flatMap(i -> ScaleSetNics.of(i).stream()).toList())));
        }
        if (segment.equalsIgnoreCase("rollingUpgrades") && path.size() == 10) {
            return rollingUpgrades(scope, path.segment(9));
        }
        if (path.size() != 9) {
            throw ArmException.badRequest("InvalidResourceType", "The emulator does not know '" + request.http().path()
                    + "'.");
        }
        if (segment.equalsIgnoreCase("instanceView")) {
            requireMethod(request, "GET");
            return Response.json(200, read(scope, ScaleSetViews::scaleSetInstanceView));
        }
        requireMethod(request, "POST");
        return action(scope, segment, request.jsonBody());
    }

    /** A request's scale set: where it is and how to name it in errors. */
    private record Scope(ArmRequest request, String id, String name, String groupName) {
        ArmException notFound() {
            return resourceNotFound(TYPE, name, groupName);
        }
    }

    private interface Reader {
        Map<String, Object> read(State state, Map<String, Object> scaleSet);
    }

    private Map<String, Object> read(Scope scope, Reader reader) throws ArmException {
        Map<String, Object> json = store.read(state -> {
            Map<String, Object> scaleSet = state.resource(scope.id());
            return scaleSet == null ? null : reader.read(state, scaleSet);
        });
        if (json == null) {
            throw scope.notFound();
        }
        return json;
    }

    private static Map<String, Object> view(State state, Map<String, Object> scaleSet) {
        return view(scaleSet);
    }

    private static Map<String, Object> view(Map<String, Object> scaleSet) {
        Map<String, Object> json = map(deepCopy(scaleSet));
        json.remove(INTERNAL);
        return json;
    }

    // ---- PUT and PATCH ----

    private Response put(Scope scope, Map<String, Object> body, boolean isPut) throws ArmException {
        ProviderSupport.requireComputeName(AzureNames.Kind.SCALE_SET, scope.name());
        Object outcome = store.write(state -> {
            try {
                Map<String, Object> existing = state.resource(scope.id());
                if (existing == null) {
                    if (!isPut) {
                        throw scope.notFound();
                    }
                    return create(scope, state, body);
                }
                return update(scope, state, existing, body);
            } catch (ArmException e) {
                return e;
            }
        });
        return answer(outcome);
    }

    private Response create(Scope scope, State state, Map<String, Object> body) throws ArmException {
        String location = location(body);
        Map<String, Object> properties = map(deepCopy(body.get("properties")));
        boolean flexible = flexible(properties);
        Map<String, Object> sku = map(deepCopy(body.get("sku")));
        if (!(sku.get("name") instanceof String) && !flexible) {
            throw ArmException.badRequest("InvalidParameter", "Required parameter 'sku.name' is missing (null).");
        }
        if (sku.get("name") instanceof String) {
            sku.putIfAbsent("tier", "Standard");
        }
        sku.put("capacity", capacity(sku.getOrDefault("capacity", 0)));
        properties.remove("provisioningState");
        properties.put("upgradePolicy", upgradePolicy(map(properties.get("upgradePolicy"))));
        Map<String, Object> profile = map(properties.get("virtualMachineProfile"));
        if (flexible) {
            checkFlexible(properties, sku);
        }
        if (!flexible || !profile.isEmpty()) {
            Map<String, Object> osProfile = map(profile.get("osProfile"));
            if (!(osProfile.get("adminUsername") instanceof String)) {
                throw ArmException.badRequest("InvalidParameter", "Required parameter 'osProfile' is missing"
                        + " (null).");
            }
            osProfile.remove("adminPassword");
            osProfile.putIfAbsent("computerNamePrefix", scope.name());
            profile.put("osProfile", osProfile);
            checkNetwork(state, scope.id(), profile);
            properties.put("virtualMachineProfile", profile);
        }
        properties.putIfAbsent("overprovision", false);
        properties.putIfAbsent("singlePlacementGroup", !flexible);
        properties.put("orchestrationMode", flexible ? "Flexible" : "Uniform");
        properties.put("uniqueId", UUID.randomUUID().toString());
        properties.put("timeCreated", Instant.now().toString());
        properties.put("provisioningState", "Creating");

        Map<String, Object> scaleSet = new LinkedHashMap<>();
        scaleSet.put("name", scope.name());
        scaleSet.put("id", scope.id());
        scaleSet.put("type", TYPE);
        scaleSet.put("location", location);
        if (body.get("tags") instanceof Map<?, ?> tags) {
            scaleSet.put("tags", new LinkedHashMap<>(tags));
        }
        scaleSet.put("sku", sku);
        scaleSet.put("properties", properties);
        Map<String, Object> internal = new LinkedHashMap<>();
        internal.put("modelVersion", 1);
        internal.put("nextInstanceId", 0);
        scaleSet.put(INTERNAL, internal);
        if (properties.containsKey("virtualMachineProfile")) {
            resolveModelImage(state, scaleSet);
        }
        state.putResource(scope.id(), scaleSet);
        reconcileCapacity(state, scaleSet);
        String operationId = operations.start(state, PUT_KIND, scope.id());
        return operations.asyncAccepted(scope.request(), 201, view(scaleSet), NAMESPACE, location, operationId,
                false);
    }

    /** PUT on an existing scale set and PATCH both merge what the body gives into the model. */
    private Response update(Scope scope, State state, Map<String, Object> scaleSet, Map<String, Object> body)
            throws ArmException {
        Map<String, Object> properties = map(scaleSet.get("properties"));
        if (body.get("location") instanceof String l && !l.replace(" ", "").equalsIgnoreCase(
                (String) scaleSet.get("location"))) {
            throw ArmException.conflict("InvalidResourceLocation", "The resource '" + scaleSet.get("name")
                    + "' already exists in location '" + scaleSet.get("location") + "' in resource group.");
        }
        // A scale set left Failed by an operation takes updates (that is how it is repaired); one in transition not.
        if (!"Succeeded".equals(properties.get("provisioningState"))
                && !"Failed".equals(properties.get("provisioningState"))) {
            throw ArmException.conflict("OperationNotAllowed", "Operation 'Update' is not allowed on VM Scale Set '"
                    + scaleSet.get("name") + "' since another operation is in progress.");
        }
        // Checked on a copy first, so that a refused change leaves nothing behind.
        Map<String, Object> updated = map(deepCopy(scaleSet));
        if (body.get("tags") instanceof Map<?, ?> tags) {
            updated.put("tags", new LinkedHashMap<>(tags));
        }
        Map<String, Object> sku = map(updated.get("sku"));
        merge(sku, map(deepCopy(body.get("sku"))));
        sku.put("capacity", capacity(sku.get("capacity")));
        Map<String, Object> newProperties = map(updated.get("properties"));
        Map<String, Object> requested = map(deepCopy(body.get("properties")));
        for (String readOnly : List.of("provisioningState", "uniqueId", "timeCreated", "orchestrationMode")) {
            requested.remove(readOnly);
        }
        map(map(requested.get("virtualMachineProfile")).get("osProfile")).remove("adminPassword");
        // Compared as JSON values: the SDK may send the same model with keys in another order.
        Object before = deepCopy(newProperties.get("virtualMachineProfile"));
        Object newImage = map(map(map(requested.get("virtualMachineProfile")).get("storageProfile"))
                .get("imageReference")).isEmpty() ? null : deepCopy(map(map(requested.get("virtualMachineProfile"))
                .get("storageProfile")).get("imageReference"));
        merge(newProperties, requested);
        if (newImage != null) {
            // An image reference is replaced whole: an ID given for a marketplace image drops publisher, offer...
            map(map(map(newProperties.get("virtualMachineProfile")).get("storageProfile")))
                    .put("imageReference", newImage);
        }
        newProperties.put("upgradePolicy", upgradePolicy(map(newProperties.get("upgradePolicy"))));
        if (flexible(newProperties)) {
            checkFlexible(newProperties, sku);
        }
        Map<String, Object> profile = map(newProperties.get("virtualMachineProfile"));
        boolean modelChanged = !before.equals(deepCopy(profile));
        if (modelChanged) {
            checkNetwork(state, scope.id(), profile);
            resolveModelImage(state, updated);
            Map<String, Object> internal = map(updated.get(INTERNAL));
            internal.put("modelVersion", ScaleSetInstances.modelVersion(updated) + 1);
            internal.put("modelChanged", true);
        }
        newProperties.put("provisioningState", "Updating");
        scaleSet.clear();
        scaleSet.putAll(updated);
        reconcileCapacity(state, scaleSet);
        String operationId = operations.start(state, PUT_KIND, scope.id());
        return operations.asyncAccepted(scope.request(), 200, view(scaleSet), NAMESPACE,
                (String) scaleSet.get("location"), operationId, false);
    }

    private static boolean flexible(Map<String, Object> properties) {
        return "Flexible".equalsIgnoreCase(String.valueOf(properties.get("orchestrationMode")));
    }

    /**
     * A Flexible scale set is kept as a model only: its instances would be separate virtual machines, which the
     * emulator does not create, so it must have no capacity.
     */
    private static void checkFlexible(Map<String, Object> properties, Map<String, Object> sku) throws ArmException {
        if (!(properties.get("platformFaultDomainCount") instanceof Number)) {
            throw ArmException.badRequest("InvalidParameter", "Required parameter 'platformFaultDomainCount' is"
                    + " missing (null).");
        }
        if (((Number) sku.get("capacity")).intValue() > 0) {
            throw ArmException.badRequest("NotSupportedByEmulator", "The local emulator keeps a scale set in"
                    + " Flexible orchestration mode as a model only and does not create its virtual machines; give it"
                    + " capacity 0.");
        }
    }

    /** Resolves the model's image once, for every instance built from this model. */
    private static void resolveModelImage(State state, Map<String, Object> scaleSet) throws ArmException {
        Map<String, Object> storage = map(map(map(scaleSet.get("properties")).get("virtualMachineProfile"))
                .get("storageProfile"));
        Map<String, Object> reference = map(storage.get("imageReference"));
        if (reference.isEmpty()) {
            throw ArmException.badRequest("InvalidParameter", "Required parameter 'imageReference' is missing"
                    + " (null).");
        }
        ScaleSetImages.Resolved resolved = ScaleSetImages.resolve(state, reference, (String) scaleSet.get("location"));
        Map<String, Object> internal = map(scaleSet.get(INTERNAL));
        internal.put("instanceImageReference", resolved.instanceReference());
        internal.put("hyperVGeneration", resolved.hyperVGeneration());
    }

    private static void checkNetwork(State state, String scaleSetId, Map<String, Object> profile) throws ArmException {
        List<Map<String, Object>> configurations = maps(map(profile.get("networkProfile"))
                .get("networkInterfaceConfigurations"));
        if (configurations.isEmpty()) {
            throw ArmException.badRequest("InvalidParameter", "Required parameter 'networkProfile' is missing"
                    + " (null).");
        }
        for (Map<String, Object> configuration : configurations) {
            for (Map<String, Object> ip : maps(map(configuration.get("properties")).get("ipConfigurations"))) {
                String subnetId = map(map(ip.get("properties")).get("subnet")).get("id") instanceof String s ? s : "";
                int cut = subnetId.toLowerCase(Locale.ROOT).lastIndexOf("/subnets/");
                Map<String, Object> vnet = cut < 0 ? null : state.resource(subnetId.substring(0, cut));
                String subnetName = cut < 0 ? "" : subnetId.substring(cut + "/subnets/".length());
                boolean found = vnet != null && maps(map(vnet.get("properties")).get("subnets")).stream()
                        .anyMatch(s -> subnetName.equalsIgnoreCase(String.valueOf(s.get("name"))));
                if (!found) {
                    throw ArmException.badRequest("InvalidResourceReference", "Resource " + subnetId
                            + " referenced by resource " + scaleSetId + " was not found. Please make sure that the"
                            + " referenced resource exists, and that both resources are in the same region.");
                }
                for (String field : List.of("loadBalancerBackendAddressPools", "loadBalancerInboundNatPools")) {
                    for (Map<String, Object> reference : maps(map(ip.get("properties")).get(field))) {
                        String id = String.valueOf(reference.get("id"));
                        if (!childExists(state, id)) {
                            throw ArmException.badRequest("InvalidResourceReference", "Resource " + id
                                    + " referenced by resource " + scaleSetId + " was not found. Please make sure"
                                    + " that the referenced resource exists, and that both resources are in the same"
                                    + " region.");
                        }
                    }
                }
            }
        }
    }

    /** Whether {@code .../{parent}/{collection}/{name}} names an inline child of a stored resource. */
    private static boolean childExists(State state, String id) {
        String[] parts = id.split("/");
        if (parts.length < 3) {
            return false;
        }
        String parentId = String.join("/", java.util.Arrays.copyOf(parts, parts.length - 2));
        Map<String, Object> parent = state.resource(parentId);
        return parent != null && maps(map(parent.get("properties")).get(parts[parts.length - 2])).stream()
                .anyMatch(c -> parts[parts.length - 1].equalsIgnoreCase(String.valueOf(c.get("name"))));
    }

    private static Map<String, Object> upgradePolicy(Map<String, Object> requested) throws ArmException {
        Map<String, Object> policy = new LinkedHashMap<>(requested);
        String mode = policy.get("mode") instanceof String m ? m : "Manual";
        String canonical = List.of("Automatic", "Manual", "Rolling").stream().filter(mode::equalsIgnoreCase)
                .findFirst().orElseThrow(() -> ArmException.badRequest("InvalidParameter", "The value '" + mode
                        + "' of parameter 'upgradePolicy.mode' is not allowed. Allowed values are Automatic, Manual,"
                        + " Rolling."));
        policy.put("mode", canonical);
        if (canonical.equals("Rolling") || policy.get("rollingUpgradePolicy") instanceof Map<?, ?>) {
            policy.put("rollingUpgradePolicy", RollingUpgrade.policy(map(policy.get("rollingUpgradePolicy"))));
        }
        return policy;
    }

    private static int capacity(Object value) throws ArmException {
        if (!(value instanceof Number n) || n.longValue() < 0 || n.longValue() > 1000) {
            throw ArmException.badRequest("InvalidParameter", "The value " + value + " of parameter 'sku.capacity'"
                    + " is out of range. The value must be between 0 and 1000, inclusive.");
        }
        return n.intValue();
    }

    /** Adds instances (Creating) up to the capacity, or marks the highest instance IDs Deleting down to it. */
    private void reconcileCapacity(State state, Map<String, Object> scaleSet) {
        int capacity = ((Number) map(scaleSet.get("sku")).get("capacity")).intValue();
        List<Map<String, Object>> live = new ArrayList<>(ScaleSetInstances.of(state, (String) scaleSet.get("id"))
                .stream().filter(i -> !"Deleting".equals(provisioningState(i))).toList());
        Map<String, Object> internal = map(scaleSet.get(INTERNAL));
        while (live.size() < capacity) {
            int next = ((Number) internal.get("nextInstanceId")).intValue();
            internal.put("nextInstanceId", next + 1);
            live.add(instances.create(state, scaleSet, next));
        }
        live.sort((a, b) -> Integer.compare(instanceNumber(b), instanceNumber(a)));
        for (int i = 0; i < live.size() - capacity; i++) {
            map(live.get(i).get("properties")).put("provisioningState", "Deleting");
        }
    }

    private void putDone(State state, String target) {
        Map<String, Object> scaleSet = state.resource(target);
        if (scaleSet == null) {
            return;
        }
        map(scaleSet.get("properties")).put("provisioningState", "Succeeded");
        settleInstances(state, scaleSet);
        Map<String, Object> internal = map(scaleSet.get(INTERNAL));
        if (Boolean.TRUE.equals(internal.remove("modelChanged"))) {
            switch (upgradeMode(scaleSet)) {
                case "Automatic" -> ScaleSetInstances.of(state, target)
                        .forEach(i -> instances.upgrade(state, scaleSet, i));
                case "Rolling" -> RollingUpgrade.start(state, scaleSet, clock.millis(), batchMillis());
                default -> {
                    // Manual: instances stay behind the model until POST .../manualupgrade.
                }
            }
        }
    }

    /** Ends the instances' transitions: Creating ones run, Deleting ones go. */
    private void settleInstances(State state, Map<String, Object> scaleSet) {
        for (Map<String, Object> instance : ScaleSetInstances.of(state, (String) scaleSet.get("id"))) {
            String provisioning = provisioningState(instance);
            if (provisioning.equals("Deleting")) {
                instances.delete(state, instance);
            } else if (!provisioning.equals("Succeeded")) {
                map(instance.get("properties")).put("provisioningState", "Succeeded");
                if (ScaleSetInstances.powerState(instance).equals("starting")) {
                    instances.power(instance, "running");
                }
            }
        }
    }

    // ---- actions ----

    private Response action(Scope scope, String segment, Map<String, Object> body) throws ArmException {
        String power = POWER_ACTIONS.stream().filter(segment::equalsIgnoreCase).findFirst().orElse(null);
        String action = power != null ? power : List.of("manualupgrade", "delete", "osRollingUpgrade").stream()
                .filter(segment::equalsIgnoreCase).findFirst().orElseThrow(() -> ArmException.badRequest(
                        "InvalidResourceType", "The emulator does not know the action '" + segment
                                + "' on virtual machine scale sets."));
        Object outcome = store.write(state -> {
            try {
                Map<String, Object> scaleSet = state.resource(scope.id());
                if (scaleSet == null) {
                    throw scope.notFound();
                }
                requireIdle(scaleSet, action);
                if (action.equals("osRollingUpgrade")) {
                    if (RollingUpgrade.isRunning(scaleSet)) {
                        throw ArmException.conflict("OperationNotAllowed", "There is already a Rolling Upgrade in"
                                + " progress on VM Scale Set '" + scaleSet.get("name") + "'.");
                    }
                    RollingUpgrade.start(state, scaleSet, clock.millis(), batchMillis());
                    return accepted(scope, state, scaleSet, action, List.of());
                }
                boolean required = !action.equals(power);
                List<Map<String, Object>> chosen = chosenInstances(state, scaleSet, body, required);
                List<String> ids = chosen.stream().map(i -> (String) i.get("instanceId")).toList();
                for (Map<String, Object> instance : chosen) {
                    switch (action) {
                        case "delete" -> map(instance.get("properties")).put("provisioningState", "Deleting");
                        case "powerOff" -> instances.power(instance, "stopping");
                        case "deallocate" -> instances.power(instance, "deallocating");
                        case "start" -> instances.power(instance, "starting");
                        case "restart" -> instances.restart(instance);
                        default -> {
                        }
                    }
                }
                return accepted(scope, state, scaleSet, action, ids);
            } catch (ArmException e) {
                return e;
            }
        });
        return answer(outcome);
    }

    private Response accepted(Scope scope, State state, Map<String, Object> scaleSet, String action,
                              List<String> instanceIds) {
        String operationId = operations.start(state, ACTION_KIND, scope.id() + "#" + action + "#"
                + String.join(",", instanceIds));
        return operations.asyncAccepted(scope.request(), 202, null, NAMESPACE, (String) scaleSet.get("location"),
                operationId, true);
    }

    /** The instances named by {@code instanceIds}; none named means all, unless the action requires names. */
    private static List<Map<String, Object>> chosenInstances(State state, Map<String, Object> scaleSet,
                                                             Map<String, Object> body, boolean required)
            throws ArmException {
        List<?> ids = body.get("instanceIds") instanceof List<?> l ? l : List.of();
        List<Map<String, Object>> all = ScaleSetInstances.of(state, (String) scaleSet.get("id")).stream()
                .filter(i -> !"Deleting".equals(provisioningState(i))).toList();
        if (ids.isEmpty() || ids.equals(List.of("*"))) {
            if (required) {
                throw ArmException.badRequest("InvalidParameter", "Required parameter 'instanceIds' is missing"
                        + " (null).");
            }
            return all;
        }
        List<Map<String, Object>> chosen = new ArrayList<>();
        for (Object id : ids) {
            Map<String, Object> instance = all.stream().filter(i -> String.valueOf(id).equals(i.get("instanceId")))
                    .findFirst().orElseThrow(() -> new ArmException(400, "InvalidParameter", "The provided instanceId "
                            + id + " is not an active Virtual Machine Scale Set VM instanceId."));
            if (!chosen.contains(instance)) {
                chosen.add(instance);
            }
        }
        return chosen;
    }

    private void actionDone(State state, String target) {
        String[] parts = target.split("#", -1);
        Map<String, Object> scaleSet = state.resource(parts[0]);
        if (scaleSet == null) {
            return;
        }
        List<String> ids = parts[2].isEmpty() ? List.of() : List.of(parts[2].split(","));
        int deleted = 0;
        for (String instanceId : ids) {
            Map<String, Object> instance = state.resource(parts[0] + "/" + ScaleSetInstances.SEGMENT + "/"
                    + instanceId);
            if (instance == null) {
                continue;
            }
            switch (parts[1]) {
                case "manualupgrade" -> instances.upgrade(state, scaleSet, instance);
                case "delete" -> {
                    instances.delete(state, instance);
                    deleted++;
                }
                case "powerOff" -> instances.power(instance, "stopped");
                case "deallocate" -> instances.power(instance, "deallocated");
                case "start", "restart" -> instances.power(instance, "running");
                default -> {
                }
            }
        }
        if (deleted > 0) {
            // Azure lowers the capacity by the instances deleted, so that they are not recreated.
            Map<String, Object> sku = map(scaleSet.get("sku"));
            sku.put("capacity", Math.max(0, ((Number) sku.get("capacity")).intValue() - deleted));
        }
    }

    private static void requireIdle(Map<String, Object> scaleSet, String action) throws ArmException {
        String provisioning = String.valueOf(map(scaleSet.get("properties")).get("provisioningState"));
        if (!provisioning.equals("Succeeded")) {
            throw ArmException.conflict("OperationNotAllowed", "Operation '" + action + "' is not allowed on VM"
                    + " Scale Set '" + scaleSet.get("name") + "' since the VM Scale Set is "
                    + provisioning.toLowerCase(Locale.ROOT) + ".");
        }
    }

    // ---- rolling upgrades ----

    private Response rollingUpgrades(Scope scope, String segment) throws ArmException {
        if (segment.equalsIgnoreCase("latest")) {
            requireMethod(scope.request(), "GET");
            long now = clock.millis();
            Map<String, Object> status = read(scope, (state, scaleSet) -> {
                Map<String, Object> roll = RollingUpgrade.of(scaleSet);
                return roll == null ? Map.of() : RollingUpgrade.status(scaleSet, roll, now);
            });
            if (status.isEmpty()) {
                throw ArmException.notFound("NotFound", "The entity was not found in this Azure location.");
            }
            return Response.json(200, status);
        }
        if (!segment.equalsIgnoreCase("cancel")) {
            throw ArmException.badRequest("InvalidResourceType", "The emulator does not know '"
                    + scope.request().http().path() + "'.");
        }
        requireMethod(scope.request(), "POST");
        Object outcome = store.write(state -> {
            Map<String, Object> scaleSet = state.resource(scope.id());
            if (scaleSet == null) {
                return scope.notFound();
            }
            if (!RollingUpgrade.isRunning(scaleSet)) {
                return ArmException.conflict("OperationNotAllowed", "There is no ongoing Rolling Upgrade to"
                        + " cancel.");
            }
            RollingUpgrade.cancel(scaleSet, clock.millis());
            return accepted(scope, state, scaleSet, "cancel", List.of());
        });
        return answer(outcome);
    }

    /** Brings every running roll up to the clock before a request reads or changes a scale set. */
    private void settleRolls() {
        long now = clock.millis();
        boolean due = store.read(state -> state.allResources().stream()
                .anyMatch(d -> TYPE.equalsIgnoreCase(String.valueOf(d.get("type"))) && RollingUpgrade.isDue(d, now)));
        if (due) {
            store.write(state -> {
                for (Map<String, Object> scaleSet : state.allResources()) {
                    if (TYPE.equalsIgnoreCase(String.valueOf(scaleSet.get("type")))) {
                        RollingUpgrade.settle(state, scaleSet, instances, now);
                    }
                }
                return null;
            });
        }
    }

    private long batchMillis() {
        return Math.max(1, operations.settings().retryAfterSeconds()) * 1000L;
    }

    // ---- instances ----

    private Response instanceRequest(Scope scope, ArmPath path) throws ArmException {
        ArmRequest request = scope.request();
        if (path.size() == 9) {
            requireMethod(request, "GET");
            boolean expand = "instanceView".equalsIgnoreCase(request.http().query().get("$expand"));
            Map<String, Object> list = read(scope, (state, scaleSet) -> Map.of("value",
                    ScaleSetInstances.of(state, scope.id()).stream()
                            .map(i -> ScaleSetViews.instance(scaleSet, i, expand)).toList()));
            return Response.json(200, list);
        }
        String instanceId = path.segment(9);
        String id = scope.id() + "/" + ScaleSetInstances.SEGMENT + "/" + instanceId;
        if (path.size() >= 11 && path.segment(10).equalsIgnoreCase("networkInterfaces")) {
            requireMethod(request, "GET");
            return networkInterfaces(scope, id, instanceId, path.size() == 12 ? path.segment(11) : null);
        }
        if (path.size() == 12) {
            throw ArmException.badRequest("InvalidResourceType", "The emulator does not know '" + request.http().path()
                    + "'.");
        }
        if (path.size() == 11 && path.segment(10).equalsIgnoreCase("runCommand")) {
            requireMethod(request, "POST");
            String location = store.read(state -> state.resource(scope.id()) == null ? null
                    : String.valueOf(state.resource(scope.id()).get("location")));
            return runCommands.run(request, id, location,
                    i -> ScaleSetInstances.powerState(i).equals("running"), resourceNotFound(TYPE + "/virtualMachines",
                            scope.name() + "/" + instanceId, scope.groupName()));
        }
        if (path.size() == 11 && POWER_ACTIONS.stream().anyMatch(path.segment(10)::equalsIgnoreCase)) {
            requireMethod(request, "POST");
            return action(scope, path.segment(10), Map.of("instanceIds", List.of(instanceId)));
        }
        if (path.size() == 11) {
            if (!path.segment(10).equalsIgnoreCase("instanceView")) {
                throw ArmException.badRequest("InvalidResourceType", "The emulator does not know the action '"
                        + path.segment(10) + "' on scale set instances.");
            }
            requireMethod(request, "GET");
            return Response.json(200, instance(scope, id, instanceId, (scaleSet, i) -> ScaleSetViews.instanceView(i)));
        }
        return switch (request.method()) {
            case "GET" -> {
                boolean expand = "instanceView".equalsIgnoreCase(request.http().query().get("$expand"));
                yield Response.json(200, instance(scope, id, instanceId,
                        (scaleSet, i) -> ScaleSetViews.instance(scaleSet, i, expand)));
            }
            case "DELETE" -> action(scope, "delete", Map.of("instanceIds", List.of(instanceId)));
            default -> throw methodNotAllowed(request);
        };
    }

    /** An instance's network interfaces, or the one named {@code nicName}. */
    private Response networkInterfaces(Scope scope, String id, String instanceId, String nicName)
            throws ArmException {
        List<?> nics = (List<?>) instance(scope, id, instanceId,
                (scaleSet, i) -> Map.of("value", ScaleSetNics.of(i))).get("value");
        if (nicName == null) {
            return Response.json(200, Map.of("value", nics));
        }
        return Response.json(200, maps(nics).stream().filter(n -> nicName.equalsIgnoreCase(String.valueOf(n.get("name"))))
                .findFirst().orElseThrow(() -> resourceNotFound("Microsoft.Network/networkInterfaces", nicName,
                        scope.groupName())));
    }

    private interface InstanceReader {
        Map<String, Object> read(Map<String, Object> scaleSet, Map<String, Object> instance);
    }

    private Map<String, Object> instance(Scope scope, String id, String instanceId, InstanceReader reader)
            throws ArmException {
        Map<String, Object> json = store.read(state -> {
            Map<String, Object> scaleSet = state.resource(scope.id());
            Map<String, Object> instance = state.resource(id);
            return scaleSet == null || instance == null ? null : reader.read(scaleSet, instance);
        });
        if (json == null) {
            throw resourceNotFound(TYPE + "/virtualMachines", scope.name() + "/" + instanceId, scope.groupName());
        }
        return json;
    }

    /** Stops and removes the machines of the group's scale set instances: the group is being deleted with them. */
    @Override
    public void groupDeleting(State state, String groupId) {
        String prefix = groupId.toLowerCase(Locale.ROOT) + "/";
        for (Map<String, Object> scaleSet : state.allResources()) {
            if (TYPE.equalsIgnoreCase(String.valueOf(scaleSet.get("type")))
                    && String.valueOf(scaleSet.get("id")).toLowerCase(Locale.ROOT).startsWith(prefix)) {
                ScaleSetInstances.of(state, (String) scaleSet.get("id")).forEach(instances::machineGone);
            }
        }
    }

    /** After an emulator restart: boots again the machines of the instances that were running. */
    /** Where a scale set instance's SSH server listens (from its document), or {@code null} without a machine. */
    public static java.net.InetSocketAddress sshAddressOf(Map<String, Object> instance) {
        dev.imagebake.emulator.vm.SshEndpoint endpoint = ScaleSetMachines.endpoint(instance);
        return endpoint == null ? null : new java.net.InetSocketAddress(endpoint.address(), endpoint.port());
    }

    public void resumeMachines() {
        store.write(state -> {
            for (Map<String, Object> scaleSet : state.allResources()) {
                if (TYPE.equalsIgnoreCase(String.valueOf(scaleSet.get("type")))) {
                    ScaleSetInstances.of(state, (String) scaleSet.get("id")).forEach(instances::resume);
                }
            }
            return null;
        });
    }

    // ---- DELETE ----

    private Response delete(Scope scope) throws ArmException {
        Object outcome = store.write(state -> {
            Map<String, Object> scaleSet = state.resource(scope.id());
            if (scaleSet == null) {
                return Response.empty(204);
            }
            map(scaleSet.get("properties")).put("provisioningState", "Deleting");
            String operationId = operations.start(state, DELETE_KIND, scope.id());
            return operations.asyncAccepted(scope.request(), 202, null, NAMESPACE, (String) scaleSet.get("location"),
                    operationId, true);
        });
        return answer(outcome);
    }

    private void deleteDone(State state, String target) {
        for (Map<String, Object> instance : ScaleSetInstances.of(state, target)) {
            instances.delete(state, instance);
        }
        state.removeTree(target);
    }

    // ---- helpers ----

    private static String upgradeMode(Map<String, Object> scaleSet) {
        return String.valueOf(map(map(scaleSet.get("properties")).get("upgradePolicy")).get("mode"));
    }

    private static String provisioningState(Map<String, Object> document) {
        return String.valueOf(map(document.get("properties")).get("provisioningState"));
    }

    private static int instanceNumber(Map<String, Object> instance) {
        return Integer.parseInt((String) instance.get("instanceId"));
    }

    /** Objects merge key by key; anything else (lists included) is replaced, as in an ARM PATCH. */
    private static void merge(Map<String, Object> target, Map<String, Object> patch) {
        patch.forEach((key, value) -> {
            if (value instanceof Map<?, ?> && target.get(key) instanceof Map<?, ?>) {
                merge(map(target.get(key)), map(value));
            } else {
                target.put(key, value);
            }
        });
    }

    private static String location(Map<String, Object> body) throws ArmException {
        if (!(body.get("location") instanceof String rawLocation) || rawLocation.isBlank()) {
            throw ArmException.badRequest("LocationRequired", "The location property is required for this"
                    + " definition.");
        }
        return rawLocation.replace(" ", "").toLowerCase(Locale.ROOT);
    }
}
