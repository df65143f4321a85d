package dev.imagebake.emulator.state;

import dev.imagebake.emulator.DataDir;
import dev.imagebake.util.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Everything the emulated cloud holds, as JSON documents: resources keyed by their ID in lower case (ARM IDs are
 * case-insensitive) and long-running operations keyed by their ID.
 *
 * <p>Changes apply in memory and a background saver writes the whole state to disk (atomically, fsynced) soon
 * after, at most every {@link #SAVE_INTERVAL}, so that a request costs microseconds rather than a serialization
 * and an fsync of everything (which dominated the emulator's time per request). A crash of the emulator can lose
 * the changes of its last few milliseconds; {@link #close()} saves everything. Readers of the file while the
 * emulator runs (the inventory) see the state as of the last save, always whole.
 */
public final class StateStore implements AutoCloseable {
    /** The shortest time between two saves: bounds how often the saver holds the lock to take a snapshot. */
    public static final Duration SAVE_INTERVAL = Duration.ofMillis(20);

    private final Path file;
    private final State state;
    private final Thread saver;
    private boolean dirty;
    private boolean closed;
    private IOException lastFailure;

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

    /** Changes the state under the store's lock; the saver persists it shortly after. */
    public synchronized <T> T write(Function<State, T> change) {
        try {
            return change.apply(state);
        } finally {
            dirty = true;
            notifyAll();
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
        synchronized (this) {
            if (!dirty) {
                return;
            }
            text = snapshot();
        }
        DataDir.writeAtomically(file, text, false);
    }

    private void saveLoop() {
        while (true) {
            String text;
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
                text = snapshot();
            }
            try {
                DataDir.writeAtomically(file, text, false);
                lastFailure = null;
            } catch (IOException e) {
                if (lastFailure == null) {
                    System.err.println("imagebake emulator: cannot save its state to " + file + ": " + e.getMessage()
                            + " (will retry)");
                }
                lastFailure = e;
                synchronized (this) {
                    dirty = true;
                }
            }
            try {
                Thread.sleep(SAVE_INTERVAL.toMillis());
            } catch (InterruptedException e) {
                return;
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
