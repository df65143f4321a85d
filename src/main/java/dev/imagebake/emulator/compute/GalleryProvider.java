package dev.imagebake.emulator.compute;

import dev.imagebake.emulator.arm.ProviderSupport;
import dev.imagebake.emulator.arm.ArmException;
import dev.imagebake.emulator.arm.ArmPath;
import dev.imagebake.emulator.arm.ArmRequest;
import dev.imagebake.emulator.arm.Operations;
import dev.imagebake.emulator.arm.ResourceProvider;
import dev.imagebake.emulator.http.Response;
import dev.imagebake.emulator.state.State;
import dev.imagebake.emulator.state.StateStore;
import dev.imagebake.util.AzureNames;
import dev.imagebake.util.Json;

import static dev.imagebake.emulator.arm.ProviderSupport.*;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Azure Compute Gallery control plane: {@code Microsoft.Compute/galleries/{g}}, its image definitions
 * {@code .../images/{def}} and their versions {@code .../versions/{MAJOR.MINOR.PATCH}}. Every PUT and DELETE is an
 * Azure-AsyncOperation LRO whose status URL is, as on Azure, {@code .../providers/Microsoft.Compute/locations/{loc}/
 * capsOperations/{id}} (served here). A version's operation stays {@code InProgress} until every target region of
 * its publishing profile is replicated: each poll of the status URL finishes one region's replica; the poll that
 * finishes the last one succeeds (or the operation settles once overdue, like any other). {@code GET ...?$expand=
 * ReplicationStatus} shows {@code replicationStatus{aggregatedState, summary[{region, state, progress}]}}.
 *
 * <p>Rules kept from Azure: a gallery with image definitions, or a definition with versions, cannot be deleted
 * (409 {@code CannotDeleteResource}); version names must be MAJOR.MINOR.PATCH; a version from a VM needs a
 * generalized VM when the definition is Generalized; a version that ended {@code Failed} stays and blocks a PUT of
 * the same version until it is deleted.
 *
 * <p>Test hook (not Azure): a version PUT whose tags contain {@code imagebake-emulator-fail: <ErrorCode>} (e.g.
 * {@code ReplicationFailed}) ends {@code Failed} with that error code, its regions' replication {@code Failed}.
 */
public final class GalleryProvider implements ResourceProvider {
    private static final String NAMESPACE = ComputeProvider.NAMESPACE;
    private static final String PUT_KIND = "gallery.put";
    private static final String DELETE_KIND = "gallery.delete";
    private static final String INTERNAL = "_emulator";
    /** The hidden test hook's tag; its value is the error code the version's creation fails with. */
    public static final String FAIL_TAG = "imagebake-emulator-fail";

    private static final String GALLERY_TYPE = NAMESPACE + "/galleries";
    private static final String IMAGE_TYPE = NAMESPACE + "/galleries/images";
    private static final String VERSION_TYPE = NAMESPACE + "/galleries/images/versions";

    private final StateStore store;
    private final Operations operations;

    private final LayerSource layers;

    public GalleryProvider(StateStore store, Operations operations) {
        this(store, operations, VmMachines::layers);
    }

    /** @param layers the content of a version's source (a VM's frozen disk, an image's or version's layers) */
    public GalleryProvider(StateStore store, Operations operations, LayerSource layers) {
        this.store = store;
        this.operations = operations;
        this.layers = layers;
        operations.register(PUT_KIND, GalleryProvider::putDone);
        operations.register(DELETE_KIND, (state, target) -> state.removeTree(target));
    }

    @Override
    public boolean accepts(ArmPath path) {
        if (path.matches("subscriptions/*/providers/microsoft.compute/galleries")
                || path.matches("subscriptions/*/providers/microsoft.compute/locations/*/capsoperations/*")) {
            return true;
        }
        if (path.size() < 7 || path.size() > 12 || !path.matches("subscriptions/*/resourcegroups/*/providers/"
                + "microsoft.compute/galleries" + "/*".repeat(path.size() - 7))) {
            return false;
        }
        return (path.size() < 9 || path.segment(8).equalsIgnoreCase("images"))
                && (path.size() < 11 || path.segment(10).equalsIgnoreCase("versions"));
    }

