package dev.imagebake.emulator.compute;

import dev.imagebake.emulator.arm.ArmException;
import dev.imagebake.emulator.state.State;

import static dev.imagebake.emulator.arm.ProviderSupport.map;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A scale set's rolling upgrade, kept as data in the scale set's internal state so that it survives a restart and
 * advances with the clock, not with a thread: the instances behind the model are split into batches of
 * {@code maxBatchInstancePercent} of the scale set (at least one); batch k runs from
 * {@code start + k * (batchTime + pauseTimeBetweenBatches)} for {@code batchTime}, and its instances are reimaged
 * to the model when it ends. Whoever looks at the scale set first settles what the clock says is done.
 */
final class RollingUpgrade {
    static final String KEY = "rollingUpgrade";
    static final String ROLLING_FORWARD = "RollingForward";

    private RollingUpgrade() {
    }

    /** The upgrade policy with Azure's defaults filled in; refuses values Azure refuses. */
    static Map<String, Object> policy(Map<String, Object> requested) throws ArmException {
        Map<String, Object> policy = new LinkedHashMap<>(requested);
        for (String key : List.of("maxBatchInstancePercent", "maxUnhealthyInstancePercent",
                "maxUnhealthyUpgradedInstancePercent")) {
            Object value = policy.getOrDefault(key, 20);
            if (!(value instanceof Number n) || n.intValue() < (key.equals("maxBatchInstancePercent") ? 5 : 0)
                    || n.intValue() > 100) {
                throw ArmException.badRequest("InvalidParameter", "The value " + value + " of parameter '"
                        + "rollingUpgradePolicy." + key + "' is out of range.");
            }
            policy.put(key, n.intValue());
        }
        Object pause = policy.getOrDefault("pauseTimeBetweenBatches", "PT0S");
        try {
            Duration.parse(String.valueOf(pause));
        } catch (DateTimeParseException e) {
            throw ArmException.badRequest("InvalidParameter", "The value '" + pause + "' of parameter"
                    + " 'rollingUpgradePolicy.pauseTimeBetweenBatches' is not a valid ISO 8601 duration.");
        }
        policy.put("pauseTimeBetweenBatches", String.valueOf(pause));
        return policy;
    }

    /** Starts a roll of every instance behind the model; one with nothing to do completes at once. */
    static void start(State state, Map<String, Object> scaleSet, long now, long batchMillis) {
        Map<String, Object> policy = map(map(map(scaleSet.get("properties")).get("upgradePolicy"))
                .get("rollingUpgradePolicy"));
        List<Map<String, Object>> instances = ScaleSetInstances.of(state, (String) scaleSet.get("id"));
        List<String> behind = instances.stream()
                .filter(i -> !ScaleSetInstances.latestModelApplied(scaleSet, i))
                .sorted(Comparator.comparingInt(i -> Integer.parseInt((String) i.get("instanceId"))))
                .map(i -> (String) i.get("instanceId")).toList();
        int percent = policy.get("maxBatchInstancePercent") instanceof Number n ? n.intValue() : 20;
        int batchSize = Math.max(1, instances.size() * percent / 100);
        List<Object> batches = new ArrayList<>();
        for (int i = 0; i < behind.size(); i += batchSize) {
            batches.add(new ArrayList<>(behind.subList(i, Math.min(behind.size(), i + batchSize))));
        }
        Map<String, Object> roll = new LinkedHashMap<>();
        roll.put("policy", new LinkedHashMap<>(policy));
        roll.put("code", batches.isEmpty() ? "Completed" : ROLLING_FORWARD);
        roll.put("startMillis", now);
        roll.put("lastAction", "Start");
        roll.put("lastActionMillis", now);
        roll.put("batchMillis", batchMillis);
        roll.put("pauseMillis", Duration.parse(String.valueOf(policy.getOrDefault("pauseTimeBetweenBatches",
                "PT0S"))).toMillis());
        roll.put("batches", batches);
        roll.put("doneBatches", 0);
        map(scaleSet.get(ScaleSetInstances.INTERNAL)).put(KEY, roll);
    }

