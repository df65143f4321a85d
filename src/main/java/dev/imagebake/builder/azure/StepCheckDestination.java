package dev.imagebake.builder.azure;

import com.azure.resourcemanager.compute.fluent.models.GalleryImageInner;
import com.azure.resourcemanager.compute.fluent.models.GalleryImageVersionInner;
import com.azure.resourcemanager.compute.fluent.models.VirtualMachineImageResourceInner;
import com.azure.resourcemanager.compute.models.GalleryProvisioningState;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.BuildStep;
import dev.imagebake.engine.StepFailedException;
import dev.imagebake.plan.AzureBuilderSpec;

/**
 * Checks, before a VM is paid for, that the image can be written where the template says: the image's resource
 * group and the gallery definition exist, and the image or version does not (unless {@code --force}). A gallery
 * version left Failed by an earlier run blocks any retry with its number, so it is removed here.
 */
final class StepCheckDestination implements BuildStep {
    /** How to replace what exists, for both places a build's machine is made. */
    static final String FORCE_ADVICE = "to replace it, build with --force (in the REPL: :start --force)";
    private final AzureBuild build;

    StepCheckDestination(AzureBuild build) {
        this.build = build;
    }

    @Override
    public String name() {
        return "check destination";
    }

    @Override
    public void run(BuildContext context) throws Exception {
        var compute = build.clients.compute();
        AzureBuilderSpec.ManagedImageDestination image = build.spec.managedImage();
        if (image != null) {
            if (!Lro.read("resource group " + image.resourceGroup(),
                    () -> build.clients.resources().getResourceGroups().checkExistence(image.resourceGroup()))) {
                throw new StepFailedException("the managed image's resource group " + image.resourceGroup()
                        + " does not exist; create it first (az group create -n " + image.resourceGroup()
                        + " -l " + (build.location == null ? "REGION" : build.location) + ")");
            }
            if (exists("managed image " + image.name(),
                    () -> compute.getImages().getByResourceGroup(image.resourceGroup(), image.name()))) {
                if (!build.options.force()) {
                    throw new StepFailedException("managed image " + image.name() + " already exists in "
                            + image.resourceGroup() + "; " + FORCE_ADVICE);
                }
                context.info("managed image " + image.name() + " exists and will be replaced (--force)");
            }
        }
        AzureBuilderSpec.GalleryDestination gallery = build.spec.gallery();
        if (gallery != null) {
            GalleryImageInner definition;
            // The gallery's own subscription, which a template may name apart from the build's.
            var galleries = build.galleryCompute();
            try {
                build.galleryLocation = galleries.getGalleries().getByResourceGroup(gallery.resourceGroup(),
                        gallery.gallery()).location();
                definition = galleries.getGalleryImages().get(gallery.resourceGroup(), gallery.gallery(),
                        gallery.image());
            } catch (RuntimeException e) {
                if (gallery.subscription() != null && AzureErrors.subscriptionNotFound(e)) {
                    throw new StepFailedException("cannot publish to gallery " + gallery.gallery() + " in subscription "
                            + gallery.subscription() + ": " + AzureErrors.describe(e) + "\n  check the gallery's "
                            + "subscription: it must be in the build's tenant, and the build's identity needs access "
                            + "to it", e);
                }
                throw new StepFailedException("cannot publish to gallery " + gallery.gallery() + ", image definition "
                        + gallery.image() + " in " + gallery.resourceGroup()
                        + (gallery.subscription() == null ? "" : " (subscription " + gallery.subscription() + ")")
                        + ": " + AzureErrors.describe(e)
                        + "\n  create them first (az sig create / az sig image-definition create)", e);
            }
            checkGeneration(context, gallery, definition);
            GalleryImageVersionInner existing = find(build, gallery);
            if (existing != null) {
                if (existing.provisioningState() == GalleryProvisioningState.FAILED) {
                    context.warn("gallery image version " + gallery.version() + " was left Failed by an earlier run; "
                            + "removing it so that this build can publish the same number");
                    Lro.await(context, "deleting gallery image version " + existing.id(), build.operationLimit(),
                            () -> galleries.getGalleryImageVersions().beginDelete(gallery.resourceGroup(),
                                    gallery.gallery(), gallery.image(), gallery.version()));
                } else if (!build.options.force()) {
                    throw new StepFailedException("gallery image version " + gallery.image() + " "
                            + gallery.version() + " already exists; " + FORCE_ADVICE);
                } else {
                    context.info("gallery image version " + gallery.version() + " exists and will be replaced "
                            + "once the new image is captured (--force)");
                }
            }
        }
    }