    @Override
    public Response handle(ArmRequest request) throws ArmException {
        ArmPath path = request.path();
        if (path.size() == 8 && path.segment(2).equalsIgnoreCase("providers")) {
            requireMethod(request, "GET");
            return capsOperation(request, path.segment(7));
        }
        if (path.size() == 5) {
            requireMethod(request, "GET");
            String prefix = ("/subscriptions/" + path.segment(1) + "/resourceGroups/").toLowerCase(Locale.ROOT);
            return Response.json(200, Map.of("value", store.read(state -> state.allResources().stream()
                    .filter(d -> GALLERY_TYPE.equalsIgnoreCase(String.valueOf(d.get("type"))))
                    .filter(d -> String.valueOf(d.get("id")).toLowerCase(Locale.ROOT).startsWith(prefix))
                    .map(d -> view(d, false)).toList())));
        }
        String groupName = ProviderSupport.existingGroupName(store, path);
        String providerId = "/subscriptions/" + path.segment(1) + "/resourceGroups/" + groupName + "/providers/"
                + NAMESPACE;
        // Levels: 7 galleries list, 8 gallery, 9 images list, 10 image, 11 versions list, 12 version.
        int size = path.size();
        String galleryId = size >= 8 ? providerId + "/galleries/" + path.segment(7) : null;
        String imageId = size >= 10 ? galleryId + "/images/" + path.segment(9) : null;
        String versionId = size >= 12 ? imageId + "/versions/" + path.segment(11) : null;
        if (size % 2 == 1) {
            requireMethod(request, "GET");
            String parentId = size == 7 ? providerId : size == 9 ? galleryId : imageId;
            String segment = size == 7 ? "galleries" : size == 9 ? "images" : "versions";
            if (size > 7) {
                requireParent(parentId, size == 9 ? GALLERY_TYPE : IMAGE_TYPE, path.segment(size - 2));
            }
            return Response.json(200, Map.of("value", store.read(state -> state.children(parentId, segment)
                    .stream().map(d -> view(d, false)).toList())));
        }
        String id = size == 8 ? galleryId : size == 10 ? imageId : versionId;
        String type = size == 8 ? GALLERY_TYPE : size == 10 ? IMAGE_TYPE : VERSION_TYPE;
        String name = path.segment(size - 1);
        return switch (request.method()) {
            case "GET" -> {
                boolean expand = "ReplicationStatus".equalsIgnoreCase(request.http().query().get("$expand"));
                Map<String, Object> document = store.read(state -> {
                    Map<String, Object> d = state.resource(id);
                    return d == null ? null : view(d, expand);
                });
                if (document == null) {
                    throw notFound(type, name, groupName);
                }
                yield Response.json(200, document);
            }
            case "PUT" -> switch (size) {
                case 8 -> putGallery(request, id, name, request.jsonBody());
                case 10 -> putImage(request, galleryId, id, name, request.jsonBody());
                default -> putVersion(request, imageId, id, name, request.jsonBody());
            };
            case "DELETE" -> delete(request, id, size);
            case "PATCH" -> {
                if (size != 12) {
                    throw methodNotAllowed(request);
                }
                yield ProviderSupport.patchTags(store, id, request.jsonBody(), d -> view(d, false),
                        () -> notFound(type, name, groupName));
            }
            default -> throw methodNotAllowed(request);
        };
    }

    // ---- galleries ----

    private Response putGallery(ArmRequest request, String id, String name, Map<String, Object> body)
            throws ArmException {
        ProviderSupport.requireComputeName(AzureNames.Kind.GALLERY, name);
        String location = location(body);
        Object outcome = store.write(state -> {
            try {
                Map<String, Object> existing = state.resource(id);
                Map<String, Object> properties = map(body.get("properties"));
                if (existing != null) {
                    Map<String, Object> current = requireUpdatable(existing, location);
                    if (properties.get("description") instanceof String description) {
                        current.put("description", description);
                    }
                    if (properties.get("sharingProfile") instanceof Map<?, ?> given) {
                        current.put("sharingProfile", sharingProfile(map(given), map(current.get("sharingProfile"))));
                    }
                    return update(request, state, existing, body, location);
                }
                Map<String, Object> props = new LinkedHashMap<>();
                if (properties.get("description") instanceof String description) {
                    props.put("description", description);
                }
                if (properties.get("sharingProfile") instanceof Map<?, ?> given) {
                    props.put("sharingProfile", sharingProfile(map(given), Map.of()));
                }
                props.put("identifier", new LinkedHashMap<>(Map.of("uniqueName",
                        id.split("/")[2] + "-" + name.toUpperCase(Locale.ROOT))));
                props.put("provisioningState", "Creating");
                Map<String, Object> gallery = document(id, name, GALLERY_TYPE, location, body, props);
                state.putResource(id, gallery);
                return accepted(request, state, 201, gallery, location);
            } catch (ArmException e) {
                return e;
            }
        });
        return answer(outcome);
    }

