package dev.imagebake.cli;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/** Ctrl-C and SIGTERM handling for long-running commands: the command decides, the JVM does not just exit. */
final class Signals {
    private static SignalHandler previousInt;
    private static SignalHandler previousTerm;

    private Signals() {
    }

    static synchronized void install(Runnable action) {
        SignalHandler handler = signal -> action.run();
        previousInt = Signal.handle(new Signal("INT"), handler);
        previousTerm = Signal.handle(new Signal("TERM"), handler);
    }

    /** Handles SIGINT (Ctrl-C) only; SIGTERM keeps ending the JVM (through its shutdown hooks). */
    static synchronized void installInterrupt(Runnable action) {
        previousInt = Signal.handle(new Signal("INT"), signal -> action.run());
        previousTerm = null;
    }

    static synchronized void restore() {
        if (previousInt != null) {
            Signal.handle(new Signal("INT"), previousInt);
            previousInt = null;
        }
        if (previousTerm != null) {
            Signal.handle(new Signal("TERM"), previousTerm);
            previousTerm = null;
        }
    }
}
