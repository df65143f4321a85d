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
    /** The attempt running now (its watchdog), which {@link #interrupt()} ends; null between attempts. */
    private volatile Watchdog current;
    /** Set by {@link #interrupt()}: the running step fails as "interrupted" and is not tried again. */
    private volatile boolean interrupted;

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

    /**
     * Ends the running step now, as its timeout would (its remote commands are stopped), without cancelling the
     * build: the step fails as {@value #INTERRUPTED} and is not retried, and no further step of this run starts. The
     * REPL's Ctrl-C.
     */
    public void interrupt() {
        interrupted = true;
        Watchdog running = current;
        if (running != null) {
            running.fire();
        }
    }

    /** How a step that {@link #interrupt()} ended failed. */
    public static final String INTERRUPTED = "interrupted";

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
            if (interrupted) {
                failure = INTERRUPTED;
                break;
            }
            index++;
            started.push(planned.step());
            Attempt attempt;
            context.stepThread(Thread.currentThread());
            try {
                attempt = attempt(context, index, planned);
            } finally {
                context.stepThread(null);
                Thread.interrupted(); // a Ctrl-C that came as the step ended must not reach its cleanup
            }
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
            if (interrupted) {
                return new Attempt(INTERRUPTED, false);
            }
            Duration pause = planned.options().pauseBefore();
            if (pause != null && !pause.isZero()) {
                try (AutoCloseable waiting = context.reporter().waiting(context.name(), "pausing before "
                        + step.name())) {
                    Thread.sleep(pause.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return new Attempt(interrupted ? INTERRUPTED : "cancelled", false);
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
            if (context.cancelled() || interrupted) {
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
    private String runOnce(BuildContext context, BuildStep step, Duration timeout) {
        Watchdog watchdog = new Watchdog(context, Thread.currentThread(), timeout);
        current = watchdog;
        if (interrupted) {
            watchdog.fire(); // interrupt() came between the check before this attempt and now
        }
        try {
            step.run(context);
            return watchdog.fired() ? why(watchdog, timeout) : null;
        } catch (Exception e) {
            if (watchdog.fired()) {
                return why(watchdog, timeout);
            }
            if (context.cancelled()) {
                return "cancelled";
            }
            return describe(e);
        } finally {
            current = null;
            watchdog.standDown();
            Thread.interrupted(); // this attempt's interrupt ends with it
        }
    }

    private String why(Watchdog watchdog, Duration timeout) {
        return interrupted && !watchdog.timedOut() ? INTERRUPTED : "timed out after " + Durations.format(timeout);
    }

    /**
     * Ends one attempt of a step when its time is up, or at once on {@link #interrupt()}: first its remote commands
     * (closing a channel alone would leave them running), then whatever the step's thread waits for (an upload, a
     * local process, a reconnect). Firing takes a while (an SSH session that kills the remote processes), so
     * {@link #standDown()} waits for a firing watchdog to finish: a late kill or interrupt would otherwise hit the
     * next attempt or the next step, which then lost its output or ended at once as if it had succeeded.
     */
    private static final class Watchdog {
        private static final int WAITING = 0;
        private static final int FIRING = 1;
        private static final int STOOD_DOWN = 2;

        private final AtomicInteger state = new AtomicInteger(WAITING);
        private final CountDownLatch done = new CountDownLatch(1);
        private final BuildContext context;
        private final Thread worker;
        private final ScheduledFuture<?> timer;
        private volatile boolean timedOut;

        /** @param timeout when it fires by itself; null for never (only {@link #fire()} does) */
        Watchdog(BuildContext context, Thread worker, Duration timeout) {
            this.context = context;
            this.worker = worker;
            timer = timeout == null ? null : TIMERS.schedule(() -> fire(true), timeout.toMillis(),
                    TimeUnit.MILLISECONDS);
        }

        void fire() {
            fire(false);
        }

        private void fire(boolean timeUp) {
            if (!state.compareAndSet(WAITING, FIRING)) {
                return;
            }
            timedOut = timeUp;
            try {
                context.interruptCurrent();
            } finally {
                worker.interrupt();
                done.countDown();
            }
        }

        boolean fired() {
            return state.get() == FIRING;
        }

        boolean timedOut() {
            return timedOut;
        }

        /** After this returns, the watchdog has done all it will ever do. */
        void standDown() {
            if (state.compareAndSet(WAITING, STOOD_DOWN)) {
                if (timer != null) {
                    timer.cancel(false);
                }
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

    /** What a failed step says: its own message, in words; never a Java class name. */
    static String describe(Throwable e) {
        if (e instanceof StepFailedException) {
            return e.getMessage();
        }
        if (e instanceof InterruptedException) {
            return "interrupted";
        }
        return dev.imagebake.util.IoErrors.describe(e);
    }
}