    /**
     * A gallery's sharing as Azure keeps it: Private (the default), Groups (shared directly, seen under the gallery's
     * {@code identifier.uniqueName}) or Community (public, under a name Azure makes from
     * {@code communityGalleryInfo.publicNamePrefix}, kept while the gallery stays shared to the community).
     */
    private static Map<String, Object> sharingProfile(Map<String, Object> given, Map<String, Object> current)
            throws ArmException {
        String permissions = given.get("permissions") instanceof String p ? p : "Private";
        Map<String, Object> profile = new LinkedHashMap<>();
        switch (permissions.toLowerCase(Locale.ROOT)) {
            case "private" -> profile.put("permissions", "Private");
            case "groups" -> {
                profile.put("permissions", "Groups");
                profile.put("groups", given.get("groups") instanceof List<?> groups ? deepCopy(groups)
                        : current.getOrDefault("groups", List.of()));
            }
            case "community" -> {
                Map<String, Object> info = map(deepCopy(given.get("communityGalleryInfo")));
                Map<String, Object> before = map(current.get("communityGalleryInfo"));
                if (!(info.get("publicNamePrefix") instanceof String prefix) || prefix.isBlank()) {
                    throw ArmException.badRequest("InvalidParameter", "Required parameter"
                            + " 'sharingProfile.communityGalleryInfo.publicNamePrefix' is missing (null).");
                }
                info.put("publicNames", before.get("publicNames") instanceof List<?> names && !names.isEmpty()
                        ? deepCopy(names) : List.of(prefix + "-" + java.util.UUID.randomUUID()));
                info.put("communityGalleryEnabled", true);
                profile.put("permissions", "Community");
                profile.put("communityGalleryInfo", info);
            }
            default -> throw ArmException.badRequest("InvalidParameter", "The value '" + permissions + "' of"
                    + " 'sharingProfile.permissions' is invalid: it is Private, Groups or Community.");
        }
        return profile;
    }

    // ---- image definitions ----

