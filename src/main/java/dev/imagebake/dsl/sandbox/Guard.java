package dev.imagebake.dsl.sandbox;

import java.lang.management.ManagementFactory;

/**
 * The running evaluation's budget, held per thread. Rewritten template code reports here at every call, loop
 * iteration and closure entry, so an endless loop or a runaway allocation is stopped within one step.
 */
public final class Guard {
    private static final ThreadLocal<Guard> CURRENT = new ThreadLocal<>();
    /** Allocation is only sampled after this many checkpoints: short templates never pay for the MX bean. */
    private static final int ALLOCATION_SAMPLE_EVERY = 4096;

    private final Limits limits;
    private final long deadline;
    private volatile boolean cancelled;
    private int line;
    private int column;
    private long outputChars;
    private long checkpoints;
    private long allocationBaseline = -1;

    public Guard(Limits limits) {
        this.limits = limits;
        this.deadline = System.nanoTime() + limits.timeout().toNanos();
    }

    public static Guard current() {
        Guard guard = CURRENT.get();
        if (guard == null) {
            throw new SandboxException("template code ran outside of a sandboxed evaluation", 0, 0);
        }
        return guard;
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
        if (cancelled || System.nanoTime() - deadline > 0) {
            cancelled = true;
            throw new LimitExceededException("evaluation took longer than " + describe(limits.timeout())
                    + " (raise it with --eval-timeout)", line, column);
        }
        if (++checkpoints % ALLOCATION_SAMPLE_EVERY == 0) {
            checkAllocation();
        }
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
            allocationBaseline = now; // the first sample: what ran before it is bounded by the sample interval
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
