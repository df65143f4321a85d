package dev.imagebake.post;

import dev.imagebake.builder.azure.AzureOptions;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.BuildStep;
import dev.imagebake.engine.StepFailedException;
import dev.imagebake.plan.AzureBuilderSpec;
import dev.imagebake.plan.ScaleSetPost;
import dev.imagebake.rollout.AzureScaleSets;
import dev.imagebake.rollout.InstanceHealth;
import dev.imagebake.rollout.Rollout;
import dev.imagebake.rollout.ScaleSets;

/**
 * Before a VM is paid for: the scale set a {@code post scaleSet} rolls out to exists, its upgrade policy allows the
 * template's mode, and the health check's key can be read. A bake whose roll-out cannot start fails in seconds, not
 * after the image is made.
 */
public final class ScaleSetTargetCheck implements BuildStep {
    private final ScaleSetPost spec;
    private final AzureBuilderSpec.Auth auth;
    private final AzureOptions options;
    private final String post;

    /** @param post the post-processor's label, for example {@code scaleSet (line 33)} */
    public ScaleSetTargetCheck(ScaleSetPost spec, AzureBuilderSpec.Auth auth, AzureOptions options, String post) {
        this.spec = spec;
        this.auth = auth;
        this.options = options;
        this.post = post;
    }

    @Override
    public String name() {
        return "check roll-out target of " + post;
    }

    @Override
    public void run(BuildContext context) throws Exception {
        String target = spec.resourceGroup() + "/" + spec.name();
        ScaleSets.Model model;
        try {
            model = new AzureScaleSets(ScaleSetPostProcessor.clients(auth, options, context), context::cancelled)
                    .read(spec.resourceGroup(), spec.name());
            Rollout.mode(spec.upgrade(), model);
            InstanceHealth.of(spec.health(), context.templateFolder());
        } catch (IllegalStateException | IllegalArgumentException | java.io.IOException e) {
            throw new StepFailedException(post + " cannot roll out to scale set " + target + ": " + e.getMessage(),
                    e);
        }
        context.info("scale set " + target + " (policy " + model.upgradePolicy() + ", " + model.capacity()
                + " instance(s)) is ready for " + post);
    }
}
