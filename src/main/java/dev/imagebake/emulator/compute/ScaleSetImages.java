package dev.imagebake.emulator.compute;

import dev.imagebake.emulator.arm.ArmException;
import dev.imagebake.emulator.state.State;

import static dev.imagebake.emulator.arm.ProviderSupport.deepCopy;
import static dev.imagebake.emulator.arm.ProviderSupport.map;
import static dev.imagebake.emulator.arm.ProviderSupport.maps;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Resolves a scale set's {@code imageReference}: a marketplace image or a managed image exactly as a VM's (shared
 * with {@link ComputeProvider}), or a gallery image version, or a gallery image definition, which means its latest
 * version (the highest succeeded one not excluded from latest). A gallery image must be replicated to the scale
 * set's region; otherwise Azure answers {@code GalleryImageNotFound}.
 */
final class ScaleSetImages {
    private ScaleSetImages() {
    }

    /** What an instance is built from: the reference with {@code exactVersion} (marketplace) or the version ID. */
    record Resolved(Map<String, Object> instanceReference, String hyperVGeneration) {
    }

    static Resolved resolve(State state, Map<String, Object> reference, String location) throws ArmException {
        Map<String, Object> copy = map(deepCopy(reference));
        if (copy.get("id") instanceof String id && id.toLowerCase(Locale.ROOT).contains("/providers/microsoft.compute"
                + "/galleries/")) {
            Map<String, Object> version = galleryVersion(state, id, location);
            copy.put("id", version.get("id"));
            Map<String, Object> definition = state.resource(parentOf((String) version.get("id")));
            Object generation = definition == null ? null : map(definition.get("properties")).get("hyperVGeneration");
            return new Resolved(copy, generation instanceof String g ? g : "V1");
        }
        String generation = ComputeProvider.resolveImage(state, copy, location);
        return new Resolved(copy, generation);
    }

    private static Map<String, Object> galleryVersion(State state, String id, String location) throws ArmException {
        String[] parts = id.split("/");
        // .../galleries/{g}/images/{def} names a definition; .../images/{def}/versions/{v} a version.
        boolean isDefinition = parts.length >= 2 && parts[parts.length - 2].equalsIgnoreCase("images");
        Map<String, Object> version;
        if (isDefinition) {
            Map<String, Object> definition = state.resource(id);
            version = definition == null ? null : latest(state, definition, location);
        } else {
            version = state.resource(id);
        }
        if (version == null || !"Succeeded".equals(map(version.get("properties")).get("provisioningState"))
                || !replicatedTo(version, location)) {
            throw ArmException.notFound("GalleryImageNotFound", "The gallery image " + id + " is not available in "
                    + location + " region. Please contact image owner to replicate to this region, or change your"
                    + " requested region.");
        }
        return version;
    }

    private static Map<String, Object> latest(State state, Map<String, Object> definition, String location) {
        return state.children((String) definition.get("id"), "versions").stream()
                .filter(v -> "Succeeded".equals(map(v.get("properties")).get("provisioningState")))
                .filter(v -> !Boolean.TRUE.equals(map(map(v.get("properties")).get("publishingProfile"))
                        .get("excludeFromLatest")))
                .filter(v -> replicatedTo(v, location))
                .max(Comparator.comparing(v -> semver(String.valueOf(v.get("name"))), Arrays::compare))
                .orElse(null);
    }

    private static boolean replicatedTo(Map<String, Object> version, String location) {
        List<Map<String, Object>> regions = maps(map(map(version.get("properties")).get("publishingProfile"))
                .get("targetRegions"));
        return regions.stream().anyMatch(r -> String.valueOf(r.get("name")).replace(" ", "")
                .equalsIgnoreCase(location));
    }

    private static int[] semver(String name) {
        return Arrays.stream(name.split("\\.")).mapToInt(part -> {
            try {
                return Integer.parseInt(part);
            } catch (NumberFormatException e) {
                return -1;
            }
        }).toArray();
    }

    private static String parentOf(String id) {
        return id.substring(0, id.lastIndexOf('/', id.lastIndexOf('/') - 1));
    }
}
