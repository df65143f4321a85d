package dev.imagebake.builder.azure;

import com.azure.resourcemanager.compute.fluent.models.VirtualMachineImageResourceInner;
import dev.imagebake.plan.AzureBuilderSpec;

import java.util.Map;

/**
 * The exact source image a build's VM would start from, before the VM exists, as the step cache's first key part:
 * a marketplace image's or gallery image's version ({@code latest} resolved as Azure resolves it), or a managed
 * image's ID with the identity of what it was captured from. Null when it cannot be known beforehand (a community
 * or shared gallery image asked for as {@code latest}).
 */
final class SourceVersion {
    /**
     * @param key     what the cache key takes from the source: its kind, name and exact version
     * @param version the exact version alone, as Azure reports a VM's {@code imageReference.exactVersion}; null for
     *                a managed image, which has none
     */
    record Resolved(String key, String version) {
    }

    private SourceVersion() {
    }

    static Resolved resolve(AzureBuild build) {
        var compute = build.clients.compute();
        AzureBuilderSpec.ImageSource source = build.spec.source();
        if (source instanceof AzureBuilderSpec.Marketplace m) {
            String version = m.version();
            if (version == null || version.equalsIgnoreCase("latest")) {
                version = compute.getVirtualMachineImages().list(build.location, m.publisher(), m.offer(), m.sku())
                        .stream().map(VirtualMachineImageResourceInner::name)
                        .max(StepCheckDestination::compareVersions).orElse(null);
            }
            return version == null ? null : new Resolved("marketplace " + m.publisher() + ":" + m.offer() + ":"
                    + m.sku() + ":" + version, version);
        }
        if (source instanceof AzureBuilderSpec.GalleryImage g) {
            var galleries = g.subscription() == null ? compute : build.clients.compute(g.subscription());
            String version = g.version();
            if (version == null || version.equalsIgnoreCase("latest")) {
                String newest = null;
                for (var v : galleries.getGalleryImageVersions().listByGalleryImage(g.resourceGroup(), g.gallery(),
                        g.image())) {
                    boolean excluded = v.publishingProfile() != null
                            && Boolean.TRUE.equals(v.publishingProfile().excludeFromLatest());
                    if (!excluded && "Succeeded".equalsIgnoreCase(String.valueOf(v.provisioningState()))
                            && (newest == null || StepCheckDestination.compareVersions(v.name(), newest) > 0)) {
                        newest = v.name();
                    }
                }
                version = newest;
            }
            return version == null ? null : new Resolved("gallery " + g.resourceGroup() + "/" + g.gallery() + "/"
                    + g.image() + "/" + version, version);
        }
        if (source instanceof AzureBuilderSpec.ManagedImage i) {
            String[] id = i.id().split("/");
            var image = compute.getImages().getByResourceGroup(id[4], id[id.length - 1]);
            // A managed image has no version: what it was made from, and when imagebake recorded it, stand in.
            Map<String, String> tags = image.tags() == null ? Map.of() : image.tags();
            String from = image.sourceVirtualMachine() != null ? image.sourceVirtualMachine().id()
                    : image.storageProfile() != null && image.storageProfile().osDisk() != null
                    ? String.valueOf(image.storageProfile().osDisk().snapshot() != null
                    ? image.storageProfile().osDisk().snapshot().id() : image.storageProfile().osDisk().blobUri())
                    : "";
            return new Resolved("image " + image.id() + " from " + from + " recorded "
                    + tags.getOrDefault(AzureBuild.TAG_RECORDED, "-") + " build "
                    + tags.getOrDefault(AzureBuild.TAG_BUILD, "-"), null);
        }
        String id = source instanceof AzureBuilderSpec.CommunityGalleryImage c ? c.id()
                : ((AzureBuilderSpec.SharedGalleryImage) source).id();
        return id.matches("(?i).*/versions/(?!latest$)[^/]+$")
                ? new Resolved("shared " + id, id.substring(id.lastIndexOf('/') + 1)) : null;
    }
}
