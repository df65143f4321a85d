package dev.imagebake.emulator.auth;

import dev.imagebake.emulator.DataDir;
import dev.imagebake.util.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The federated identity credentials of the emulator's one application, as {@code az ad app federated-credential
 * create} gives them to an Entra ID application: an external issuer, the subject its tokens carry for the workload
 * (for GitHub Actions {@code repo:OWNER/REPO:ref:refs/heads/main}, {@code repo:OWNER/REPO:environment:NAME}, ...)
 * and the audiences accepted. A token from that issuer for that subject then signs in as the application, with no
 * secret. Kept in {@code federated-credentials.json} in the data folder, so they survive a restart.
 */
public final class FederatedCredentials {
    /** The audience Entra ID expects in a federated assertion, and the only one its credentials usually list. */
    public static final String EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

    /** One credential; matching is exact and case-sensitive, as in Entra ID. */
    public record Credential(String name, String issuer, String subject, List<String> audiences) {
        public Credential {
            audiences = List.copyOf(audiences);
        }
    }

    private final DataDir dir;
    private final List<Credential> credentials;

    private FederatedCredentials(DataDir dir, List<Credential> credentials) {
        this.dir = dir;
        this.credentials = new CopyOnWriteArrayList<>(credentials);
    }

    public static FederatedCredentials load(DataDir dir) throws IOException {
        List<Credential> loaded = new ArrayList<>();
        if (Files.exists(dir.federatedCredentialsFile())) {
            Object parsed;
            try {
                parsed = Json.parse(Files.readString(dir.federatedCredentialsFile()));
            } catch (RuntimeException e) {
                throw new IOException(dir.federatedCredentialsFile() + " is not JSON: " + e.getMessage(), e);
            }
            if (!(parsed instanceof List<?> list)) {
                throw new IOException(dir.federatedCredentialsFile() + " must hold a JSON array of "
                        + "{\"name\", \"issuer\", \"subject\", \"audiences\"} objects");
            }
            for (Object item : list) {
                if (!(item instanceof Map<?, ?> map) || !(map.get("issuer") instanceof String issuer)
                        || !(map.get("subject") instanceof String subject)) {
                    throw new IOException(dir.federatedCredentialsFile() + ": every credential needs a string "
                            + "\"issuer\" and \"subject\"");
                }
                List<String> audiences = new ArrayList<>();
                if (map.get("audiences") instanceof List<?> given) {
                    given.forEach(a -> audiences.add(String.valueOf(a)));
                } else {
                    audiences.add(EXCHANGE_AUDIENCE);
                }
                loaded.add(new Credential(String.valueOf(map.get("name")), issuer, subject, audiences));
            }
        }
        return new FederatedCredentials(dir, loaded);
    }

    /**
     * Adds a credential for {@code issuer} and {@code subject} with Entra ID's default audience, and saves the list;
     * one for the same issuer and subject already there is kept as it is (so a restart with the same flags adds none).
     */
    public synchronized Credential add(String name, String issuer, String subject) throws IOException {
        for (Credential existing : credentials) {
            if (existing.issuer().equals(issuer) && existing.subject().equals(subject)) {
                return existing;
            }
        }
        Credential credential = new Credential(name, issuer, subject, List.of(EXCHANGE_AUDIENCE));
        credentials.add(credential);
        List<Object> json = new ArrayList<>();
        for (Credential c : credentials) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("name", c.name());
            item.put("issuer", c.issuer());
            item.put("subject", c.subject());
            item.put("audiences", c.audiences());
            json.add(item);
        }
        DataDir.writeAtomically(dir.federatedCredentialsFile(), Json.writePretty(json), false);
        return credential;
    }

    public List<Credential> all() {
        return List.copyOf(credentials);
    }
}
