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
import dev.imagebake.emulator.vm.NoVmRuntime;
import dev.imagebake.emulator.vm.VmRuntime;
import dev.imagebake.util.AzureNames;

import static dev.imagebake.emulator.arm.ProviderSupport.*;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * {@code Microsoft.Compute} control plane under a resource group: virtualMachines (PUT from a marketplace image, a
 * managed image or an existing OS disk, power actions, generalize, instance view), the managed OS disks they
 * create, and managed images captured from generalized VMs or imported from a local folder or tarball
 * ({@link FileImage}). PUT, DELETE and power actions answer as Azure's asynchronous operations; generalize is
 * synchronous, as on Azure. A VM's run command ({@link RunCommands}) and extensions ({@link VmExtensions}) run their
 * scripts in its machine.
 */
public final class ComputeProvider implements ResourceProvider, ResourceGroupProvider.Teardown {
    static final String NAMESPACE = "Microsoft.Compute";
    private static final String PUT_KIND = "compute.put";
    private static final String DELETE_KIND = "compute.delete";
    private static final String ACTION_KIND = "compute.action";

    static final String VM = "virtualMachines";
    static final String DISK = "disks";
    static final String IMAGE = "images";
    static final String DISK_ENCRYPTION_SET = "diskEncryptionSets";
    static final String SNAPSHOT = "snapshots";
    private static final List<String> TYPES = List.of(VM, DISK, IMAGE, DISK_ENCRYPTION_SET, SNAPSHOT);
    private static final List<String> ACTIONS = List.of("powerOff", "deallocate", "start", "restart");

    /** Internal state kept in the document but never shown. */
    private static final String INTERNAL = "_emulator";

    private final StateStore store;
    private final Operations operations;
    private final VmMachines machines;
    private final RunCommands runCommands;
    private final VmExtensions extensions;
    private final BootDiagnostics diagnostics;

    public ComputeProvider(StateStore store, Operations operations) {
        this(store, operations, new NoVmRuntime());
    }

    /** @param runtime what runs behind the VMs (their machines, SSH and captured content) */
    public ComputeProvider(StateStore store, Operations operations, VmRuntime runtime) {
        this.store = store;
        this.operations = operations;
        this.machines = new VmMachines(runtime);
        GuestCommands guest = new GuestCommands(runtime);
        this.runCommands = new RunCommands(store, operations, guest);
        this.extensions = new VmExtensions(store, operations, guest);
        this.diagnostics = new BootDiagnostics(runtime);
        operations.register(PUT_KIND, ComputeProvider::putDone);
        operations.register(DELETE_KIND, ComputeProvider::remove);
        operations.register(ACTION_KIND, ComputeProvider::actionDone);
    }

    @Override
    public boolean accepts(ArmPath path) {
        if (path.size() == 5 && path.matches("subscriptions/*/providers/microsoft.compute/*")) {
            return canonicalType(path.segment(4)) != null;
        }
        if (path.size() < 7 || path.size() > 10 || !path.matches(
                "subscriptions/*/resourcegroups/*/providers/microsoft.compute" + "/*".repeat(path.size() - 6))) {
            return false;
        }
        String type = canonicalType(path.segment(6));
        return type != null && (path.size() <= 8 || type.equals(VM))
                && (path.size() <= 9 || path.segment(8).equalsIgnoreCase(VmExtensions.SEGMENT));
    }

    private static String canonicalType(String segment) {
        return TYPES.stream().filter(t -> t.equalsIgnoreCase(segment)).findFirst().orElse(null);
    }

    @Override
    public Response handle(ArmRequest request) throws ArmException {
        ArmPath path = request.path();
        if (path.size() == 5) {
            requireMethod(request, "GET");
            String type = canonicalType(path.segment(4));
            String prefix = ("/subscriptions/" + path.segment(1) + "/resourceGroups/").toLowerCase(Locale.ROOT);
            return Response.json(200, Map.of("value", store.read(state -> state.allResources().stream()
                    .filter(d -> String.valueOf(d.get("type")).equalsIgnoreCase(NAMESPACE + "/" + type))
                    .filter(d -> String.valueOf(d.get("id")).toLowerCase(Locale.ROOT).startsWith(prefix))
                    .map(d -> view(d, false)).toList())));
        }
        String type = canonicalType(path.segment(6));
        String groupName = ProviderSupport.existingGroupName(store, path);
        String parentId = "/subscriptions/" + path.segment(1) + "/resourceGroups/" + groupName + "/providers/"
                + NAMESPACE;
        if (path.size() == 7) {
            requireMethod(request, "GET");
            return Response.json(200, Map.of("value", store.read(state -> state.children(parentId, type).stream()
                    .map(d -> view(d, false)).toList())));
        }
        String name = path.segment(7);
        String id = parentId + "/" + type + "/" + name;
        if (path.size() == 10 || path.size() == 9 && path.segment(8).equalsIgnoreCase(VmExtensions.SEGMENT)) {
            requireVm(id, name, groupName);
            return extensions.handle(request, id, path.size() == 10 ? path.segment(9) : null);
        }
        if (path.size() == 9) {
            return vmSubresource(request, id, name, groupName, path.segment(8));
        }
        return switch (request.method()) {
            case "GET" -> {
                boolean expand = "instanceView".equalsIgnoreCase(request.http().query().get("$expand"));
                Map<String, Object> document = store.read(state -> {
                    Map<String, Object> d = state.resource(id);
                    Map<String, Object> json = d == null ? null : view(d, expand);
                    if (json != null && expand && type.equals(VM)) {
                        VmExtensions.addTo(map(map(json.get("properties")).get("instanceView")), state, id);
                    }
                    if (json != null && type.equals(VM)) {
                        VmExtensions.addResources(json, state, id);
                    }
                    return json;
                });
                if (document == null) {
                    throw notFound(type, name, groupName);
                }
                yield Response.json(200, document);
            }
            case "PUT" -> switch (type) {
                case VM -> putVm(request, id, name, request.jsonBody());
                case IMAGE -> putImage(request, id, name, request.jsonBody());
                case DISK_ENCRYPTION_SET -> putDiskEncryptionSet(request, id, name, request.jsonBody());
                default -> putCopy(request, type, id, name, request.jsonBody());
            };
            case "DELETE" -> delete(request, type, id);
            case "PATCH" -> {
                // Tags only: images, VMs, and (Disks_Update, Snapshots_Update) managed disks and snapshots.
                if (!type.equals(IMAGE) && !type.equals(VM) && !type.equals(SNAPSHOT) && !type.equals(DISK)) {
                    throw methodNotAllowed(request);
                }
                yield ProviderSupport.patchTags(store, id, request.jsonBody(), d -> view(d, false),
                        () -> notFound(type, name, groupName));
            }
            default -> throw methodNotAllowed(request);
        };
    }

    // ---- snapshots, and disks copied from snapshots ----

