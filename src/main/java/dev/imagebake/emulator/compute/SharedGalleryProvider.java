package dev.imagebake.emulator.compute;

import dev.imagebake.emulator.arm.ArmException;
import dev.imagebake.emulator.arm.ArmPath;
import dev.imagebake.emulator.arm.ArmRequest;
import dev.imagebake.emulator.arm.ResourceProvider;
import dev.imagebake.emulator.http.Response;
import dev.imagebake.emulator.state.State;
import dev.imagebake.emulator.state.StateStore;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.imagebake.emulator.arm.ProviderSupport.map;
import static dev.imagebake.emulator.arm.ProviderSupport.requireMethod;

/**
 * Gallery image versions as those a gallery is shared with see them: a gallery shared to the community
 * ({@code sharingProfile.permissions} Community, under its {@code communityGalleryInfo.publicNames}) or directly
 * (permissions Groups, under its {@code identifier.uniqueName}). Serves
 * {@code GET /subscriptions/{s}/providers/Microsoft.Compute/locations/{loc}/communityGalleries/{publicName}/images/
 * {image}/versions/{version}} and the {@code sharedGalleries} equivalent, from any subscription of the tenant, and
 * resolves the {@code communityGalleryImageId} and {@code sharedGalleryImageId} a VM is created from.
 */
public final class SharedGalleryProvider implements ResourceProvider {
    private static final String NAMESPACE = ComputeProvider.NAMESPACE;
    private static final Pattern UNIQUE_ID = Pattern.compile(
            "/(CommunityGalleries|SharedGalleries)/([^/]+)/Images/([^/]+)/Versions/([^/]+)", Pattern.CASE_INSENSITIVE);
    private static final Pattern SEMANTIC = Pattern.compile("\\d+\\.\\d+\\.\\d+");

    private final StateStore store;

    public SharedGalleryProvider(StateStore store) {
        this.store = store;
    }

    @Override
    public boolean accepts(ArmPath path) {
        return path.matches("subscriptions/*/providers/microsoft.compute/locations/*/communitygalleries/*/images/*/"
                + "versions/*") || path.matches("subscriptions/*/providers/microsoft.compute/locations/*/"
                + "sharedgalleries/*/images/*/versions/*");
    }

    @Override
    public Response handle(ArmRequest request) throws ArmException {
        requireMethod(request, "GET");
        ArmPath path = request.path();
        boolean community = path.segment(6).equalsIgnoreCase("communityGalleries");
        String uniqueId = (community ? "/CommunityGalleries/" : "/SharedGalleries/") + path.segment(7) + "/Images/"
                + path.segment(9) + "/Versions/" + path.segment(11);
        Map<String, Object> view = store.read(state -> {
            try {
                Map<String, Object> version = find(state, uniqueId, false);
                return version == null ? null : view(version, path.segment(5), uniqueId, community);
            } catch (ArmException e) {
                return null;
            }
        });
        if (view == null) {
            throw notFound(uniqueId);
        }
        return Response.json(200, view);
    }

    /**
     * The gallery image version a {@code communityGalleryImageId} or {@code sharedGalleryImageId} names, with
     * {@code latest} resolved to the newest version not excluded from latest.
     */
    static Map<String, Object> resolve(State state, String uniqueId) throws ArmException {
        Map<String, Object> version = find(state, uniqueId, true);
        if (version == null) {
            throw notFound(uniqueId);
        }
        return version;
    }

    /** Whether an image reference names a community or directly shared gallery image. */
    static String sharedId(Map<String, Object> reference) {
        return reference.get("communityGalleryImageId") instanceof String c && !c.isBlank() ? c
                : reference.get("sharedGalleryImageId") instanceof String s && !s.isBlank() ? s : null;
    }