    static Map<String, Object> of(Map<String, Object> scaleSet) {
        Object roll = map(scaleSet.get(ScaleSetInstances.INTERNAL)).get(KEY);
        return roll instanceof Map<?, ?> ? map(roll) : null;
    }

    static boolean isRunning(Map<String, Object> scaleSet) {
        Map<String, Object> roll = of(scaleSet);
        return roll != null && ROLLING_FORWARD.equals(roll.get("code"));
    }

    /** True when a batch is due to finish, so that {@link #settle} has something to write. */
    static boolean isDue(Map<String, Object> scaleSet, long now) {
        Map<String, Object> roll = of(scaleSet);
        return roll != null && ROLLING_FORWARD.equals(roll.get("code")) && now >= batchEnd(roll, done(roll));
    }

    /** Reimages the instances of every batch that has ended by {@code now}; completes the roll after the last. */
    static void settle(State state, Map<String, Object> scaleSet, ScaleSetInstances instances, long now) {
        Map<String, Object> roll = of(scaleSet);
        while (roll != null && ROLLING_FORWARD.equals(roll.get("code")) && now >= batchEnd(roll, done(roll))) {
            int batch = done(roll);
            for (Object instanceId : (List<?>) ((List<?>) roll.get("batches")).get(batch)) {
                Map<String, Object> instance = state.resource(scaleSet.get("id") + "/" + ScaleSetInstances.SEGMENT
                        + "/" + instanceId);
                if (instance != null) {
                    instances.upgrade(state, scaleSet, instance);
                }
            }
            roll.put("doneBatches", batch + 1);
            if (batch + 1 == ((List<?>) roll.get("batches")).size()) {
                roll.put("code", "Completed");
            }
        }
    }

    /** Stops before the next batch; the running batch's instances stay behind the model. */
    static void cancel(Map<String, Object> scaleSet, long now) {
        Map<String, Object> roll = of(scaleSet);
        roll.put("code", "Cancelled");
        roll.put("lastAction", "Cancel");
        roll.put("lastActionMillis", now);
    }

    /** Azure's {@code RollingUpgradeStatusInfo} for {@code GET .../rollingUpgrades/latest}. */
    static Map<String, Object> status(Map<String, Object> scaleSet, Map<String, Object> roll, long now) {
        List<?> batches = (List<?>) roll.get("batches");
        int done = done(roll);
        int successful = 0;
        int inProgress = 0;
        int pending = 0;
        for (int k = 0; k < batches.size(); k++) {
            int size = ((List<?>) batches.get(k)).size();
            if (k < done) {
                successful += size;
            } else if (k == done && ROLLING_FORWARD.equals(roll.get("code")) && now >= batchStart(roll, k)) {
                inProgress += size;
            } else {
                pending += size;
            }
        }
        Map<String, Object> running = new LinkedHashMap<>();
        running.put("code", roll.get("code"));
        running.put("startTime", time(roll.get("startMillis")));
        running.put("lastAction", roll.get("lastAction"));
        running.put("lastActionTime", time(roll.get("lastActionMillis")));
        Map<String, Object> progress = new LinkedHashMap<>();
        progress.put("successfulInstanceCount", successful);
        progress.put("failedInstanceCount", 0);
        progress.put("inProgressInstanceCount", inProgress);
        progress.put("pendingInstanceCount", pending);
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("policy", roll.get("policy"));
        properties.put("runningStatus", running);
        properties.put("progress", progress);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("location", scaleSet.get("location"));
        json.put("properties", properties);
        return json;
    }

    private static int done(Map<String, Object> roll) {
        return ((Number) roll.get("doneBatches")).intValue();
    }

    private static long batchStart(Map<String, Object> roll, int batch) {
        return number(roll, "startMillis") + batch * (number(roll, "batchMillis") + number(roll, "pauseMillis"));
    }

    private static long batchEnd(Map<String, Object> roll, int batch) {
        return batchStart(roll, batch) + number(roll, "batchMillis");
    }

    private static long number(Map<String, Object> roll, String key) {
        return ((Number) roll.get(key)).longValue();
    }

    private static String time(Object millis) {
        return Instant.ofEpochMilli(((Number) millis).longValue()).toString();
    }
}
