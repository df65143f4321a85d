package dev.imagebake.emulator.compute;

import dev.imagebake.emulator.arm.ArmException;
import dev.imagebake.emulator.arm.ArmPath;
import dev.imagebake.emulator.arm.ArmRequest;
import dev.imagebake.emulator.arm.ResourceProvider;
import dev.imagebake.emulator.http.Response;

import static dev.imagebake.emulator.arm.ProviderSupport.requireMethod;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The marketplace image browser under {@code /subscriptions/{id}/providers/Microsoft.Compute/locations/{loc}/
 * publishers}: publishers, {@code .../artifacttypes/vmimage/offers}, {@code .../skus}, {@code .../versions} (with
 * {@code $top} and {@code $orderby=name desc}, which is how clients resolve {@code latest}) and one version's
 * details, served from the {@link MarketplaceCatalogue}. Lists are bare JSON arrays, as on Azure.
 */
public final class MarketplaceProvider implements ResourceProvider {
    private static final String BASE = "subscriptions/*/providers/microsoft.compute/locations/*/publishers";
    private static final String OFFERS = BASE + "/*/artifacttypes/vmimage/offers";
    private static final String SKUS = OFFERS + "/*/skus";
    private static final String VERSIONS = SKUS + "/*/versions";

    @Override
    public boolean accepts(ArmPath path) {
        return path.matches(BASE) || path.matches(OFFERS) || path.matches(SKUS) || path.matches(VERSIONS)
                || path.matches(VERSIONS + "/*");
    }

    @Override
    public Response handle(ArmRequest request) throws ArmException {
        requireMethod(request, "GET");
        ArmPath path = request.path();
        String location = path.segment(5).replace(" ", "").toLowerCase(Locale.ROOT);
        String prefix = "/Subscriptions/" + path.segment(1) + "/Providers/Microsoft.Compute/Locations/" + location
                + "/Publishers/";
        if (path.matches(BASE)) {
            // The extension publishers too, as Azure lists them: clients find extension images through this list.
            List<String> publishers = new ArrayList<>(MarketplaceCatalogue.publishers());
            ExtensionCatalogue.publishers().stream().filter(p -> !publishers.contains(p)).forEach(publishers::add);
            return list(publishers, location, prefix, request);
        }
        String publisher = path.segment(7);
        if (MarketplaceCatalogue.offers(publisher).isEmpty()) {
            throw ArmException.notFound("PublisherNotFound", "The publisher '" + publisher
                    + "' was not found in location '" + location + "'.");
        }
        String offersPrefix = prefix + publisher + "/ArtifactTypes/VMImage/Offers/";
        if (path.matches(OFFERS)) {
            return list(MarketplaceCatalogue.offers(publisher), location, offersPrefix, request);
        }
        String offer = path.segment(11);
        if (MarketplaceCatalogue.skus(publisher, offer).isEmpty()) {
            throw ArmException.notFound("ArtifactNotFound", "Artifact: VMImage was not found. Offer '" + offer
                    + "' of publisher '" + publisher + "' does not exist in location '" + location + "'.");
        }
        String skusPrefix = offersPrefix + offer + "/Skus/";
        if (path.matches(SKUS)) {
            return list(MarketplaceCatalogue.skus(publisher, offer), location, skusPrefix, request);
        }
        MarketplaceCatalogue.Sku sku = MarketplaceCatalogue.sku(publisher, offer, path.segment(13))
                .orElseThrow(() -> ArmException.notFound("ArtifactNotFound", "Artifact: VMImage was not found."
                        + " SKU '" + path.segment(13) + "' of offer '" + offer + "' does not exist."));
        String versionsPrefix = skusPrefix + sku.name() + "/Versions/";
        if (path.matches(VERSIONS)) {
            return list(sku.versions(), location, versionsPrefix, request);
        }
        String version = sku.versions().stream().filter(v -> v.equalsIgnoreCase(path.segment(15))).findFirst()
                .orElseThrow(() -> ArmException.notFound("ImageVersionNotFound", "Artifact: VMImage was not"
                        + " found. Version '" + path.segment(15) + "' of " + publisher + ":" + offer + ":"
                        + sku.name() + " does not exist in location '" + location + "'."));
        return Response.json(200, image(sku, version, location, versionsPrefix));
    }

    /** A bare array of {name, location, id}, ordered and cut as {@code $orderby} and {@code $top} ask. */
    private static Response list(List<String> names, String location, String prefix, ArmRequest request)
            throws ArmException {
        List<String> ordered = new ArrayList<>(names);
        String orderBy = request.http().query().getOrDefault("$orderby", "").strip().toLowerCase(Locale.ROOT);
        ordered.sort(MarketplaceCatalogue.VERSION_ORDER);
        if (orderBy.equals("name desc")) {
            Collections.reverse(ordered);
        }
        String top = request.http().query().get("$top");
        if (top != null) {
            if (!top.matches("\\d{1,9}")) {
                throw ArmException.badRequest("InvalidParameter", "The value of '$top' must be a number.");
            }
            ordered = ordered.subList(0, Math.min(ordered.size(), Integer.parseInt(top)));
        }
        List<Object> json = new ArrayList<>();
        for (String name : ordered) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("location", location);
            entry.put("name", name);
            entry.put("id", prefix + name);
            json.add(entry);
        }
        return Response.json(200, json);
    }

    private static Map<String, Object> image(MarketplaceCatalogue.Sku sku, String version, String location,
                                             String prefix) {
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("hyperVGeneration", sku.hyperVGeneration());
        properties.put("architecture", "x64");
        properties.put("replicaType", "Managed");
        properties.put("osDiskImage", new LinkedHashMap<>(Map.of("operatingSystem", "Linux",
                "sizeInGb", sku.osDiskSizeGb())));
        properties.put("dataDiskImages", List.of());
        properties.put("automaticOSUpgradeProperties", Map.of("automaticOSUpgradeSupported", false));
        properties.put("disallowed", Map.of("vmDiskType", "None"));
        properties.put("features", List.of(Map.of("name", "IsAcceleratedNetworkSupported", "value", "True")));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("properties", properties);
        json.put("location", location);
        json.put("name", version);
        json.put("id", prefix + version);
        return json;
    }
}