    /**
     * A snapshot of a managed disk or another snapshot, or a managed disk copied from either
     * ({@code creationData.createOption: Copy}): the copy keeps the source's content as it is at this moment (an
     * attached disk's machine keeps running). Azure answers these PUTs with 202, as the SDK expects. A PUT on an
     * existing snapshot or disk changes its tags only.
     */
    private Response putCopy(ArmRequest request, String type, String id, String name, Map<String, Object> body)
            throws ArmException {
        String location = location(body);
        Object outcome = store.write(state -> {
            try {
                Map<String, Object> existing = state.resource(id);
                if (existing != null) {
                    if (body.get("tags") instanceof Map<?, ?> tags) {
                        existing.put("tags", new LinkedHashMap<>(tags));
                    }
                    return Response.json(200, view(existing, false));
                }
                Map<String, Object> requested = map(body.get("properties"));
                Map<String, Object> creation = map(requested.get("creationData"));
                boolean empty = type.equals(DISK) && "Empty".equalsIgnoreCase(string(creation.get("createOption")));
                if (empty) {
                    Map<String, Object> disk = newDisk(DISK, id, name, location, body, requested, emptyCreation(),
                            emptySizeGb(requested, "diskSizeGB"));
                    Map<String, Object> properties = map(disk.get("properties"));
                    properties.put("diskState", "Unattached");
                    properties.put("provisioningState", "Updating");
                    state.putResource(id, disk);
                    String operationId = operations.start(state, PUT_KIND, id);
                    return operations.asyncAccepted(request, 202, view(disk, false), NAMESPACE, location,
                            operationId, false);
                }
                if (!"Copy".equalsIgnoreCase(string(creation.get("createOption")))) {
                    throw ArmException.badRequest("InvalidParameter", "The emulator creates " + type + " only"
                            + " by copying a managed disk or snapshot (creationData.createOption 'Copy')"
                            + (type.equals(DISK) ? " or empty (createOption 'Empty')" : "") + "; '"
                            + creation.get("createOption") + "' is not supported.");
                }
                String sourceId = string(creation.get("sourceResourceId"));
                Map<String, Object> source = diskOrSnapshot(state, sourceId);
                if (source == null) {
                    throw ArmException.notFound("NotFound", "Resource " + sourceId + " is not found.");
                }
                if (!location.equals(source.get("location"))) {
                    throw ArmException.badRequest("BadRequest", "The source resource '" + sourceId + "' is in"
                            + " location '" + source.get("location") + "'; copy it within '" + location + "'.");
                }
                Map<String, Object> sourceProperties = map(source.get("properties"));
                int sizeGb = Math.max(requested.get("diskSizeGB") instanceof Number n ? n.intValue() : 0,
                        sourceProperties.get("diskSizeGB") instanceof Number n ? n.intValue() : 30);
                Map<String, Object> withSource = new LinkedHashMap<>(requested);
                withSource.putIfAbsent("osType", sourceProperties.get("osType"));
                withSource.putIfAbsent("hyperVGeneration", sourceProperties.getOrDefault("hyperVGeneration", "V1"));
                Map<String, Object> creationData = new LinkedHashMap<>();
                creationData.put("createOption", "Copy");
                creationData.put("sourceResourceId", source.get("id"));
                creationData.put("sourceUniqueId", sourceProperties.get("uniqueId"));
                Map<String, Object> copy = newDisk(type, id, name, location, body, withSource, creationData, sizeGb);
                Map<String, Object> properties = map(copy.get("properties"));
                if (type.equals(SNAPSHOT)) {
                    boolean incremental = Boolean.TRUE.equals(requested.get("incremental"));
                    properties.put("incremental", incremental);
                    if (incremental) {
                        // As on Azure, the incremental snapshots of one source share a family ID.
                        properties.put("incrementalSnapshotFamilyId", UUID.nameUUIDFromBytes(("incremental:"
                                + sourceProperties.get("uniqueId")).getBytes(java.nio.charset.StandardCharsets.UTF_8))
                                .toString());
                    }
                } else {
                    properties.put("diskState", "Unattached");
                }
                properties.put("provisioningState", "Updating");
                copy.put(INTERNAL, new LinkedHashMap<>(Map.of(VmMachines.LAYERS, diskLayers(state, source))));
                state.putResource(id, copy);
                String operationId = operations.start(state, PUT_KIND, id);
                return operations.asyncAccepted(request, 202, view(copy, false), NAMESPACE, location, operationId,
                        false);
            } catch (ArmException e) {
                return e;
            }
        });
        return answer(outcome);
    }

    /**
     * A new managed disk or snapshot document as Azure shows it (the caller adds provisioningState and diskState):
     * the SKU from {@code sku.name} (Premium_LRS for disks, Standard_LRS for snapshots by default), osType and
     * hyperVGeneration when {@code requested} names them.
     */
    private static Map<String, Object> newDisk(String type, String id, String name, String location,
                                               Map<String, Object> body, Map<String, Object> requested,
                                               Map<String, Object> creationData, int sizeGb) {
        String accountType = map(body.get("sku")).get("name") instanceof String t ? t
                : type.equals(SNAPSHOT) ? "Standard_LRS" : "Premium_LRS";
        Map<String, Object> disk = new LinkedHashMap<>();
        disk.put("name", name);
        disk.put("id", id);
        disk.put("type", NAMESPACE + "/" + type);
        disk.put("location", location);
        if (body.get("tags") instanceof Map<?, ?> tags) {
            disk.put("tags", new LinkedHashMap<>(tags));
        }
        if (body.get("zones") instanceof List<?> zones) {
            disk.put("zones", new ArrayList<>(zones));
        }
        disk.put("sku", new LinkedHashMap<>(Map.of("name", accountType,
                "tier", accountType.startsWith("Premium") ? "Premium" : "Standard")));
        Map<String, Object> properties = new LinkedHashMap<>();
        if (requested.get("osType") != null) {
            properties.put("osType", requested.get("osType"));
        }
        if (requested.get("hyperVGeneration") != null) {
            properties.put("hyperVGeneration", requested.get("hyperVGeneration"));
        }
        properties.put("creationData", creationData);
        properties.put("diskSizeGB", sizeGb);
        properties.put("diskSizeBytes", (long) sizeGb * 1024 * 1024 * 1024);
        properties.put("uniqueId", UUID.randomUUID().toString());
        properties.put("encryption", new LinkedHashMap<>(Map.of("type", "EncryptionAtRestWithPlatformKey")));
        properties.put("timeCreated", Instant.now().toString());
        disk.put("properties", properties);
        disk.put(INTERNAL, new LinkedHashMap<>(Map.of(VmMachines.LAYERS, new ArrayList<String>())));
        return disk;
    }

    private static Map<String, Object> emptyCreation() {
        return new LinkedHashMap<>(Map.of("createOption", "Empty"));
    }

    /** The size an empty disk needs, refused as Azure refuses it when missing. */
    private static int emptySizeGb(Map<String, Object> requested, String parameter) throws ArmException {
        if (!(requested.get("diskSizeGB") instanceof Number n) || n.intValue() <= 0) {
            throw ArmException.badRequest("InvalidParameter", "Required parameter '" + parameter
                    + "' is missing (null).");
        }
        return n.intValue();
    }

    /** The managed disk or snapshot with this ID, or null. */
    private static Map<String, Object> diskOrSnapshot(State state, String id) {
        Map<String, Object> document = id.isBlank() ? null : state.resource(id.startsWith("/") ? id : "/" + id);
        if (document == null) {
            return null;
        }
        String type = String.valueOf(document.get("type"));
        return type.equalsIgnoreCase(NAMESPACE + "/" + DISK) || type.equalsIgnoreCase(NAMESPACE + "/" + SNAPSHOT)
                ? document : null;
    }

    /**
     * The content of a managed disk or snapshot as layers: an attached OS disk's machine frozen as it is now, or
     * the layers a detached disk or a snapshot keeps.
     */
    private List<String> diskLayers(State state, Map<String, Object> document) throws ArmException {
        Map<String, Object> vm = document.get("managedBy") instanceof String vmId ? state.resource(vmId) : null;
        if (vm != null && String.valueOf(vm.get("type")).equalsIgnoreCase(NAMESPACE + "/" + VM)) {
            return machines.snapshot(vm);
        }
        return new ArrayList<>(VmMachines.layers(document));
    }

    // ---- disk encryption sets ----