    private Response putImage(ArmRequest request, String galleryId, String id, String name, Map<String, Object> body)
            throws ArmException {
        ProviderSupport.requireComputeName(AzureNames.Kind.GALLERY_IMAGE, name);
        String location = location(body);
        Object outcome = store.write(state -> {
            try {
                requireParent(state, galleryId, GALLERY_TYPE);
                Map<String, Object> properties = map(deepCopy(body.get("properties")));
                Map<String, Object> existing = state.resource(id);
                if (existing != null) {
                    Map<String, Object> current = requireUpdatable(existing, location);
                    for (String immutable : List.of("osType", "osState", "hyperVGeneration", "identifier")) {
                        if (properties.containsKey(immutable)
                                && !Json.write(properties.get(immutable)).equalsIgnoreCase(
                                        Json.write(current.get(immutable)))) {
                            throw ArmException.conflict("PropertyChangeNotAllowed", "Changing property '"
                                    + immutable + "' is not allowed.");
                        }
                    }
                    for (String mutable : List.of("description", "endOfLifeDate", "eula", "releaseNoteUri",
                            "privacyStatementUri", "recommended", "disallowed")) {
                        if (properties.containsKey(mutable)) {
                            current.put(mutable, properties.get(mutable));
                        }
                    }
                    return update(request, state, existing, body, location);
                }
                String osType = properties.get("osType") instanceof String s ? s : null;
                if (osType == null || !(osType.equalsIgnoreCase("Linux") || osType.equalsIgnoreCase("Windows"))) {
                    throw ArmException.badRequest("InvalidParameter", "Required parameter 'osType' is missing or"
                            + " invalid (expected Linux or Windows).");
                }
                String osState = properties.get("osState") instanceof String s ? s : null;
                if (osState == null || !(osState.equalsIgnoreCase("Generalized")
                        || osState.equalsIgnoreCase("Specialized"))) {
                    throw ArmException.badRequest("InvalidParameter", "Required parameter 'osState' is missing or"
                            + " invalid (expected Generalized or Specialized).");
                }
                Map<String, Object> identifier = map(properties.get("identifier"));
                for (String key : List.of("publisher", "offer", "sku")) {
                    if (!(identifier.get(key) instanceof String value) || value.isBlank()) {
                        throw ArmException.badRequest("InvalidParameter", "Required parameter 'identifier." + key
                                + "' is missing (null).");
                    }
                }
                properties.remove("provisioningState");
                properties.put("osType", osType.equalsIgnoreCase("Linux") ? "Linux" : "Windows");
                properties.put("osState", osState.equalsIgnoreCase("Generalized") ? "Generalized" : "Specialized");
                properties.putIfAbsent("hyperVGeneration", "V1");
                properties.put("provisioningState", "Creating");
                Map<String, Object> image = document(id, name, IMAGE_TYPE, location, body, properties);
                state.putResource(id, image);
                return accepted(request, state, 201, image, location);
            } catch (ArmException e) {
                return e;
            }
        });
        return answer(outcome);
    }

    // ---- image versions ----

    private Response putVersion(ArmRequest request, String imageId, String id, String name, Map<String, Object> body)
            throws ArmException {
        if (!AzureNames.valid(AzureNames.Kind.GALLERY_IMAGE_VERSION, name)) {
            // Compute's own words for it.
            throw ArmException.badRequest("InvalidParameter", "The image version name is invalid. The image version"
                    + " name should follow Major(int).Minor(int).Patch(int) format, where int is between 0 and"
                    + " 2,147,483,647 (inclusive). For e.g: 1.0.0, 2018.12.1 etc");
        }
        String location = location(body);
        Object outcome = store.write(state -> {
            try {
                Map<String, Object> definition = requireParent(state, imageId, IMAGE_TYPE);
                Map<String, Object> properties = map(deepCopy(body.get("properties")));
                Map<String, Object> publishing = map(properties.get("publishingProfile"));
                Map<String, Object> existing = state.resource(id);
                if (existing != null) {
                    if ("Failed".equals(map(existing.get("properties")).get("provisioningState"))) {
                        throw ArmException.conflict("Conflict", "Gallery image version '" + name + "' is in"
                                + " provisioning state 'Failed' and cannot be updated. Delete the version '"
                                + existing.get("id") + "' before creating it again.");
                    }
                    Map<String, Object> current = requireUpdatable(existing, location);
                    Map<String, Object> currentPublishing = map(current.get("publishingProfile"));
                    for (String key : List.of("excludeFromLatest", "endOfLifeDate", "replicaCount",
                            "storageAccountType", "replicationMode")) {
                        if (publishing.containsKey(key)) {
                            currentPublishing.put(key, publishing.get(key));
                        }
                    }
                    if (publishing.get("targetRegions") instanceof List<?>) {
                        List<Map<String, Object>> regions = targetRegions(publishing, location);
                        currentPublishing.put("targetRegions", regions);
                        replicate(existing, regions);
                    }
                    return update(request, state, existing, body, location);
                }
                Map<String, Object> storage = map(properties.get("storageProfile"));
                Map<String, Object> source = map(storage.get("source"));
                Map<String, Object> resolved = resolveSource(state, source, definition);
                List<Map<String, Object>> regions = targetRegions(publishing, location);
                publishing.put("targetRegions", regions);
                publishing.putIfAbsent("replicaCount", 1);
                publishing.putIfAbsent("excludeFromLatest", false);
                publishing.putIfAbsent("storageAccountType", "Standard_LRS");
                publishing.putIfAbsent("replicationMode", "Full");
                publishing.put("publishedDate", Instant.now().toString());
                Map<String, Object> newStorage = new LinkedHashMap<>();
                newStorage.put("source", source);
                Map<String, Object> osDisk = new LinkedHashMap<>();
                osDisk.put("sizeInGB", resolved.get("sizeInGB"));
                osDisk.put("hostCaching", "ReadWrite");
                newStorage.put("osDiskImage", osDisk);
                newStorage.put("dataDiskImages", List.of());
                properties.put("publishingProfile", publishing);
                properties.put("storageProfile", newStorage);
                properties.put("safetyProfile", new LinkedHashMap<>(Map.of("allowDeletionOfReplicatedLocations",
                        false)));
                properties.put("provisioningState", "Creating");
                Map<String, Object> version = document(id, name, VERSION_TYPE, location, body, properties);
                Map<String, Object> internal = new LinkedHashMap<>();
                if (body.get("tags") instanceof Map<?, ?> tags && tags.get(FAIL_TAG) instanceof String code) {
                    internal.put("failWith", code);
                }
                internal.put(VmMachines.LAYERS, layers.of(map(resolved.get("source"))));
                version.put(INTERNAL, internal);
                replicate(version, regions);
                state.putResource(id, version);
                // Polls of the status URL drive replication (see capsOperation), not the generic countdown.
                return accepted(request, state, 201, version, location);
            } catch (ArmException e) {
                return e;
            }
        });
        return answer(outcome);
    }

