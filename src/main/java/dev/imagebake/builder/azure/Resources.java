package dev.imagebake.builder.azure;

import com.azure.core.management.polling.PollResult;
import com.azure.core.util.polling.SyncPoller;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.StepFailedException;

import java.util.function.Supplier;

/** Deletes one resource by its id with the typed client for its kind; a resource already gone counts as deleted. */
public final class Resources {
    private Resources() {
    }

    /** Deletes and waits, even when the build was cancelled (cleanup runs then), until a second Ctrl-C. */
    static void delete(BuildContext context, AzureBuild build, String id) throws Exception {
        context.info("deleting " + id);
        delete(build.clients, id, context::cleanupSkipped);
    }

    /** Deletes and waits. */
    public static void delete(AzureClients clients, String id) throws Exception {
        delete(clients, id, () -> false);
    }

    private static void delete(AzureClients clients, String id, java.util.function.BooleanSupplier stop)
            throws Exception {
        String[] p = id.split("/");
        // /subscriptions/S/resourceGroups/RG[/providers/NS/TYPE/NAME[/TYPE2/NAME2...]]
        String rg = p[4];
        String type = p.length > 8 ? p[7].toLowerCase() : "resourcegroups";
        String name = p.length > 8 ? p[8] : rg;
        Supplier<SyncPoller<PollResult<Void>, Void>> begin = switch (type) {
            case "virtualmachines" -> () -> clients.compute().getVirtualMachines().beginDelete(rg, name);
            case "disks" -> () -> clients.compute().getDisks().beginDelete(rg, name);
            case "images" -> () -> clients.compute().getImages().beginDelete(rg, name);
            case "snapshots" -> () -> clients.compute().getSnapshots().beginDelete(rg, name);
            case "resourcegroups" -> () -> clients.resources().getResourceGroups().beginDelete(p[4]);
            // A gallery may be in another subscription of the tenant than the build's.
            case "galleries" -> () -> clients.compute(p[2]).getGalleryImageVersions()
                    .beginDelete(rg, name, p[10], p[12]);
            case "networkinterfaces" -> () -> clients.network().getNetworkInterfaces().beginDelete(rg, name);
            case "publicipaddresses" -> () -> clients.network().getPublicIpAddresses().beginDelete(rg, name);
            case "networksecuritygroups" -> () -> clients.network().getNetworkSecurityGroups()
                    .beginDelete(rg, name);
            case "virtualnetworks" -> () -> clients.network().getVirtualNetworks().beginDelete(rg, name);
            default -> throw new IllegalArgumentException("imagebake does not delete " + id);
        };
        try {
            Lro.await(stop, "deleting " + id, AzureBuild.OPERATION_LIMIT, begin, null);
        } catch (StepFailedException e) {
            if (!AzureErrors.notFound(e.getCause())) {
                throw e;
            }
        }
    }
}
