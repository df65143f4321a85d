package dev.imagebake.engine;

import dev.imagebake.plan.Build;
import dev.imagebake.plan.Plan;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs the builds of a plan, in parallel up to a limit. One build failing does not stop the others. The first
 * {@link #cancel} stops every build and cleans up; a second {@link #skipCleanup} leaves what remains and reports it.
 */
public final class Engine {
    private final StepSource steps;
    private final Reporter reporter;
    private final OnError policy;
    private final int parallel;
    private final Interaction interaction;
    private final Path templateFolder;
    private final boolean failFast;
    private final AtomicBoolean skipCleanup = new AtomicBoolean();
    private final List<BuildContext> running = new CopyOnWriteArrayList<>();
    private volatile boolean cancelled;

    /** @param failFast when one build fails, cancel the others (they clean up) */
    public Engine(StepSource steps, Reporter reporter, OnError policy, int parallel, Interaction interaction,
                  Path templateFolder, boolean failFast) {
        this.failFast = failFast;
        this.steps = steps;
        this.reporter = reporter;
        this.policy = policy;
        this.parallel = parallel;
        this.interaction = interaction;
        this.templateFolder = templateFolder;
    }

    /** Runs the given builds of the plan and returns how each ended, in plan order. */
    public List<BuildResult> run(Plan plan, List<Build> builds, Secrets secrets) throws InterruptedException {
        int threads = Math.max(1, Math.min(parallel <= 0 ? builds.size() : parallel, Math.max(1, builds.size())));
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "imagebake-build");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<BuildResult>> futures = new ArrayList<>();
            for (Build build : builds) {
                futures.add(pool.submit(() -> runBuild(build, secrets)));
            }
            List<BuildResult> results = new ArrayList<>();
            for (Future<BuildResult> f : futures) {
                try {
                    results.add(f.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IllegalStateException(e.getCause());
                }
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    private BuildResult runBuild(Build build, Secrets secrets) {
        long started = System.nanoTime();
        BuildContext context = new BuildContext(build, templateFolder, reporter, secrets, interaction);
        context.cleansUpAfterFailure(policy == OnError.CLEANUP);
        running.add(context);
        try {
            if (cancelled) {
                context.cancel();
            }
            reporter.buildStarted(build.name(), build.type());
            List<BuildStep> recorders = steps.recorders(build);
            List<String> recordFailures = new CopyOnWriteArrayList<>();
            StepRunner runner = new StepRunner(policy, skipCleanup);
            java.util.Set<BuildStep> announced = java.util.concurrent.ConcurrentHashMap.newKeySet();
            context.onArtifact(() -> record(context, recorders, recordFailures, runner, announced));
            StepRunner.Outcome outcome = runner.run(context, steps.steps(build), steps.onError(build));
            BuildResult.Status status = outcome.ok()
                    ? (context.cancelled() && !outcome.leftovers().isEmpty()
                    ? BuildResult.Status.SUCCEEDED_CLEANUP_INTERRUPTED : BuildResult.Status.SUCCEEDED)
                    : context.cancelled() ? BuildResult.Status.CANCELLED : BuildResult.Status.FAILED;
            String error = outcome.failure();
            // The login command first: a resume record notes where it put the key copy.
            String login = null;
            if (outcome.aborted() && context.hasMachine()) {
                try {
                    LoginCommand.Login kept = context.machine().keptLoginCommand();
                    context.keptLogin(kept);
                    login = kept.notes() + "; log in with: " + kept.command();
                } catch (java.io.IOException e) {
                    login = " (could not write its key and known_hosts files: "
                            + dev.imagebake.util.IoErrors.describe(e) + "): "
                            + context.machine().endpoint().describe();
                }
            }
            if (outcome.aborted()) {
                steps.kept(context);
            }
            if (outcome.aborted() && context.hasMachine()) {
                // The command ends the line, so that everything after "log in with:" can be pasted.
                context.warn("--on-error=abort: nothing was cleaned up"
                        + (outcome.leftovers().isEmpty() ? "" : " (delete what is listed below when done)")
                        + "; the build machine is kept for inspection" + login);
            }
            if (status == BuildResult.Status.FAILED && failFast && !cancelled) {
                context.warn("--fail-fast: cancelling the other builds");
                cancel();
            }
            if (outcome.ok() && !recordFailures.isEmpty()) {
                status = BuildResult.Status.FAILED;
                error = recordFailures.get(0);
            }
            if (outcome.ok() && recordFailures.isEmpty()) {
                for (BuildStep post : steps.post(build)) {
                    StepRunner.Outcome posted = runner.run(context, List.of(PlannedStep.builderStep(post)), List.of());
                    if (!posted.ok()) {
                        status = BuildResult.Status.FAILED;
                        error = post.name() + ": " + posted.failure();
                        break;
                    }
                }
            }
            if (!context.artifacts().isEmpty() || (status.produced() && recordFailures.isEmpty())) {
                // Once more with the final status and what is left, so that the record says how the build ended.
                context.finish(status, outcome.leftovers());
                record(context, recorders, recordFailures, runner, announced);
            }
            BuildResult result = new BuildResult(build.name(), status, Duration.ofNanos(System.nanoTime() - started),
                    context.artifacts(), error, outcome.leftovers());
            reporter.buildFinished(result);
            return result;
        } finally {
            running.remove(context);
            if (context.hasMachine()) {
                context.machine().close();
            }
        }
    }

    /**
     * Runs the recorders (the manifest); a failure is reported and fails the build, but stops nothing. Each shows as
     * a step the first time it runs; later runs only bring what it wrote up to date.
     */
    private static void record(BuildContext context, List<BuildStep> recorders, List<String> failures,
                               StepRunner runner, java.util.Set<BuildStep> announced) {
        for (BuildStep recorder : recorders) {
            boolean first = announced.add(recorder);
            int index = first ? runner.nextIndex() : 0;
            long started = System.nanoTime();
            if (first) {
                context.reporter().stepStarted(context.name(), index, recorder.name());
            }
            String failure = null;
            try {
                recorder.run(context);
            } catch (Exception e) {
                failure = StepRunner.describe(e);
                String why = recorder.name() + ": " + failure;
                if (!first) {
                    context.reporter().message(context.name(), Reporter.Level.ERROR, why);
                }
                failures.add(why);
            }
            if (first) {
                context.reporter().stepFinished(context.name(), index, recorder.name(), failure == null,
                        Duration.ofNanos(System.nanoTime() - started), failure);
            }
        }
    }

    /** Ctrl-C once: stop every build; cleanups still run. */
    public void cancel() {
        cancelled = true;
        for (BuildContext context : running) {
            context.cancel();
        }
    }

    /** Ctrl-C twice: skip the cleanups that have not run yet; they are reported as left behind. */
    public void skipCleanup() {
        skipCleanup.set(true);
        for (BuildContext context : running) {
            context.skipCleanup();
        }
        cancel();
    }
}
