package dev.imagebake.builder.azure;

import com.azure.resourcemanager.resources.fluent.models.ResourceGroupInner;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Finds what builds left behind: resources tagged with an imagebake build id whose build is over, because its lease
 * expired, its process on this host is gone, or it is older than the caller's limit. A temporary resource group
 * counts as one leftover (deleting it removes what is inside); resources imagebake made in a user's existing
 * group are listed one by one, in an order that deletes each before what it depends on.
 */
public final class Leftovers {
    /**
     * One leftover and why it is considered abandoned.
     *
     * @param keptFiles the folder (a glob) where {@code --on-error=abort} kept a copy of the machine's key, when
     *                  the build ran on this host; removed with the leftover
     */
    public record Leftover(String id, String build, String reason, String keptFiles) {
        public Leftover(String id, String build, String reason) {
            this(id, build, reason, null);
        }
    }

    /**
     * What {@link #scan} found: the leftovers to delete (temporary resources, and images whose creation never
     * finished), and the finished images of builds that died before they could record them, which are kept unless
     * asked for.
     */
    public record Found(List<Leftover> leftovers, List<Leftover> artifacts, List<Held> held) {
        public Found(List<Leftover> leftovers, List<Leftover> artifacts) {
            this(leftovers, artifacts, List.of());
        }
    }

    /**
     * A build kept by {@code --on-error=abort} whose resources are held for {@code build --resume} (tag
     * {@code imagebake-resume-until} on its temporary resource group, or on its VM in a build resource group): gc
     * leaves all of them alone until then.
     *
     * @param record the resume record that holds them, or null when the tag does not say
     * @param ids    what gc would otherwise have deleted
     */
    public record Held(String build, Instant until, String record, List<String> ids) {
    }

    private final AzureClients clients;

    public Leftovers(AzureClients clients) {
        this.clients = clients;
    }

    /** @param olderThan also count builds started longer ago than this, or null */
    public List<Leftover> find(Duration olderThan, Instant now) {
        return scan(olderThan, now).leftovers();
    }

    /**
     * Leftovers, and the images (managed images, gallery image versions) of builds that are over but never recorded
     * them as their result (no {@code imagebake-recorded-at} tag): the build died while making them.
     */
    public Found scan(Duration olderThan, Instant now) {
        List<Leftover> found = temporaryResources(olderThan, now);
        List<Leftover> unfinished = new ArrayList<>();
        List<Leftover> finished = new ArrayList<>();
        var compute = clients.compute();
        // Versions before images: a version may have been made from the image.
        for (var gallery : compute.getGalleries().list()) {
            String rg = resourceGroupOf(gallery.id());
            for (var definition : compute.getGalleryImages().listByGallery(rg, gallery.name())) {
                for (var version : compute.getGalleryImageVersions().listByGalleryImage(rg, gallery.name(),
                        definition.name())) {
                    sortArtifact(version.id(), version.tags(), String.valueOf(version.provisioningState()),
                            olderThan, now, unfinished, finished);
                }
            }
        }
        for (var image : compute.getImages().list()) {
            sortArtifact(image.id(), image.tags(), image.provisioningState(), olderThan, now, unfinished,
                    finished);
        }
        // Unfinished images go first: a gallery version being made from an image must go before the image.
        List<Leftover> leftovers = new ArrayList<>(unfinished);
        leftovers.addAll(found);
        // A build held for a resume keeps everything, whatever else makes it look abandoned.
        Map<String, Held> holds = holds(now);
        if (holds.isEmpty()) {
            return new Found(leftovers, finished);
        }
        Map<String, List<String>> heldIds = new java.util.LinkedHashMap<>();
        List<Leftover> free = new ArrayList<>();
        List<Leftover> freeArtifacts = new ArrayList<>();
        for (List<Leftover> list : List.of(leftovers, finished)) {
            for (Leftover l : list) {
                if (l.build() != null && holds.containsKey(l.build())) {
                    heldIds.computeIfAbsent(l.build(), b -> new ArrayList<>()).add(l.id());
                } else {
                    (list == finished ? freeArtifacts : free).add(l);
                }
            }
        }
        List<Held> held = new ArrayList<>();
        heldIds.forEach((build, ids) -> {
            Held h = holds.get(build);
            held.add(new Held(build, h.until(), h.record(), List.copyOf(ids)));
        });
        return new Found(free, freeArtifacts, held);
    }

