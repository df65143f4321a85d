package dev.imagebake.engine;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a build's steps in order (the model is Packer's multistep). A step's cleanup is registered as soon as it
 * starts; after the last step, a failure or a cancellation, cleanups run in reverse, only for steps that started.
 * Options (pause, timeout, retries) and the on-error policy are applied here, not inside steps.
 */
public final class StepRunner {
    private static final ScheduledExecutorService TIMERS = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "imagebake-timeouts");
        t.setDaemon(true);
        return t;
    });

    private final OnError policy;
    private final AtomicBoolean skipCleanup;
    /** The index of the last step started, counted across every run of this build's steps (onError, post). */
    private int index;

    /** @param skipCleanup set by a second Ctrl-C: remaining cleanups are skipped and reported as left behind */
    public StepRunner(OnError policy, AtomicBoolean skipCleanup) {
        this.policy = policy;
        this.skipCleanup = skipCleanup;
    }

    /** How a run of steps ended. */
    public record Outcome(String failure, boolean aborted, List<String> leftovers) {
        public boolean ok() {
            return failure == null;
        }
    }

    /** Takes the next step index, for a step the engine runs itself (a recorder such as the manifest). */
    int nextIndex() {
        return ++index;
    }

    public Outcome run(BuildContext context, List<PlannedStep> steps, List<PlannedStep> onError) {
        Deque<BuildStep> started = new ArrayDeque<>();
        String failure = null;
        boolean provisioningFailed = false;
        boolean abort = false;
        for (PlannedStep planned : steps) {
            if (context.cancelled()) {
                failure = "cancelled";
                break;
            }
            index++;
            started.push(planned.step());
            Attempt attempt = attempt(context, index, planned);
            if (attempt.failure != null) {
                failure = attempt.failure;
                provisioningFailed = planned.provisioning();
                abort = attempt.abort || policy == OnError.ABORT;
                break;
            }
        }
        if (failure != null && provisioningFailed && !context.cancelled() && !onError.isEmpty()) {
            context.warn("provisioning failed; running the " + onError.size() + " onError step"
                    + (onError.size() == 1 ? "" : "s"));
            for (PlannedStep planned : onError) {
                attempt(context, ++index, planned);
            }
        }
        List<String> leftovers = new ArrayList<>();
        if (abort) {
            for (BuildStep step : started) {
                leftovers.addAll(step.leftovers(context));
            }
            return new Outcome(failure, true, leftovers);
        }
        while (!started.isEmpty()) {
            BuildStep step = started.pop();
            if (skipCleanup.get()) {
                leftovers.addAll(step.leftovers(context));
                continue;
            }
            try {
                step.cleanup(context);
            } catch (Exception e) {
                context.reporter().cleanup(context.name(), step.name(), false, describe(e));
                leftovers.addAll(step.leftovers(context));
            }
        }
        return new Outcome(failure, false, leftovers);
    }

    private record Attempt(String failure, boolean abort) {
    }

    private Attempt attempt(BuildContext context, int index, PlannedStep planned) {
        BuildStep step = planned.step();
        int retries = planned.options().retries();
        for (int attempt = 0; ; attempt++) {
            if (context.cancelled()) {
                return new Attempt("cancelled", false);
            }
            Duration pause = planned.options().pauseBefore();
            if (pause != null && !pause.isZero()) {
                try (AutoCloseable waiting = context.reporter().waiting(context.name(), "pausing before "
                        + step.name())) {
                    Thread.sleep(pause.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return new Attempt("cancelled", false);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
            context.reporter().stepStarted(context.name(), index, step.name());
            long started = System.nanoTime();
            String failure = runOnce(context, step, planned.options().timeout());
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            context.reporter().stepFinished(context.name(), index, step.name(), failure == null, took, failure);
            if (failure == null) {
                return new Attempt(null, false);
            }
            if (context.cancelled()) {
                return new Attempt(failure, false);
            }
            if (attempt < retries) {
                long wait = Math.min(30_000, 1_000L << Math.min(attempt, 5));
                context.warn(step.name() + " failed; trying again in " + wait / 1000 + " s (attempt " + (attempt + 2)
                        + " of " + (retries + 1) + ")");
                try {
                    Thread.sleep(wait);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return new Attempt(failure, false);
                }
                continue;
            }
            if (policy == OnError.ASK && context.interaction() != null) {
                String answer = context.interaction().ask(step.name() + " failed: " + failure
                        + "\n[r]etry the step, [c]lean up, or [a]bort (keep everything)? ");
                String choice = answer == null ? "c" : answer.trim().toLowerCase();
                if (choice.startsWith("r")) {
                    attempt = -1;
                    continue;
                }
                return new Attempt(failure, choice.startsWith("a"));
            }
            return new Attempt(failure, false);
        }
    }

    /** Runs a step once; returns null on success, or why it failed. */
    private static String runOnce(BuildContext context, BuildStep step, Duration timeout) {
        Watchdog watchdog = timeout == null ? null : new Watchdog(context, Thread.currentThread(), timeout);
        try {
            step.run(context);
            return watchdog != null && watchdog.fired() ? "timed out after " + Durations.format(timeout) : null;
        } catch (Exception e) {
            if (watchdog != null && watchdog.fired()) {
                return "timed out after " + Durations.format(timeout);
            }
            if (context.cancelled()) {
                return "cancelled";
            }
            return describe(e);
        } finally {
            if (watchdog != null) {
                watchdog.standDown();
            }
            Thread.interrupted(); // this attempt's interrupt ends with it
        }
    }

    /**
     * Ends one attempt of a step when its time is up: first its remote commands (closing a channel alone would
     * leave them running), then whatever the step's thread waits for (an upload, a local process, a reconnect).
     * Firing takes a while (an SSH session that kills the remote processes), so {@link #standDown()} waits for a
     * firing watchdog to finish: a late kill or interrupt would otherwise hit the next attempt or the next step,
     * which then lost its output or ended at once as if it had succeeded.
     */
    private static final class Watchdog {
        private static final int WAITING = 0;
        private static final int FIRING = 1;
        private static final int STOOD_DOWN = 2;

        private final AtomicInteger state = new AtomicInteger(WAITING);
        private final CountDownLatch done = new CountDownLatch(1);
        private final ScheduledFuture<?> timer;

        Watchdog(BuildContext context, Thread worker, Duration timeout) {
            timer = TIMERS.schedule(() -> {
                if (!state.compareAndSet(WAITING, FIRING)) {
                    return;
                }
                try {
                    context.interruptCurrent();
                } finally {
                    worker.interrupt();
                    done.countDown();
                }
            }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        boolean fired() {
            return state.get() == FIRING;
        }

        /** After this returns, the watchdog has done all it will ever do. */
        void standDown() {
            if (state.compareAndSet(WAITING, STOOD_DOWN)) {
                timer.cancel(false);
                return;
            }
            while (true) {
                try {
                    done.await();
                    return;
                } catch (InterruptedException e) {
                    // the watchdog's own interrupt: keep waiting; the caller clears it
                }
            }
        }
    }

    static String describe(Throwable e) {
        if (e instanceof StepFailedException || e instanceof java.io.IOException) {
            return e.getMessage();
        }
        if (e instanceof InterruptedException) {
            return "interrupted";
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
}
