package dev.imagebake.emulator.state;

import dev.imagebake.emulator.DataDir;
import dev.imagebake.util.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Everything the emulated cloud holds, as JSON documents: resources keyed by their ID in lower case (ARM IDs are
 * case-insensitive) and long-running operations keyed by their ID.
 *
 * <p>Changes apply in memory; a background saver writes the whole state to disk (atomically, fsynced), and a
 * {@link #write} returns only once a save that includes its change is on disk, so a reply the emulator sends is
 * never lost by a {@code kill -9}. Writers that arrive while a save is running share the next one (group commit):
 * a write costs its own microseconds of CPU plus, in wall time, waiting for one fsync, however many requests run
 * at once. A nested write (inside another read or write) does not wait; its outer write does. Readers of the file
 * while the emulator runs (the inventory) see the state as of the last save, always whole.
 */
public final class StateStore implements AutoCloseable {
    private final Path file;
    private final State state;
    private final Thread saver;
    private boolean dirty;
    private boolean closed;
    private volatile IOException lastFailure;
    /** Counts changes (under the store's lock). */
    private long changes;
    /** The change count that the last successful save included (under {@link #saved}'s lock). */
    private long savedChanges;
    private final Object saved = new Object();

    private StateStore(Path file, State state) {
        this.file = file;
        this.state = state;
        saver = new Thread(this::saveLoop, "imagebake-emulator-state-saver");
        saver.setDaemon(true);
        saver.start();
    }

    public static StateStore open(Path file) throws IOException {
        return new StateStore(file, load(file));
    }

    /** Reads under the store's lock; {@code reader} must not keep references to the documents. */
    public synchronized <T> T read(Function<State, T> reader) {
        return reader.apply(state);
    }

    /** Changes the state under the store's lock and returns once the change is saved (see the class comment). */
    public <T> T write(Function<State, T> change) {
        long mine;
        T result;
        synchronized (this) {
            try {
                result = change.apply(state);
            } finally {
                dirty = true;
                mine = ++changes;
                notifyAll();
            }
        }
        if (!Thread.holdsLock(this)) {
            awaitSaved(mine);
        }
        return result;
    }

    private void awaitSaved(long change) {
        synchronized (saved) {
            while (savedChanges < change && lastFailure == null && saver.isAlive()) {
                try {
                    saved.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private void markSaved(long change) {
        synchronized (saved) {
            savedChanges = Math.max(savedChanges, change);
            saved.notifyAll();
        }
    }

    /** Stops the saver after a last save of everything; throws if that save fails. */
    @Override
    public void close() throws IOException {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        try {
            saver.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String text;
        long included;
        synchronized (this) {
            if (!dirty) {
                return;
            }
            included = changes;
            text = snapshot();
        }
        DataDir.writeAtomically(file, text, false);
        markSaved(included);
    }

    private void saveLoop() {
        while (true) {
            String text;
            long included;
            synchronized (this) {
                while (!dirty && !closed) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) {
                    return;  // close() saves what is left, on the caller's thread, and reports a failure
                }
                included = changes;
                text = snapshot();
            }
            try {
                DataDir.writeAtomically(file, text, false);
                lastFailure = null;
                markSaved(included);
            } catch (IOException e) {
                if (lastFailure == null) {
                    System.err.println("imagebake emulator: cannot save its state to " + file + ": " + e.getMessage()
                            + " (will retry)");
                }
                lastFailure = e; // writers stop waiting: the state lives on in memory until a save succeeds
                synchronized (saved) {
                    saved.notifyAll();
                }
                synchronized (this) {
                    dirty = true;
                }
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }

    /** Under the lock: the state as text, and nothing left to save. */
    private String snapshot() {
        dirty = false;
        return Json.writePretty(state.toJson());
    }

    private static State load(Path file) throws IOException {
        if (!Files.exists(file)) {
            return new State(new LinkedHashMap<>(), new LinkedHashMap<>());
        }
        Map<?, ?> json = (Map<?, ?>) Json.parse(Files.readString(file));
        return new State(documents(json.get("resources")), documents(json.get("operations")));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> documents(Object json) {
        Map<String, Map<String, Object>> documents = new LinkedHashMap<>();
        if (json instanceof Map<?, ?> map) {
            map.forEach((key, value) -> documents.put((String) key, (Map<String, Object>) value));
        }
        return documents;
    }
}
