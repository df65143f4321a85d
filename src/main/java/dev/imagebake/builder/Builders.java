package dev.imagebake.builder;

import dev.imagebake.builder.azure.AzureBuilder;
import dev.imagebake.builder.azure.AzureOptions;
import dev.imagebake.builder.ssh.SshBuilder;
import dev.imagebake.engine.BuildStep;
import dev.imagebake.engine.PlannedStep;
import dev.imagebake.engine.StepSource;
import dev.imagebake.plan.AnsibleLocalStep;
import dev.imagebake.plan.AnsibleStep;
import dev.imagebake.plan.AzureBuilderSpec;
import dev.imagebake.plan.BreakpointStep;
import dev.imagebake.plan.Build;
import dev.imagebake.plan.FileStep;
import dev.imagebake.plan.ManifestPost;
import dev.imagebake.plan.GossStep;
import dev.imagebake.plan.PuppetServerStep;
import dev.imagebake.plan.PuppetStep;
import dev.imagebake.plan.SaltStep;
import dev.imagebake.plan.ChefClientStep;
import dev.imagebake.plan.ChefSoloStep;
import dev.imagebake.plan.RebootStep;
import dev.imagebake.plan.ScaleSetPost;
import dev.imagebake.plan.ShellLocalStep;
import dev.imagebake.plan.ShellStep;
import dev.imagebake.plan.SshBuilderSpec;
import dev.imagebake.plan.Step;
import dev.imagebake.post.ManifestPostProcessor;
import dev.imagebake.post.ScaleSetPostProcessor;
import dev.imagebake.post.ScaleSetTargetCheck;
import dev.imagebake.provisioner.AnsibleLocalProvisioner;
import dev.imagebake.provisioner.AnsibleProvisioner;
import dev.imagebake.provisioner.BreakpointProvisioner;
import dev.imagebake.provisioner.FileProvisioner;
import dev.imagebake.provisioner.GossProvisioner;
import dev.imagebake.provisioner.PuppetProvisioner;
import dev.imagebake.provisioner.SaltProvisioner;
import dev.imagebake.provisioner.ChefClientProvisioner;
import dev.imagebake.provisioner.ChefSoloProvisioner;
import dev.imagebake.provisioner.PuppetServerProvisioner;
import dev.imagebake.provisioner.RebootProvisioner;
import dev.imagebake.provisioner.ShellLocalProvisioner;
import dev.imagebake.provisioner.ShellProvisioner;

import java.util.ArrayList;
import java.util.List;

/** Where a plan's builders, provisioners and post-processors become runnable steps. */
public final class Builders implements StepSource {
    private final String runId;
    private final AzureOptions azure;

    public Builders(String runId, AzureOptions azure) {
        this.runId = runId;
        this.azure = azure;
    }

    @Override
    public List<PlannedStep> steps(Build build) {
        List<PlannedStep> steps = new ArrayList<>();
        if (build.builder() instanceof SshBuilderSpec ssh) {
            SshBuilder builder = new SshBuilder(ssh);
            builder.prepare().forEach(s -> steps.add(PlannedStep.builderStep(s)));
            build.steps().forEach(s -> steps.add(provisioner(s)));
            builder.finish().forEach(s -> steps.add(PlannedStep.builderStep(s)));
            return steps;
        }
        if (build.builder() instanceof AzureBuilderSpec spec) {
            AzureBuilder builder = new AzureBuilder(spec, azure, build.name(), runId);
            builder.cache(build.steps()); // before prepare(), which then looks the cache up
            return azureSteps(build, spec, builder, builder.prepare());
        }
        throw new UnsupportedOperationException("the " + build.type() + " builder cannot build yet");
    }

    @Override
    public List<PlannedStep> resumed(Build build, dev.imagebake.engine.ResumeRecord.Entry kept) {
        if (build.builder() instanceof AzureBuilderSpec spec) {
            AzureBuilder builder = AzureBuilder.resuming(spec, azure, build.name(), kept);
            return azureSteps(build, spec, builder, builder.adopt(kept));
        }
        return steps(build);
    }