    /** Checks a version's source; returns facts about it (sizeInGB). */
    private static Map<String, Object> resolveSource(State state, Map<String, Object> source,
                                                     Map<String, Object> definition) throws ArmException {
        Map<String, Object> definitionProps = map(definition.get("properties"));
        String wantedGeneration = String.valueOf(definitionProps.get("hyperVGeneration"));
        String vmId = source.get("virtualMachineId") instanceof String s && !s.isBlank() ? s : null;
        String sourceId = source.get("id") instanceof String s && !s.isBlank() ? s : null;
        if (vmId == null && sourceId == null) {
            throw ArmException.badRequest("InvalidParameter", "Required parameter 'storageProfile.source' is"
                    + " missing: give source.id (a managed image or gallery image version) or"
                    + " source.virtualMachineId.");
        }
        String reference = vmId != null ? vmId : sourceId;
        Map<String, Object> target = state.resource(reference);
        String type = target == null ? "" : String.valueOf(target.get("type"));
        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("source", target);
        String generation;
        if (type.equalsIgnoreCase(NAMESPACE + "/" + ComputeProvider.VM)) {
            Map<String, Object> internal = map(target.get(INTERNAL));
            if ("Generalized".equals(definitionProps.get("osState"))
                    && !Boolean.TRUE.equals(internal.get("generalized"))) {
                throw ArmException.badRequest("InvalidParameter", "The source virtual machine '" + target.get("id")
                        + "' is not generalized. A gallery image version of a Generalized image definition can"
                        + " only be created from a generalized virtual machine; generalize it or use a"
                        + " Specialized image definition.");
            }
            Map<String, Object> osDisk = map(map(map(target.get("properties")).get("storageProfile")).get("osDisk"));
            facts.put("sizeInGB", osDisk.get("diskSizeGB") instanceof Number n ? n : 30);
            generation = String.valueOf(internal.get("hyperVGeneration"));
            source.remove("id");
            source.put("virtualMachineId", target.get("id"));
        } else if (vmId == null && type.equalsIgnoreCase(NAMESPACE + "/" + ComputeProvider.IMAGE)) {
            Map<String, Object> props = map(target.get("properties"));
            if (!"Succeeded".equals(props.get("provisioningState"))) {
                throw ArmException.conflict("OperationNotAllowed", "The managed image '" + target.get("id")
                        + "' is not ready (provisioning state " + props.get("provisioningState") + ").");
            }
            Object size = map(map(props.get("storageProfile")).get("osDisk")).get("diskSizeGB");
            facts.put("sizeInGB", size instanceof Number n ? n : 30);
            generation = props.get("hyperVGeneration") instanceof String g ? g : "V1";
            source.put("id", target.get("id"));
        } else if (vmId == null && type.equalsIgnoreCase(VERSION_TYPE)) {
            Map<String, Object> props = map(target.get("properties"));
            if (!"Succeeded".equals(props.get("provisioningState"))) {
                throw ArmException.conflict("OperationNotAllowed", "The gallery image version '" + target.get("id")
                        + "' is not ready (provisioning state " + props.get("provisioningState") + ").");
            }
            facts.put("sizeInGB", map(map(props.get("storageProfile")).get("osDiskImage")).get("sizeInGB"));
            generation = wantedGeneration;
            source.put("id", target.get("id"));
        } else {
            throw ArmException.notFound("NotFound", "The source '" + reference + "' of the gallery image version"
                    + " was not found; it must be a managed image, a gallery image version or a virtual machine.");
        }
        if (!generation.equalsIgnoreCase(wantedGeneration)) {
            throw ArmException.badRequest("InvalidParameter", "The hyperVGeneration '" + generation + "' of the"
                    + " source does not match the hyperVGeneration '" + wantedGeneration + "' of the gallery image"
                    + " definition '" + definition.get("name") + "'.");
        }
        return facts;
    }

