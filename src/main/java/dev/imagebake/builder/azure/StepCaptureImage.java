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
        image.withLocation(build.location).withTags(build.artifactTags());
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

    /**
     * A capture that failed or was interrupted leaves a Failed image that would be mistaken for a result: removed. A
     * capture that succeeded in a build that then failed (publishing, a Ctrl-C) made a usable image: it is kept and
     * reported as the build's artifact, so that nobody has to find it.
     */
    @Override
    public void cleanup(BuildContext context) throws Exception {
        String id = unfinished;
        if (id != null) {
            context.info("removing the image whose capture did not finish");
            Resources.delete(context, build, id);
            unfinished = null;
        }
        if (build.managedImageId != null && !build.recorded) {
            build.recorded = true;
            AzureBuilder.markRecorded(context, build);
            context.warn("the build did not finish, but its managed image was captured: it is kept and reported ("
                    + removal() + " to remove it)");
            context.addArtifact(AzureBuilder.artifact(build, "the build did not finish; only the managed image "
                    + "was made"));
        }
    }

    @Override
    public java.util.List<String> leftovers(BuildContext context) {
        if (unfinished != null) {
            return java.util.List.of(unfinished + "  (a capture that did not finish; remove with: " + removal() + ")");
        }
        if (build.managedImageId != null && !build.recorded) {
            return java.util.List.of(build.managedImageId + "  (captured, but the build did not finish; keep it or"
                    + " remove with: " + removal() + ")");
        }
        return java.util.List.of();
    }

    private String removal() {
        return "az image delete -g " + build.spec.managedImage().resourceGroup() + " -n "
                + build.spec.managedImage().name();
    }
}
