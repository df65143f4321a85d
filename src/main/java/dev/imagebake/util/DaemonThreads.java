package dev.imagebake.util;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

/**
 * Work on a daemon thread of its own, as a future; cancelling the future interrupts the thread. Not the common pool: the Azure SDK's HTTP client completes its
 * futures there, and on a two-core machine it has a single thread, so blocking it would deadlock; and not a pool at
 * all, so that work stuck on a dead connection never holds up other work.
 */
public final class DaemonThreads {
    private DaemonThreads() {
    }

    public static <T> CompletableFuture<T> start(String name, Callable<T> work) {
        CompletableFuture<T> future = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                future.complete(work.call());
            } catch (Throwable e) {
                future.completeExceptionally(e);
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
        // Cancelling the future stops the work too: a wait inside it (an SDK retry back-off) ends at once.
        future.whenComplete((result, failure) -> {
            if (future.isCancelled()) {
                thread.interrupt();
            }
        });
        return future;
    }
}