    private static List<Map<String, Object>> targetRegions(Map<String, Object> publishing, String location)
            throws ArmException {
        int defaultCount = publishing.get("replicaCount") instanceof Number n ? n.intValue() : 1;
        String defaultAccount = publishing.get("storageAccountType") instanceof String s ? s : "Standard_LRS";
        List<Map<String, Object>> regions = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        for (Map<String, Object> region : maps(publishing.get("targetRegions"))) {
            if (!(region.get("name") instanceof String regionName) || regionName.isBlank()) {
                throw ArmException.badRequest("InvalidParameter", "Required parameter 'targetRegions.name' is"
                        + " missing (null).");
            }
            String normalized = normalize(regionName);
            if (seen.contains(normalized)) {
                throw ArmException.badRequest("InvalidParameter", "The target region '" + regionName + "' is"
                        + " listed more than once.");
            }
            seen.add(normalized);
            int count = region.get("regionalReplicaCount") instanceof Number n ? n.intValue() : defaultCount;
            if (count < 1 || count > 100) {
                throw ArmException.badRequest("InvalidParameter", "The regionalReplicaCount of region '"
                        + regionName + "' must be between 1 and 100.");
            }
            Map<String, Object> copy = new LinkedHashMap<>(region);
            copy.put("regionalReplicaCount", count);
            copy.putIfAbsent("storageAccountType", defaultAccount);
            regions.add(copy);
        }
        if (regions.isEmpty()) {
            regions.add(new LinkedHashMap<>(Map.of("name", location, "regionalReplicaCount", defaultCount,
                    "storageAccountType", defaultAccount)));
        } else if (!seen.contains(location)) {
            throw ArmException.badRequest("InvalidParameter", "The target regions of a gallery image version must"
                    + " include its own location '" + location + "'.");
        }
        return regions;
    }

