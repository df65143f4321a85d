package dev.imagebake.plan;

import java.time.Duration;
import java.util.Locale;

/**
 * Rolls the build's image out to an existing VM scale set: points the scale set's model at the image, then brings
 * its instances to it.
 *
 * @param resourceGroup       the scale set's resource group
 * @param name                the scale set's name
 * @param upgrade             how instances reach the new model
 * @param maxBatchPercent     the largest share of instances upgraded at once (at least one instance); null when not
 *                            given: {@link #DEFAULT_BATCH_PERCENT}, or a Rolling scale set's own policy
 * @param maxUnhealthyPercent the share of all instances that may be unhealthy before the roll stops; null when not
 *                            given: {@link #DEFAULT_UNHEALTHY_PERCENT}, or a Rolling scale set's own policy
 * @param pauseBetweenBatches the wait after each batch is healthy, before the next; null when not given: none, or a
 *                            Rolling scale set's own policy
 * @param health              how an upgraded instance proves it is healthy, beyond running; or null
 * @param rollbackOnFailure   on failure, point the model back at the previous image and reimage what was upgraded
 * @param image               which of the build's images to roll out when it made both
 */
public record ScaleSetPost(String resourceGroup, String name, Upgrade upgrade, Integer maxBatchPercent,
                           Integer maxUnhealthyPercent, Duration pauseBetweenBatches, Health health,
                           boolean rollbackOnFailure, ImageChoice image) implements StepSpec {
    public static final int DEFAULT_BATCH_PERCENT = 20;
    public static final int DEFAULT_UNHEALTHY_PERCENT = 20;

    /** Whether any of the batch settings was given (a Rolling scale set's policy is changed only then). */
    public boolean batchSettingsGiven() {
        return maxBatchPercent != null || maxUnhealthyPercent != null || pauseBetweenBatches != null;
    }

    /** How instances are brought to the new model. */
    public enum Upgrade {
        /** Follow the scale set's upgrade policy: Azure's rolling upgrade when it is Rolling, else manual. */
        AUTO,
        /** Azure's rolling upgrade (the scale set's policy must be Rolling). */
        ROLLING,
        /** imagebake upgrades the instances in batches, checking each batch's health. */
        MANUAL,
        /** Only the model changes; instances pick it up when they are reimaged or created. */
        NONE;

        public String keyword() {
            return name().toLowerCase(Locale.ROOT);
        }

        @Override
        public String toString() {
            return keyword();
        }
    }

    /** Which artifact of a build that made a managed image and a gallery version is rolled out. */
    public enum ImageChoice {
        GALLERY, MANAGED;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * A health check run against each upgraded instance once it is running.
     *
     * @param command        a command run over SSH that exits 0 when the instance is healthy, or null
     * @param user           the SSH user for {@code command}
     * @param privateKeyFile the SSH private key file for {@code command}, relative to the template's folder
     * @param port           the SSH port (default: the one the instance publishes, else 22)
     * @param url            an HTTP URL answering 2xx when healthy; {@code {address}} stands for the instance's
     *                       private IP address; or null
     * @param timeout        how long an instance may take to become healthy
     */
    public record Health(String command, String user, String privateKeyFile, Integer port, String url,
                         Duration timeout) {
    }

    @Override
    public String kind() {
        return "scaleSet";
    }

    @Override
    public boolean runsOnHost() {
        return true;
    }

    @Override
    public boolean postProcessor() {
        return true;
    }
}