    /**
     * A disk encryption set: the key ({@code activeKey.keyUrl}, required as on Azure) that disks naming the set are
     * encrypted with. The emulator keeps no key material; it records which set each disk names, as Azure shows it.
     */
    private Response putDiskEncryptionSet(ArmRequest request, String id, String name, Map<String, Object> body)
            throws ArmException {
        String location = location(body);
        Object outcome = store.write(state -> {
            Map<String, Object> properties = map(deepCopy(body.get("properties")));
            if (!(map(properties.get("activeKey")).get("keyUrl") instanceof String key) || key.isBlank()) {
                return ArmException.badRequest("InvalidParameter", "Required parameter 'activeKey.keyUrl' is"
                        + " missing (null).");
            }
            Map<String, Object> existing = state.resource(id);
            if (existing != null && !location.equals(existing.get("location"))) {
                return ArmException.conflict("InvalidResourceLocation", "The resource '" + name + "' already exists"
                        + " in location '" + existing.get("location") + "' in resource group.");
            }
            properties.putIfAbsent("encryptionType", "EncryptionAtRestWithCustomerKey");
            properties.put("provisioningState", "Updating");
            Map<String, Object> set = new LinkedHashMap<>();
            set.put("name", name);
            set.put("id", id);
            set.put("type", NAMESPACE + "/" + DISK_ENCRYPTION_SET);
            set.put("location", location);
            if (body.get("tags") instanceof Map<?, ?> tags) {
                set.put("tags", new LinkedHashMap<>(tags));
            }
            set.put("identity", new LinkedHashMap<>(Map.of("type", "SystemAssigned", "principalId",
                    UUID.randomUUID().toString(), "tenantId", UUID.randomUUID().toString())));
            set.put("properties", properties);
            state.putResource(id, set);
            String operationId = operations.start(state, PUT_KIND, id);
            // Azure's disk encryption sets answer a PUT with 200 or 202, never 201 (the SDK refuses anything else).
            return operations.asyncAccepted(request, 202, view(set, false), NAMESPACE, location, operationId, false);
        });
        return answer(outcome);
    }

    /**
     * The disk encryption set a disk of a VM names, checked as Azure checks it; null when the disk names none.
     */
    private static Map<String, Object> diskEncryptionSet(State state, Map<String, Object> disk, String location)
            throws ArmException {
        Object id = map(map(disk.get("managedDisk")).get("diskEncryptionSet")).get("id");
        if (!(id instanceof String setId) || setId.isBlank()) {
            return null;
        }
        Map<String, Object> set = state.resource(setId);
        if (set == null || !String.valueOf(set.get("type")).equalsIgnoreCase(NAMESPACE + "/" + DISK_ENCRYPTION_SET)) {
            throw ArmException.notFound("NotFound", "The disk encryption set '" + setId + "' could not be found.");
        }
        if (!location.equals(set.get("location"))) {
            throw ArmException.badRequest("InvalidParameter", "The disk encryption set '" + setId + "' is in"
                    + " location '" + set.get("location") + "'; a disk in '" + location + "' cannot use it.");
        }
        map(map(disk.get("managedDisk")).get("diskEncryptionSet")).put("id", set.get("id"));
        return set;
    }

    // ---- virtual machines ----

    private Response putVm(ArmRequest request, String id, String name, Map<String, Object> body)
            throws ArmException {
        ProviderSupport.requireComputeName(AzureNames.Kind.VIRTUAL_MACHINE, name);
        String location = location(body);
        Object outcome = store.write(state -> {
            try {
                Map<String, Object> existing = state.resource(id);
                if (existing != null) {
                    return updateVm(request, state, existing, body, location);
                }
                Map<String, Object> properties = map(deepCopy(body.get("properties")));
                properties.remove("provisioningState");
                properties.remove("instanceView");
                Map<String, Object> storage = map(properties.get("storageProfile"));
                Map<String, Object> imageReference = map(storage.get("imageReference"));
                // An existing (specialized) OS disk instead of an image: the VM boots what the disk holds.
                Map<String, Object> attached = "Attach".equalsIgnoreCase(string(map(storage.get("osDisk"))
                        .get("createOption"))) ? attachableOsDisk(state, properties, storage, id, location) : null;
                if (attached == null && imageReference.isEmpty()) {
                    throw ArmException.badRequest("InvalidParameter", "Required parameter 'imageReference' is"
                            + " missing (null).");
                }
                String hyperVGeneration = attached == null ? resolveImage(state, imageReference, location)
                        : String.valueOf(map(attached.get("properties")).getOrDefault("hyperVGeneration", "V1"));
                List<Map<String, Object>> nicRefs = maps(map(properties.get("networkProfile"))
                        .get("networkInterfaces"));
                if (nicRefs.isEmpty()) {
                    throw ArmException.badRequest("InvalidParameter", "Required parameter 'networkProfile' is"
                            + " missing (null).");
                }
                List<Map<String, Object>> nics = new ArrayList<>();
                for (Map<String, Object> ref : nicRefs) {
                    String nicId = ref.get("id") instanceof String s ? s : "";
                    Map<String, Object> nic = state.resource(nicId);
                    if (nic == null || !String.valueOf(nic.get("type")).equalsIgnoreCase(
                            "Microsoft.Network/networkInterfaces")) {
                        throw ArmException.badRequest("InvalidResourceReference", "Resource " + nicId
                                + " referenced by resource " + id + " was not found. Please make sure that the"
                                + " referenced resource exists, and that both resources are in the same region.");
                    }
                    if (map(map(nic.get("properties")).get("virtualMachine")).get("id") instanceof String user
                            && !user.equalsIgnoreCase(id)) {
                        throw ArmException.badRequest("NicInUse", "Network Interface " + nic.get("id")
                                + " is used by existing resource " + user + ".");
                    }
                    ref.put("id", nic.get("id"));
                    nics.add(nic);
                }
                Map<String, Object> osProfile = map(properties.get("osProfile"));
                if (attached == null && (osProfile.isEmpty() || !(osProfile.get("adminUsername") instanceof String))) {
                    throw ArmException.badRequest("InvalidParameter", "Required parameter 'osProfile' is missing"
                            + " (null).");
                }
                if (attached == null) {
                    osProfile.remove("adminPassword");
                    osProfile.putIfAbsent("computerName", name);
                    osProfile.putIfAbsent("secrets", List.of());
                    osProfile.putIfAbsent("allowExtensionOperations", true);
                }
                Map<String, Object> hardware = map(properties.get("hardwareProfile"));
                hardware.putIfAbsent("vmSize", "Standard_B1s");
                properties.put("hardwareProfile", hardware);

                Map<String, Object> osDisk = map(storage.get("osDisk"));
                Map<String, Object> encryptionSet = attached == null ? diskEncryptionSet(state, osDisk, location)
                        : null;
                for (Map<String, Object> dataDisk : maps(storage.get("dataDisks"))) {
                    diskEncryptionSet(state, dataDisk, location);
                }
                Map<String, Object> managed = map(osDisk.get("managedDisk"));
                String diskName = attached != null ? (String) attached.get("name")
                        : osDisk.get("name") instanceof String n ? n
                        : name + "_OsDisk_1_" + UUID.randomUUID().toString().replace("-", "");
                String diskId = attached != null ? (String) attached.get("id")
                        : id.substring(0, id.indexOf("/providers/")) + "/providers/" + NAMESPACE + "/disks/" + diskName;
                if (attached == null && state.resource(diskId) != null) {
                    throw ArmException.conflict("Conflict", "Disk " + diskName + " already exists.");
                }
                String accountType = attached != null ? String.valueOf(map(attached.get("sku")).get("name"))
                        : managed.get("storageAccountType") instanceof String t ? t : "Premium_LRS";
                Object attachedSize = attached == null ? null : map(attached.get("properties")).get("diskSizeGB");
                int sizeGb = attachedSize instanceof Number n ? n.intValue()
                        : osDisk.get("diskSizeGB") instanceof Number n ? n.intValue() : 30;
                osDisk.put("osType", "Linux");
                osDisk.put("name", diskName);
                if (attached != null) {
                    osDisk.put("createOption", "Attach");
                }
                osDisk.putIfAbsent("createOption", "FromImage");
                osDisk.putIfAbsent("caching", "ReadWrite");
                osDisk.putIfAbsent("deleteOption", "Detach");
                osDisk.put("diskSizeGB", sizeGb);
                managed.put("storageAccountType", accountType);
                managed.put("id", diskId);
                osDisk.put("managedDisk", managed);
                storage.put("osDisk", osDisk);
                List<Map<String, Object>> dataDiskDocuments = dataDisks(state, storage, id, name, location, body,
                        accountType);
                if (attached == null) {
                    storage.put("imageReference", imageReference);
                }
                properties.put("storageProfile", storage);
                properties.put("vmId", UUID.randomUUID().toString());
                properties.put("timeCreated", Instant.now().toString());
                properties.put("provisioningState", "Creating");

                Map<String, Object> vm = new LinkedHashMap<>();
                vm.put("name", name);
                vm.put("id", id);
                vm.put("type", NAMESPACE + "/" + VM);
                vm.put("location", location);
                if (body.get("tags") instanceof Map<?, ?> tags) {
                    vm.put("tags", new LinkedHashMap<>(tags));
                }
                if (body.get("zones") instanceof List<?> zones) {
                    vm.put("zones", new ArrayList<>(zones));
                }
                vm.put("properties", properties);
                Map<String, Object> internal = new LinkedHashMap<>();
                internal.put("powerState", "starting");
                internal.put("generalized", false);
                internal.put("hyperVGeneration", hyperVGeneration);
                vm.put(INTERNAL, internal);
                if (attached != null) {
                    machines.createFromDisk(state, vm, nics, diskLayers(state, attached));
                } else {
                    machines.create(state, vm, nics);
                }
                state.putResource(id, vm);

                if (attached != null) {
                    // The disk itself becomes the VM's: no new disk document.
                    attached.put("managedBy", id);
                    map(attached.get("properties")).put("diskState", "Attached");
                } else {
                    Map<String, Object> diskDocument = disk(diskId, diskName, location, accountType, sizeGb,
                            hyperVGeneration, imageReference, id, body.get("zones"));
                    encryptWith(diskDocument, encryptionSet);
                    state.putResource(diskId, diskDocument);
                }
                for (Map<String, Object> dataDisk : dataDiskDocuments) {
                    state.putResource((String) dataDisk.get("id"), dataDisk);
                }
                for (Map<String, Object> nic : nics) {
                    map(nic.get("properties")).put("virtualMachine", new LinkedHashMap<>(Map.of("id", id)));
                }
                String operationId = operations.start(state, PUT_KIND, id);
                return operations.asyncAccepted(request, 201, view(vm, false), NAMESPACE, location, operationId,
                        false);
            } catch (ArmException e) {
                return e;
            }
        });
        return answer(outcome);
    }

