package dev.imagebake.builder.azure;

import com.azure.core.util.Context;
import com.azure.resourcemanager.compute.fluent.models.GalleryImageVersionInner;
import com.azure.resourcemanager.compute.models.GalleryArtifactVersionFullSource;
import com.azure.resourcemanager.compute.models.GalleryImageVersionPublishingProfile;
import com.azure.resourcemanager.compute.models.GalleryImageVersionStorageProfile;
import com.azure.resourcemanager.compute.models.RegionalReplicationStatus;
import com.azure.resourcemanager.compute.models.ReplicationMode;
import com.azure.resourcemanager.compute.models.ReplicationStatusTypes;
import com.azure.resourcemanager.compute.models.StorageAccountType;
import com.azure.resourcemanager.compute.models.TargetRegion;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.BuildStep;
import dev.imagebake.plan.AzureBuilderSpec;

import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * Publishes the gallery image version, from the managed image when one was captured, else straight from the VM,
 * and shows each target region's replication progress while Azure copies it (which can take an hour).
 */
final class StepPublishGalleryVersion implements BuildStep {
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);

    private final AzureBuild build;
    /** Set while this step's version is not known to have succeeded: cleanup removes it (a Failed version blocks retries). */
    private volatile String unfinished;
    private String lastProgress = "";
    private Duration lastReport = Duration.ZERO;

    StepPublishGalleryVersion(AzureBuild build) {
        this.build = build;
    }

    @Override
    public String name() {
        return "publish gallery image version";
    }

    @Override
    public void run(BuildContext context) throws Exception {
        AzureBuilderSpec.GalleryDestination dest = build.spec.gallery();
        var versions = build.galleryCompute().getGalleryImageVersions();
        if (StepCheckDestination.find(build, dest) != null) {
            Lro.await(context, "deleting the existing version " + dest.version(), build.operationLimit(),
                    () -> versions.beginDelete(dest.resourceGroup(), dest.gallery(), dest.image(), dest.version()));
        }
        java.util.Map<String, Integer> targets = new java.util.LinkedHashMap<>(dest.regions());
        if (build.location != null && targets.keySet().stream()
                .noneMatch(r -> r.replace(" ", "").equalsIgnoreCase(build.location.replace(" ", "")))) {
            // Only when the location came from the build resource group: the plan adds a location it knows.
            targets.put(build.location, 1);
            context.info("added the build's location " + build.location + " to the gallery regions (the version is "
                    + "made there)");
        }
        List<TargetRegion> regions = new ArrayList<>();
        targets.forEach((region, replicas) -> regions.add(new TargetRegion().withName(region)
                .withRegionalReplicaCount(replicas)
                .withStorageAccountType(dest.storageType() == null ? null
                        : StorageAccountType.fromString(dest.storageType()))));
        GalleryImageVersionPublishingProfile publishing = new GalleryImageVersionPublishingProfile();
        publishing.withTargetRegions(regions).withExcludeFromLatest(dest.excludeFromLatest())
                .withReplicationMode(dest.shallowReplication() ? ReplicationMode.SHALLOW : ReplicationMode.FULL);
        if (dest.endOfLifeDate() != null) {
            publishing.withEndOfLifeDate(LocalDate.parse(dest.endOfLifeDate()).atStartOfDay().atOffset(ZoneOffset.UTC));
        }
        if (dest.storageType() != null) {
            publishing.withStorageAccountType(StorageAccountType.fromString(dest.storageType()));
        }
        GalleryArtifactVersionFullSource source = build.managedImageId != null
                ? new GalleryArtifactVersionFullSource().withId(build.managedImageId)
                : new GalleryArtifactVersionFullSource().withVirtualMachineId(build.vmId);
        GalleryImageVersionInner version = new GalleryImageVersionInner().withPublishingProfile(publishing)
                .withStorageProfile(new GalleryImageVersionStorageProfile().withSource(source));
        version.withLocation(build.galleryLocation == null ? build.location : build.galleryLocation)
                .withTags(build.artifactTags());
        context.info("publishing " + dest.image() + " " + dest.version() + " to " + String.join(", ",
                targets.keySet()) + (build.managedImageId == null ? " (directly from the VM)" : "")
                + (dest.subscription() == null ? "" : " in subscription " + dest.subscription()));
        unfinished = "/subscriptions/" + build.gallerySubscription() + "/resourceGroups/" + dest.resourceGroup()
                + "/providers/Microsoft.Compute/galleries/" + dest.gallery() + "/images/" + dest.image() + "/versions/"
                + dest.version();
        Lro.await(context::cancelled, "publishing gallery image version " + dest.version(), build.publishLimit(),
                () -> {
                    var operation = versions.beginCreateOrUpdate(dest.resourceGroup(), dest.gallery(),
                            dest.image(), dest.version(), version);
                    if (build.managedImageId != null) {
                        // Made from the managed image: the build VM and the rest of the temporary group are no
                        // longer needed, so their deletion runs while the version replicates. A version made
                        // straight from the VM keeps the group until it has succeeded.
                        StepCreateResourceGroup.deleteWhileReplicating(context, build);
                    }
                    return operation;
                },
                elapsed -> progress(context, dest, elapsed));
        GalleryImageVersionInner made = Lro.read("gallery image version " + dest.version(),
                () -> versions.get(dest.resourceGroup(), dest.gallery(), dest.image(), dest.version()));
        if (made.id() == null) {
            throw new dev.imagebake.engine.StepFailedException("reading gallery image version " + dest.version()
                    + " failed: Azure reports it without an id");
        }
        unfinished = null;
        build.galleryVersionId = made.id();
        progress(context, dest, null);
        context.info("gallery image version " + made.id());
    }

    @Override
    public void cleanup(BuildContext context) throws Exception {
        String id = unfinished;
        if (id != null) {
            context.info("removing the gallery image version whose publishing did not finish");
            Resources.delete(context, build, id);
            unfinished = null;
        }
    }

    @Override
    public List<String> leftovers(BuildContext context) {
        AzureBuilderSpec.GalleryDestination dest = build.spec.gallery();
        return unfinished == null ? List.of() : List.of(unfinished + "  (publishing did not finish; remove with: "
                + "az sig image-version delete" + (dest.subscription() == null ? ""
                : " --subscription " + dest.subscription()) + " -g " + dest.resourceGroup() + " -r " + dest.gallery() + " -i "
                + dest.image() + " -e " + dest.version() + ")");
    }

    /** Reports per-region replication when it changed, at most every few seconds. */
    private void progress(BuildContext context, AzureBuilderSpec.GalleryDestination dest, Duration elapsed) {
        if (elapsed != null && elapsed.minus(lastReport).compareTo(PROGRESS_EVERY) < 0) {
            return;
        }
        lastReport = elapsed == null ? lastReport : elapsed;
        GalleryImageVersionInner current;
        try {
            current = build.galleryCompute().getGalleryImageVersions().getWithResponse(dest.resourceGroup(),
                    dest.gallery(), dest.image(), dest.version(), ReplicationStatusTypes.REPLICATION_STATUS,
                    Context.NONE).getValue();
        } catch (RuntimeException e) {
            return; // progress is a courtesy; the operation's own status decides success
        }
        if (current.replicationStatus() == null || current.replicationStatus().summary() == null) {
            return;
        }
        List<String> parts = new ArrayList<>();
        for (RegionalReplicationStatus region : current.replicationStatus().summary()) {
            parts.add(region.region() + " " + region.state() + (region.progress() == null ? ""
                    : " " + region.progress() + "%"));
        }
        String text = "replication: " + String.join(", ", parts);
        if (!text.equals(lastProgress)) {
            lastProgress = text;
            context.info(text);
        }
    }
}
