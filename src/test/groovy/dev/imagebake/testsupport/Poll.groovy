package dev.imagebake.testsupport

/** Waiting for a condition with a deadline, never for a fixed time: specs run on loaded machines. */
class Poll {
    /** Polls {@code condition} every 100 ms until it holds; fails after {@code seconds}, naming {@code what}. */
    static void until(String what, int seconds = 30, Closure<Boolean> condition) {
        long deadline = System.currentTimeMillis() + seconds * 1000L
        while (!condition()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("${what} did not happen within ${seconds} s")
            }
            Thread.sleep(100)
        }
    }
}
