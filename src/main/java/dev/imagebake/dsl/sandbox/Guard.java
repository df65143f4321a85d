package dev.imagebake.dsl.sandbox;

import java.lang.management.ManagementFactory;

/**
 * The running evaluation's budget, held per thread. Rewritten template code reports here at every call, loop
 * iteration and closure entry, so an endless loop or a runaway allocation is stopped within one step.
 */
public final class Guard {
    private static final ThreadLocal<Guard> CURRENT = new ThreadLocal<>();
    /**
     * Allocation is sampled at most this often. By time rather than by count: one checkpoint can follow a host
     * operation that allocated a lot (adding a million elements), so a count would let memory run far ahead.
     */
    private static final long ALLOCATION_SAMPLE_NANOS = 5_000_000;
    /**
     * How deep template functions and closures may call each other. Far below what the evaluation thread's stack
     * holds: a very deep stack makes every garbage collection slow, so runaway recursion must stop early.
     */
    static final int MAX_CALL_DEPTH = 1_000;

    private final Limits limits;
    private final long deadline;
    private volatile boolean cancelled;
    private int line;
    private int column;
    private long outputChars;
    private long lastSample;
    private long allocationBaseline = -1;
    private int depth;

    public Guard(Limits limits) {
        this.limits = limits;
        long now = System.nanoTime();
        this.deadline = now + limits.timeout().toNanos();
        this.lastSample = now - ALLOCATION_SAMPLE_NANOS - 1; // the first checkpoint takes the baseline
    }

    public static Guard current() {
        Guard guard = CURRENT.get();
        if (guard == null) {
            throw new SandboxException("template code ran outside of a sandboxed evaluation", 0, 0);
        }
        return guard;
    }

    /** The running evaluation's guard, or null when no evaluation runs on this thread. */
    static Guard currentOrNull() {
        return CURRENT.get();
    }

    /**
     * A checkpoint for code that also runs outside evaluations (the collections templates build): does nothing
     * when no evaluation runs on this thread.
     */
    static void checkpointIfActive() {
        Guard guard = CURRENT.get();
        if (guard != null) {
            guard.checkpoint();
        }
    }

    public void install() {
        CURRENT.set(this);
    }

    public void uninstall() {
        CURRENT.remove();
    }

    public Limits limits() {
        return limits;
    }

    public void cancel() {
        cancelled = true;
    }

    public int line() {
        return line;
    }

    public int column() {
        return column;
    }

    public void at(int line, int column) {
        this.line = line;
        this.column = column;
    }

    public void checkpoint() {
        long now = System.nanoTime();
        if (cancelled || now - deadline > 0) {
            cancelled = true;
            throw new LimitExceededException("evaluation took longer than " + describe(limits.timeout())
                    + " (raise it with --eval-timeout)", line, column);
        }
        if (now - lastSample > ALLOCATION_SAMPLE_NANOS) {
            lastSample = now;
            checkAllocation();
        }
    }

    /** A template function or closure starts running; pair with {@link #leave()}. */
    public void enter() {
        checkpoint();
        if (depth >= MAX_CALL_DEPTH) {
            throw new LimitExceededException("functions and closures called each other more than "
                    + MAX_CALL_DEPTH + " levels deep (a function that calls itself without end?)", line, column);
        }
        depth++;
    }

    public void leave() {
        depth--;
    }

    public void countOutput(int chars) {
        outputChars += chars;
        if (outputChars > limits.maxOutputChars()) {
            throw new LimitExceededException("the template printed more than " + limits.maxOutputChars()
                    + " characters", line, column);
        }
    }

    public void checkStringLength(long length) {
        if (length > limits.maxStringLength()) {
            throw new LimitExceededException("a string of " + length + " characters is over the limit of "
                    + limits.maxStringLength(), line, column);
        }
    }

    public void checkCollectionSize(long size) {
        if (size > limits.maxCollectionSize()) {
            throw new LimitExceededException("a collection of " + size + " elements is over the limit of "
                    + limits.maxCollectionSize(), line, column);
        }
    }

    private void checkAllocation() {
        long now = allocatedBytes();
        if (allocationBaseline < 0) {
            allocationBaseline = now; // the first sample, at the template's first checkpoint
        } else if (now >= 0 && now - allocationBaseline > limits.maxAllocatedBytes()) {
            throw new LimitExceededException("the template allocated more than "
                    + (limits.maxAllocatedBytes() >> 20) + " MiB of memory", line, column);
        }
    }

    private static long allocatedBytes() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean bean
                && bean.isThreadAllocatedMemorySupported()) {
            return bean.getCurrentThreadAllocatedBytes();
        }
        return -1;
    }

    static String describe(java.time.Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? (ms / 1000) + " s" : ms + " ms";
    }
}
