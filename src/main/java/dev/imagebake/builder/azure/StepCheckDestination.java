package dev.imagebake.builder.azure;

import com.azure.resourcemanager.compute.fluent.models.GalleryImageVersionInner;
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
            // The gallery's own subscription, which a template may name apart from the build's.
            var galleries = build.galleryCompute();
            try {
                build.galleryLocation = galleries.getGalleries().getByResourceGroup(gallery.resourceGroup(),
                        gallery.gallery()).location();
                galleries.getGalleryImages().get(gallery.resourceGroup(), gallery.gallery(), gallery.image());
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
