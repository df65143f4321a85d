package dev.imagebake.emulator;

import dev.imagebake.util.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Who the emulator pretends to be and whom it accepts: one tenant, one subscription, one service principal.
 * Generated on first start and kept in the data folder, so clients configured once keep working after a restart.
 */
public record Identity(String tenantId, String subscriptionId, String clientId, String clientSecret,
                       String tokenKey) {

    static Identity loadOrCreate(DataDir dir) throws IOException {
        if (Files.exists(dir.identityFile())) {
            @SuppressWarnings("unchecked")
            Map<String, Object> saved = (Map<String, Object>) Json.parse(Files.readString(dir.identityFile()));
            return new Identity((String) saved.get("tenantId"), (String) saved.get("subscriptionId"),
                    (String) saved.get("clientId"), (String) saved.get("clientSecret"),
                    (String) saved.get("tokenKey"));
        }
        Identity fresh = new Identity(UUID.randomUUID().toString(), UUID.randomUUID().toString(),
                UUID.randomUUID().toString(), clientSecretText(), randomText(32));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("tenantId", fresh.tenantId);
        json.put("subscriptionId", fresh.subscriptionId);
        json.put("clientId", fresh.clientId);
        json.put("clientSecret", fresh.clientSecret);
        json.put("tokenKey", fresh.tokenKey);
        DataDir.writeAtomically(dir.identityFile(), Json.writePretty(json), true);
        return fresh;
    }

    /**
     * A secret that never starts with '-': command lines take it as a value ({@code az login -p SECRET}), and one
     * that begins like an option would be read as one (one fresh data folder in 32 had such a secret).
     */
    private static String clientSecretText() {
        String secret;
        do {
            secret = randomText(30);
        } while (secret.startsWith("-"));
        return secret;
    }

    private static String randomText(int bytes) {
        byte[] random = new byte[bytes];
        new SecureRandom().nextBytes(random);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }

    /** Never shows the secret or the signing key: records end up in logs and exception messages. */
    @Override
    public String toString() {
        return "Identity[tenantId=" + tenantId + ", subscriptionId=" + subscriptionId + ", clientId=" + clientId + "]";
    }
}