    /** Starts (or restarts) replication to {@code regions}: every region pending at 0 %. */
    private static void replicate(Map<String, Object> version, List<Map<String, Object>> regions) {
        List<Map<String, Object>> replication = new ArrayList<>();
        for (Map<String, Object> region : regions) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("region", region.get("name"));
            entry.put("state", "Replicating");
            entry.put("progress", 0);
            replication.add(entry);
        }
        map(version.computeIfAbsent(INTERNAL, k -> new LinkedHashMap<>())).put("replication", replication);
    }

    /** Status of a gallery operation; a version's finishes one region's replication per poll. */
    private Response capsOperation(ArmRequest request, String operationId) throws ArmException {
        Boolean stillReplicating = store.write(state -> {
            Map<String, Object> operation = state.operation(operationId);
            if (operation == null || !"InProgress".equals(operation.get("status"))
                    || !PUT_KIND.equals(operation.get("kind"))) {
                return false;
            }
            Map<String, Object> version = state.resource(String.valueOf(operation.get("target")));
            if (version == null || !VERSION_TYPE.equalsIgnoreCase(String.valueOf(version.get("type")))) {
                return false;
            }
            Map<String, Object> internal = map(version.get(INTERNAL));
            if (internal.get("failWith") != null) {
                return false;
            }
            List<Map<String, Object>> pending = maps(internal.get("replication")).stream()
                    .filter(r -> !"Completed".equals(r.get("state"))).toList();
            if (pending.isEmpty()) {
                return false;
            }
            int regions = maps(internal.get("replication")).size();
            if (!operations.stepDue(operation, regions - pending.size() + 1, regions)) {
                return true;  // this region's replica takes longer (realistic latency), or the operation hangs
            }
            pending.get(0).put("state", "Completed");
            pending.get(0).put("progress", 100);
            if (pending.size() > 1) {
                pending.get(1).put("progress", 50);
                return true;
            }
            operation.put("pollsLeft", 0);
            return false;
        });
        Map<String, Object> status = stillReplicating ? Map.of("status", "InProgress")
                : operations.pollStatus(operationId);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("startTime", Instant.now().toString());
        body.putAll(status);
        body.put("name", operationId);
        return Response.json(200, body).header("Retry-After",
                String.valueOf(operations.settings().retryAfterSeconds()));
    }

    private static void putDone(State state, String target) throws ArmException {
        Map<String, Object> document = state.resource(target);
        if (document == null) {
            return;
        }
        Map<String, Object> properties = map(document.get("properties"));
        Map<String, Object> internal = map(document.get(INTERNAL));
        List<Map<String, Object>> replication = maps(internal.get("replication"));
        if (internal.get("failWith") instanceof String code) {
            properties.put("provisioningState", "Failed");
            for (Map<String, Object> region : replication) {
                if (!"Completed".equals(region.get("state"))) {
                    region.put("state", "Failed");
                    region.put("details", "Replication failed (" + code + ").");
                }
            }
            throw new ArmException(500, code, "Replication of gallery image version '" + document.get("name")
                    + "' failed in region(s) " + replication.stream().filter(r -> "Failed".equals(r.get("state")))
                    .map(r -> String.valueOf(r.get("region"))).toList() + ". Delete the version before retrying.");
        }
        for (Map<String, Object> region : replication) {
            region.put("state", "Completed");
            region.put("progress", 100);
        }
        properties.put("provisioningState", "Succeeded");
    }

    // ---- shared PUT/DELETE plumbing ----

    private static Map<String, Object> requireUpdatable(Map<String, Object> existing, String location)
            throws ArmException {
        if (!location.equals(existing.get("location"))) {
            throw ArmException.conflict("InvalidResourceLocation", "The resource '" + existing.get("name")
                    + "' already exists in location '" + existing.get("location") + "' in resource group.");
        }
        Map<String, Object> properties = map(existing.get("properties"));
        Object provisioning = properties.get("provisioningState");
        if (!"Succeeded".equals(provisioning) && !"Failed".equals(provisioning)) {
            throw ArmException.conflict("OperationNotAllowed", "Operation 'Update' is not allowed on '"
                    + existing.get("name") + "' since another operation is in progress (provisioning state "
                    + provisioning + ").");
        }
        return properties;
    }

    private Response update(ArmRequest request, State state, Map<String, Object> existing, Map<String, Object> body,
                            String location) {
        if (body.get("tags") instanceof Map<?, ?> tags) {
            existing.put("tags", new LinkedHashMap<>(tags));
        }
        map(existing.get("properties")).put("provisioningState", "Updating");
        return accepted(request, state, 200, existing, location);
    }

    /**
     * Starts the PUT's operation and answers with the capsOperations status URL; a version's operation completes
     * through {@link #capsOperation} polls, one region at a time.
     */
    private Response accepted(ArmRequest request, State state, int status, Map<String, Object> document,
                              String location) {
        String operationId = operations.start(state, PUT_KIND, (String) document.get("id"));
        return Response.json(status, view(document, false))
                .header("Azure-AsyncOperation", request.absoluteUrl(capsPath(request, location, operationId)))
                .header("Retry-After", String.valueOf(operations.settings().retryAfterSeconds()));
    }

    private Response delete(ArmRequest request, String id, int size) throws ArmException {
        Object outcome = store.write(state -> {
            Map<String, Object> document = state.resource(id);
            if (document == null) {
                return Response.empty(204);
            }
            String childSegment = size == 8 ? "images" : size == 10 ? "versions" : null;
            if (childSegment != null && !state.children(id, childSegment).isEmpty()) {
                return ArmException.conflict("CannotDeleteResource", "Can not delete resource before nested"
                        + " resources are deleted. '" + document.get("name") + "' still has "
                        + (size == 8 ? "gallery image definitions: " : "gallery image versions: ")
                        + state.children(id, childSegment).stream().map(d -> String.valueOf(d.get("name"))).toList()
                        + ".");
            }
            map(document.get("properties")).put("provisioningState", "Deleting");
            String location = (String) document.get("location");
            String operationId = operations.start(state, DELETE_KIND, (String) document.get("id"));
            String base = "/subscriptions/" + request.path().segment(1) + "/providers/" + NAMESPACE + "/locations/"
                    + location;
            return Response.empty(202)
                    .header("Azure-AsyncOperation", request.absoluteUrl(capsPath(request, location, operationId)))
                    .header("Location", request.absoluteUrl(base + "/operationResults/" + operationId))
                    .header("Retry-After", String.valueOf(operations.settings().retryAfterSeconds()));
        });
        return answer(outcome);
    }

    private static String capsPath(ArmRequest request, String location, String operationId) {
        return "/subscriptions/" + request.path().segment(1) + "/providers/" + NAMESPACE + "/locations/" + location
                + "/capsOperations/" + operationId;
    }

    private static Map<String, Object> document(String id, String name, String type, String location,
                                                Map<String, Object> body, Map<String, Object> properties) {
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("name", name);
        document.put("id", id);
        document.put("type", type);
        document.put("location", location);
        if (body.get("tags") instanceof Map<?, ?> tags) {
            document.put("tags", new LinkedHashMap<>(tags));
        }
        document.put("properties", properties);
        return document;
    }

    private void requireParent(String parentId, String type, String name) throws ArmException {
        Object outcome = store.read(state -> {
            try {
                requireParent(state, parentId, type);
                return null;
            } catch (ArmException e) {
                return e;
            }
        });
        if (outcome instanceof ArmException e) {
            throw e;
        }
    }

    private static Map<String, Object> requireParent(State state, String parentId, String type) throws ArmException {
        Map<String, Object> parent = state.resource(parentId);
        if (parent == null || !type.equalsIgnoreCase(String.valueOf(parent.get("type")))) {
            String name = parentId.substring(parentId.lastIndexOf('/') + 1);
            throw ArmException.notFound("ParentResourceNotFound", "Can not perform requested operation on nested"
                    + " resource. Parent resource '" + name + "' not found.");
        }
        return parent;
    }

    // ---- views and helpers ----

    private static Map<String, Object> view(Map<String, Object> document, boolean withReplicationStatus) {
        Map<String, Object> json = map(deepCopy(document));
        json.remove(INTERNAL);
        if (withReplicationStatus && VERSION_TYPE.equalsIgnoreCase(String.valueOf(json.get("type")))) {
            List<Map<String, Object>> summary = maps(deepCopy(map(document.get(INTERNAL)).get("replication")));
            String aggregated = summary.stream().anyMatch(r -> "Failed".equals(r.get("state"))) ? "Failed"
                    : summary.stream().allMatch(r -> "Completed".equals(r.get("state"))) ? "Completed"
                    : "InProgress";
            Map<String, Object> status = new LinkedHashMap<>();
            status.put("aggregatedState", aggregated);
            status.put("summary", summary);
            map(json.get("properties")).put("replicationStatus", status);
        }
        return json;
    }

    private static String location(Map<String, Object> body) throws ArmException {
        if (!(body.get("location") instanceof String rawLocation) || rawLocation.isBlank()) {
            throw ArmException.badRequest("LocationRequired", "The location property is required for this"
                    + " definition.");
        }
        return normalize(rawLocation);
    }

    private static String normalize(String region) {
        return region.replace(" ", "").toLowerCase(Locale.ROOT);
    }

    private static ArmException notFound(String type, String name, String group) {
        return resourceNotFound(NAMESPACE + "/" + type.substring(type.lastIndexOf('/') + 1), name, group);
    }
}
