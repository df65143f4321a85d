package dev.imagebake.emulator.state;

import dev.imagebake.emulator.DataDir;
import dev.imagebake.util.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Everything the emulated cloud holds, as JSON documents: resources keyed by their ID in lower case (ARM IDs are
 * case-insensitive) and long-running operations keyed by their ID. Every change is written to disk, atomically,
 * before it returns, so a request is only acknowledged once its effect would survive a crash.
 */
public final class StateStore {
    private final Path file;
    private State state;

    private StateStore(Path file, State state) {
        this.file = file;
        this.state = state;
    }

    public static StateStore open(Path file) throws IOException {
        return new StateStore(file, load(file));
    }

    /** Reads under the store's lock; {@code reader} must not keep references to the documents. */
    public synchronized <T> T read(Function<State, T> reader) {
        return reader.apply(state);
    }

    /** Changes the state and persists it before returning; if persisting fails, the change is undone. */
    public synchronized <T> T write(Function<State, T> change) {
        T result = change.apply(state);
        try {
            DataDir.writeAtomically(file, Json.writePretty(state.toJson()), false);
        } catch (IOException e) {
            try {
                state = load(file);
            } catch (IOException reload) {
                e.addSuppressed(reload);
            }
            throw new UncheckedIOException("cannot save the emulator's state to " + file, e);
        }
        return result;
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
