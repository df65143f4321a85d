package dev.imagebake.builder.azure;

import dev.imagebake.engine.Artifact;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.BuildStep;
import dev.imagebake.plan.AzureBuilderSpec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code builder azure}: a temporary VM from the source image, provisioned over SSH, then deprovisioned,
 * generalized and captured as a managed image and/or a gallery image version; every temporary resource is deleted
 * by the steps' cleanups, which the engine runs in reverse whatever happened.
 */
public final class AzureBuilder {
    private final AzureBuild build;

    public AzureBuilder(AzureBuilderSpec spec, AzureOptions options, String buildName, String runId) {
        this.build = new AzureBuild(spec, options, buildName, runId);
    }

    /**
     * Turns the step cache on for these provisioning steps (the template's {@code cache}): see {@link StepCache}.
     * Returns this builder.
     */
    public AzureBuilder cache(List<dev.imagebake.plan.Step> steps) {
        if (build.spec.cache() != null) {
            build.cache = new StepCache(build, build.spec.cache(), steps);
        }
        return this;
    }

    /**
     * Provisioning step {@code number} (from 1) as this builder runs it: with the step cache, left out when the
     * cached disk holds it, and followed by a snapshot; else as it is.
     */
    public BuildStep provisioning(BuildStep step, int number) {
        return build.cache == null ? step : build.cache.wrap(step, number);
    }

    /**
     * The builder of a build that resumes on what an earlier run kept ({@code build --resume}): its temporary
     * resources have that run's names, derived from the build id the record notes.
     */
    public static AzureBuilder resuming(AzureBuilderSpec spec, AzureOptions options, String buildName,
                                        dev.imagebake.engine.ResumeRecord.Entry kept) {
        String id = kept.details().getOrDefault("buildId", "");
        // The id ends in the 8 hex digits of the run id; the same build name gives the same id back.
        String runId = id.length() >= 8 ? id.substring(id.length() - 8) : "00000000";
        return new AzureBuilder(spec, options, buildName, runId);
    }

    /** For {@code build --resume}: up to a connected machine, adopting the kept VM instead of creating one. */
    public List<BuildStep> adopt(dev.imagebake.engine.ResumeRecord.Entry kept) {
        StepAdoptKept adopt = new StepAdoptKept(build, kept);
        return AzureStep.all(List.of(new StepSignIn(build), new StepCheckDestination(build), adopt,
                new StepReconnectSsh(build, kept, adopt)));
    }

    /** Up to a connected machine. */
    public List<BuildStep> prepare() {
        List<BuildStep> steps = new ArrayList<>(List.of(new StepSignIn(build), new StepCheckDestination(build),
                new StepCreateResourceGroup(build), new StepCreateNetwork(build)));
        if (build.cache != null) {
            steps.add(new CacheLookup(build.cache));
        }
        steps.add(new StepCreateVm(build));
        steps.add(new StepConnectSsh(build));
        return AzureStep.all(steps);
    }

    private record CacheLookup(StepCache cache) implements BuildStep {
        @Override
        public String name() {
            return "look up the step cache";
        }

        @Override
        public void run(BuildContext context) throws Exception {
            cache.lookUp(context);
        }
    }

    private record CacheAwait(StepCache cache) implements BuildStep {
        @Override
        public String name() {
            return "complete the cache snapshots";
        }

        @Override
        public void run(BuildContext context) throws Exception {
            cache.awaitSnapshots(context);
        }
    }

    /** After the provisioners: deprovision, generalize, capture, record. */
    public List<BuildStep> finish() {
        List<BuildStep> steps = new ArrayList<>();
        if (build.cache != null) {
            steps.add(new CacheAwait(build.cache)); // before deprovisioning: the disk must not change under them
        }
        boolean capture = build.spec.managedImage() != null || build.spec.gallery() != null;
        if (capture && build.spec.deprovision()) {
            steps.add(new StepDeprovision());
        }
        if (capture) {
            steps.add(new StepGeneralize(build));
        }
        if (build.spec.managedImage() != null) {
            steps.add(new StepCaptureImage(build));
        }
        if (build.spec.gallery() != null) {
            steps.add(new StepPublishGalleryVersion(build));
        }
        steps.add(new RecordArtifact(build));
        return AzureStep.all(steps);
    }

    private record RecordArtifact(AzureBuild build) implements BuildStep {
        @Override
        public String name() {
            return "record the image";
        }

