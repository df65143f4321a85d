package dev.imagebake.builder.azure;

import com.azure.core.management.SubResource;
import com.azure.resourcemanager.compute.fluent.models.ImageInner;
import com.azure.resourcemanager.compute.models.ImageStorageProfile;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.BuildStep;
import dev.imagebake.plan.AzureBuilderSpec;

/** Captures the generalized build VM as a managed image, replacing an existing one only with {@code --force}. */
final class StepCaptureImage implements BuildStep {
    private final AzureBuild build;
    /** Set when this step asked Azure for the image and it did not end up Succeeded: cleanup removes it. */
    private volatile String unfinished;

    StepCaptureImage(AzureBuild build) {
        this.build = build;
    }

    @Override
    public String name() {
        return "capture managed image";
    }

    @Override
    public void run(BuildContext context) throws Exception {
        AzureBuilderSpec.ManagedImageDestination dest = build.spec.managedImage();
        var images = build.clients.compute().getImages();
        if (StepCheckDestination.exists("managed image " + dest.name(),
                () -> images.getByResourceGroup(dest.resourceGroup(), dest.name()))) {
            Lro.await(context, "deleting the existing image " + dest.name(), build.operationLimit(),
                    () -> images.beginDelete(dest.resourceGroup(), dest.name()));
        }
        ImageInner image = new ImageInner().withSourceVirtualMachine(new SubResource().withId(build.vmId))
                .withStorageProfile(new ImageStorageProfile().withZoneResilient(dest.zoneResilient()));
        image.withLocation(build.location).withTags(build.spec.tags());
        unfinished = build.subscriptionPath() + "/resourceGroups/" + dest.resourceGroup()
                + "/providers/Microsoft.Compute/images/" + dest.name();
        Lro.await(context, "capturing managed image " + dest.name(), build.operationLimit(),
                () -> images.beginCreateOrUpdate(dest.resourceGroup(), dest.name(), image));
        ImageInner made = Lro.read("managed image " + dest.name(),
                () -> images.getByResourceGroup(dest.resourceGroup(), dest.name()));
        if (made.id() == null) {
            throw new dev.imagebake.engine.StepFailedException("reading managed image " + dest.name()
                    + " failed: Azure reports it without an id");
        }
        unfinished = null;
        build.managedImageId = made.id();
        context.info("managed image " + made.id());
    }

    /** A capture that failed or was interrupted leaves a Failed image that would be mistaken for a result. */
    @Override
    public void cleanup(BuildContext context) throws Exception {
        String id = unfinished;
        if (id != null) {
            context.info("removing the image whose capture did not finish");
            Resources.delete(build.clients, id);
            unfinished = null;
        }
    }

    @Override
    public java.util.List<String> leftovers(BuildContext context) {
        return unfinished == null ? java.util.List.of() : java.util.List.of(unfinished);
    }
}
