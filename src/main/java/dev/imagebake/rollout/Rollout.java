package dev.imagebake.rollout;

import dev.imagebake.plan.ScaleSetPost;
import dev.imagebake.plan.ScaleSetPost.Upgrade;
import dev.imagebake.rollout.ScaleSets.ImageRef;
import dev.imagebake.rollout.ScaleSets.Instance;
import dev.imagebake.engine.Durations;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Brings a scale set to a new image: points its model at the image, then lets Azure's rolling upgrade bring the
 * instances to it (Rolling policy) or reimages them itself in batches, each checked healthy before the next (the
 * others). A batch that leaves more instances unhealthy than allowed stops the roll; with rollback on, the model goes
 * back to the previous image and the instances already reimaged are reimaged back.
 */
public final class Rollout {
    private final ScaleSets api;
    private final HealthProbe probe;
    private final RolloutListener listener;
    private final BooleanSupplier cancelled;
    private java.nio.file.Path cloudFile;
    private final Duration poll;
    private final Duration healthTimeout;

    /** @param poll how often instance and rolling-upgrade states are read */
    public Rollout(ScaleSets api, HealthProbe probe, Duration healthTimeout, RolloutListener listener,
                   BooleanSupplier cancelled, Duration poll) {
        this.api = api;
        this.probe = probe;
        this.healthTimeout = healthTimeout;
        this.listener = listener;
        this.cancelled = cancelled;
        this.poll = poll;
    }

