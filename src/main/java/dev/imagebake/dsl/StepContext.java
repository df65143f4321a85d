package dev.imagebake.dsl;

import dev.imagebake.plan.Step;
import dev.imagebake.plan.StepOptions;
import dev.imagebake.plan.StepSpec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Options every provisioner and post-processor block accepts. */
public abstract class StepContext extends BlockContext {
    private Duration timeout;
    private int retries;
    private Duration pauseBefore = Duration.ZERO;
    private final List<String> only = new ArrayList<>();
    private final List<String> except = new ArrayList<>();
    private boolean checkpoint;

    protected StepContext(Evaluation evaluation) {
        super(evaluation);
    }

    /** Fails the step when one attempt takes longer, for example {@code timeout '10m'}. */
    public void timeout(Object value) {
        timeout = duration("timeout", value);
    }

    /** Tries the step again after a failure, up to this many more times, waiting longer each time. */
    public void retries(Object value) {
        retries = integer("retries", value, 0, 100);
    }

    /** Waits before the step starts, for example {@code pauseBefore '30s'}. */
    public void pauseBefore(Object value) {
        pauseBefore = duration("pauseBefore", value);
    }

    /**
     * With the azure builder's step cache ({@code cache true}): snapshot the machine after this step. When any step
     * is a checkpoint, only checkpoints are snapshotted; otherwise every step the cache covers is.
     */
    public void checkpoint(Object enabled) {
        checkpoint = bool("checkpoint", enabled);
    }

    /** Runs the step only in the builds named. */
    public void only(Object... builds) {
        only.addAll(builderNames("only", builds));
    }

    /** Skips the step in the builds named. */
    public void except(Object... builds) {
        except.addAll(builderNames("except", builds));
    }

    private List<String> builderNames(String keyword, Object[] builds) {
        List<String> names = strings(keyword, builds);
        names.forEach(name -> evaluation.referBuilder(name, evaluation.position()));
        return names;
    }

    @Override
    protected String blockName() {
        return kind();
    }

    protected abstract String kind();

    /** The step's own settings, checked; called once, after the block ran. */
    protected abstract StepSpec spec();

    final Step build() {
        if (!only.isEmpty() && !except.isEmpty()) {
            errorAtBlock(kind() + ": use either `only` or `except`, not both");
        }
        StepSpec spec = spec();
        if (checkpoint && (spec instanceof dev.imagebake.plan.ManifestPost
                || spec instanceof dev.imagebake.plan.ScaleSetPost)) {
            errorAtBlock(kind() + ": `checkpoint` marks a provisioning step for the step cache; a post step runs "
                    + "after the image is made");
        }
        return new Step(spec, new StepOptions(timeout, retries, pauseBefore, only, except, checkpoint), declaredAt);
    }
}
