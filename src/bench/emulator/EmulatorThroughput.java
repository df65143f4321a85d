import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.management.AzureEnvironment;
import com.azure.core.management.Region;
import com.azure.core.management.profile.AzureProfile;
import com.azure.identity.ClientSecretCredentialBuilder;
import com.azure.resourcemanager.network.NetworkManager;
import com.azure.resourcemanager.network.models.NetworkSecurityGroup;
import com.azure.resourcemanager.resources.fluentcore.utils.ResourceManagerUtils;
import dev.imagebake.util.Json;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * Drives a running emulator with the real Azure SDK (network manager over HTTPS, as imagebake's builder would) for
 * a fixed time from several threads, with a mixed workload of SDK operations:
 * 70 % reads (GET the resource group or the VNet), 20 % updates (PUT an NSG with a new tag, an LRO), 10 % creates
 * or deletes (a public IP, both LROs). Prints SDK operations per second; the script reads the server side from the
 * emulator's request log.
 *
 * <p>Usage: java -cp CLASSPATH EmulatorThroughput.java DATA_DIR SECONDS THREADS
 */
public final class EmulatorThroughput {
    public static void main(String[] args) throws Exception {
        Path data = Path.of(args[0]);
        int seconds = Integer.parseInt(args[1]);
        int threads = Integer.parseInt(args[2]);
        Map<?, ?> cloud = (Map<?, ?>) Json.parse(Files.readString(data.resolve("cloud.json")));

        // LRO polls follow Retry-After (1 s) on a real client; here the point is the emulator's cost per call.
        ResourceManagerUtils.InternalRuntimeContext.setDelayProvider(d -> Duration.ofMillis(1));
        HttpClient http = new JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder()
                .sslContext(trusting(Path.of((String) cloud.get("caCertificate"))))).build();
        Map<String, String> endpoints = new HashMap<>(AzureEnvironment.AZURE.getEndpoints());
        endpoints.put("resourceManagerEndpointUrl", (String) cloud.get("resourceManagerEndpoint"));
        endpoints.put("activeDirectoryEndpointUrl", (String) cloud.get("activeDirectoryEndpoint"));
        AzureProfile profile = new AzureProfile((String) cloud.get("tenantId"), (String) cloud.get("subscriptionId"),
                new AzureEnvironment(endpoints));
        TokenCredential credential = new ClientSecretCredentialBuilder()
                .authorityHost((String) cloud.get("activeDirectoryEndpoint")).disableInstanceDiscovery()
                .tenantId((String) cloud.get("tenantId")).clientId((String) cloud.get("clientId"))
                .clientSecret((String) cloud.get("clientSecret")).httpClient(http).build();
        NetworkManager network = NetworkManager.configure().withHttpClient(http).authenticate(credential, profile);

        String rg = "rg-bench";
        network.resourceManager().resourceGroups().define(rg).withRegion(Region.EUROPE_WEST).create();
        network.networks().define("vnet-bench").withRegion(Region.EUROPE_WEST).withExistingResourceGroup(rg)
                .withAddressSpace("10.0.0.0/16").withSubnet("default", "10.0.0.0/24").create();
        NetworkSecurityGroup[] nsgs = new NetworkSecurityGroup[threads];
        for (int t = 0; t < threads; t++) {
            nsgs[t] = network.networkSecurityGroups().define("nsg-" + t).withRegion(Region.EUROPE_WEST)
                    .withExistingResourceGroup(rg).create();
        }
        Path log = data.resolve("requests.log");
        long firstLine = lines(log);
        long started = System.nanoTime();
        LongAdder reads = new LongAdder();
        LongAdder updates = new LongAdder();
        LongAdder createsDeletes = new LongAdder();
        LongAdder failures = new LongAdder();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int me = t;
            workers[t] = new Thread(() -> {
                SplittableRandom random = new SplittableRandom(me);
                int n = 0;
                boolean pipExists = false;
                while (System.nanoTime() < end) {
                    int dice = random.nextInt(100);
                    try {
                        if (dice < 70) {
                            if (dice % 2 == 0) {
                                network.resourceManager().resourceGroups().getByName(rg);
                            } else {
                                network.networks().getByResourceGroup(rg, "vnet-bench");
                            }
                            reads.increment();
                        } else if (dice < 90) {
                            nsgs[me].update().withTag("n", Integer.toString(n++)).apply();
                            updates.increment();
                        } else {
                            if (pipExists) {
                                network.publicIpAddresses().deleteByResourceGroup(rg, "pip-" + me);
                            } else {
                                network.publicIpAddresses().define("pip-" + me).withRegion(Region.EUROPE_WEST)
                                        .withExistingResourceGroup(rg).create();
                            }
                            pipExists = !pipExists;
                            createsDeletes.increment();
                        }
                    } catch (RuntimeException e) {
                        failures.increment();
                        System.err.println("failed: " + e.getMessage());
                    }
                }
            });
            workers[t].start();
        }
        for (Thread worker : workers) {
            worker.join();
        }
        double elapsed = (System.nanoTime() - started) / 1e9;
        long total = reads.sum() + updates.sum() + createsDeletes.sum();
        System.out.printf("threads=%d seconds=%.1f%n", threads, elapsed);
        System.out.printf("sdk_ops=%d (reads=%d updates=%d creates_deletes=%d) failures=%d sdk_ops_per_s=%.1f%n",
                total, reads.sum(), updates.sum(), createsDeletes.sum(), failures.sum(), total / elapsed);
        serverSide(log, firstLine, elapsed);
    }

    static long lines(Path log) throws java.io.IOException {
        try (var stream = Files.lines(log)) {
            return stream.count();
        }
    }

    /** HTTP requests the emulator logged during the run, and their server time (the log's "us"), per method. */
    static void serverSide(Path log, long skip, double elapsed) throws java.io.IOException {
        Map<String, java.util.List<Long>> byMethod = new java.util.TreeMap<>();
        Map<String, java.util.List<Long>> cpuByMethod = new java.util.TreeMap<>();
        java.util.List<Long> all = new java.util.ArrayList<>();
        java.util.List<Long> allCpu = new java.util.ArrayList<>();
        try (var stream = Files.lines(log)) {
            stream.skip(skip).forEach(line -> {
                Map<?, ?> entry = (Map<?, ?>) Json.parse(line);
                long micros = ((Number) entry.get("us")).longValue();
                long cpu = ((Number) entry.get("cpuUs")).longValue();
                all.add(micros);
                allCpu.add(cpu);
                byMethod.computeIfAbsent((String) entry.get("method"), k -> new java.util.ArrayList<>()).add(micros);
                cpuByMethod.computeIfAbsent((String) entry.get("method"), k -> new java.util.ArrayList<>()).add(cpu);
            });
        }
        System.out.printf("http_requests=%d http_requests_per_s=%.1f%n", all.size(), all.size() / elapsed);
        System.out.println("server wall time per request (us): " + stats(all));
        byMethod.forEach((method, micros) -> System.out.println("  " + method + " (" + micros.size() + "): "
                + stats(micros)));
        System.out.println("server CPU time per request (us): " + stats(allCpu));
        cpuByMethod.forEach((method, micros) -> System.out.println("  " + method + " (" + micros.size() + "): "
                + stats(micros)));
    }

    static String stats(java.util.List<Long> values) {
        java.util.List<Long> sorted = values.stream().sorted().toList();
        return "median=" + sorted.get(sorted.size() / 2) + " p90=" + sorted.get((int) (sorted.size() * 0.9))
                + " p99=" + sorted.get((int) (sorted.size() * 0.99)) + " max=" + sorted.get(sorted.size() - 1);
    }

    static SSLContext trusting(Path caPem) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        try (InputStream in = Files.newInputStream(caPem)) {
            store.setCertificateEntry("imagebake-emulator", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }
}