    /** Rolls {@code image} out, or with {@code dryRun} only says what would happen. */
    public RolloutResult run(ScaleSetPost settings, ImageRef image, boolean dryRun) throws Exception {
        String rg = settings.resourceGroup();
        String name = settings.name();
        ScaleSets.Model before = api.read(rg, name);
        Upgrade mode = mode(settings.upgrade(), before);
        // Batch settings not given are the defaults, or for Azure's rolling upgrade the scale set's own policy.
        boolean policyGiven = settings.batchSettingsGiven();
        ScaleSetPost applied = applied(settings, mode == Upgrade.ROLLING ? before.rollingPolicy() : null);
        // Automatic policy: Azure reimages every instance once the model changes; imagebake waits and checks.
        boolean azureUpgradesAll = applied.upgrade() == Upgrade.AUTO
                && "Automatic".equalsIgnoreCase(before.upgradePolicy());
        List<Instance> instances = api.instances(rg, name);
        boolean sameImage = image.sameAs(before.image());
        List<List<String>> batches = batches(sameImage ? behind(instances) : ids(instances),
                batchSize(instances.size(), applied.maxBatchPercent()));
        say("rollout.plan", "Scale set " + name + " (policy " + before.upgradePolicy() + ", " + instances.size()
                + " instance(s)): " + (sameImage ? "already points at " + image.describe()
                : before.image().describe() + " -> " + image.describe()) + "; upgrade "
                + (azureUpgradesAll ? "by Azure, every instance at once" : mode.keyword())
                + (mode == Upgrade.MANUAL ? ", batches " + batches : ""),
                fields("scaleSet", before.id(), "from", before.image().describe(), "to", image.describe(),
                        "policy", before.upgradePolicy(), "upgrade", mode.keyword(), "batches", batches,
                        "dryRun", dryRun));
        if (dryRun) {
            return new RolloutResult(true, "Dry run: nothing changed.", Map.of(), false);
        }
        ScaleSets.RollingStatus previousRoll = mode == Upgrade.ROLLING ? api.rollingStatus(rg, name) : null;
        int allowed = instances.size() * applied.maxUnhealthyPercent() / 100;
        Map<String, String> unhealthy = new LinkedHashMap<>();
        List<String> upgraded = new ArrayList<>();
        List<String> sending = new ArrayList<>();
        // What has reached Azure, for the message when the roll is cancelled.
        boolean modelSent = sameImage;
        boolean modelSet = sameImage;
        String failure;
        try {
            if (!sameImage) {
                checkCancelled();
                modelSent = true;
                api.setImage(rg, name, image, mode == Upgrade.ROLLING && policyGiven ? new ScaleSets.RollingPolicy(
                        applied.maxBatchPercent(), applied.maxUnhealthyPercent(),
                        applied.pauseBetweenBatches().toSeconds()) : null);
                modelSet = true;
                say("rollout.model", "Model of " + name + " now points at " + image.describe(),
                        fields("scaleSet", before.id(), "image", image.describe()));
            }
            failure = switch (mode) {
                case NONE -> azureUpgradesAll ? automatic(rg, name, ids(instances), allowed, unhealthy) : null;
                case ROLLING -> sameImage && batches.isEmpty() ? null
                        : rolling(rg, name, previousRoll, ids(instances), allowed, unhealthy);
                default -> manual(applied, batches, allowed, unhealthy, upgraded, sending);
            };
        } catch (InterruptedException e) {
            String text;
            if (!modelSent) {
                text = "Roll-out to " + name + " cancelled before anything changed: the model still points at "
                        + before.image().describe();
            } else {
                String azureGoesOn = !modelSet ? ""
                        : mode == Upgrade.ROLLING ? "; Azure's rolling upgrade to it goes on (az vmss rolling-upgrade"
                        + " cancel stops it)"
                        : azureUpgradesAll ? "; Azure goes on upgrading every instance to it" : "";
                text = "Roll-out to " + name + " cancelled: " + (modelSet ? "the model points at "
                        : "the update of the model to ") + image.describe() + (modelSet ? "" : " was sent; Azure may"
                        + " still apply it") + azureGoesOn
                        + (upgraded.isEmpty() ? "" : "; instance(s) " + upgraded + " were reimaged to it")
                        + (sending.isEmpty() ? "" : "; the reimage of instance(s) " + sending + " was sent and Azure"
                        + " may still finish it")
                        + ". Roll back with: " + rollbackCommand(before.image(), rg, name);
            }
            say("rollout.finished", text, fields("ok", false, "cancelled", true, "modelSent", modelSent,
                    "modelSet", modelSet, "upgraded", upgraded, "inFlight", sending,
                    "rollbackImage", before.image().describe()));
            throw e;
        }
        if (failure == null) {
            String text = "Rolled " + image.describe() + " out to " + name + ": " + (mode == Upgrade.NONE
                    && !azureUpgradesAll
                    ? "model only (instances take it when reimaged or created)"
                    : instances.size() + " instance(s) on the new model, healthy");
            say("rollout.finished", text, fields("ok", true));
            return new RolloutResult(true, text, Map.of(), false);
        }
        String text = "Roll-out to " + name + " stopped: " + failure + describe(unhealthy);
        boolean rolledBack = false;
        if (applied.rollbackOnFailure() && !sameImage) {
            String rollback;
            try {
                rollback = rollBack(rg, name, before.image(), mode, upgraded);
            } catch (InterruptedException e) {
                say("rollout.finished", text + "\nRoll-back cancelled: the model may not point at "
                        + before.image().describe() + " yet, and instance(s) " + upgraded + " may still run "
                        + image.describe() + ". Finish it with: " + rollbackCommand(before.image(), rg, name),
                        fields("ok", false, "cancelled", true, "unhealthy", unhealthy, "rolledBack", false,
                                "upgraded", upgraded, "rollbackImage", before.image().describe()));
                throw e;
            }
            rolledBack = rollback == null;
            text += rolledBack ? "\nRolled back: the model points at " + before.image().describe() + " again"
                    + (mode == Upgrade.ROLLING ? " and Azure's rolling upgrade returned the instances to it."
                    : upgraded.isEmpty() ? "." : " and instance(s) " + upgraded + " were reimaged to it.")
                    : "\nRollback failed: " + rollback;
        } else if (!sameImage) {
            text += "\nThe model still points at " + image.describe() + "; instance(s) " + upgraded
                    + " run it. Roll back with: " + rollbackCommand(before.image(), rg, name);
        }
        say("rollout.finished", text, fields("ok", false, "unhealthy", unhealthy, "rolledBack", rolledBack));
        return new RolloutResult(false, text, unhealthy, rolledBack);
    }