    private static Map<String, Object> find(State state, String uniqueId, boolean latest) throws ArmException {
        Matcher m = UNIQUE_ID.matcher(uniqueId);
        if (!m.matches()) {
            throw ArmException.badRequest("InvalidParameter", "The gallery image id '" + uniqueId + "' is invalid:"
                    + " it must look like /CommunityGalleries/{publicGalleryName}/Images/{image}/Versions/{version}"
                    + " or /SharedGalleries/{galleryUniqueName}/Images/{image}/Versions/{version}.");
        }
        boolean community = m.group(1).equalsIgnoreCase("CommunityGalleries");
        String name = m.group(2);
        Map<String, Object> gallery = state.allResources().stream()
                .filter(d -> (NAMESPACE + "/galleries").equalsIgnoreCase(String.valueOf(d.get("type"))))
                .filter(d -> community ? publicNames(d).stream().anyMatch(name::equalsIgnoreCase)
                        : "Groups".equalsIgnoreCase(permissions(d)) && name.equalsIgnoreCase(String.valueOf(
                        map(map(d.get("properties")).get("identifier")).get("uniqueName"))))
                .findFirst().orElse(null);
        if (gallery == null) {
            return null;
        }
        String imageId = gallery.get("id") + "/images/" + m.group(3);
        String versionName = m.group(4);
        if (latest && versionName.equalsIgnoreCase("latest")) {
            return latestVersion(state, imageId);
        }
        Map<String, Object> version = state.resource(imageId + "/versions/" + versionName);
        return version != null && "Succeeded".equals(map(version.get("properties")).get("provisioningState"))
                ? version : null;
    }

    /** The newest succeeded version of a gallery image definition not excluded from latest, or null. */
    static Map<String, Object> latestVersion(State state, String imageId) {
        return state.children(imageId, "versions").stream()
                .filter(v -> "Succeeded".equals(map(v.get("properties")).get("provisioningState")))
                .filter(v -> !Boolean.TRUE.equals(map(map(v.get("properties")).get("publishingProfile"))
                        .get("excludeFromLatest")))
                .filter(v -> SEMANTIC.matcher(String.valueOf(v.get("name"))).matches())
                .max(Comparator.comparing(v -> semantic(String.valueOf(v.get("name")))))
                .orElse(null);
    }

    private static String permissions(Map<String, Object> gallery) {
        return String.valueOf(map(map(gallery.get("properties")).get("sharingProfile")).get("permissions"));
    }

    private static List<String> publicNames(Map<String, Object> gallery) {
        if (!"Community".equalsIgnoreCase(permissions(gallery))) {
            return List.of();
        }
        Object names = map(map(map(gallery.get("properties")).get("sharingProfile")).get("communityGalleryInfo"))
                .get("publicNames");
        return names instanceof List<?> list ? list.stream().map(String::valueOf).toList() : List.of();
    }

    /** Orders MAJOR.MINOR.PATCH numerically, as Azure picks the latest version. */
    private static String semantic(String version) {
        StringBuilder key = new StringBuilder();
        for (String part : version.split("\\.")) {
            key.append(String.format(Locale.ROOT, "%010d", Long.parseLong(part)));
        }
        return key.toString();
    }

    private static Map<String, Object> view(Map<String, Object> version, String location, String uniqueId,
                                            boolean community) {
        Map<String, Object> properties = map(version.get("properties"));
        Map<String, Object> publishing = map(properties.get("publishingProfile"));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("name", version.get("name"));
        json.put("location", location);
        json.put("type", NAMESPACE + "/locations/" + (community ? "communityGalleries" : "sharedGalleries")
                + "/images/versions");
        json.put("identifier", new LinkedHashMap<>(Map.of("uniqueId", uniqueId)));
        Map<String, Object> shown = new LinkedHashMap<>();
        if (publishing.get("publishedDate") != null) {
            shown.put("publishedDate", publishing.get("publishedDate"));
        }
        if (publishing.get("endOfLifeDate") != null) {
            shown.put("endOfLifeDate", publishing.get("endOfLifeDate"));
        }
        shown.put("excludeFromLatest", Boolean.TRUE.equals(publishing.get("excludeFromLatest")));
        json.put("properties", shown);
        return json;
    }

    private static ArmException notFound(String uniqueId) {
        return ArmException.notFound("NotFound", "The gallery image version '" + uniqueId + "' could not be found,"
                + " or it is not shared with this subscription.");
    }
}