    /**
     * The managed disk a new VM attaches as its OS disk ({@code storageProfile.osDisk.createOption: Attach},
     * {@code osDisk.managedDisk.id}), checked as Azure checks such a VM: no {@code osProfile} and no
     * {@code imageReference} (a specialized disk is not provisioned), the disk exists in the VM's location, is
     * attached to no VM, and its OS type is known ({@code osDisk.osType}, else the disk's). Returns the stored disk,
     * unchanged.
     */
    private static Map<String, Object> attachableOsDisk(State state, Map<String, Object> properties,
                                                        Map<String, Object> storage, String vmId, String location)
            throws ArmException {
        if (properties.get("osProfile") instanceof Map<?, ?>) {
            throw ArmException.badRequest("InvalidParameter", "Parameter 'osProfile' is not allowed.");
        }
        if (!map(storage.get("imageReference")).isEmpty()) {
            throw ArmException.badRequest("InvalidParameter", "Cannot attach an existing OS disk if the VM is created"
                    + " from a platform, user or a shared gallery image.");
        }
        Map<String, Object> osDisk = map(storage.get("osDisk"));
        String diskId = string(map(osDisk.get("managedDisk")).get("id"));
        if (diskId.isBlank()) {
            throw ArmException.badRequest("InvalidParameter", osDisk.containsKey("vhd")
                    ? "The emulator attaches managed disks only (osDisk.managedDisk.id), not VHD blobs (osDisk.vhd)."
                    : "Required parameter 'osDisk.managedDisk.id' is missing (null).");
        }
        Map<String, Object> disk = state.resource(diskId.startsWith("/") ? diskId : "/" + diskId);
        if (disk == null || !String.valueOf(disk.get("type")).equalsIgnoreCase(NAMESPACE + "/" + DISK)) {
            throw ArmException.notFound("NotFound", "Disk " + diskId + " is not found.");
        }
        if (!location.equals(disk.get("location"))) {
            throw ArmException.badRequest("InvalidParameter", "The disk '" + disk.get("id") + "' is in location '"
                    + disk.get("location") + "'; a VM in '" + location + "' can attach only disks of its own"
                    + " location.");
        }
        if (disk.get("managedBy") instanceof String owner) {
            throw ArmException.conflict("ConflictingUserInput", "Cannot attach the disk " + disk.get("name")
                    + " to VM " + vmId + " because it is already attached to VM " + owner + ". A disk can be"
                    + " attached to only one VM at a time.");
        }
        String osType = osDisk.get("osType") instanceof String requested && !requested.isBlank() ? requested
                : map(disk.get("properties")).get("osType") instanceof String own ? own : "";
        if (osType.isBlank()) {
            throw ArmException.badRequest("InvalidParameter", "Required parameter 'osDisk.osType' is missing (null).");
        }
        if (!osType.equalsIgnoreCase("Linux")) {
            throw ArmException.badRequest("InvalidParameter", "The emulator runs Linux VMs only; osType '" + osType
                    + "' is not supported.");
        }
        return disk;
    }

    /** As Azure shows a disk encrypted with customer-managed keys, when {@code encryptionSet} is not null. */
    private static void encryptWith(Map<String, Object> disk, Map<String, Object> encryptionSet) {
        if (encryptionSet != null) {
            map(disk.get("properties")).put("encryption", new LinkedHashMap<>(Map.of("type",
                    map(encryptionSet.get("properties")).getOrDefault("encryptionType",
                            "EncryptionAtRestWithCustomerKey"), "diskEncryptionSetId", encryptionSet.get("id"))));
        }
    }

    /**
     * A new VM's data disks: each {@code createOption: Empty} entry gets a managed disk of its own, named as Azure
     * names implicit data disks ({@code {vm}_disk{lun+2}_{32 hex}}), and each {@code Attach} entry names an existing
     * unattached disk. Both are returned attached to the VM (the caller stores them); the entries get
     * {@code name} and {@code managedDisk.id}, and {@code deleteOption} Detach unless given.
     */
    private static List<Map<String, Object>> dataDisks(State state, Map<String, Object> storage, String vmId,
                                                       String vmName, String location, Map<String, Object> body,
                                                       String osAccountType) throws ArmException {
        List<Map<String, Object>> entries = new ArrayList<>();
        List<Map<String, Object>> documents = new ArrayList<>();
        String disksPrefix = vmId.substring(0, vmId.indexOf("/providers/")) + "/providers/" + NAMESPACE + "/disks/";
        for (Map<String, Object> entry : maps(storage.get("dataDisks"))) {
            Map<String, Object> dataDisk = new LinkedHashMap<>(entry);
            Map<String, Object> managed = map(dataDisk.get("managedDisk"));
            int lun = dataDisk.get("lun") instanceof Number n ? n.intValue() : entries.size();
            String option = string(dataDisk.get("createOption"));
            Map<String, Object> disk;
            if ("Empty".equalsIgnoreCase(option)) {
                String diskName = dataDisk.get("name") instanceof String n ? n
                        : vmName + "_disk" + (lun + 2) + "_" + UUID.randomUUID().toString().replace("-", "");
                String diskId = disksPrefix + diskName;
                if (state.resource(diskId) != null) {
                    throw ArmException.conflict("Conflict", "Disk " + diskName + " already exists.");
                }
                String accountType = managed.get("storageAccountType") instanceof String t ? t : osAccountType;
                Map<String, Object> diskBody = new LinkedHashMap<>();
                diskBody.put("sku", Map.of("name", accountType));
                if (body.get("zones") != null) {
                    diskBody.put("zones", body.get("zones"));
                }
                disk = newDisk(DISK, diskId, diskName, location, diskBody, Map.of(), emptyCreation(),
                        emptySizeGb(dataDisk, "dataDisk.diskSizeGB"));
                encryptWith(disk, diskEncryptionSet(state, dataDisk, location));
                managed.put("storageAccountType", accountType);
            } else if ("Attach".equalsIgnoreCase(option)) {
                String diskId = string(managed.get("id"));
                Map<String, Object> stored = diskId.isBlank() ? null
                        : state.resource(diskId.startsWith("/") ? diskId : "/" + diskId);
                if (stored == null || !String.valueOf(stored.get("type")).equalsIgnoreCase(NAMESPACE + "/" + DISK)) {
                    throw ArmException.notFound("NotFound", "Disk " + diskId + " is not found.");
                }
                if (stored.get("managedBy") instanceof String user) {
                    throw ArmException.conflict("OperationNotAllowed", "Disk " + stored.get("name")
                            + " is attached to VM " + user + ".");
                }
                // A copy: the stored disk changes only once the VM is stored too.
                disk = new LinkedHashMap<>(stored);
                disk.put("properties", new LinkedHashMap<>(map(stored.get("properties"))));
                managed.put("storageAccountType", map(disk.get("sku")).get("name"));
            } else {
                throw ArmException.badRequest("InvalidParameter", "The emulator creates data disks only empty"
                        + " (createOption 'Empty') or attaches existing ones (createOption 'Attach'); '" + option
                        + "' is not supported.");
            }
            disk.put("managedBy", vmId);
            Map<String, Object> diskProperties = map(disk.get("properties"));
            diskProperties.put("diskState", "Attached");
            diskProperties.put("provisioningState", "Succeeded");
            dataDisk.put("lun", lun);
            dataDisk.put("name", disk.get("name"));
            dataDisk.put("createOption", "Empty".equalsIgnoreCase(option) ? "Empty" : "Attach");
            dataDisk.putIfAbsent("caching", "None");
            dataDisk.putIfAbsent("deleteOption", "Detach");
            dataDisk.put("diskSizeGB", diskProperties.get("diskSizeGB"));
            managed.put("id", disk.get("id"));
            dataDisk.put("managedDisk", managed);
            entries.add(dataDisk);
            documents.add(disk);
        }
        storage.put("dataDisks", entries);
        return documents;
    }