        @Override
        public void run(BuildContext context) {
            build.recorded = true;
            markRecorded(context, build);
            Artifact artifact = artifact(build, null);
            if (build.galleryVersionId == null && build.managedImageId == null) {
                context.warn("no managedImage or gallery destination: the machine was provisioned and nothing "
                        + "was captured");
            }
            context.addArtifact(artifact);
        }
    }

    /**
     * Retags the build's images as recorded: the lease tags (host, process, expiry) go and {@code
     * imagebake-recorded-at} comes, so that {@code gc} no longer counts them as left by a build that died. Best
     * effort: an image that keeps its lease tags is only listed by {@code gc}, never deleted without
     * {@code --include-artifacts}.
     */
    static void markRecorded(BuildContext context, AzureBuild build) {
        // A first Ctrl-C interrupts the step thread; the retagging, like a cleanup, should still finish (only a
        // second Ctrl-C skips it), so it runs on a thread of its own that the first interrupt does not reach.
        java.util.concurrent.FutureTask<Void> tagging = new java.util.concurrent.FutureTask<>(() -> {
            tagRecorded(context, build);
            return null;
        });
        Thread worker = new Thread(tagging, "imagebake-record-tags");
        worker.setDaemon(true);
        worker.start();
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    tagging.get(100, java.util.concurrent.TimeUnit.MILLISECONDS);
                    return;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (java.util.concurrent.TimeoutException e) {
                    // still tagging; look at the second Ctrl-C below
                } catch (java.util.concurrent.ExecutionException e) {
                    warnNotRecorded(context, e.getCause());
                    return;
                }
                if (context.cleanupSkipped()) {
                    worker.interrupt();
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void tagRecorded(BuildContext context, AzureBuild build) throws Exception {
        Map<String, String> tags = new LinkedHashMap<>(build.artifactTags());
        tags.remove(AzureBuild.TAG_HOST);
        tags.remove(AzureBuild.TAG_PID);
        tags.remove(AzureBuild.TAG_EXPIRES);
        tags.put(AzureBuild.TAG_RECORDED, java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                .toString());
        var compute = build.clients.compute();
        if (build.managedImageId != null) {
            var dest = build.spec.managedImage();
            Lro.await(context::cleanupSkipped, "tagging managed image " + dest.name() + " as recorded",
                    build.operationLimit(), () -> compute.getImages().beginUpdate(dest.resourceGroup(),
                            dest.name(), new com.azure.resourcemanager.compute.models.ImageUpdate().withTags(tags)),
                    null);
        }
        if (build.galleryVersionId != null) {
            var dest = build.spec.gallery();
            Lro.await(context::cleanupSkipped, "tagging gallery image version " + dest.version()
                            + " as recorded", build.operationLimit(),
                    () -> build.galleryCompute().getGalleryImageVersions().beginUpdate(dest.resourceGroup(),
                            dest.gallery(),
                            dest.image(), dest.version(),
                            new com.azure.resourcemanager.compute.models.GalleryImageVersionUpdate().withTags(tags)),
                    null);
        }
    }

    private static void warnNotRecorded(BuildContext context, Throwable e) {
        context.warn((e instanceof dev.imagebake.engine.StepFailedException ? e.getMessage()
                : "tagging the image as recorded failed: " + AzureErrors.describe(e)) + "; `imagebake gc` will list "
                + "the image as one of a build that did not end (it never deletes it without --include-artifacts)");
    }

    /** The build's image as an artifact; {@code note} says why it is less than the template asked for, or null. */
    static Artifact artifact(AzureBuild build, String note) {
        Map<String, String> details = new LinkedHashMap<>();
        put(details, "managedImageId", build.managedImageId);
        put(details, "galleryImageVersionId", build.galleryVersionId);
        if (build.spec.gallery() != null && build.galleryVersionId != null) {
            details.put("regions", String.join(",", build.spec.gallery().regions().keySet()));
        }
        put(details, "location", build.location);
        put(details, "source", build.sourceDescription);
        put(details, "sourceExactVersion", build.sourceExactVersion);
        if (build.spec.keepOsDisk()) {
            put(details, "keptOsDiskId", build.osDiskId);
        }
        put(details, "note", note);
        String id = build.galleryVersionId != null ? build.galleryVersionId : build.managedImageId;
        return new Artifact("azure", id != null ? id : build.vmId, List.of(), details);
    }

    private static void put(Map<String, String> details, String key, String value) {
        if (value != null) {
            details.put(key, value);
        }
    }
}
