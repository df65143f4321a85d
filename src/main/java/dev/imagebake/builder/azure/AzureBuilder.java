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

    /** Up to a connected machine. */
    public List<BuildStep> prepare() {
        return AzureStep.all(List.of(new StepSignIn(build), new StepCheckDestination(build),
                new StepCreateResourceGroup(build), new StepCreateNetwork(build), new StepCreateVm(build),
                new StepConnectSsh(build)));
    }

    /** After the provisioners: deprovision, generalize, capture, record. */
    public List<BuildStep> finish() {
        List<BuildStep> steps = new ArrayList<>();
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
            Map<String, String> details = new LinkedHashMap<>();
            put(details, "managedImageId", build.managedImageId);
            put(details, "galleryImageVersionId", build.galleryVersionId);
            if (build.spec.gallery() != null) {
                details.put("regions", String.join(",", build.spec.gallery().regions().keySet()));
            }
            put(details, "location", build.location);
            put(details, "source", build.sourceDescription);
            put(details, "sourceExactVersion", build.sourceExactVersion);
            String id = build.galleryVersionId != null ? build.galleryVersionId : build.managedImageId;
            if (id == null) {
                context.warn("no managedImage or gallery destination: the machine was provisioned and nothing "
                        + "was captured");
                id = build.vmId;
            }
            context.addArtifact(new Artifact("azure", id, List.of(), details));
        }

        private static void put(Map<String, String> details, String key, String value) {
            if (value != null) {
                details.put(key, value);
            }
        }
    }
}
