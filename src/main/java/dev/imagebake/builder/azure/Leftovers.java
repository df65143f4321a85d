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
    /** One leftover and why it is considered abandoned. */
    public record Leftover(String id, String build, String reason) {
    }

    private final AzureClients clients;

    public Leftovers(AzureClients clients) {
        this.clients = clients;
    }

    /** @param olderThan also count builds started longer ago than this, or null */
    public List<Leftover> find(Duration olderThan, Instant now) {
        List<Leftover> found = new ArrayList<>();
        List<String> groups = new ArrayList<>();
        List<String> temporaryGroups = new ArrayList<>();
        for (ResourceGroupInner group : clients.resources().getResourceGroups().list()) {
            groups.add(group.name());
            String reason = abandoned(group.tags(), olderThan, now);
            if (reason != null && group.name().startsWith("imagebake-")) {
                found.add(new Leftover(group.id(), group.tags().get(AzureBuild.TAG_BUILD), reason));
                temporaryGroups.add(group.name().toLowerCase());
            }
        }
        var compute = clients.compute();
        var network = clients.network();
        // Per group (a temporary group goes as a whole), in deletion order: VMs, then NICs, then addresses,
        // security groups, networks, and disks last.
        List<List<Leftover>> byKind = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(),
                new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
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
                found.add(new Leftover(resourceId, tags.apply(item).get(AzureBuild.TAG_BUILD), reason));
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

    /** Deletes the leftovers in the order given; returns the ones that could not be deleted, with why. */
    public List<String> delete(List<Leftover> leftovers, java.util.function.Consumer<String> progress) {
        List<String> failed = new ArrayList<>();
        for (Leftover leftover : leftovers) {
            progress.accept("deleting " + leftover.id());
            try {
                Resources.delete(clients, leftover.id());
            } catch (Exception e) {
                failed.add(leftover.id() + ": " + AzureErrors.describe(e.getCause() != null ? e.getCause() : e));
            }
        }
        return failed;
    }
}