    private Response updateVm(ArmRequest request, State state, Map<String, Object> vm, Map<String, Object> body,
                              String location) throws ArmException {
        if (!location.equals(vm.get("location"))) {
            throw ArmException.conflict("InvalidResourceLocation", "The resource '" + vm.get("name")
                    + "' already exists in location '" + vm.get("location") + "' in resource group.");
        }
        Map<String, Object> properties = map(vm.get("properties"));
        if (!"Succeeded".equals(properties.get("provisioningState"))) {
            throw ArmException.conflict("OperationNotAllowed", "Operation 'Update' is not allowed on VM '"
                    + vm.get("name") + "' since another operation is in progress.");
        }
        if (body.get("tags") instanceof Map<?, ?> tags) {
            vm.put("tags", new LinkedHashMap<>(tags));
        }
        if (map(map(body.get("properties")).get("hardwareProfile")).get("vmSize") instanceof String size) {
            map(properties.get("hardwareProfile")).put("vmSize", size);
        }
        if (map(body.get("properties")).get("diagnosticsProfile") instanceof Map<?, ?> diagnosticsProfile) {
            properties.put("diagnosticsProfile", deepCopy(diagnosticsProfile));
        }
        properties.put("provisioningState", "Updating");
        String operationId = operations.start(state, PUT_KIND, (String) vm.get("id"));
        return operations.asyncAccepted(request, 200, view(vm, false), NAMESPACE, location, operationId, false);
    }

    /** Checks the image reference and fills in {@code exactVersion}; returns the hyper-V generation. */
    static String resolveImage(State state, Map<String, Object> reference, String location)
            throws ArmException {
        String shared = SharedGalleryProvider.sharedId(reference);
        if (shared != null) {
            // A community or directly shared gallery's version; 'latest' resolves to the newest, recorded as Azure does.
            Map<String, Object> version = SharedGalleryProvider.resolve(state, shared);
            reference.put("exactVersion", version.get("name"));
            Map<String, Object> definition = state.resource(((String) version.get("id"))
                    .replaceFirst("(?i)/versions/[^/]+$", ""));
            Object generation = definition == null ? null : map(definition.get("properties")).get("hyperVGeneration");
            return generation instanceof String g ? g : "V1";
        }
        if (reference.get("id") instanceof String imageId) {
            Map<String, Object> image = state.resource(imageId);
            if (image != null && String.valueOf(image.get("type")).equalsIgnoreCase(NAMESPACE + "/galleries/images")) {
                // A gallery image definition: Azure takes its latest version, and tells which in exactVersion.
                Map<String, Object> latest = SharedGalleryProvider.latestVersion(state, (String) image.get("id"));
                if (latest == null) {
                    throw ArmException.notFound("NotFound", "The gallery image '" + imageId + "' has no version"
                            + " to use as latest in '" + location + "' region.");
                }
                reference.put("id", image.get("id"));
                reference.put("exactVersion", latest.get("name"));
                Object generation = map(image.get("properties")).get("hyperVGeneration");
                return generation instanceof String g ? g : "V1";
            }
            if (image != null && String.valueOf(image.get("type")).equalsIgnoreCase(NAMESPACE
                    + "/galleries/images/versions")) {
                reference.put("id", image.get("id"));
                Map<String, Object> definition = state.resource(((String) image.get("id"))
                        .replaceFirst("(?i)/versions/[^/]+$", ""));
                Object generation = definition == null ? null : map(definition.get("properties"))
                        .get("hyperVGeneration");
                return generation instanceof String g ? g : "V1";
            }
            if (image == null || !String.valueOf(image.get("type")).equalsIgnoreCase(NAMESPACE + "/" + IMAGE)) {
                throw ArmException.notFound("NotFound", "The Image '" + imageId + "' cannot be found in '"
                        + location + "' region.");
            }
            reference.put("id", image.get("id"));
            Object generation = map(image.get("properties")).get("hyperVGeneration");
            return generation instanceof String g ? g : "V1";
        }
        String publisher = string(reference.get("publisher"));
        String offer = string(reference.get("offer"));
        String sku = string(reference.get("sku"));
        String version = reference.get("version") instanceof String v ? v : "latest";
        String urn = publisher + ":" + offer + ":" + sku + ":" + version;
        String exact = MarketplaceCatalogue.exactVersion(publisher, offer, sku, version).orElse(null);
        if (exact == null) {
            throw ArmException.notFound("PlatformImageNotFound", "The platform image '" + urn + "' is not"
                    + " available. Verify that all fields in the storage profile are correct. For more details"
                    + " about storage profile information, please refer to https://aka.ms/storageprofile");
        }
        reference.put("version", version);
        reference.put("exactVersion", exact);
        return MarketplaceCatalogue.sku(publisher, offer, sku).orElseThrow().hyperVGeneration();
    }