    /**
     * The mode a roll-out uses for this scale set; refuses a scale set in Flexible orchestration mode, and a mode its
     * upgrade policy contradicts (a build checks this before it bakes).
     */
    public static Upgrade mode(Upgrade wanted, ScaleSets.Model scaleSet) {
        if (scaleSet.flexible()) {
            throw new IllegalArgumentException("scale set " + scaleSet.id().substring(scaleSet.id().lastIndexOf('/')
                    + 1) + " uses Flexible orchestration, whose instances are separate virtual machines; imagebake"
                    + " rolls out to Uniform scale sets only. Update a Flexible one with az vmss update and az vmss"
                    + " update-instances --instance-ids VM_NAMES.");
        }
        return mode(wanted, scaleSet.upgradePolicy());
    }

    /** The mode a roll-out uses for a scale set with this upgrade policy; refuses one the policy contradicts. */
    public static Upgrade mode(Upgrade wanted, String policy) {
        boolean rollingPolicy = "Rolling".equalsIgnoreCase(policy);
        if (wanted == Upgrade.AUTO) {
            return rollingPolicy ? Upgrade.ROLLING : "Automatic".equalsIgnoreCase(policy) ? Upgrade.NONE
                    : Upgrade.MANUAL;
        }
        if (wanted == Upgrade.ROLLING && !rollingPolicy) {
            throw new IllegalArgumentException("upgrade 'rolling' needs a scale set whose upgrade policy is Rolling;"
                    + " this one's is " + policy + ". Use upgrade 'manual' to let imagebake upgrade it in batches.");
        }
        if (wanted == Upgrade.MANUAL && !"Manual".equalsIgnoreCase(policy)) {
            throw new IllegalArgumentException("upgrade 'manual' needs a scale set whose upgrade policy is Manual;"
                    + " this one's is " + policy + ", so Azure itself upgrades instances when the model changes."
                    + (rollingPolicy ? " Use upgrade 'rolling'." : " Use upgrade 'none' or change the policy."));
        }
        return wanted;
    }

    private String manual(ScaleSetPost settings, List<List<String>> batches, int allowed,
                          Map<String, String> unhealthy, List<String> upgraded, List<String> sending)
            throws Exception {
        String rg = settings.resourceGroup();
        String name = settings.name();
        for (int i = 0; i < batches.size(); i++) {
            List<String> batch = batches.get(i);
            String label = "batch " + (i + 1) + "/" + batches.size();
            checkCancelled();
            say("rollout.batch.started", label + ": reimaging instance(s) " + batch,
                    fields("batch", i + 1, "batches", batches.size(), "instances", batch));
            try {
                sending.addAll(batch);
                api.upgrade(rg, name, batch);
                sending.clear();
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                sending.clear();
                batch.forEach(id -> unhealthy.put(id, "upgrade failed: " + e.getMessage()));
                upgraded.addAll(batch);
                return label + " could not be upgraded";
            }
            upgraded.addAll(batch);
            Map<String, String> failed = health(rg, name, batch);
            unhealthy.putAll(failed);
            say("rollout.batch.finished", label + ": " + (batch.size() - failed.size()) + " healthy"
                    + (failed.isEmpty() ? "" : ", unhealthy: " + String.join(", ", failed.entrySet().stream()
                    .map(f -> "instance " + f.getKey() + " (" + f.getValue() + ")").toList())),
                    fields("batch", i + 1, "batches",
                    batches.size(), "instances", batch, "unhealthy", failed));
            if (unhealthy.size() > allowed) {
                return unhealthy.size() + " unhealthy instance(s), more than maxUnhealthyPercent "
                        + settings.maxUnhealthyPercent() + "% allows (" + allowed + ")";
            }
            if (i + 1 < batches.size() && !settings.pauseBetweenBatches().isZero()) {
                say("rollout.pause", "pausing " + Durations.format(settings.pauseBetweenBatches())
                        + " before the next batch", fields("seconds", settings.pauseBetweenBatches().toSeconds()));
                sleep(settings.pauseBetweenBatches());
            }
        }
        return null;
    }

