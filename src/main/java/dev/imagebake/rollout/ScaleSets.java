package dev.imagebake.rollout;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The scale-set operations a roll-out needs, narrow so that the roll-out's logic can be specified without Azure;
 * {@link AzureScaleSets} implements it with the Azure SDK. Every method that changes something waits for Azure's
 * operation to end.
 */
public interface ScaleSets {

    /** The scale set's model as it is now. */
    Model read(String resourceGroup, String name) throws Exception;

    /**
     * Points the model at {@code image}; with {@code rolling} also sets the rolling-upgrade policy (for Rolling
     * scale sets, this starts Azure's rolling upgrade).
     */
    void setImage(String resourceGroup, String name, ImageRef image, RollingPolicy rolling) throws Exception;

    /**
     * Brings these instances to the current model ({@code manualupgrade}): Azure reimages an instance whose image is
     * not the model's, and only updates the others.
     */
    void upgrade(String resourceGroup, String name, List<String> instanceIds) throws Exception;

    /**
     * Replaces the scale set's tags with {@code tags} (null: leaves them) and sets its rolling-upgrade policy to
     * {@code rolling} (null: leaves it); neither changes the model the instances run.
     */
    void update(String resourceGroup, String name, Map<String, String> tags, RollingPolicy rolling)
            throws Exception;

    /** Null when {@code image} exists where the scale set is, else why not (Azure's error). */
    String missing(ImageRef image, String location) throws Exception;

    /** The instances, with their power state, in instance-ID order. */
    List<Instance> instances(String resourceGroup, String name) throws Exception;

    /** The latest rolling upgrade, or null when there has been none. */
    RollingStatus rollingStatus(String resourceGroup, String name) throws Exception;

    /** Where the instance's primary NIC is reachable, or null when it has no address. */
    Address address(String resourceGroup, String name, String instanceId) throws Exception;

    /**
     * A scale set's model.
     *
     * @param upgradePolicy Azure's mode: Automatic, Manual or Rolling
     * @param orchestration Azure's orchestration mode: Uniform or Flexible
     * @param rollingPolicy the rolling-upgrade policy the scale set has, or null
     * @param location      the scale set's region
     * @param tags          the scale set's tags
     */
    record Model(String id, ImageRef image, String upgradePolicy, int capacity, String orchestration,
                 RollingPolicy rollingPolicy, String location, Map<String, String> tags) {
        public Model {
            tags = tags == null ? Map.of() : Map.copyOf(tags);
        }

        public boolean flexible() {
            return "Flexible".equalsIgnoreCase(orchestration);
        }
    }

    /** An image reference: a resource ID, or a marketplace image. */
    record ImageRef(String id, String publisher, String offer, String sku, String version) {
        public static ImageRef of(String id) {
            return new ImageRef(id, null, null, null, null);
        }

        /**
         * A resource ID, or a marketplace image as {@code PUBLISHER:OFFER:SKU:VERSION} (the form {@link #describe()}
         * prints and the Azure CLI takes).
         */
        public static ImageRef parse(String text) {
            String[] urn = text.split(":", -1);
            if (!text.startsWith("/") && urn.length == 4 && java.util.Arrays.stream(urn)
                    .noneMatch(part -> part.isBlank() || part.equals("null"))) {
                return new ImageRef(null, urn[0], urn[1], urn[2], urn[3]);
            }
            if (!text.startsWith("/")) {
                throw new IllegalArgumentException("--image takes a resource ID (/subscriptions/...) or a marketplace"
                        + " image PUBLISHER:OFFER:SKU:VERSION; got '" + text + "'");
            }
            return of(text);
        }

        /** The same image; resource IDs and marketplace names compare without case, as Azure treats them. */
        public boolean sameAs(ImageRef other) {
            if (id != null || other.id != null) {
                return id != null && id.equalsIgnoreCase(other.id);
            }
            return describe().equalsIgnoreCase(other.describe());
        }

        public String describe() {
            return id != null ? id : publisher + ":" + offer + ":" + sku + ":" + version;
        }

        /**
         * True when an instance built from this reference runs {@code target}; a gallery image definition (its
         * latest version) is run by an instance built from one of its versions.
         */
        public boolean runs(ImageRef target) {
            return sameAs(target) || id != null && target.id != null
                    && id.toLowerCase(Locale.ROOT).startsWith(target.id.toLowerCase(Locale.ROOT)
                    + "/versions/");
        }

        /** A short name for tables: the resource's name (a gallery version's image and version), or the URN. */
        public String shortName() {
            if (id == null) {
                return describe();
            }
            String[] parts = id.split("/");
            int versions = parts.length - 2;
            if (versions >= 2 && parts[versions].equalsIgnoreCase("versions")) {
                return parts[versions - 1] + "/" + parts[parts.length - 1];
            }
            return parts[parts.length - 1];
        }
    }

    /**
     * Azure's rolling-upgrade policy, in percent and seconds.
     *
     * @param maxUnhealthyUpgradedPercent the share of upgraded instances that may be unhealthy
     */
    record RollingPolicy(int maxBatchPercent, int maxUnhealthyPercent, int maxUnhealthyUpgradedPercent,
                         long pauseSeconds) {
        public RollingPolicy(int maxBatchPercent, int maxUnhealthyPercent, long pauseSeconds) {
            this(maxBatchPercent, maxUnhealthyPercent, maxUnhealthyPercent, pauseSeconds);
        }

        /** For people: "batches of 20 %, at most 20 % unhealthy (20 % of the upgraded ones), no pause". */
        public String describe() {
            return "batches of " + maxBatchPercent + " %, at most " + maxUnhealthyPercent + " % unhealthy ("
                    + maxUnhealthyUpgradedPercent + " % of the upgraded ones), " + (pauseSeconds == 0 ? "no pause"
                    : "a pause of " + dev.imagebake.engine.Durations.format(java.time.Duration.ofSeconds(
                    pauseSeconds))) + " between batches";
        }
    }

    /**
     * One instance.
     *
     * @param powerState Azure's code without the {@code PowerState/} prefix (running, stopped, ...), or null
     * @param image      the image the instance was built or last reimaged from
     */
    record Instance(String instanceId, String name, boolean latestModel, String provisioningState,
                    String powerState, ImageRef image) {
        public boolean running() {
            return "running".equals(powerState) && "Succeeded".equals(provisioningState);
        }
    }

    /**
     * A rolling upgrade's state.
     *
     * @param code RollingForward, Cancelled, Completed or Faulted
     */
    record RollingStatus(String code, String startTime, int successful, int failed, int inProgress, int pending,
                         String error) {
    }

    /** An instance's private address, and the SSH port the emulator publishes (null: 22). */
    record Address(String ip, Integer sshPort) {
    }
}
