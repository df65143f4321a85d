package dev.imagebake.repl;

import dev.imagebake.builder.azure.AzureBuilder;
import dev.imagebake.builder.azure.AzureOptions;
import dev.imagebake.plan.AzureBuilderSpec;
import dev.imagebake.builder.Builders;
import dev.imagebake.builder.ssh.SshBuilder;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.BuildStep;
import dev.imagebake.engine.OnError;
import dev.imagebake.engine.PlannedStep;
import dev.imagebake.engine.Reporter;
import dev.imagebake.engine.Secrets;
import dev.imagebake.engine.StepRunner;
import dev.imagebake.plan.Build;
import dev.imagebake.plan.SshBuilderSpec;
import dev.imagebake.plan.Step;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A builder's machine kept alive between REPL inputs: the builder's preparing steps have run, its finishing steps
 * and the cleanups wait for {@code :bake} and {@code :stop}. Provisioning steps run through the same
 * {@link StepRunner} and provisioners as {@code build}, one at a time.
 */
final class LiveMachine {
    private final Build build;
    private final BuildContext context;
    private final List<BuildStep> finish;
    private final Deque<BuildStep> started = new ArrayDeque<>();
    private final List<BuildStep> prepare;
    /** The runner of the step running now, which Ctrl-C interrupts; null between steps. */
    private volatile StepRunner running;

    private LiveMachine(Build build, BuildContext context, List<BuildStep> prepare, List<BuildStep> finish) {
        this.build = build;
        this.context = context;
        this.prepare = prepare;
        this.finish = finish;
    }

    /** The machine of {@code build}, not started yet: {@link #start()} boots it. */
    static LiveMachine of(Build build, Path folder, Reporter reporter, Secrets secrets, AzureOptions azure) {
        List<BuildStep> prepare;
        List<BuildStep> finish;
        if (build.builder() instanceof SshBuilderSpec ssh) {
            SshBuilder builder = new SshBuilder(ssh);
            prepare = builder.prepare();
            finish = builder.finish();
        } else if (build.builder() instanceof AzureBuilderSpec spec) {
            AzureBuilder builder = new AzureBuilder(spec, azure, build.name(), UUID.randomUUID().toString());
            prepare = builder.prepare();
            finish = builder.finish();
        } else {
            throw new ReplException("the " + build.type() + " builder cannot be started from the REPL yet; "
                    + "the ssh builder can");
        }
        return new LiveMachine(build, new BuildContext(build, folder, reporter, secrets, null), prepare, finish);
    }

    /**
     * Runs the builder's preparing steps (for {@code builder ssh}: connect and verify the host key). On failure
     * whatever started is cleaned up and the reason is returned; null when the machine runs.
     */
    String start() {
        context.reporter().buildStarted(build.name(), build.type());
        for (BuildStep step : prepare) {
            String failure = runBuilderStep(step);
            if (failure != null) {
                stop();
                return failure;
            }
        }
        return null;
    }

    Build build() {
        return build;
    }

    BuildContext context() {
        return context;
    }

    /**
     * Runs one provisioning step now, with its options (timeout, retries); returns null or why it failed.
     *
     * @param label how the step shows in the output
     */
    String provision(Step step, String label) {
        // The provisioner exactly as `build` makes it, named after the REPL's input.
        return runPlanned(Builders.provisioner(step, label));
    }

    /** Runs the builder's finishing steps (capture, record the artifact); returns null or why they failed. */
    String bake() {
        for (BuildStep step : finish) {
            String failure = runBuilderStep(step);
            if (failure != null) {
                return failure;
            }
        }
        return null;
    }

    /**
     * Ctrl-C: ends the step running now as its timeout would (the step runner stops its remote process group), or
     * else the commands running on the machine (a {@code !command}, a transfer); the session goes on.
     */
    void interrupt() {
        StepRunner runner = running;
        if (runner != null) {
            runner.interrupt();
        } else if (context.hasMachine()) {
            context.machine().interruptCommands();
        }
    }

    /** Undoes what the builder created, in reverse; returns what could not be cleaned up. */
    List<String> stop() {
        List<String> leftovers = new java.util.ArrayList<>();
        while (!started.isEmpty()) {
            BuildStep step = started.pop();
            try {
                step.cleanup(context);
            } catch (Exception e) {
                context.reporter().cleanup(context.name(), step.name(), false, String.valueOf(e.getMessage()));
                leftovers.addAll(step.leftovers(context));
            }
        }
        if (context.hasMachine()) {
            context.machine().close();
        }
        return leftovers;
    }

    private String runBuilderStep(BuildStep step) {
        started.push(step); // cleaned up by stop() even when it fails halfway, as the engine does
        return run(new StepRunner(OnError.ABORT, new AtomicBoolean()), new PlannedStep(nonCleaning(step),
                dev.imagebake.plan.StepOptions.DEFAULT, false));
    }

    private String runPlanned(PlannedStep planned) {
        return run(new StepRunner(OnError.CLEANUP, new AtomicBoolean()), planned);
    }

    private String run(StepRunner runner, PlannedStep planned) {
        running = runner;
        try {
            return runner.run(context, List.of(planned), List.of()).failure();
        } finally {
            running = null;
            Thread.interrupted(); // an interrupt meant for the step ends with it, not in the next prompt
        }
    }

    /** The runner cleans up after its run; a builder step here is cleaned up only by {@link #stop}. */
    private static BuildStep nonCleaning(BuildStep step) {
        return new BuildStep() {
            @Override
            public String name() {
                return step.name();
            }

            @Override
            public void run(BuildContext context) throws Exception {
                step.run(context);
            }
        };
    }
}
