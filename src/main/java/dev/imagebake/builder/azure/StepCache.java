package dev.imagebake.builder.azure;

import com.azure.resourcemanager.compute.fluent.models.SnapshotInner;
import com.azure.resourcemanager.compute.models.CreationData;
import com.azure.resourcemanager.compute.models.DiskCreateOption;
import com.azure.resourcemanager.compute.models.OperatingSystemTypes;
import com.azure.resourcemanager.compute.models.SnapshotUpdate;
import com.azure.resourcemanager.resources.fluent.models.ResourceGroupInner;
import dev.imagebake.builder.StepHashes;
import dev.imagebake.communicator.RemoteCommand;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.BuildStep;
import dev.imagebake.plan.AzureBuilderSpec;
import dev.imagebake.plan.FileStep;
import dev.imagebake.plan.RebootStep;
import dev.imagebake.plan.ShellStep;
import dev.imagebake.plan.Step;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The step cache of one azure build ({@code cache true}). Each provisioning step that imagebake can hash completely
 * (shell, file upload, reboot) gets a key: the SHA-256 of the source image's exact version, the builder settings that
 * shape the machine before the first step, and the hashes of that step and of every step before it. After the step,
 * the build VM's OS disk is snapshotted (incremental), tagged with the key; the snapshot's content is fixed when
 * Azure accepts its creation, so the next step runs while Azure completes it. A later build whose keys match starts
 * from the newest snapshot with the longest matching prefix: its VM boots from a copy of that disk and only the later
 * steps run. Deprovisioning and generalizing happen on that final machine only, never on a cached disk.
 *
 * <p>A snapshot carries the build's lease tags until it is complete, so that {@code gc} removes one whose build died
 * while it was being made; a complete one loses them and stays until its {@code imagebake-cache-expires-at}.
 */
final class StepCache {
    static final String TAG_KEY = "imagebake-cache-key";
    static final String TAG_STEP = "imagebake-cache-step";
    static final String TAG_STEP_NAME = "imagebake-cache-step-name";
    static final String TAG_TEMPLATE = "imagebake-cache-template";
    static final String TAG_SOURCE = "imagebake-cache-source";
    static final String TAG_CREATED = "imagebake-cache-created-at";
    static final String TAG_EXPIRES = "imagebake-cache-expires-at";
    static final String TAG_MADE_BY = "imagebake-cache-made-by";
    /** On the resource group that holds the snapshots. */
    static final String TAG_GROUP = "imagebake-cache";

    /** The snapshot a build starts from: it holds what steps 1..{@code steps} did. */
    record Hit(int steps, String snapshotId, String snapshotName, String created) {
    }

    private final AzureBuild build;
    final AzureBuilderSpec.StepCache settings;
    private final List<Step> steps;
    /** How many leading steps the cache can cover: it stops at the first step whose inputs it cannot hash. */
    private final int cacheable;
    /** The steps marked {@code checkpoint true} (from 1) within the cacheable ones; empty: every cacheable step. */
    private final List<Integer> checkpoints;
    /** Per cacheable step, the key of the machine after it (index 0: after step 1); empty when the cache is off. */
    private List<String> keys = List.of();
    private String sourceKey;
    private String sourceVersion;
    private volatile Hit hit;
    private volatile boolean off;
    private boolean groupReady;
    private final Map<Integer, Pending> pending = new ConcurrentHashMap<>();
    private ExecutorService completions;

    /** One snapshot this build started: its id, and its completion, which polls in the background. */
    static final class Pending {
        final int step;
        final String id;
        final String name;
        volatile Future<?> completion;
        volatile boolean complete;
        volatile String failure;

        Pending(int step, String id, String name) {
            this.step = step;
            this.id = id;
            this.name = name;
        }
    }