    private List<PlannedStep> azureSteps(Build build, AzureBuilderSpec spec, AzureBuilder builder,
                                         List<BuildStep> preparation) {
        List<PlannedStep> steps = new ArrayList<>();
        for (Step post : build.post()) {
            if (post.spec() instanceof ScaleSetPost scaleSet) {
                steps.add(PlannedStep.builderStep(new ScaleSetTargetCheck(scaleSet, spec.auth(), azure,
                        label(post))));
            }
        }
        preparation.forEach(s -> steps.add(PlannedStep.builderStep(s)));
        int number = 0;
        for (Step s : build.steps()) {
            PlannedStep planned = provisioner(s);
            steps.add(new PlannedStep(builder.provisioning(planned.step(), ++number), planned.options(),
                    planned.provisioning()));
        }
        builder.finish().forEach(s -> steps.add(PlannedStep.builderStep(s)));
        return steps;
    }

    @Override
    public List<PlannedStep> onError(Build build) {
        return build.onError().stream().map(Builders::provisioner).toList();
    }

    @Override
    public List<BuildStep> recorders(Build build) {
        List<BuildStep> recorders = new ArrayList<>();
        for (Step step : build.post()) {
            if (step.spec() instanceof ManifestPost manifest) {
                recorders.add(new ManifestPostProcessor(manifest, runId, label(step)));
            }
        }
        return recorders;
    }

    @Override
    public List<BuildStep> post(Build build) {
        List<BuildStep> post = new ArrayList<>();
        for (Step step : build.post()) {
            if (step.spec() instanceof ScaleSetPost scaleSet) {
                AzureBuilderSpec.Auth auth = build.builder() instanceof AzureBuilderSpec a ? a.auth() : null;
                post.add(new ScaleSetPostProcessor(scaleSet, auth, azure, label(step)));
            }
        }
        return post;
    }

    static PlannedStep provisioner(Step step) {
        return provisioner(step, label(step));
    }

    /** The provisioner of a step, as a build runs it, shown as {@code name}. */
    public static PlannedStep provisioner(Step step, String name) {
        BuildStep runnable;
        if (step.spec() instanceof ShellStep s) {
            runnable = new ShellProvisioner(s, name);
        } else if (step.spec() instanceof FileStep s) {
            runnable = new FileProvisioner(s, name);
        } else if (step.spec() instanceof ShellLocalStep s) {
            runnable = new ShellLocalProvisioner(s, name);
        } else if (step.spec() instanceof BreakpointStep s) {
            runnable = new BreakpointProvisioner(s, name);
        } else if (step.spec() instanceof RebootStep s) {
            runnable = new RebootProvisioner(s, name);
        } else if (step.spec() instanceof AnsibleStep s) {
            runnable = new AnsibleProvisioner(s, name);
        } else if (step.spec() instanceof PuppetStep s) {
            runnable = new PuppetProvisioner(s, name);
        } else if (step.spec() instanceof AnsibleLocalStep s) {
            runnable = new AnsibleLocalProvisioner(s, name);
        } else if (step.spec() instanceof SaltStep s) {
            runnable = new SaltProvisioner(s, name);
        } else if (step.spec() instanceof ChefSoloStep s) {
            runnable = new ChefSoloProvisioner(s, name);
        } else if (step.spec() instanceof ChefClientStep s) {
            runnable = new ChefClientProvisioner(s, name);
        } else if (step.spec() instanceof GossStep s) {
            runnable = new GossProvisioner(s, name);
        } else if (step.spec() instanceof PuppetServerStep s) {
            runnable = new PuppetServerProvisioner(s, name);
        } else {
            throw new IllegalArgumentException("not a provisioner: " + step.kind());
        }
        return new PlannedStep(runnable, step.options(), true);
    }

    /** How a build shows a step: {@code shell (line 14)}. */
    public static String label(Step step) {
        return step.kind() + " (line " + step.declaredAt().line() + ")";
    }
}
