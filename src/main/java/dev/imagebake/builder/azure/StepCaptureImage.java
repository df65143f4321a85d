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
        if (StepCheckDestination.exists(() -> images.getByResourceGroup(dest.resourceGroup(), dest.name()))) {
            Lro.await(context, "deleting the existing image " + dest.name(), AzureBuild.OPERATION_LIMIT,
                    () -> images.beginDelete(dest.resourceGroup(), dest.name()));
        }
        ImageInner image = new ImageInner().withSourceVirtualMachine(new SubResource().withId(build.vmId))
                .withStorageProfile(new ImageStorageProfile().withZoneResilient(dest.zoneResilient()));
        image.withLocation(build.location).withTags(build.spec.tags());
        ImageInner made = Lro.await(context, "capturing managed image " + dest.name(), AzureBuild.OPERATION_LIMIT,
                () -> images.beginCreateOrUpdate(dest.resourceGroup(), dest.name(), image));
        build.managedImageId = made.id();
        context.info("managed image " + made.id());
    }
}