    StepCache(AzureBuild build, AzureBuilderSpec.StepCache settings, List<Step> steps) {
        this.build = build;
        this.settings = settings;
        this.steps = List.copyOf(steps);
        int n = 0;
        while (n < steps.size() && hashable(steps.get(n))) {
            n++;
        }
        this.cacheable = n;
        List<Integer> marked = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (steps.get(i).options().checkpoint()) {
                marked.add(i + 1);
            }
        }
        this.checkpoints = List.copyOf(marked);
    }

    /** Steps whose every input imagebake hashes: what they send is in the hash, and they act on the VM only. */
    static boolean hashable(Step step) {
        return step.spec() instanceof ShellStep || step.spec() instanceof RebootStep
                || step.spec() instanceof FileStep f && "upload".equals(f.direction());
    }

    Hit hit() {
        return off ? null : hit;
    }

    /** Whether step {@code number} (from 1) is left out: the snapshot the VM came from holds what it did. */
    boolean skips(int number) {
        Hit h = hit();
        return h != null && number <= h.steps();
    }

    // ---- looking up ----

    /** Resolves the keys and finds the newest snapshot with the longest matching prefix; says what it found. */
    void lookUp(BuildContext context) throws Exception {
        if (cacheable == 0) {
            off = true;
            context.info("cache: off for this build: its first step (" + label(0) + ") is not one the cache can hash "
                    + "(it covers shell, file upload and reboot steps)");
            return;
        }
        SourceVersion.Resolved resolved = SourceVersion.resolve(build);
        if (resolved == null) {
            off = true;
            context.warn("cache: off for this build: the exact version of the source image "
                    + build.spec.source() + " cannot be known before the VM exists");
            return;
        }
        String source = resolved.key();
        sourceKey = source;
        sourceVersion = resolved.version();
        keys = keys(source, StepHashes.of(context.build(), context.templateFolder()));
        if (cacheable < steps.size()) {
            context.info("cache: covers steps 1-" + cacheable + "; step " + (cacheable + 1) + " (" + label(cacheable)
                    + ") and the steps after it always run: the cache hashes the inputs of shell, file upload and "
                    + "reboot steps only");
        }
        if (!checkpoints.isEmpty()) {
            context.info("cache: snapshots after the checkpoint steps only: " + String.join(", ",
                    checkpoints.stream().map(n -> n + ". " + label(n - 1)).toList()));
        }
        Instant now = Instant.now();
        int expired = 0;
        List<SnapshotInner> found = new ArrayList<>();
        try {
            build.clients.compute().getSnapshots().listByResourceGroup(settings.resourceGroup()).forEach(found::add);
        } catch (RuntimeException e) {
            if (!AzureErrors.notFound(e)) {
                throw e;
            }
        }
        Hit best = null;
        for (SnapshotInner s : found) {
            Map<String, String> tags = s.tags() == null ? Map.of() : s.tags();
            int at = keys.indexOf(tags.get(TAG_KEY));
            if (at < 0 || tags.containsKey(AzureBuild.TAG_BUILD) || !"Succeeded".equalsIgnoreCase(
                    s.provisioningState()) || !sameRegion(s.location(), build.location)) {
                continue;
            }
            if (expired(tags, now)) {
                expired++;
                continue;
            }
            Hit candidate = new Hit(at + 1, s.id(), s.name(), tags.getOrDefault(TAG_CREATED, ""));
            if (best == null || candidate.steps() > best.steps() || candidate.steps() == best.steps()
                    && candidate.created().compareTo(best.created()) > 0) {
                best = candidate;
            }
        }
        hit = best;
        String ignored = expired == 0 ? "" : " (" + expired + " expired snapshot(s) ignored; `imagebake gc` removes "
                + "them)";
        if (best == null) {
            context.info("cache: miss: no snapshot in resource group " + settings.resourceGroup() + " matches "
                    + "this source (" + source + ") and step 1" + ignored);
        } else {
            context.info("cache: hit: snapshot " + best.snapshotName() + " (made " + best.created() + ") holds "
                    + (best.steps() == 1 ? "step 1" : "steps 1-" + best.steps()) + " of " + steps.size()
                    + "; the VM starts from it and runs " + (best.steps() == steps.size() ? "no provisioning step"
                    : "from step " + (best.steps() + 1)) + ignored);
        }
    }

    private List<String> keys(String source, List<String> hashes) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        AzureBuilderSpec spec = build.spec;
        for (String part : new String[]{"imagebake step cache 1", source, spec.sshUser(),
                String.valueOf(spec.osDiskSizeGb()), String.valueOf(spec.trustedLaunch()),
                dataText(spec.customData(), spec.customDataFile()), dataText(spec.userData(), spec.userDataFile())}) {
            update(digest, part);
        }
        List<String> result = new ArrayList<>();
        for (int i = 0; i < cacheable; i++) {
            update(digest, hashes.get(i));
            MessageDigest copy = (MessageDigest) digest.clone();
            result.add(HexFormat.of().formatHex(copy.digest()));
        }
        return List.copyOf(result);
    }

    /** Custom or user data as the machine got it: the text, or the file's name (its content is hashed as read). */
    private String dataText(String text, String file) {
        return text != null ? text : file == null ? "" : "file " + file;
    }

    private static void update(MessageDigest digest, String text) {
        byte[] bytes = (text == null ? "" : text).getBytes(StandardCharsets.UTF_8);
        digest.update(java.nio.ByteBuffer.allocate(8).putLong(bytes.length).array());
        digest.update(bytes);
    }

    private static boolean sameRegion(String a, String b) {
        return a != null && b != null && a.replace(" ", "").equalsIgnoreCase(b.replace(" ", ""));
    }

    static boolean expired(Map<String, String> tags, Instant now) {
        try {
            String at = tags.get(TAG_EXPIRES);
            return at == null || !Instant.parse(at).isAfter(now);
        } catch (java.time.format.DateTimeParseException e) {
            return true;
        }
    }

    /** The source image's exact version the cached disk was made from (the key holds it): null for a managed image. */
    String sourceVersion() {
        return sourceVersion;
    }

    private String label(int index) {
        return dev.imagebake.builder.Builders.label(steps.get(index));
    }

    // ---- the machine from a cached disk ----

    private static final String HOST_KEYS = "--- imagebake host keys ---";

    /**
     * Makes the VM that booted from a cached disk this build's machine: through Azure's run command (as root, over
     * the authenticated ARM channel, no SSH needed) it replaces the admin user's authorized keys with this build's
     * public key and prints the machine's SSH host public keys. Returns their fingerprints, which the SSH
     * connection then accepts and nothing else. Nothing secret goes through the run command.
     */
    List<String> adoptMachine(BuildContext context) throws Exception {
        String user = build.spec.sshUser();
        String script = String.join("\n",
                "set -e",
                "home=$(getent passwd " + dev.imagebake.communicator.ShellQuoting.quote(user) + " | cut -d: -f6)",
                "if [ -z \"$home\" ]; then echo 'the cached disk has no user " + user + "' >&2; exit 1; fi",
                "install -d -m 700 -o " + dev.imagebake.communicator.ShellQuoting.quote(user) + " \"$home/.ssh\"",
                "printf '%s\\n' " + dev.imagebake.communicator.ShellQuoting.quote(build.clientPublicLine())
                        + " > \"$home/.ssh/authorized_keys\"",
                "chown " + dev.imagebake.communicator.ShellQuoting.quote(user) + " \"$home/.ssh/authorized_keys\"",
                "chmod 600 \"$home/.ssh/authorized_keys\"",
                "echo '" + HOST_KEYS + "'",
                "cat /etc/ssh/ssh_host_*_key.pub");
        context.info("cache: giving the machine this build's SSH key and reading its host keys (run command)");
        var result = Lro.await(context, "running a command on VM " + build.vmName(), build.operationLimit(),
                () -> build.clients.compute().getVirtualMachines().beginRunCommand(build.resourceGroup,
                        build.vmName(), new com.azure.resourcemanager.compute.models.RunCommandInput()
                                .withCommandId("RunShellScript").withScript(List.of(script))));
        StringBuilder out = new StringBuilder();
        if (result != null && result.value() != null) {
            result.value().forEach(status -> out.append(status.message() == null ? "" : status.message()).append('\n'));
        }
        List<String> fingerprints = new ArrayList<>();
        boolean keys = false;
        for (String line : out.toString().split("\n")) {
            if (line.strip().equals(HOST_KEYS)) {
                keys = true;
            } else if (keys && line.startsWith("[stderr]")) {
                break;
            } else if (keys) {
                String[] parts = line.strip().split("\\s+");
                if (parts.length >= 2 && parts[0].matches("(ssh|ecdsa)-[\\w@.-]+")) {
                    fingerprints.add(fingerprint(parts[1]));
                }
            }
        }
        if (fingerprints.isEmpty()) {
            throw new dev.imagebake.engine.StepFailedException("the machine from the cache snapshot "
                    + hit().snapshotName() + " did not take this build's key or show its host keys; its run "
                    + "command said:\n" + context.secrets().redact(out.toString().strip()));
        }
        return List.copyOf(fingerprints);
    }

    /** OpenSSH's SHA-256 fingerprint of a public key blob given in base64. */
    static String fingerprint(String base64Blob) throws Exception {
        byte[] blob = java.util.Base64.getDecoder().decode(base64Blob);
        return "SHA256:" + java.util.Base64.getEncoder().withoutPadding().encodeToString(
                MessageDigest.getInstance("SHA-256").digest(blob));
    }

    // ---- snapshotting ----

    /** Whether a snapshot is taken after step {@code number}: the cache is on, and the step is a cacheable one. */
    boolean snapshotsAfter(int number) {
        return !off && !keys.isEmpty() && number <= cacheable && !skips(number)
                && (checkpoints.isEmpty() || checkpoints.contains(number));
    }

    /**
     * Starts the snapshot of the VM's OS disk after step {@code number}: flushes the machine's file systems, sends
     * the creation (its content is fixed once Azure accepts it), and leaves the completion to a background poll.
     * A failure here never fails the build: the cache just has no entry for this step.
     */
    void snapshot(BuildContext context, int number) {
        if (!snapshotsAfter(number) || build.osDiskId == null) {
            return;
        }
        String key = keys.get(number - 1);
        String name = "ibc-" + key.substring(0, 24) + "-" + build.id.substring(build.id.length() - 8);
        String id = build.subscriptionPath() + "/resourceGroups/" + settings.resourceGroup()
                + "/providers/Microsoft.Compute/snapshots/" + name;
        Pending p = new Pending(number, id, name);
        try {
            var result = context.communicator().run(RemoteCommand.of("sync"), (stream, line) -> {
            });
            if (result.exitStatus() != 0) {
                throw new IllegalStateException("`sync` exited with status " + result.exitStatus());
            }
            ensureGroup();
            Map<String, String> tags = new LinkedHashMap<>(build.tags);
            tags.remove(AzureBuild.TAG_KEPT_FILES);
            tags.putAll(cacheTags(number, key));
            SnapshotInner snapshot = new SnapshotInner().withIncremental(true)
                    .withOsType(OperatingSystemTypes.LINUX)
                    .withCreationData(new CreationData().withCreateOption(DiskCreateOption.COPY)
                            .withSourceResourceId(build.osDiskId));
            snapshot.withLocation(build.location).withTags(tags);
            pending.put(number, p);
            // The initial request: once it returns, Azure has the point in time the snapshot holds.
            var poller = build.clients.compute().getSnapshots().beginCreateOrUpdate(settings.resourceGroup(), name,
                    snapshot);
            context.info("cache: snapshot " + name + " of the OS disk after step " + number + " started");
            p.completion = executor().submit(() -> {
                try {
                    Lro.await(context::cancelled, "creating snapshot " + name, build.operationLimit(),
                            () -> poller, null);
                    Map<String, String> done = new LinkedHashMap<>(build.spec.tags());
                    done.putAll(cacheTags(number, key));
                    Lro.await(context::cancelled, "tagging snapshot " + name + " as complete",
                            build.operationLimit(), () -> build.clients.compute().getSnapshots().beginUpdate(
                                    settings.resourceGroup(), name, new SnapshotUpdate().withTags(done)), null);
                    p.complete = true;
                } catch (Exception e) {
                    p.failure = e instanceof InterruptedException || context.cancelled() ? "cancelled"
                            : AzureErrors.describe(e);
                }
                return null;
            });
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            p.failure = AzureErrors.describe(e);
            context.warn("cache: no snapshot after step " + number + ": " + p.failure);
        }
    }

    private Map<String, String> cacheTags(int number, String key) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put(TAG_KEY, key);
        tags.put(TAG_STEP, Integer.toString(number));
        tags.put(TAG_STEP_NAME, label(number - 1));
        tags.put(TAG_TEMPLATE, build.tags.getOrDefault(AzureBuild.TAG_TEMPLATE, ""));
        tags.put(TAG_SOURCE, sourceKey);
        tags.put(TAG_MADE_BY, build.id);
        tags.put(TAG_CREATED, now.toString());
        tags.put(TAG_EXPIRES, now.plus(settings.ttl()).toString());
        return tags;
    }

    private synchronized void ensureGroup() {
        if (groupReady) {
            return;
        }
        var groups = build.clients.resources().getResourceGroups();
        try {
            groups.get(settings.resourceGroup());
        } catch (RuntimeException e) {
            if (!AzureErrors.notFound(e)) {
                throw e;
            }
            // No lease tags: the group holds the cache across builds, and gc never deletes it.
            groups.createOrUpdate(settings.resourceGroup(), new ResourceGroupInner().withLocation(build.location)
                    .withTags(Map.of(TAG_GROUP, "true")));
        }
        groupReady = true;
    }

    private synchronized ExecutorService executor() {
        if (completions == null) {
            completions = Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "imagebake-cache-snapshot");
                t.setDaemon(true);
                return t;
            });
        }
        return completions;
    }

    /** Waits for every snapshot started so far; says which are in the cache now and which are not. */
    void awaitSnapshots(BuildContext context) throws Exception {
        int ready = 0;
        for (Pending p : pendingInOrder()) {
            waitFor(p);
            if (p.complete) {
                ready++;
            } else {
                context.warn("cache: the snapshot after step " + p.step + " (" + p.name + ") did not complete: "
                        + p.failure + "; it is deleted, and the cache has no entry for that step");
            }
        }
        if (!pending.isEmpty()) {
            context.info("cache: " + ready + " snapshot(s) of this build are in resource group "
                    + settings.resourceGroup() + " until " + Instant.now().plus(settings.ttl()).truncatedTo(
                    ChronoUnit.SECONDS));
        }
    }

    private List<Pending> pendingInOrder() {
        return pending.values().stream().sorted(java.util.Comparator.comparingInt(p -> p.step)).toList();
    }

    private static void waitFor(Pending p) throws InterruptedException {
        Future<?> f = p.completion;
        if (f == null) {
            return;
        }
        try {
            f.get();
        } catch (java.util.concurrent.ExecutionException e) {
            p.failure = AzureErrors.describe(e.getCause());
        }
    }

    /**
     * The cleanup of step {@code number}'s snapshot: a complete one stays (it is the cache, until it expires); one
     * that did not complete (cancelled, failed, or still running when the build ended) is deleted.
     */
    void cleanupSnapshot(BuildContext context, int number) throws Exception {
        Pending p = pending.get(number);
        if (p == null) {
            return;
        }
        boolean interrupted = false;
        while (true) {
            try {
                waitFor(p);
                break;
            } catch (InterruptedException e) {
                interrupted = true; // a first Ctrl-C stops the poll itself (it watches the build); wait for it
                if (context.cleanupSkipped()) {
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (!p.complete) {
            context.info("cache: deleting the incomplete snapshot " + p.name);
            Resources.delete(context, build, p.id);
        }
        pending.remove(number);
        if (pending.isEmpty() && completions != null) {
            completions.shutdown();
        }
    }

    /** What the cleanup of step {@code number}'s snapshot would delete. */
    List<String> leftovers(int number) {
        Pending p = pending.get(number);
        return p == null || p.complete ? List.of() : List.of(p.id);
    }

    /** A provisioning step as a cached build runs it: left out when the cache covers it, else run and snapshotted. */
    BuildStep wrap(BuildStep step, int number) {
        return new Cached(step, number);
    }

    private final class Cached implements BuildStep {
        private final BuildStep step;
        private final int number;

        Cached(BuildStep step, int number) {
            this.step = step;
            this.number = number;
        }

        @Override
        public String name() {
            return step.name();
        }

        @Override
        public void run(BuildContext context) throws Exception {
            if (skips(number)) {
                context.info("from the cache: snapshot " + hit().snapshotName() + " holds what this step did");
                return;
            }
            step.run(context);
            snapshot(context, number);
        }

        @Override
        public void cleanup(BuildContext context) throws Exception {
            try {
                cleanupSnapshot(context, number);
            } finally {
                step.cleanup(context);
            }
        }

        @Override
        public List<String> leftovers(BuildContext context) {
            List<String> all = new ArrayList<>(StepCache.this.leftovers(number));
            all.addAll(step.leftovers(context));
            return all;
        }
    }
}