    private static void sortArtifact(String id, Map<String, String> tags, String state,
                                     Duration olderThan, Instant now, List<Leftover> unfinished,
                                     List<Leftover> finished) {
        String build = tags == null ? null : tags.get(AzureBuild.TAG_BUILD);
        if (build == null || tags.containsKey(AzureBuild.TAG_RECORDED) || abandoned(tags, olderThan, now) == null) {
            return;
        }
        if ("Succeeded".equalsIgnoreCase(state)) {
            finished.add(new Leftover(id, build, "a finished image of a build that did not end"));
        } else {
            unfinished.add(new Leftover(id, build, "an image of a build that did not end, never finished ("
                    + state + ")"));
        }
    }

    /** The builds whose resources are held for a resume now: their temporary group or VM says until when. */
    private Map<String, Held> holds(Instant now) {
        Map<String, Held> holds = new java.util.LinkedHashMap<>();
        java.util.function.Consumer<Map<String, String>> note = tags -> {
            String build = tags == null ? null : tags.get(AzureBuild.TAG_BUILD);
            Instant until = build == null ? null : instant(tags.get(AzureKept.TAG_HELD_UNTIL));
            if (until != null && until.isAfter(now)) {
                holds.put(build, new Held(build, until, tags.get(AzureKept.TAG_HELD_RECORD), List.of()));
            }
        };
        for (ResourceGroupInner group : clients.resources().getResourceGroups().list()) {
            note.accept(group.tags());
        }
        for (var vm : clients.compute().getVirtualMachines().list()) {
            note.accept(vm.tags());
        }
        return holds;
    }

    private static String resourceGroupOf(String id) {
        return id.split("/")[4];
    }

    private List<Leftover> temporaryResources(Duration olderThan, Instant now) {
        List<Leftover> found = new ArrayList<>();
        List<String> groups = new ArrayList<>();
        List<String> temporaryGroups = new ArrayList<>();
        for (ResourceGroupInner group : clients.resources().getResourceGroups().list()) {
            groups.add(group.name());
            String reason = abandoned(group.tags(), olderThan, now);
            boolean temporary = group.name().startsWith("imagebake-") || group.tags() != null
                    && "true".equals(group.tags().get(AzureBuild.TAG_TEMPORARY_GROUP));
            if (reason != null && temporary) {
                found.add(new Leftover(group.id(), group.tags().get(AzureBuild.TAG_BUILD), reason,
                        keptFiles(group.tags())));
                temporaryGroups.add(group.name().toLowerCase());
            }
        }
        var compute = clients.compute();
        var network = clients.network();
        // Per group (a temporary group goes as a whole), in deletion order: VMs, then NICs, then addresses,
        // security groups, networks, and disks last.
        List<List<Leftover>> byKind = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(),
                new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        for (String rg : groups) {
            if (temporaryGroups.contains(rg.toLowerCase())) {
                continue;
            }
            addAll(byKind.get(0), olderThan, now, compute.getVirtualMachines().listByResourceGroup(rg), v -> v.id(),
                    v -> v.tags());
            addAll(byKind.get(1), olderThan, now, network.getNetworkInterfaces().listByResourceGroup(rg), v -> v.id(),
                    v -> v.tags());
            addAll(byKind.get(2), olderThan, now, network.getPublicIpAddresses().listByResourceGroup(rg),
                    v -> v.id(), v -> v.tags());
            addAll(byKind.get(3), olderThan, now, network.getNetworkSecurityGroups().listByResourceGroup(rg),
                    v -> v.id(), v -> v.tags());
            addAll(byKind.get(4), olderThan, now, network.getVirtualNetworks().listByResourceGroup(rg), v -> v.id(),
                    v -> v.tags());
            addAll(byKind.get(5), olderThan, now, compute.getDisks().listByResourceGroup(rg), v -> v.id(),
                    v -> v.tags());
            // A step cache snapshot keeps its build's lease tags until it is complete.
            addAll(byKind.get(6), olderThan, now, compute.getSnapshots().listByResourceGroup(rg), v -> v.id(),
                    v -> v.tags());
        }
        byKind.forEach(found::addAll);
        return found;
    }