    private String rolling(String rg, String name, ScaleSets.RollingStatus previous, List<String> all, int allowed,
                           Map<String, String> unhealthy) throws Exception {
        ScaleSets.RollingStatus status = awaitRoll(rg, name, previous);
        if (status == null) {
            return "the rolling upgrade did not finish within 2h";
        }
        if (!status.code().equals("Completed")) {
            return "Azure's rolling upgrade ended " + status.code() + (status.error() == null ? ""
                    : ": " + status.error());
        }
        unhealthy.putAll(health(rg, name, all));
        return unhealthy.size() > allowed ? unhealthy.size() + " unhealthy instance(s) after the rolling upgrade,"
                + " more than allowed (" + allowed + ")" : null;
    }

    /**
     * Follows the rolling upgrade that started after {@code previous} (the latest one before the model changed)
     * until it ends; returns its last status, or null when it did not end within 2 hours.
     */
    private ScaleSets.RollingStatus awaitRoll(String rg, String name, ScaleSets.RollingStatus previous)
            throws Exception {
        long deadline = System.nanoTime() + Duration.ofHours(2).toNanos();
        String lastSeen = null;
        while (System.nanoTime() < deadline) {
            ScaleSets.RollingStatus status = api.rollingStatus(rg, name);
            boolean ours = status != null && (previous == null || !String.valueOf(status.startTime())
                    .equals(String.valueOf(previous.startTime())));
            if (ours) {
                String seen = status.code() + " " + status.successful() + "/" + status.failed() + "/"
                        + status.inProgress() + "/" + status.pending();
                if (!seen.equals(lastSeen)) {
                    lastSeen = seen;
                    say("rollout.rolling", "rolling upgrade " + status.code() + ": " + status.successful()
                            + " done, " + status.inProgress() + " in progress, " + status.pending() + " pending, "
                            + status.failed() + " failed", fields("code", status.code(), "successful",
                            status.successful(), "inProgress", status.inProgress(), "pending", status.pending(),
                            "failed", status.failed()));
                }
                if (!status.code().equals("RollingForward")) {
                    return status;
                }
            }
            sleep(poll);
        }
        return null;
    }

    private String automatic(String rg, String name, List<String> all, int allowed, Map<String, String> unhealthy)
            throws Exception {
        unhealthy.putAll(health(rg, name, all));
        return unhealthy.size() > allowed ? unhealthy.size() + " unhealthy instance(s) after Azure upgraded them,"
                + " more than allowed (" + allowed + ")" : null;
    }

    /**
     * Waits for each instance to run the current model, then probes it until healthy or the health timeout has
     * passed.
     */
    private Map<String, String> health(String rg, String name, List<String> ids) throws Exception {
        long deadline = System.nanoTime() + healthTimeout.toNanos();
        Map<String, String> failed = new LinkedHashMap<>();
        for (String id : ids) {
            String reason = null;
            while (true) {
                Instance instance = api.instances(rg, name).stream().filter(i -> i.instanceId().equals(id))
                        .findFirst().orElse(null);
                if (instance == null) {
                    reason = "the instance is gone";
                } else if (!instance.latestModel()) {
                    reason = "not on the scale set's current model";
                } else if (!instance.running()) {
                    reason = "not running (provisioning " + instance.provisioningState() + ", power "
                            + instance.powerState() + ")";
                } else {
                    reason = probe == HealthProbe.RUNNING ? null : probe.check(api.address(rg, name, id));
                }
                if (reason == null || instance == null || System.nanoTime() > deadline) {
                    break;
                }
                sleep(poll);
            }
            if (reason != null) {
                failed.put(id, reason);
            }
        }
        return failed;
    }

