package dev.imagebake.engine;

import dev.imagebake.communicator.Communicator;
import dev.imagebake.plan.Build;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The state of one running build, passed explicitly to every step: what to build, where output goes, the build
 * machine once a builder has made it reachable, and what the build produced.
 */
public final class BuildContext {
    private final Build build;
    private final Path templateFolder;
    private final Reporter reporter;
    private final Secrets secrets;
    private final Interaction interaction;
    private final List<Artifact> artifacts = Collections.synchronizedList(new ArrayList<>());
    private volatile Machine machine;
    private volatile boolean cancelled;
    private volatile Runnable interruptCurrent = () -> { };
    private final Object stepThreadLock = new Object();
    private Thread stepThread;
    private volatile Runnable onArtifact = () -> { };
    private volatile boolean cleanupSkipped;
    private volatile BuildResult.Status finalStatus;
    private volatile List<String> finalLeftovers = List.of();
    private volatile boolean cleansUpAfterFailure;
    private volatile KeptResources keptResources;
    private volatile LoginCommand.Login keptLogin;

    public BuildContext(Build build, Path templateFolder, Reporter reporter, Secrets secrets,
                        Interaction interaction) {
        this.build = build;
        this.templateFolder = templateFolder;
        this.reporter = reporter;
        this.secrets = secrets;
        this.interaction = interaction;
    }

    public Build build() {
        return build;
    }

    public String name() {
        return build.name();
    }

    public Path templateFolder() {
        return templateFolder;
    }

    public Reporter reporter() {
        return reporter;
    }

    public Secrets secrets() {
        return secrets;
    }

    /** The person at the terminal, or null when the run is not interactive. */
    public Interaction interaction() {
        return interaction;
    }

    public void info(String text) {
        reporter.message(name(), Reporter.Level.INFO, text);
    }

    public void warn(String text) {
        reporter.message(name(), Reporter.Level.WARN, text);
    }

    /** The build machine; a step that needs it before a builder provided it is a programming error. */
    public Machine machine() {
        Machine m = machine;
        if (m == null) {
            throw new IllegalStateException("no build machine is connected yet");
        }
        return m;
    }

    public boolean hasMachine() {
        return machine != null;
    }

    public void machine(Machine machine) {
        this.machine = machine;
        this.interruptCurrent = machine::interruptCommands;
        if (cancelled) {
            machine.interruptCommands();
        }
    }

    /** The communicator of the build machine, reconnecting if the last connection dropped (after a reboot). */
    public Communicator communicator() throws Exception {
        return machine().communicator();
    }

    public void addArtifact(Artifact artifact) {
        artifacts.add(artifact);
        reporter.artifact(name(), artifact);
        onArtifact.run();
    }

    /** Called after each artifact is added (the engine writes the manifest then). */
    void onArtifact(Runnable action) {
        this.onArtifact = action;
    }

    /** How the build ended, once it has; null while it runs. For recorders (the manifest). */
    public BuildResult.Status finalStatus() {
        return finalStatus;
    }

    /** What the build left behind, once it has ended. */
    public List<String> finalLeftovers() {
        return finalLeftovers;
    }

    void finish(BuildResult.Status status, List<String> leftovers) {
        this.finalLeftovers = List.copyOf(leftovers);
        this.finalStatus = status;
    }

    /**
     * True once a second Ctrl-C asked to skip the cleanup: a cleanup that waits for Azure (a resource group that
     * takes long to delete) stops waiting and reports what is left.
     */
    public boolean cleanupSkipped() {
        return cleanupSkipped;
    }

    void skipCleanup() {
        cleanupSkipped = true;
    }

    public List<Artifact> artifacts() {
        return List.copyOf(artifacts);
    }

    public boolean cancelled() {
        return cancelled;
    }

    /**
     * True when whatever happens next, the build's temporary resources are deleted (the on-error policy
     * {@code cleanup}): a step may then start deleting what nothing needs any more before the end, as the cleanup
     * would. False under {@code abort} and {@code ask}, which may keep everything for a look, and in the REPL.
     */
    public boolean cleansUpAfterFailure() {
        return cleansUpAfterFailure;
    }

    void cleansUpAfterFailure(boolean value) {
        cleansUpAfterFailure = value;
    }

    /** Asks the build to stop: the running step's remote commands are ended and no further step starts. */
    public void cancel() {
        cancelled = true;
        interruptCurrent.run();
        synchronized (stepThreadLock) {
            if (stepThread != null) {
                stepThread.interrupt();
            }
        }
    }

    /**
     * True while a step of a cancelled build is still running: its requests should not be retried. False during
     * cleanups, whose requests are retried as usual even after Ctrl-C.
     */
    public boolean stepCancelled() {
        synchronized (stepThreadLock) {
            return cancelled && stepThread != null;
        }
    }

    /**
     * The thread running a step (not a cleanup), or null between steps. Cancelling interrupts it, so that a step
     * waiting inside a library (the Azure SDK's retry back-off, a token request) stops at once instead of when the
     * wait ends; cleanups are never interrupted, as they must run to the end.
     */
    void stepThread(Thread thread) {
        synchronized (stepThreadLock) {
            stepThread = thread;
            if (thread != null && cancelled) {
                thread.interrupt();
            }
        }
    }

    /** What to call to end the running step's work early (a timeout or Ctrl-C). */
    void onInterrupt(Runnable action) {
        this.interruptCurrent = action;
    }

    /** Ends the work of the running step without cancelling the build (a step timeout). */
    void interruptCurrent() {
        interruptCurrent.run();
    }

    /** What the builder keeps beyond the machine when the build is kept, for {@code build --resume}; null: nothing. */
    public KeptResources keptResources() {
        return keptResources;
    }

    public void keptResources(KeptResources kept) {
        this.keptResources = kept;
    }

    /** How a person logs in to the machine {@code --on-error=abort} kept; null until the build was kept. */
    public LoginCommand.Login keptLogin() {
        return keptLogin;
    }

    void keptLogin(LoginCommand.Login login) {
        this.keptLogin = login;
    }
}