    private static <T> void addAll(List<Leftover> found, Duration olderThan, Instant now, Iterable<T> items,
                                   Function<T, String> id, Function<T, Map<String, String>> tags) {
        for (T item : items) {
            String resourceId = id.apply(item);
            String reason = abandoned(tags.apply(item), olderThan, now);
            if (reason != null) {
                found.add(new Leftover(resourceId, tags.apply(item).get(AzureBuild.TAG_BUILD), reason,
                        keptFiles(tags.apply(item))));
            }
        }
    }

    /** Why a build's resource is abandoned, or null when it is not imagebake's or its build may still be running. */
    static String abandoned(Map<String, String> tags, Duration olderThan, Instant now) {
        if (tags == null || !tags.containsKey(AzureBuild.TAG_BUILD)) {
            return null;
        }
        Instant started = instant(tags.get(AzureBuild.TAG_STARTED));
        Instant expires = instant(tags.get(AzureBuild.TAG_EXPIRES));
        if (olderThan != null && started != null && started.plus(olderThan).isBefore(now)) {
            return "started " + started + ", longer ago than --older-than";
        }
        if (expires != null && expires.isBefore(now)) {
            return "its lease expired at " + expires;
        }
        String host = tags.get(AzureBuild.TAG_HOST);
        String pid = tags.get(AzureBuild.TAG_PID);
        if (AzureBuild.hostName().equals(host) && pid != null && pid.matches("\\d+")
                && ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false) == false) {
            return "its imagebake process (" + pid + " on " + host + ") is gone";
        }
        return null;
    }

    private static Instant instant(String text) {
        try {
            return text == null ? null : Instant.parse(text);
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    /**
     * Deletes the leftovers in the order given, and the key copies kept with them; returns the ones that could not
     * be deleted, with why.
     */
    public List<String> delete(List<Leftover> leftovers, java.util.function.Consumer<String> progress) {
        List<String> failed = new ArrayList<>();
        for (Leftover leftover : leftovers) {
            progress.accept("deleting " + leftover.id());
            try {
                Resources.delete(clients, leftover.id());
            } catch (Exception e) {
                failed.add(leftover.id() + ": " + AzureErrors.describe(e.getCause() != null ? e.getCause() : e));
                continue;
            }
            for (java.nio.file.Path folder : keptFolders(leftover.keptFiles())) {
                progress.accept("deleting the key copy kept for the machine: " + folder);
                try (var files = java.nio.file.Files.walk(folder)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                } catch (java.io.IOException e) {
                    failed.add(folder + ": " + e.getMessage());
                }
            }
        }
        return failed;
    }

    /** The kept-files glob of a resource's tags, when its build ran on this host; else null. */
    private static String keptFiles(Map<String, String> tags) {
        String glob = tags == null ? null : tags.get(AzureBuild.TAG_KEPT_FILES);
        return glob != null && AzureBuild.hostName().equals(tags.get(AzureBuild.TAG_HOST)) ? glob : null;
    }

    /**
     * The folders a kept-files glob names: only {@code imagebake-kept-BUILD-*} folders, directly in the folder the
     * tag names, owned by this user, never a link; anything else in a tag is ignored.
     */
    static List<java.nio.file.Path> keptFolders(String glob) {
        if (glob == null) {
            return List.of();
        }
        java.nio.file.Path pattern = java.nio.file.Path.of(glob);
        java.nio.file.Path parent = pattern.getParent();
        String prefix = pattern.getFileName().toString();
        if (parent == null || !prefix.matches("imagebake-kept-[a-z0-9-]+-\\*")) {
            return List.of();
        }
        String start = prefix.substring(0, prefix.length() - 1);
        List<java.nio.file.Path> folders = new ArrayList<>();
        try (var entries = java.nio.file.Files.list(parent)) {
            String me = System.getProperty("user.name");
            for (java.nio.file.Path p : entries.toList()) {
                if (p.getFileName().toString().startsWith(start)
                        && java.nio.file.Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                        && me.equals(java.nio.file.Files.getOwner(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                        .getName())) {
                    folders.add(p);
                }
            }
        } catch (java.io.IOException e) {
            return List.of();
        }
        return folders;
    }
}