    /**
     * A gallery image definition takes images of one Hyper-V generation only, and Azure says so when the version is
     * published, after the whole bake. The source's generation is known now: a mismatch fails before a VM exists.
     */
    private void checkGeneration(BuildContext context, AzureBuilderSpec.GalleryDestination gallery,
                                 GalleryImageInner definition) throws StepFailedException {
        String wanted = definition.hyperVGeneration() == null ? "V1" : definition.hyperVGeneration().toString();
        String source;
        try {
            source = sourceGeneration();
        } catch (RuntimeException e) {
            // Not readable here (a source that does not exist, say): creating the VM reports it, with Azure's words.
            return;
        }
        if (source == null) {
            return;
        }
        if (!source.equalsIgnoreCase(wanted)) {
            throw new StepFailedException("the source image " + describe(build.spec.source())
                    + " is Hyper-V generation " + source + ", but the gallery image definition " + gallery.image()
                    + " takes generation " + wanted + " images: Azure would refuse the version after the whole bake."
                    + "\n  use a " + wanted + " source image" + (wanted.equals("V2") ? " (a -gen2 SKU, for example)" : "")
                    + " or an image definition made with --hyper-v-generation " + source);
        }
        context.info("source image and gallery image definition " + gallery.image() + " are both Hyper-V generation "
                + wanted);
    }

    /** The Hyper-V generation of the build's source image, or null where it cannot be known before the VM exists. */
    private String sourceGeneration() {
        var compute = build.clients.compute();
        AzureBuilderSpec.ImageSource source = build.spec.source();
        if (source instanceof AzureBuilderSpec.Marketplace m && build.location != null) {
            String version = m.version();
            if (version == null || version.equalsIgnoreCase("latest")) {
                version = compute.getVirtualMachineImages().list(build.location, m.publisher(), m.offer(), m.sku())
                        .stream().map(VirtualMachineImageResourceInner::name)
                        .max(StepCheckDestination::compareVersions).orElse(null);
                if (version == null) {
                    return null;
                }
            }
            var image = compute.getVirtualMachineImages().get(build.location, m.publisher(), m.offer(), m.sku(),
                    version);
            return image.hyperVGeneration() == null ? "V1" : image.hyperVGeneration().toString();
        }
        if (source instanceof AzureBuilderSpec.GalleryImage g) {
            var image = compute.getGalleryImages().get(g.resourceGroup(), g.gallery(), g.image());
            return image.hyperVGeneration() == null ? "V1" : image.hyperVGeneration().toString();
        }
        if (source instanceof AzureBuilderSpec.ManagedImage m) {
            String[] id = m.id().split("/");
            var image = compute.getImages().getByResourceGroup(id[4], id[id.length - 1]);
            return image.hyperVGeneration() == null ? "V1" : image.hyperVGeneration().toString();
        }
        return null;
    }

    private static String describe(AzureBuilderSpec.ImageSource source) {
        if (source instanceof AzureBuilderSpec.Marketplace m) {
            return m.publisher() + ":" + m.offer() + ":" + m.sku() + ":" + (m.version() == null ? "latest" : m.version());
        }
        if (source instanceof AzureBuilderSpec.GalleryImage g) {
            return "gallery " + g.gallery() + " image " + g.image();
        }
        return ((AzureBuilderSpec.ManagedImage) source).id();
    }

    /** Orders marketplace versions such as {@code 20.04.202502040} by their numeric parts, as Azure does. */
    static int compareVersions(String a, String b) {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            int c;
            try {
                c = Long.compare(Long.parseLong(x[i]), Long.parseLong(y[i]));
            } catch (NumberFormatException e) {
                c = x[i].compareTo(y[i]);
            }
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(x.length, y.length);
    }

    static GalleryImageVersionInner find(AzureBuild build, AzureBuilderSpec.GalleryDestination gallery)
            throws StepFailedException {
        try {
            return build.galleryCompute().getGalleryImageVersions().get(gallery.resourceGroup(), gallery.gallery(),
                    gallery.image(), gallery.version());
        } catch (RuntimeException e) {
            if (AzureErrors.notFound(e)) {
                return null;
            }
            throw new StepFailedException(AzureErrors.failedReading("gallery image version " + gallery.version(), e),
                    e);
        }
    }

    /** Whether a resource exists; a read that fails for another reason than "not found" fails the step, named. */
    static boolean exists(String what, Runnable get) throws StepFailedException {
        try {
            get.run();
            return true;
        } catch (RuntimeException e) {
            if (AzureErrors.notFound(e)) {
                return false;
            }
            throw new StepFailedException(AzureErrors.failedReading(what, e), e);
        }
    }
}
