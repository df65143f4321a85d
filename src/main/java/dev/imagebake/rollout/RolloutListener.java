package dev.imagebake.rollout;

import java.util.Map;

/** Hears a roll-out's progress: a line for people, and the same facts as fields for {@code --json}. */
@FunctionalInterface
public interface RolloutListener {
    /**
     * @param event  what happened, for example {@code rollout.batch.finished}
     * @param text   one line for the console
     * @param fields the facts, for machines
     */
    void progress(String event, String text, Map<String, Object> fields);
}
