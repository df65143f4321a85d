package dev.imagebake.post;

import dev.imagebake.builder.azure.AzureClients;
import dev.imagebake.builder.azure.AzureCloud;
import dev.imagebake.builder.azure.AzureOptions;
import dev.imagebake.engine.Artifact;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.BuildStep;
import dev.imagebake.engine.StepFailedException;
import dev.imagebake.plan.AzureBuilderSpec;
import dev.imagebake.plan.ScaleSetPost;
import dev.imagebake.rollout.AzureScaleSets;
import dev.imagebake.rollout.HealthProbe;
import dev.imagebake.rollout.InstanceHealth;
import dev.imagebake.rollout.Rollout;
import dev.imagebake.rollout.RolloutResult;
import dev.imagebake.rollout.ScaleSets;

import java.time.Duration;

/**
 * {@code post scaleSet}: rolls the image the azure builder just made out to an existing scale set, in the same
 * subscription and with the same credentials as the build.
 */
public final class ScaleSetPostProcessor implements BuildStep {
    private final ScaleSetPost spec;
    private final AzureBuilderSpec.Auth auth;
    private final AzureOptions options;
    private final String name;

    /** @param auth the build's Azure settings, or null when the build has no azure builder */
    public ScaleSetPostProcessor(ScaleSetPost spec, AzureBuilderSpec.Auth auth, AzureOptions options, String name) {
        this.spec = spec;
        this.auth = auth;
        this.options = options;
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void run(BuildContext context) throws Exception {
        if (auth == null) {
            throw new StepFailedException("scaleSet rolls out an Azure image, but the " + context.build().type()
                    + " builder makes none; limit the post-processor to azure builds with `only`");
        }
        String image = image(context);
        AzureClients clients = clients(auth, options, context);
        HealthProbe probe = InstanceHealth.of(spec.health(), context.templateFolder());
        Duration healthTimeout = spec.health() == null ? Duration.ofMinutes(10) : spec.health().timeout();
        Rollout rollout = new Rollout(new AzureScaleSets(clients, context::cancelled), probe, healthTimeout,
                (event, text, fields) -> {
                    context.info(text);
                    context.reporter().event(context.name(), event, fields);
                }, context::cancelled, Duration.ofSeconds(2)).cloudFile(cloudFile(auth, options, context));
        RolloutResult result;
        try {
            result = rollout.run(spec, ScaleSets.ImageRef.of(image), false);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new StepFailedException(e.getMessage(), e);
        }
        if (!result.ok()) {
            throw new StepFailedException(result.message());
        }
    }

    static AzureClients clients(AzureBuilderSpec.Auth auth, AzureOptions options, BuildContext context)
            throws java.io.IOException {
        return new AzureClients(AzureCloud.resolve(auth, options.cloudFile(), context.templateFolder(),
                options.environment(), context.secrets()::add));
    }

    /** The cloud file the build reached Azure through, or null for a named cloud. */
    private static java.nio.file.Path cloudFile(AzureBuilderSpec.Auth auth, AzureOptions options,
                                                BuildContext context) {
        return options.cloudFile() != null ? options.cloudFile() : AzureCloud.isNamedCloud(auth.cloud()) ? null
                : context.templateFolder().resolve(auth.cloud());
    }

    private String image(BuildContext context) throws StepFailedException {
        for (Artifact artifact : context.artifacts()) {
            String gallery = artifact.details().get("galleryImageVersionId");
            String managed = artifact.details().get("managedImageId");
            String chosen = spec.image() == ScaleSetPost.ImageChoice.MANAGED ? managed
                    : gallery != null ? gallery : managed;
            if (chosen != null) {
                return chosen;
            }
        }
        throw new StepFailedException("scaleSet: the build made no " + (spec.image()
                == ScaleSetPost.ImageChoice.MANAGED ? "managed image" : "image") + " to roll out");
    }
}
