package dev.imagebake.dsl;

import dev.imagebake.plan.ScaleSetPost;
import dev.imagebake.plan.StepSpec;
import dev.imagebake.util.AzureNames;
import groovy.lang.Closure;
import groovy.lang.DelegatesTo;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@code post scaleSet { resourceGroup 'prod-web'; name 'web-vmss' }}: after the bake, points an existing VM scale
 * set at the new image and brings its instances to it, batch by batch.
 */
public final class ScaleSetContext extends StepContext {
    private String resourceGroup;
    private String name;
    private ScaleSetPost.Upgrade upgrade = ScaleSetPost.Upgrade.AUTO;
    /** Null when not given: the defaults, or for {@code rolling} the scale set's own rolling-upgrade policy. */
    private Integer maxBatchPercent;
    private Integer maxUnhealthyPercent;
    private Duration pauseBetweenBatches;
    private ScaleSetPost.Health health;
    private boolean rollbackOnFailure;
    private ScaleSetPost.ImageChoice image = ScaleSetPost.ImageChoice.GALLERY;

    ScaleSetContext(Evaluation evaluation) {
        super(evaluation);
    }

    @Override
    protected String kind() {
        return "scaleSet";
    }

    /** The scale set's resource group. Required. */
    public void resourceGroup(Object value) {
        resourceGroup = azureName("resourceGroup", AzureNames.Kind.RESOURCE_GROUP, value);
    }

    /** The scale set's name. Required. */
    public void name(Object value) {
        name = azureName("name", AzureNames.Kind.SCALE_SET, value);
    }

    /**
     * How instances reach the new image: {@code 'rolling'} (Azure's rolling upgrade; the scale set's policy must be
     * Rolling), {@code 'manual'} (imagebake upgrades them in batches and checks each batch), {@code 'none'} (only
     * the model changes). Default: {@code 'rolling'} for a Rolling policy, {@code 'manual'} for Manual; for Automatic,
     * Azure upgrades every instance and imagebake checks them.
     */
    public void upgrade(Object value) {
        String text = string("upgrade", value);
        upgrade = Arrays.stream(ScaleSetPost.Upgrade.values())
                .filter(u -> u != ScaleSetPost.Upgrade.AUTO && u.keyword().equals(text.toLowerCase(Locale.ROOT)))
                .findFirst().orElseThrow(() -> new TemplateError("`upgrade` is 'rolling', 'manual' or 'none'; got '"
                        + text + "'"));
    }

    /**
     * The largest share of instances upgraded at once, in percent (at least one instance). Default 20, or for
     * {@code rolling} the scale set's own policy.
     */
    public void maxBatchPercent(Object value) {
        maxBatchPercent = integer("maxBatchPercent", value, 5, 100);
    }

    /**
     * The share of all instances that may be unhealthy before the roll stops, in percent. Default 20, or for
     * {@code rolling} the scale set's own policy.
     */
    public void maxUnhealthyPercent(Object value) {
        maxUnhealthyPercent = integer("maxUnhealthyPercent", value, 0, 100);
    }

    /**
     * The wait between a healthy batch and the next, for example {@code '30s'}. Default none, or for {@code rolling}
     * the scale set's own policy.
     */
    public void pauseBetweenBatches(Object value) {
        pauseBetweenBatches = duration("pauseBetweenBatches", value);
    }

    /** How an upgraded instance proves it is healthy once running: a command over SSH or an HTTP URL. */
    public void health(@DelegatesTo(HealthContext.class) Closure<?> body) {
        HealthContext context = new HealthContext(evaluation);
        context.runBlock(body);
        health = context.build();
    }

    /** On failure, point the model back at the previous image and reimage the instances already upgraded. */
    public void rollbackOnFailure(Object value) {
        rollbackOnFailure = bool("rollbackOnFailure", value);
    }

    /** Which image to roll out when the build made both: {@code 'gallery'} (default) or {@code 'managed'}. */
    public void image(Object value) {
        String text = string("image", value);
        image = Arrays.stream(ScaleSetPost.ImageChoice.values())
                .filter(c -> c.name().equalsIgnoreCase(text)).findFirst()
                .orElseThrow(() -> new TemplateError("`image` is 'gallery' or 'managed'; got '" + text + "'"));
    }

    @Override
    protected StepSpec spec() {
        if ((resourceGroup == null || name == null) && !refused("resourceGroup", "name")) {
            errorAtBlock("scaleSet needs `resourceGroup` and `name`: the scale set to roll the image out to");
        }
        if (health != null && upgrade == ScaleSetPost.Upgrade.NONE) {
            errorAtBlock("scaleSet: `health` checks upgraded instances, but `upgrade 'none'` upgrades none");
        }
        return new ScaleSetPost(resourceGroup, name, upgrade, maxBatchPercent, maxUnhealthyPercent,
                pauseBetweenBatches, health, rollbackOnFailure, image);
    }
}