    private static Map<String, Object> disk(String diskId, String diskName, String location, String accountType,
                                            int sizeGb, String hyperVGeneration, Map<String, Object> imageReference,
                                            String vmId, Object zones) {
        Map<String, Object> disk = new LinkedHashMap<>();
        disk.put("name", diskName);
        disk.put("id", diskId);
        disk.put("type", NAMESPACE + "/" + DISK);
        disk.put("location", location);
        disk.put("managedBy", vmId);
        if (zones instanceof List<?> z) {
            disk.put("zones", new ArrayList<>(z));
        }
        disk.put("sku", new LinkedHashMap<>(Map.of("name", accountType,
                "tier", accountType.startsWith("Premium") ? "Premium" : "Standard")));
        Map<String, Object> creation = new LinkedHashMap<>();
        creation.put("createOption", "FromImage");
        String subscriptionId = diskId.split("/")[2];
        String source = imageReference.get("id") instanceof String imageId ? imageId
                : "/Subscriptions/" + subscriptionId + "/Providers/Microsoft.Compute/Locations/" + location
                + "/Publishers/" + imageReference.get("publisher") + "/ArtifactTypes/VMImage/Offers/"
                + imageReference.get("offer") + "/Skus/" + imageReference.get("sku") + "/Versions/"
                + imageReference.get("exactVersion");
        String shared = SharedGalleryProvider.sharedId(imageReference);
        if (shared != null) {
            creation.put("galleryImageReference", new LinkedHashMap<>(Map.of(
                    imageReference.containsKey("communityGalleryImageId") ? "communityGalleryImageId"
                            : "sharedGalleryImageId", shared)));
        } else {
            creation.put("imageReference", new LinkedHashMap<>(Map.of("id", source)));
        }
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("osType", "Linux");
        properties.put("hyperVGeneration", hyperVGeneration);
        properties.put("creationData", creation);
        properties.put("diskSizeGB", sizeGb);
        properties.put("diskSizeBytes", (long) sizeGb * 1024 * 1024 * 1024);
        properties.put("uniqueId", UUID.randomUUID().toString());
        properties.put("provisioningState", "Succeeded");
        properties.put("diskState", "Attached");
        properties.put("timeCreated", Instant.now().toString());
        disk.put("properties", properties);
        return disk;
    }

    private Response vmSubresource(ArmRequest request, String id, String name, String groupName, String segment)
            throws ArmException {
        if (segment.equalsIgnoreCase("instanceView")) {
            requireMethod(request, "GET");
            Map<String, Object> instanceView = store.read(state -> {
                Map<String, Object> vm = state.resource(id);
                return vm == null ? null : VmExtensions.addTo(instanceView(vm), state, id);
            });
            if (instanceView == null) {
                throw notFound(VM, name, groupName);
            }
            return Response.json(200, instanceView);
        }
        requireMethod(request, "POST");
        if (segment.equalsIgnoreCase("runCommand")) {
            String location = store.read(state -> state.resource(id) == null ? null
                    : String.valueOf(state.resource(id).get("location")));
            return runCommands.run(request, id, location, vm -> "running".equals(map(vm.get(INTERNAL))
                    .get("powerState")), notFound(VM, name, groupName));
        }
        if (segment.equalsIgnoreCase("retrieveBootDiagnosticsData")) {
            return retrieveBootDiagnosticsData(request, id, name, groupName);
        }
        if (segment.equalsIgnoreCase("generalize")) {
            return generalize(id, name, groupName);
        }
        String action = ACTIONS.stream().filter(a -> a.equalsIgnoreCase(segment)).findFirst().orElse(null);
        if (action == null) {
            throw ArmException.badRequest("InvalidResourceType", "The emulator does not know the action '"
                    + segment + "' on virtual machines.");
        }
        Object outcome = store.write(state -> {
            Map<String, Object> vm = state.resource(id);
            if (vm == null) {
                return notFound(VM, name, groupName);
            }
            Map<String, Object> internal = map(vm.get(INTERNAL));
            String provisioning = String.valueOf(map(vm.get("properties")).get("provisioningState"));
            if (provisioning.equals("Deleting") || provisioning.equals("Creating")) {
                return ArmException.conflict("OperationNotAllowed", "Operation '" + action + "' is not allowed on"
                        + " VM '" + vm.get("name") + "' since the VM is " + provisioning.toLowerCase(Locale.ROOT)
                        + ".");
            }
            if ((action.equals("start") || action.equals("restart"))
                    && Boolean.TRUE.equals(internal.get("generalized"))) {
                return ArmException.conflict("OperationNotAllowed", "Operation '" + action + "' is not allowed on"
                        + " VM '" + vm.get("name") + "' since the VM is generalized.");
            }
            if (action.equals("restart") && !"running".equals(internal.get("powerState"))) {
                return ArmException.conflict("OperationNotAllowed", "Operation 'restart' is not allowed on VM '"
                        + vm.get("name") + "' since the VM is " + internal.get("powerState") + ".");
            }
            try {
                machines.act(state, vm, action);
            } catch (ArmException e) {
                return e;
            }
            internal.put("powerState", switch (action) {
                case "powerOff" -> "stopping";
                case "deallocate" -> "deallocating";
                default -> "starting";
            });
            String operationId = operations.start(state, ACTION_KIND, id + "#" + action);
            return operations.asyncAccepted(request, 202, null, NAMESPACE, (String) vm.get("location"),
                    operationId, true);
        });
        return answer(outcome);
    }

    private Response generalize(String id, String name, String groupName) throws ArmException {
        Object outcome = store.write(state -> {
            Map<String, Object> vm = state.resource(id);
            if (vm == null) {
                return notFound(VM, name, groupName);
            }
            Map<String, Object> internal = map(vm.get(INTERNAL));
            String power = String.valueOf(internal.get("powerState"));
            if (!power.equals("stopped") && !power.equals("deallocated")) {
                return ArmException.conflict("OperationNotAllowed", "Operation 'generalize' is not allowed on VM '"
                        + vm.get("name") + "' since the VM is " + power + ". Please stop or deallocate the VM and"
                        + " retry.");
            }
            internal.put("generalized", true);
            return Response.empty(200);
        });
        return answer(outcome);
    }

    private void requireVm(String id, String name, String groupName) throws ArmException {
        if (store.read(state -> state.resource(id)) == null) {
            throw notFound(VM, name, groupName);
        }
    }

    private static void actionDone(State state, String target) {
        int hash = target.lastIndexOf('#');
        Map<String, Object> vm = state.resource(target.substring(0, hash));
        if (vm != null) {
            map(vm.get(INTERNAL)).put("powerState", switch (target.substring(hash + 1)) {
                case "powerOff" -> "stopped";
                case "deallocate" -> "deallocated";
                default -> "running";
            });
        }
    }

    private static Map<String, Object> instanceView(Map<String, Object> vm) {
        Map<String, Object> internal = map(vm.get(INTERNAL));
        Map<String, Object> properties = map(vm.get("properties"));
        String provisioning = String.valueOf(properties.get("provisioningState"));
        String power = String.valueOf(internal.get("powerState"));
        List<Object> statuses = new ArrayList<>();
        statuses.add(status("ProvisioningState/" + provisioning.toLowerCase(Locale.ROOT),
                "Provisioning " + provisioning.toLowerCase(Locale.ROOT), properties.get("timeCreated")));
        if (Boolean.TRUE.equals(internal.get("generalized"))) {
            statuses.add(status("OSState/generalized", "VM generalized", null));
        }
        statuses.add(status("PowerState/" + power, "VM " + power, null));
        Map<String, Object> view = new LinkedHashMap<>();
        if (map(properties.get("osProfile")).get("computerName") instanceof String computerName) {
            view.put("computerName", computerName);  // none for a VM on a specialized disk: it has no osProfile
        }
        view.put("osName", "ubuntu");
        view.put("hyperVGeneration", internal.get("hyperVGeneration"));
        Map<String, Object> osDisk = map(map(properties.get("storageProfile")).get("osDisk"));
        view.put("disks", List.of(new LinkedHashMap<>(Map.of("name", String.valueOf(osDisk.get("name")),
                "statuses", List.of(status("ProvisioningState/succeeded", "Provisioning succeeded", null))))));
        view.put("statuses", statuses);
        return view;
    }

    private static Map<String, Object> status(String code, String display, Object time) {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("code", code);
        status.put("level", "Info");
        status.put("displayStatus", display);
        if (time != null) {
            status.put("time", time);
        }
        return status;
    }

    // ---- images ----

