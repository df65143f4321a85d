package dev.imagebake.rollout;

import dev.imagebake.rollout.ScaleSets.ImageRef;
import dev.imagebake.rollout.ScaleSets.RollingPolicy;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an unfinished roll-out leaves on its scale set, in tags, so that the next run (a re-run that finishes it, or
 * the roll-back command) still knows the image the instances ran before, and the rolling-upgrade policy the scale
 * set had before imagebake changed it. A roll writes them before it changes the model and removes them when it ends.
 *
 * @param from   the image the scale set ran before the unfinished roll, or null
 * @param policy the scale set's own rolling-upgrade policy, when a roll changed it, or null
 */
record RollMemory(ImageRef from, RollingPolicy policy) {
    static final String FROM_TAG = "imagebake-rollout-from";
    static final String POLICY_TAG = "imagebake-rollout-policy";
    /** Azure's limit on a tag's value: a longer image ID goes on in {@code FROM_TAG-2}, {@code -3}... */
    private static final int TAG_VALUE_LIMIT = 256;

    static RollMemory of(Map<String, String> tags) {
        StringBuilder from = new StringBuilder(tags.getOrDefault(FROM_TAG, ""));
        for (int part = 2; tags.containsKey(FROM_TAG + "-" + part); part++) {
            from.append(tags.get(FROM_TAG + "-" + part));
        }
        RollingPolicy policy = null;
        String[] numbers = tags.getOrDefault(POLICY_TAG, "").split(",");
        if (numbers.length == 4) {
            try {
                policy = new RollingPolicy(Integer.parseInt(numbers[0]), Integer.parseInt(numbers[1]),
                        Integer.parseInt(numbers[2]), Long.parseLong(numbers[3]));
            } catch (NumberFormatException e) {
                policy = null; // edited by hand: the scale set's policy as it is now counts as its own
            }
        }
        ImageRef image = null;
        if (!from.isEmpty()) {
            try {
                image = ImageRef.parse(from.toString());
            } catch (IllegalArgumentException e) {
                image = null;
            }
        }
        return new RollMemory(image, policy);
    }

    boolean isEmpty() {
        return from == null && policy == null;
    }

    /** {@code tags} without any of this class's, then with this memory's. */
    Map<String, String> applyTo(Map<String, String> tags) {
        Map<String, String> result = new LinkedHashMap<>();
        tags.forEach((key, value) -> {
            if (!key.equals(POLICY_TAG) && !key.equals(FROM_TAG) && !key.startsWith(FROM_TAG + "-")) {
                result.put(key, value);
            }
        });
        if (from != null) {
            String text = from.describe();
            for (int start = 0, part = 1; start < text.length(); start += TAG_VALUE_LIMIT, part++) {
                result.put(part == 1 ? FROM_TAG : FROM_TAG + "-" + part,
                        text.substring(start, Math.min(text.length(), start + TAG_VALUE_LIMIT)));
            }
        }
        if (policy != null) {
            result.put(POLICY_TAG, policy.maxBatchPercent() + "," + policy.maxUnhealthyPercent() + ","
                    + policy.maxUnhealthyUpgradedPercent() + "," + policy.pauseSeconds());
        }
        return result;
    }
}
