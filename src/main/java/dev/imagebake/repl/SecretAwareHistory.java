package dev.imagebake.repl;

import org.jline.reader.impl.history.DefaultHistory;

import java.time.Instant;
import java.util.function.Predicate;

/**
 * The line editor's history, kept in a file, minus every input that holds a secret. The editor does not add lines
 * itself: the REPL adds each input after evaluating it, when the values it must not show are known (an input that
 * declares a sensitive variable with a literal value holds that value).
 */
final class SecretAwareHistory extends DefaultHistory {
    private final Predicate<String> holdsSecret;

    SecretAwareHistory(Predicate<String> holdsSecret) {
        this.holdsSecret = holdsSecret;
    }

    @Override
    public void add(Instant time, String line) {
        // the editor's own call, before evaluation: ignored (see keep)
    }

    /** Adds an evaluated input to the history (and its file) unless it holds a secret. */
    void keep(String line) {
        if (line.isBlank() || holdsSecret.test(line) || line.contains("sensitive")) {
            return;
        }
        super.add(Instant.now(), line);
    }
}