    private Response putImage(ArmRequest request, String id, String name, Map<String, Object> body)
            throws ArmException {
        ProviderSupport.requireComputeName(AzureNames.Kind.MANAGED_IMAGE, name);
        location(body);
        Map<String, Object> requested = map(body.get("properties"));
        String blobUri = FileImage.blobUri(requested);
        if (blobUri != null && !(map(requested.get("sourceVirtualMachine")).get("id") instanceof String)) {
            return putImageFromFiles(request, id, name, body, blobUri);
        }
        Object outcome = store.write(state -> {
            try {
                checkNewImage(state, id, name);
                Map<String, Object> properties = map(deepCopy(body.get("properties")));
                properties.remove("provisioningState");
                String sourceId = map(properties.get("sourceVirtualMachine")).get("id") instanceof String s ? s : null;
                Map<String, Object> requestedOsDisk = map(map(properties.get("storageProfile")).get("osDisk"));
                String diskSource = map(requestedOsDisk.get("snapshot")).get("id") instanceof String snap ? snap
                        : map(requestedOsDisk.get("managedDisk")).get("id") instanceof String disk ? disk : null;
                if (sourceId == null && diskSource != null) {
                    return imageFromDisk(state, request, id, name, body, properties, diskSource);
                }
                if (sourceId == null) {
                    throw ArmException.badRequest("InvalidParameter", "The emulator creates images from a virtual"
                            + " machine (properties.sourceVirtualMachine.id) or from a local folder or tarball"
                            + " (properties.storageProfile.osDisk.blobUri), a snapshot (osDisk.snapshot.id) or a"
                            + " managed disk (osDisk.managedDisk.id); the request gives none of them.");
                }
                Map<String, Object> vm = state.resource(sourceId);
                if (vm == null || !String.valueOf(vm.get("type")).equalsIgnoreCase(NAMESPACE + "/" + VM)) {
                    throw ArmException.notFound("NotFound", "The entity was not found in this Azure location."
                            + " Virtual machine " + sourceId + " does not exist.");
                }
                Map<String, Object> internal = map(vm.get(INTERNAL));
                if (!Boolean.TRUE.equals(internal.get("generalized"))) {
                    throw new ArmException(409, "OperationNotAllowed", "The operation 'Create Image' requires the"
                            + " Virtual Machine '" + vm.get("name") + "' to be Generalized.");
                }
                List<String> layers = machines.capture(vm);
                Map<String, Object> vmOsDisk = map(map(map(vm.get("properties")).get("storageProfile")).get("osDisk"));
                Map<String, Object> osDisk = new LinkedHashMap<>();
                osDisk.put("osType", "Linux");
                osDisk.put("osState", "Generalized");
                osDisk.put("managedDisk", new LinkedHashMap<>(Map.of("id",
                        map(vmOsDisk.get("managedDisk")).get("id"))));
                osDisk.put("caching", "ReadWrite");
                osDisk.put("storageAccountType", map(vmOsDisk.get("managedDisk")).get("storageAccountType"));
                osDisk.put("diskSizeGB", vmOsDisk.get("diskSizeGB"));
                Map<String, Object> storage = new LinkedHashMap<>();
                storage.put("osDisk", osDisk);
                storage.put("dataDisks", List.of());
                storage.put("zoneResilient", false);
                properties.put("sourceVirtualMachine", new LinkedHashMap<>(Map.of("id", vm.get("id"))));
                properties.put("storageProfile", storage);
                properties.put("hyperVGeneration", internal.get("hyperVGeneration"));
                return createImage(state, request, id, name, body, properties, layers);
            } catch (ArmException e) {
                return e;
            }
        });
        return answer(outcome);
    }

    /**
     * An image from a snapshot or managed disk ({@code storageProfile.osDisk.snapshot.id} or
     * {@code .managedDisk.id}): its content is the source's as it is now.
     */
    private Response imageFromDisk(State state, ArmRequest request, String id, String name, Map<String, Object> body,
                                   Map<String, Object> properties, String sourceId) throws ArmException {
        Map<String, Object> source = diskOrSnapshot(state, sourceId);
        if (source == null) {
            throw ArmException.notFound("NotFound", "The entity was not found in this Azure location. Resource "
                    + sourceId + " does not exist.");
        }
        Map<String, Object> sourceProperties = map(source.get("properties"));
        Map<String, Object> osDisk = map(map(properties.get("storageProfile")).get("osDisk"));
        osDisk.putIfAbsent("osType", sourceProperties.getOrDefault("osType", "Linux"));
        osDisk.putIfAbsent("osState", "Generalized");
        String key = osDisk.containsKey("snapshot") ? "snapshot" : "managedDisk";
        osDisk.put(key, new LinkedHashMap<>(Map.of("id", source.get("id"))));
        osDisk.putIfAbsent("caching", "ReadWrite");
        osDisk.putIfAbsent("storageAccountType", map(source.get("sku")).getOrDefault("name", "Standard_LRS"));
        osDisk.putIfAbsent("diskSizeGB", sourceProperties.get("diskSizeGB"));
        Map<String, Object> storage = map(properties.get("storageProfile"));
        storage.put("osDisk", osDisk);
        storage.putIfAbsent("dataDisks", List.of());
        storage.putIfAbsent("zoneResilient", false);
        properties.put("storageProfile", storage);
        properties.putIfAbsent("hyperVGeneration", sourceProperties.getOrDefault("hyperVGeneration", "V1"));
        return createImage(state, request, id, name, body, properties, diskLayers(state, source));
    }

    /**
     * An image from a local folder or tarball (see {@link FileImage}). The import runs outside the store's lock,
     * since large content takes a while; the layer it leaves behind if the image appeared meanwhile is harmless.
     */
    private Response putImageFromFiles(ArmRequest request, String id, String name, Map<String, Object> body,
                                       String blobUri) throws ArmException {
        Map<String, Object> requested = map(body.get("properties"));
        Path source = FileImage.source(requested, blobUri);
        ArmException exists = store.read(state -> state.resource(id) == null ? null : imageExists(name));
        if (exists != null) {
            throw exists;
        }
        List<String> layers = machines.importLayers(source);
        Object outcome = store.write(state -> {
            try {
                checkNewImage(state, id, name);
                Map<String, Object> properties = new LinkedHashMap<>();
                properties.put("storageProfile", FileImage.storageProfile(requested, blobUri));
                properties.put("hyperVGeneration", FileImage.hyperVGeneration(requested));
                return createImage(state, request, id, name, body, properties, layers);
            } catch (ArmException e) {
                return e;
            }
        });
        return answer(outcome);
    }

    private static void checkNewImage(State state, String id, String name) throws ArmException {
        if (state.resource(id) != null) {
            throw imageExists(name);
        }
    }

    private static ArmException imageExists(String name) {
        return ArmException.conflict("OperationNotAllowed", "The image '" + name + "' already exists;"
                + " updating images is not supported by the emulator.");
    }

    /** Stores the image document with its layers and answers the PUT as Azure's asynchronous creation. */
    private Response createImage(State state, ArmRequest request, String id, String name, Map<String, Object> body,
                                 Map<String, Object> properties, List<String> layers) throws ArmException {
        String location = location(body);
        properties.put("provisioningState", "Creating");
        Map<String, Object> image = new LinkedHashMap<>();
        image.put("name", name);
        image.put("id", id);
        image.put("type", NAMESPACE + "/" + IMAGE);
        image.put("location", location);
        if (body.get("tags") instanceof Map<?, ?> tags) {
            image.put("tags", new LinkedHashMap<>(tags));
        }
        image.put("properties", properties);
        image.put(INTERNAL, new LinkedHashMap<>(Map.of(VmMachines.LAYERS, layers)));
        state.putResource(id, image);
        String operationId = operations.start(state, PUT_KIND, id);
        return operations.asyncAccepted(request, 201, view(image, false), NAMESPACE, location, operationId, false);
    }

    private static void putDone(State state, String target) {
        Map<String, Object> document = state.resource(target);
        if (document == null) {
            return;
        }
        map(document.get("properties")).put("provisioningState", "Succeeded");
        if (String.valueOf(document.get("type")).equalsIgnoreCase(NAMESPACE + "/" + VM)) {
            Map<String, Object> internal = map(document.get(INTERNAL));
            if ("starting".equals(internal.get("powerState"))) {
                internal.put("powerState", "running");
            }
        }
    }

    // ---- DELETE ----