    private String rollBack(String rg, String name, ImageRef previous, Upgrade mode, List<String> upgraded)
            throws InterruptedException {
        say("rollout.rollback", "Rolling back: pointing the model at " + previous.describe()
                + (mode == Upgrade.MANUAL && !upgraded.isEmpty() ? " and reimaging " + upgraded : ""),
                fields("image", previous.describe(), "instances", upgraded));
        try {
            if (mode == Upgrade.ROLLING) {
                // Azure rolls the instances back itself, as it rolled them forward; follow that roll too.
                ScaleSets.RollingStatus forward = api.rollingStatus(rg, name);
                api.setImage(rg, name, previous, null);
                ScaleSets.RollingStatus back = awaitRoll(rg, name, forward);
                return back == null ? "the rolling upgrade back did not finish within 2h"
                        : back.code().equals("Completed") ? null : "the rolling upgrade back ended " + back.code()
                        + (back.error() == null ? "" : ": " + back.error());
            }
            api.setImage(rg, name, previous, null);
            if (mode == Upgrade.MANUAL && !upgraded.isEmpty()) {
                api.upgrade(rg, name, upgraded);
            }
            return null;
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            return e.getMessage();
        }
    }

    static int batchSize(int instances, int maxBatchPercent) {
        return Math.max(1, instances * maxBatchPercent / 100);
    }

    static List<List<String>> batches(List<String> ids, int size) {
        List<List<String>> batches = new ArrayList<>();
        for (int i = 0; i < ids.size(); i += size) {
            batches.add(List.copyOf(ids.subList(i, Math.min(ids.size(), i + size))));
        }
        return batches;
    }

    private static List<String> ids(List<Instance> instances) {
        return instances.stream().map(Instance::instanceId).toList();
    }

    private static List<String> behind(List<Instance> instances) {
        return instances.stream().filter(i -> !i.latestModel()).map(Instance::instanceId).toList();
    }

    private static String describe(Map<String, String> unhealthy) {
        StringBuilder text = new StringBuilder();
        unhealthy.forEach((id, why) -> text.append("\n  instance ").append(id).append(": ").append(why));
        return text.toString();
    }

    private void say(String event, String text, Map<String, Object> fields) {
        listener.progress(event, text, fields);
    }

    private static Map<String, Object> fields(Object... pairs) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put((String) pairs[i], pairs[i + 1]);
        }
        return map;
    }

    /** The settings with every batch setting filled in: as given, else from {@code own}, else the default. */
    static ScaleSetPost applied(ScaleSetPost given, ScaleSets.RollingPolicy own) {
        int batch = given.maxBatchPercent() != null ? given.maxBatchPercent()
                : own != null ? own.maxBatchPercent() : ScaleSetPost.DEFAULT_BATCH_PERCENT;
        int unhealthy = given.maxUnhealthyPercent() != null ? given.maxUnhealthyPercent()
                : own != null ? own.maxUnhealthyPercent() : ScaleSetPost.DEFAULT_UNHEALTHY_PERCENT;
        Duration pause = given.pauseBetweenBatches() != null ? given.pauseBetweenBatches()
                : own != null ? Duration.ofSeconds(own.pauseSeconds()) : Duration.ZERO;
        return new ScaleSetPost(given.resourceGroup(), given.name(), given.upgrade(), batch, unhealthy, pause,
                given.health(), given.rollbackOnFailure(), given.image());
    }

    /**
     * The cloud file the roll-out reached Azure through, so that the roll-back command it prints reaches the same
     * cloud; null for public Azure.
     */
    public Rollout cloudFile(java.nio.file.Path file) {
        this.cloudFile = file;
        return this;
    }

    private String rollbackCommand(ImageRef previous, String rg, String name) {
        return "imagebake rollout --image " + previous.describe() + " --scale-set " + rg + "/" + name
                + (cloudFile == null ? "" : " --cloud " + cloudFile.toAbsolutePath());
    }

    /** Called before each change sent to Azure, so that nothing new starts once the roll is cancelled. */
    private void checkCancelled() throws InterruptedException {
        if (cancelled.getAsBoolean()) {
            throw new InterruptedException("the roll-out was cancelled");
        }
    }

    private void sleep(Duration duration) throws InterruptedException {
        long end = System.nanoTime() + duration.toNanos();
        while (System.nanoTime() < end) {
            if (cancelled.getAsBoolean()) {
                throw new InterruptedException("the roll-out was cancelled");
            }
            Thread.sleep(Math.min(200, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
        }
    }
}
