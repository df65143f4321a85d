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

    /**
     * The evaluating thread's CPU time is read at most this often (reading it is a system call; the wall clock is
     * not): an endless loop runs at most this much past the limit.
     */
    private static final long CPU_SAMPLE_NANOS = 2_000_000;

    private final Limits limits;
    private final Taint taint = new Taint();
    private long wallStart;
    private long cpuBaseline = -1;
    private long nextCpuSample;
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
        this.wallStart = now;
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

    /** Makes this the evaluating thread's guard; its CPU time counts from here. */
    public void install() {
        CURRENT.set(this);
        long now = System.nanoTime();
        wallStart = now;
        nextCpuSample = now;
        cpuBaseline = threadCpuTime();
    }

    /** The CPU time the evaluating thread used since {@link #install()}; call it on that thread. */
    public java.time.Duration cpuTimeUsed() {
        long now = threadCpuTime();
        return now < 0 || cpuBaseline < 0 ? null : java.time.Duration.ofNanos(now - cpuBaseline);
    }

    public void uninstall() {
        CURRENT.remove();
    }

    /** Which values of this evaluation are sensitive. */
    public Taint taint() {
        return taint;
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

    /**
     * Stops the evaluation once its thread used more CPU time than the limit. CPU time, not wall-clock time: on a
     * loaded machine a valid template must not fail because other processes had the CPU. The wall clock is only a
     * generous backstop, for an evaluation that waits instead of working.
     */
    public void checkpoint() {
        long now = System.nanoTime();
        if (cancelled || now - nextCpuSample > 0) {
            nextCpuSample = now + CPU_SAMPLE_NANOS;
            java.time.Duration used = cpuTimeUsed();
            long wall = now - wallStart;
            // where the JVM cannot measure CPU time, wall-clock time stands in for it
            if ((used != null ? used.toNanos() : wall) > limits.timeout().toNanos()) {
                cancelled = true;
                throw new LimitExceededException("evaluation used more than " + describe(limits.timeout())
                        + " of CPU time (raise it with --eval-timeout)", line, column);
            }
            if (cancelled || wall > limits.wallClockBackstop().toNanos()) {
                cancelled = true;
                throw new LimitExceededException("evaluation did not finish within "
                        + describe(limits.wallClockBackstop()) + " of wall-clock time" + (used == null ? ""
                        : ", though it used only " + describe(used.truncatedTo(java.time.temporal.ChronoUnit.MILLIS))
                        + " of its " + describe(limits.timeout()) + " of CPU time (is the machine overloaded?)"),
                        line, column);
            }
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

    /**
     * {@code a * b} for sizes (neither negative), saturating at {@link Long#MAX_VALUE} instead of wrapping around:
     * a limit check on a product that overflowed would pass a negative size.
     */
    static long times(long a, long b) {
        try {
            return Math.multiplyExact(Math.max(0, a), Math.max(0, b));
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** {@code a + b} for sizes, saturating like {@link #times}. */
    static long plus(long a, long b) {
        try {
            return Math.addExact(Math.max(0, a), Math.max(0, b));
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** The calling thread's CPU time in nanoseconds, or -1 where the JVM cannot measure it. */
    static long threadCpuTime() {
        var bean = ManagementFactory.getThreadMXBean();
        return bean.isCurrentThreadCpuTimeSupported() ? bean.getCurrentThreadCpuTime() : -1;
    }

    private static long allocatedBytes() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean bean
                && bean.isThreadAllocatedMemorySupported()) {
            return bean.getCurrentThreadAllocatedBytes();
        }
        return -1;
    }

    /** A limit as messages name it: {@code 10 s}, {@code 250 ms}. */
    public static String describe(java.time.Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? (ms / 1000) + " s" : ms + " ms";
    }
}