    private Response delete(ArmRequest request, String type, String id) throws ArmException {
        Object outcome = store.write(state -> {
            Map<String, Object> document = state.resource(id);
            if (document == null) {
                return Response.empty(204);
            }
            Map<String, Object> properties = map(document.get("properties"));
            if (type.equals(DISK) && document.get("managedBy") instanceof String vm) {
                return ArmException.conflict("OperationNotAllowed", "Disk " + document.get("name")
                        + " is attached to VM " + vm + ".");
            }
            properties.put("provisioningState", "Deleting");
            if (type.equals(VM)) {
                try {
                    keepDetachedDisk(state, document);
                } catch (ArmException e) {
                    return e;
                }
                machines.delete(document);
            }
            String operationId = operations.start(state, DELETE_KIND, id);
            return operations.asyncAccepted(request, 202, null, NAMESPACE, (String) document.get("location"),
                    operationId, true);
        });
        return answer(outcome);
    }

    /** An OS disk that outlives its VM keeps the machine's content, for snapshots and images made from it later. */
    private void keepDetachedDisk(State state, Map<String, Object> vm) throws ArmException {
        Map<String, Object> osDisk = map(map(map(vm.get("properties")).get("storageProfile")).get("osDisk"));
        Object diskId = map(osDisk.get("managedDisk")).get("id");
        Map<String, Object> disk = diskId instanceof String d ? state.resource(d) : null;
        if (disk != null && !"Delete".equalsIgnoreCase(String.valueOf(osDisk.get("deleteOption")))) {
            Map<String, Object> internal = map(disk.get(INTERNAL));
            internal.put(VmMachines.LAYERS, machines.snapshot(vm));
            disk.put(INTERNAL, internal);
        }
    }

    private static void remove(State state, String target) {
        Map<String, Object> document = state.resource(target);
        if (document == null) {
            return;
        }
        if (String.valueOf(document.get("type")).equalsIgnoreCase(NAMESPACE + "/" + VM)) {
            Map<String, Object> properties = map(document.get("properties"));
            for (Map<String, Object> ref : maps(map(properties.get("networkProfile")).get("networkInterfaces"))) {
                Map<String, Object> nic = state.resource(String.valueOf(ref.get("id")));
                if (nic == null) {
                    continue;
                }
                if ("Delete".equalsIgnoreCase(String.valueOf(map(ref.get("properties")).get("deleteOption")))) {
                    state.removeTree((String) nic.get("id"));
                } else {
                    map(nic.get("properties")).remove("virtualMachine");
                }
            }
            Map<String, Object> storage = map(properties.get("storageProfile"));
            List<Map<String, Object>> vmDisks = new ArrayList<>(maps(storage.get("dataDisks")));
            vmDisks.add(0, map(storage.get("osDisk")));
            for (Map<String, Object> vmDisk : vmDisks) {
                Object diskId = map(vmDisk.get("managedDisk")).get("id");
                Map<String, Object> disk = diskId instanceof String d ? state.resource(d) : null;
                if (disk == null) {
                    continue;
                }
                if ("Delete".equalsIgnoreCase(String.valueOf(vmDisk.get("deleteOption")))) {
                    state.removeTree((String) disk.get("id"));
                } else {
                    disk.remove("managedBy");
                    map(disk.get("properties")).put("diskState", "Unattached");
                }
            }
        }
        state.removeTree(target);
    }

    /** The content of an image source: a (generalized) VM's disk frozen, or an image's or version's layers. */
    public List<String> layersOf(Map<String, Object> source) throws ArmException {
        return String.valueOf(source.get("type")).equalsIgnoreCase(NAMESPACE + "/" + VM) ? machines.capture(source)
                : VmMachines.layers(source);
    }

    /** The blob-like endpoint serving the boot diagnostics URIs that {@code retrieveBootDiagnosticsData} hands out. */
    public dev.imagebake.emulator.http.Route bootDiagnostics() {
        return diagnostics;
    }

    /**
     * {@code POST .../retrieveBootDiagnosticsData?sasUriExpirationTimeInMinutes=N} (1-1440, 120 when absent): the
     * screenshot and serial console log URIs of a VM with boot diagnostics enabled.
     */
    private Response retrieveBootDiagnosticsData(ArmRequest request, String id, String name, String groupName)
            throws ArmException {
        String minutesText = request.http().query().get("sasUriExpirationTimeInMinutes");
        int minutes;
        try {
            minutes = minutesText == null ? 120 : Integer.parseInt(minutesText.strip());
        } catch (NumberFormatException e) {
            minutes = -1;
        }
        if (minutes < 1 || minutes > 1440) {
            throw ArmException.badRequest("InvalidParameter", "The value of parameter sasUriExpirationTimeInMinutes"
                    + " is invalid: it must be between 1 and 1440.");
        }
        Map<String, Object> vm = store.read(state -> state.resource(id));
        if (vm == null) {
            throw notFound(VM, name, groupName);
        }
        Map<String, Object> boot = map(map(map(vm.get("properties")).get("diagnosticsProfile")).get("bootDiagnostics"));
        if (!Boolean.TRUE.equals(boot.get("enabled"))) {
            throw ArmException.conflict("OperationNotAllowed", "Boot diagnostics are not enabled for VM '"
                    + vm.get("name") + "'. Set diagnosticsProfile.bootDiagnostics.enabled and retry.");
        }
        return Response.json(200, diagnostics.uris(request.http().baseUrl(),
                String.valueOf(map(vm.get("properties")).get("vmId")), String.valueOf(vm.get("name")), minutes));
    }

    /** After an emulator restart: boots again the machines of the VMs that were running. */
    public void resumeMachines() {
        // Commands that ran when the emulator stopped ended with it; their operations and extensions say so.
        List<String> abandoned = operations.abandonAwaiting("VMAgentStatusCommunicationError", "The command's"
                + " machine stopped with the emulator before the command ended.");
        store.write(state -> {
            for (String target : abandoned) {
                Map<String, Object> extension = state.resource(target);
                if (extension != null && map(extension.get("properties")).containsKey("provisioningState")) {
                    map(extension.get("properties")).put("provisioningState", "Failed");
                }
            }
            return null;
        });
        store.write(state -> {
            for (Map<String, Object> vm : state.allResources()) {
                if (String.valueOf(vm.get("type")).equalsIgnoreCase(NAMESPACE + "/" + VM)) {
                    machines.resume(state, vm);
                }
            }
            return null;
        });
    }

    /** Stops and removes the machines of the group's VMs: the group is being deleted with them. */
    @Override
    public void groupDeleting(State state, String groupId) {
        String prefix = groupId.toLowerCase(java.util.Locale.ROOT) + "/";
        for (Map<String, Object> vm : state.allResources()) {
            if (String.valueOf(vm.get("type")).equalsIgnoreCase(NAMESPACE + "/" + VM)
                    && String.valueOf(vm.get("id")).toLowerCase(java.util.Locale.ROOT).startsWith(prefix)) {
                machines.delete(vm);
            }
        }
    }

    /** Stops every machine (the emulator is closing). */
    public void closeMachines() {
        machines.close();
    }

    // ---- views and helpers ----

    /** A deep copy for the reply without the emulator's internal state; a VM's instance view if asked. */
    private static Map<String, Object> view(Map<String, Object> document, boolean withInstanceView) {
        Map<String, Object> json = map(deepCopy(document));
        json.remove(INTERNAL);
        if (withInstanceView && String.valueOf(json.get("type")).equalsIgnoreCase(NAMESPACE + "/" + VM)) {
            map(json.get("properties")).put("instanceView", instanceView(document));
        }
        return json;
    }

    private static String location(Map<String, Object> body) throws ArmException {
        if (!(body.get("location") instanceof String rawLocation) || rawLocation.isBlank()) {
            throw ArmException.badRequest("LocationRequired", "The location property is required for this definition.");
        }
        return rawLocation.replace(" ", "").toLowerCase(Locale.ROOT);
    }

    private static String string(Object value) {
        return value instanceof String s ? s : "";
    }

    private static ArmException notFound(String type, String name, String group) {
        return resourceNotFound(NAMESPACE + "/" + type, name, group);
    }
}
