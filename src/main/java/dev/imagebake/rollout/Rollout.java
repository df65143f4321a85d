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
    // Facts of the run in progress (a Rollout makes one run at a time).
    /** Instance ID to name, for what people read (Azure's names, such as web_0). */
    private final Map<String, String> names = new LinkedHashMap<>();
    /** Instance ID to how long after the start of the roll its health was decided. */
    private final Map<String, Long> checked = new LinkedHashMap<>();
    private long started;

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
        // An unfinished roll (cancelled, or failed without roll-back) left on the scale set the image its instances
        // ran before, and the rolling-upgrade policy the scale set had: a re-run and a roll-back go by those.
        RollMemory memory = RollMemory.of(before.tags());
        ImageRef from = memory.from() != null && !memory.from().sameAs(image) ? memory.from() : before.image();
        ImageRef rollbackTo = from.sameAs(image) ? null : from;
        ScaleSets.RollingPolicy ownPolicy = memory.policy() != null ? memory.policy() : before.rollingPolicy();
        // Batch settings not given are the defaults, or for Azure's rolling upgrade the scale set's own policy.
        ScaleSetPost applied = applied(settings, mode == Upgrade.ROLLING ? ownPolicy : null);
        ScaleSets.RollingPolicy rollPolicy = mode == Upgrade.ROLLING ? azurePolicy(settings, ownPolicy) : null;
        // Automatic policy: Azure reimages every instance once the model changes; imagebake waits and checks.
        boolean azureUpgradesAll = applied.upgrade() == Upgrade.AUTO
                && "Automatic".equalsIgnoreCase(before.upgradePolicy());
        List<Instance> instances = api.instances(rg, name);
        names.clear();
        instances.forEach(i -> names.put(i.instanceId(), i.name() == null ? i.instanceId() : i.name()));
        boolean sameImage = image.sameAs(before.image());
        // Only instances not on the image are reimaged; those on it (never reached by a roll, or by its roll-back)
        // just take the latest model, which Azure applies without a reimage.
        List<String> toReimage = instances.stream().filter(i -> !i.image().runs(image)).map(Instance::instanceId)
                .toList();
        List<String> toAlign = instances.stream().filter(i -> i.image().runs(image) && (!sameImage
                || !i.latestModel())).map(Instance::instanceId).toList();
        List<String> rollingIds = sameImage ? behind(instances) : ids(instances);
        List<List<String>> batches = mode == Upgrade.ROLLING
                ? batches(rollingIds, batchSize(instances.size(), rollPolicy.maxBatchPercent()))
                : batches(toReimage, batchSize(instances.size(), applied.maxBatchPercent()));
        String how = azureUpgradesAll ? "by Azure, every instance at once" : mode.keyword();
        String change = sameImage ? "already points at " + image.describe()
                : before.image().describe() + " -> " + image.describe();
        Map<String, Object> planFields = fields("scaleSet", before.id(), "from", before.image().describe(),
                "to", image.describe(), "policy", before.upgradePolicy(), "upgrade", mode.keyword(),
                "batches", batches, "dryRun", dryRun, "rollbackImage", rollbackTo == null ? null
                        : rollbackTo.describe(), "rollingPolicy", rollPolicy == null ? null : rollPolicy.describe());
        if (dryRun) {
            String missing = api.missing(image, before.location());
            if (missing != null) {
                throw new IllegalStateException("the image " + image.describe() + " cannot be rolled out: "
                        + missing);
            }
            say("rollout.plan", "Dry run: nothing changed. Scale set " + name + " (policy " + before.upgradePolicy()
                    + ", " + instances.size() + " instance(s)): " + change + "; upgrade " + how
                    + dryRunDetail(mode, azureUpgradesAll, instances, image, batches, toAlign, rollPolicy, ownPolicy,
                    before.rollingPolicy(), rollbackTo, before.image()), planFields);
            return new RolloutResult(true, "Dry run: nothing changed.", Map.of(), false);
        }
        say("rollout.plan", "Scale set " + name + " (policy " + before.upgradePolicy() + ", " + instances.size()
                + " instance(s)): " + change + "; upgrade " + how + (mode == Upgrade.MANUAL
                ? ", batches: " + describeBatches(batches) : ""), planFields);
        ScaleSets.RollingStatus previousRoll = mode == Upgrade.ROLLING ? api.rollingStatus(rg, name) : null;
        boolean azureRolling = previousRoll != null && previousRoll.code().equals("RollingForward");
        if (mode == Upgrade.ROLLING && sameImage && !rollingIds.isEmpty() && !azureRolling) {
            throw new IllegalStateException("the model of " + name + " already points at " + image.describe()
                    + " and Azure is not rolling the " + rollingIds.size() + " instance(s) behind it; start its"
                    + " rolling upgrade with az vmss rolling-upgrade start --resource-group " + rg + " --name " + name
                    + ", then run this again to follow it");
        }
        if (sameImage && azureRolling) {
            previousRoll = null; // a re-run follows the roll Azure is still making
        }
        int allowed = instances.size() * applied.maxUnhealthyPercent() / 100;
        Map<String, String> unhealthy = new LinkedHashMap<>();
        List<String> upgraded = new ArrayList<>();
        List<String> sending = new ArrayList<>();
        checked.clear();
        started = System.nanoTime();
        // What has reached Azure, for the message when the roll is cancelled.
        boolean modelSent = sameImage;
        boolean modelSet = sameImage;
        // The policy the scale set has now, to be put back to its own when the roll ends.
        ScaleSets.RollingPolicy policyNow = before.rollingPolicy();
        RollMemory remembered = memory;
        String failure;
        try {
            if (!sameImage) {
                checkCancelled();
                boolean sendPolicy = rollPolicy != null && !rollPolicy.equals(before.rollingPolicy());
                RollMemory remember = new RollMemory(from, sendPolicy && !rollPolicy.equals(ownPolicy)
                        || memory.policy() != null ? ownPolicy : null);
                if (!remember.equals(memory)) {
                    // Before the model changes, so that a roll stopped at any point leaves them behind.
                    api.update(rg, name, remember.applyTo(before.tags()), null);
                    remembered = remember;
                }
                modelSent = true;
                api.setImage(rg, name, image, sendPolicy ? rollPolicy : null);
                policyNow = sendPolicy ? rollPolicy : policyNow;
                modelSet = true;
                say("rollout.model", "Model of " + name + " now points at " + image.describe()
                        + (sendPolicy ? ", with Azure's rolling-upgrade policy set to " + rollPolicy.describe() : ""),
                        fields("scaleSet", before.id(), "image", image.describe()));
            }
            if (mode == Upgrade.MANUAL && !toAlign.isEmpty()) {
                checkCancelled();
                api.upgrade(rg, name, toAlign);
                say("rollout.aligned", names(toAlign) + " already " + (toAlign.size() == 1 ? "runs " : "run ")
                        + image.shortName() + ": brought to the latest model without a reimage",
                        fields("instances", toAlign));
            }
            failure = switch (mode) {
                case NONE -> azureUpgradesAll ? automatic(rg, name, ids(instances), allowed, unhealthy) : null;
                case ROLLING -> rollingIds.isEmpty() ? null
                        : rolling(rg, name, previousRoll, ids(instances), allowed, unhealthy);
                default -> manual(applied, batches, allowed, unhealthy, upgraded, sending);
            };
        } catch (InterruptedException e) {
            String text;
            String back = rollbackTo == null ? "" : " Roll back with: " + rollbackCommand(rollbackTo, rg, name);
            if (!modelSent) {
                // An earlier run of this roll may have left instances on another image: say how to go back.
                text = "Roll-out to " + name + " cancelled before anything changed: the model still points at "
                        + before.image().describe() + (memory.from() == null ? "" : "." + back);
            } else {
                String azureGoesOn = !modelSet ? ""
                        : mode == Upgrade.ROLLING ? "; Azure's rolling upgrade to it goes on (az vmss rolling-upgrade"
                        + " cancel stops it)"
                        : azureUpgradesAll ? "; Azure goes on upgrading every instance to it" : "";
                text = "Roll-out to " + name + " cancelled: " + (modelSet ? "the model points at "
                        : "the update of the model to ") + image.describe() + (modelSet ? "" : " was sent; Azure may"
                        + " still apply it") + azureGoesOn
                        + (upgraded.isEmpty() ? "" : "; " + names(upgraded) + (upgraded.size() == 1 ? " was" : " were")
                        + " reimaged to it")
                        + (sending.isEmpty() ? "" : "; the reimage of " + names(sending) + " was sent and Azure"
                        + " may still finish it")
                        + "." + policyLeft(rg, name, policyNow, ownPolicy) + back;
            }
            say("rollout.finished", text, fields("ok", false, "cancelled", true, "modelSent", modelSent,
                    "modelSet", modelSet, "upgraded", upgraded, "inFlight", sending,
                    "rollbackImage", rollbackTo == null ? null : rollbackTo.describe()));
            throw e;
        }
        if (failure == null) {
            String note = finish(rg, name, before.tags(), remembered, new RollMemory(null, null), policyNow,
                    ownPolicy);
            table(rg, name, instances, unhealthy);
            String text = "Rolled " + image.describe() + " out to " + name + ": " + (mode == Upgrade.NONE
                    && !azureUpgradesAll
                    ? "model only (instances take it when reimaged or created)"
                    : instances.size() + " instance(s) on the new model, healthy") + note;
            say("rollout.finished", text, fields("ok", true));
            return new RolloutResult(true, text, Map.of(), false);
        }
        String text = "Roll-out to " + name + " stopped: " + failure + describe(unhealthy);
        boolean rolledBack = false;
        if (applied.rollbackOnFailure() && rollbackTo != null) {
            String rollback;
            List<String> reimagedBack = new ArrayList<>();
            try {
                rollback = rollBack(rg, name, rollbackTo, mode,
                        java.util.Objects.equals(policyNow, ownPolicy) ? null : ownPolicy, reimagedBack);
            } catch (InterruptedException e) {
                say("rollout.finished", text + "\nRoll-back cancelled: the model may not point at "
                        + rollbackTo.describe() + " yet, and " + (upgraded.isEmpty() ? "some instances"
                        : names(upgraded)) + " may still run " + image.describe() + ". Finish it with: "
                        + rollbackCommand(rollbackTo, rg, name),
                        fields("ok", false, "cancelled", true, "unhealthy", unhealthy, "rolledBack", false,
                                "upgraded", upgraded, "rollbackImage", rollbackTo.describe()));
                throw e;
            }
            rolledBack = rollback == null;
            if (rolledBack && mode == Upgrade.ROLLING) {
                policyNow = ownPolicy; // the roll-back's model change put the scale set's own policy back
            }
            text += rolledBack ? "\nRolled back: the model points at " + rollbackTo.describe() + " again"
                    + (mode == Upgrade.ROLLING ? " and Azure's rolling upgrade returned the instances to it."
                    : reimagedBack.isEmpty() ? "." : " and " + names(reimagedBack) + (reimagedBack.size() == 1
                    ? " was" : " were") + " reimaged to it.")
                    : "\nRollback failed: " + rollback;
        } else if (rollbackTo != null) {
            List<String> onImage = new ArrayList<>();
            try {
                api.instances(rg, name).stream().filter(i -> i.image().runs(image))
                        .forEach(i -> onImage.add(i.instanceId()));
            } catch (IllegalStateException e) {
                onImage.addAll(upgraded);
            }
            text += "\nThe model still points at " + image.describe() + (onImage.isEmpty() ? "; no instance runs it"
                    : "; " + names(onImage) + (onImage.size() == 1 ? " runs" : " run") + " it") + ". Roll back with: "
                    + rollbackCommand(rollbackTo, rg, name);
        }
        text += finish(rg, name, before.tags(), remembered, rolledBack ? new RollMemory(null, null)
                : new RollMemory(remembered.from(), null), policyNow, ownPolicy);
        table(rg, name, instances, unhealthy);
        say("rollout.finished", text, fields("ok", false, "unhealthy", unhealthy, "rolledBack", rolledBack));
        return new RolloutResult(false, text, unhealthy, rolledBack);
    }

    /**
     * The policy Azure's rolling upgrade uses for this roll: the batch settings given, the scale set's own policy for
     * the others. Azure takes no less than 5 % unhealthy; imagebake's own check still uses the value given.
     */
    static ScaleSets.RollingPolicy azurePolicy(ScaleSetPost settings, ScaleSets.RollingPolicy own) {
        ScaleSetPost applied = applied(settings, own);
        if (own != null && !settings.batchSettingsGiven()) {
            return own;
        }
        boolean ownUnhealthy = own != null && settings.maxUnhealthyPercent() == null;
        int unhealthy = ownUnhealthy ? own.maxUnhealthyPercent() : Math.max(5, applied.maxUnhealthyPercent());
        return new ScaleSets.RollingPolicy(applied.maxBatchPercent(), unhealthy, ownUnhealthy
                ? own.maxUnhealthyUpgradedPercent() : unhealthy, applied.pauseBetweenBatches().toSeconds());
    }

    /**
     * At the end of a roll that was not cancelled: puts the scale set's own rolling-upgrade policy back if the roll
     * changed it, and leaves {@code after} as the memory in its tags; returns what to add to the message.
     */
    private String finish(String rg, String name, Map<String, String> tags, RollMemory now, RollMemory after,
                          ScaleSets.RollingPolicy policyNow, ScaleSets.RollingPolicy ownPolicy) {
        boolean restore = policyNow != null && ownPolicy != null && !policyNow.equals(ownPolicy);
        if (!restore && now.equals(after)) {
            return "";
        }
        try {
            api.update(rg, name, after.applyTo(tags), restore ? ownPolicy : null);
            return restore ? "\nThe scale set's own rolling-upgrade policy is back: " + ownPolicy.describe() + "."
                    : "";
        } catch (Exception e) {
            return restore ? "\nThe scale set's rolling-upgrade policy could not be put back (" + e.getMessage() + ")."
                    + policyLeft(rg, name, policyNow, ownPolicy)
                    : "\nThe scale set's imagebake-rollout-* tags could not be updated (" + e.getMessage() + "); the"
                    + " next roll goes by them, so remove them by hand once this roll is done with.";
        }
    }

    /** Says plainly that the policy is still the one set for this roll, and how to put the scale set's own back. */
    private String policyLeft(String rg, String name, ScaleSets.RollingPolicy now, ScaleSets.RollingPolicy own) {
        if (now == null || own == null || now.equals(own)) {
            return "";
        }
        return " The scale set's rolling-upgrade policy is still the one set for this roll (" + now.describe()
                + "), not its own (" + own.describe() + "); a roll that ends puts it back, or: az vmss update"
                + " --resource-group " + rg + " --name " + name + " --set"
                + " upgradePolicy.rollingUpgradePolicy.maxBatchInstancePercent=" + own.maxBatchPercent()
                + " upgradePolicy.rollingUpgradePolicy.maxUnhealthyInstancePercent=" + own.maxUnhealthyPercent()
                + " upgradePolicy.rollingUpgradePolicy.maxUnhealthyUpgradedInstancePercent="
                + own.maxUnhealthyUpgradedPercent() + " upgradePolicy.rollingUpgradePolicy.pauseTimeBetweenBatches=PT"
                + own.pauseSeconds() + "S.";
    }

    /** The dry run's lines after the first: each instance by batch, and the policy Azure will use. */
    private String dryRunDetail(Upgrade mode, boolean azureUpgradesAll, List<Instance> instances, ImageRef image,
                                List<List<String>> batches, List<String> toAlign, ScaleSets.RollingPolicy rollPolicy,
                                ScaleSets.RollingPolicy ownPolicy, ScaleSets.RollingPolicy policyNow,
                                ImageRef rollbackTo, ImageRef modelImage) {
        Map<String, Instance> byId = new LinkedHashMap<>();
        instances.forEach(i -> byId.put(i.instanceId(), i));
        StringBuilder text = new StringBuilder();
        if (mode == Upgrade.NONE) {
            text.append(azureUpgradesAll ? "\n  Azure reimages every instance to " + image.shortName()
                    + " once the model changes" : "\n  only the model changes; the instances keep their image");
        } else {
            String who = mode == Upgrade.ROLLING ? "Azure's batch " : "batch ";
            for (int b = 0; b < batches.size(); b++) {
                for (String id : batches.get(b)) {
                    Instance instance = byId.get(id);
                    text.append("\n  ").append(who).append(b + 1).append("/").append(batches.size()).append(": ")
                            .append(names.get(id)).append("  ").append(instance.image().shortName())
                            .append(" -> ").append(image.shortName());
                }
            }
            if (mode == Upgrade.MANUAL) {
                for (String id : toAlign) {
                    text.append("\n  ").append(names.get(id)).append(" already runs ").append(image.shortName())
                            .append(": brought to the latest model without a reimage");
                }
            }
            if (batches.isEmpty() && (mode == Upgrade.ROLLING || toAlign.isEmpty())) {
                text.append("\n  every instance already runs ").append(image.shortName());
            }
        }
        if (rollPolicy != null) {
            text.append("\nAzure's rolling-upgrade policy for this roll: ").append(rollPolicy.describe());
            if (!rollPolicy.equals(ownPolicy) && ownPolicy != null) {
                text.append(" (the scale set's own: ").append(ownPolicy.describe())
                        .append("; put back when the roll ends)");
            } else if (!rollPolicy.equals(policyNow) && policyNow != null) {
                text.append(" (the scale set's own, put back in place of ").append(policyNow.describe()).append(")");
            } else {
                text.append(" (the scale set's own)");
            }
        }
        if (rollbackTo != null && !rollbackTo.sameAs(modelImage)) {
            text.append("\nAn earlier roll is unfinished: a roll-back goes to ").append(rollbackTo.describe())
                    .append(", the image the instances ran before it");
        }
        return text.toString();
    }

    /** The per-instance table at the end of a roll: image before and after, health, and when it was checked. */
    private void table(String rg, String name, List<Instance> before, Map<String, String> unhealthy) {
        Map<String, ImageRef> after = new LinkedHashMap<>();
        try {
            api.instances(rg, name).forEach(i -> after.put(i.instanceId(), i.image()));
        } catch (Exception e) {
            return; // the roll's message says what matters; a table needs a fresh look at the instances
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"instance", "image before -> after", "health", "time"});
        List<Map<String, Object>> machineRows = new ArrayList<>();
        for (Instance instance : before) {
            String id = instance.instanceId();
            ImageRef now = after.get(id);
            String health = unhealthy.containsKey(id) ? "unhealthy" : checked.containsKey(id) ? "healthy"
                    : "not checked";
            Long nanos = checked.get(id);
            rows.add(new String[] {names.get(id), instance.image().shortName() + " -> " + (now == null ? "(gone)"
                    : now.shortName()), health, nanos == null ? "-" : Durations.format(Duration.ofNanos(nanos))});
            machineRows.add(fields("instance", id, "name", names.get(id), "before", instance.image().describe(),
                    "after", now == null ? null : now.describe(), "health", health, "seconds",
                    nanos == null ? null : nanos / 1_000_000_000.0));
        }
        int[] widths = new int[3];
        rows.forEach(r -> {
            for (int c = 0; c < 3; c++) {
                widths[c] = Math.max(widths[c], r[c].length());
            }
        });
        StringBuilder text = new StringBuilder();
        for (String[] row : rows) {
            text.append(text.isEmpty() ? "" : "\n");
            for (int c = 0; c < 3; c++) {
                text.append(row[c]).append(" ".repeat(widths[c] - row[c].length() + 2));
            }
            text.append(row[3]);
        }
        say("rollout.instances", text.toString(), fields("instances", machineRows));
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
            say("rollout.batch.started", label + ": reimaging " + names(batch),
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
            List<String> healthy = batch.stream().filter(id -> !failed.containsKey(id)).toList();
            say("rollout.batch.finished", label + ": " + (healthy.isEmpty() ? "" : "healthy: " + names(healthy))
                    + (failed.isEmpty() ? "" : (healthy.isEmpty() ? "" : "; ") + "unhealthy: " + String.join(", ",
                    failed.entrySet().stream().map(f -> names.getOrDefault(f.getKey(), f.getKey()) + " ("
                    + f.getValue() + ")").toList())),
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
            checked.put(id, System.nanoTime() - started);
        }
        return failed;
    }

    /**
     * Points the model back at {@code previous} (with the scale set's own rolling-upgrade policy when the roll
     * changed it) and brings the instances back: Azure's rolling upgrade, or imagebake reimages those not on
     * {@code previous} and brings the others to the latest model; returns null, or why it failed.
     */
    private String rollBack(String rg, String name, ImageRef previous, Upgrade mode,
                            ScaleSets.RollingPolicy ownPolicy, List<String> reimaged) throws InterruptedException {
        say("rollout.rollback", "Rolling back: pointing the model at " + previous.describe(),
                fields("image", previous.describe()));
        try {
            if (mode == Upgrade.ROLLING) {
                // Azure rolls the instances back itself, as it rolled them forward; follow that roll too.
                ScaleSets.RollingStatus forward = api.rollingStatus(rg, name);
                api.setImage(rg, name, previous, ownPolicy);
                ScaleSets.RollingStatus back = awaitRoll(rg, name, forward);
                return back == null ? "the rolling upgrade back did not finish within 2h"
                        : back.code().equals("Completed") ? null : "the rolling upgrade back ended " + back.code()
                        + (back.error() == null ? "" : ": " + back.error());
            }
            api.setImage(rg, name, previous, null);
            if (mode == Upgrade.MANUAL) {
                List<Instance> now = api.instances(rg, name);
                List<String> back = now.stream().filter(i -> !i.image().runs(previous)).map(Instance::instanceId)
                        .toList();
                List<String> behind = behind(now).stream().filter(id -> !back.contains(id)).toList();
                if (!back.isEmpty()) {
                    say("rollout.rollback", "Rolling back: reimaging " + names(back), fields("instances", back));
                    api.upgrade(rg, name, back);
                    reimaged.addAll(back);
                }
                if (!behind.isEmpty()) {
                    api.upgrade(rg, name, behind);
                }
            }
            return null;
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            return e.getMessage();
        }
    }

    /** Instance names, for people: "web_0, web_1". */
    private String names(List<String> ids) {
        return String.join(", ", ids.stream().map(id -> names.getOrDefault(id, id)).toList());
    }

    /** Batches for people: "web_0, web_1; web_2". */
    private String describeBatches(List<List<String>> batches) {
        return batches.isEmpty() ? "none (every instance already runs the image)"
                : String.join("; ", batches.stream().map(this::names).toList());
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

    private String describe(Map<String, String> unhealthy) {
        StringBuilder text = new StringBuilder();
        unhealthy.forEach((id, why) -> text.append("\n  ").append(names.getOrDefault(id, id)).append(": ")
                .append(why));
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
