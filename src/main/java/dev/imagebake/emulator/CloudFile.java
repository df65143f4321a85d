package dev.imagebake.emulator;

import dev.imagebake.util.Json;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code cloud.json}: everything a client needs to talk to this emulator. Rewritten on every start because the
 * port may change; it holds the client secret, so only its owner may read it.
 */
final class CloudFile {
    private CloudFile() {
    }

    static void write(DataDir dir, String endpoint, Identity identity, java.util.List<String> otherSubscriptions,
                      String proxy) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("resourceManagerEndpoint", endpoint + "/");
        json.put("activeDirectoryEndpoint", endpoint + "/");
        json.put("caCertificate", dir.caCertificate().toString());
        json.put("tenantId", identity.tenantId());
        json.put("subscriptionId", identity.subscriptionId());
        // The tenant's other subscriptions: a template may publish to or read from a gallery in one of them.
        json.put("otherSubscriptionIds", otherSubscriptions);
        json.put("clientId", identity.clientId());
        json.put("clientSecret", identity.clientSecret());
        if (proxy != null) {
            // HTTPS_PROXY for tools with Azure's public endpoints built in (with caCertificate as their CA bundle).
            json.put("proxy", proxy);
        }
        DataDir.writeAtomically(dir.cloudFile(), Json.writePretty(json), true);
    }
}
