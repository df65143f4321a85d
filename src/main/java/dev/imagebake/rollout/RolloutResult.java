package dev.imagebake.rollout;

import java.util.Map;

/**
 * How a roll-out ended.
 *
 * @param ok         every instance runs the new image and passed its health check (or nothing was to be done)
 * @param message    one paragraph for people: what happened, and on failure what state the scale set is in
 * @param unhealthy  instance ID to why it counts as unhealthy
 * @param rolledBack the model points at the previous image again
 */
public record RolloutResult(boolean ok, String message, Map<String, String> unhealthy, boolean rolledBack) {
    public RolloutResult {
        unhealthy = Map.copyOf(unhealthy);
    }
}
