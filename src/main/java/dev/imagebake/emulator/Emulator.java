package dev.imagebake.emulator;

import dev.imagebake.emulator.arm.ArmGateway;
import dev.imagebake.emulator.arm.AsyncOperationsProvider;
import dev.imagebake.emulator.arm.Conditions;
import dev.imagebake.emulator.arm.TrafficPolicy;
import dev.imagebake.emulator.arm.LocationsProvider;
import dev.imagebake.emulator.arm.MetadataEndpoint;
import dev.imagebake.emulator.arm.OperationResultsProvider;
import dev.imagebake.emulator.arm.Operations;
import dev.imagebake.emulator.arm.ResourceGroupProvider;
import dev.imagebake.emulator.arm.ResourceProvider;
import dev.imagebake.emulator.arm.ResourceProvidersProvider;
import dev.imagebake.emulator.arm.SubscriptionProvider;
import dev.imagebake.emulator.arm.Subscriptions;
import dev.imagebake.emulator.auth.AccessTokens;
import dev.imagebake.emulator.auth.ClientAssertions;
import dev.imagebake.emulator.auth.FederatedCredentials;
import dev.imagebake.emulator.auth.ManagedIdentityEndpoint;
import dev.imagebake.emulator.auth.OpenIdConfiguration;
import dev.imagebake.emulator.auth.TokenEndpoint;
import dev.imagebake.emulator.compute.ComputeProvider;
import dev.imagebake.emulator.compute.GalleryProvider;
import dev.imagebake.emulator.compute.MarketplaceProvider;
import dev.imagebake.emulator.compute.ExtensionImageProvider;
import dev.imagebake.emulator.compute.ScaleSetProvider;
import dev.imagebake.emulator.compute.SharedGalleryProvider;
import dev.imagebake.emulator.deployments.DeploymentProvider;
import dev.imagebake.emulator.http.ConnectProxy;
import dev.imagebake.emulator.http.Dispatcher;
import dev.imagebake.emulator.http.HttpsListener;
import dev.imagebake.emulator.http.RequestLog;
import dev.imagebake.emulator.network.NetworkProvider;
import dev.imagebake.emulator.network.SecurityRuleProvider;
import dev.imagebake.emulator.state.StateStore;
import dev.imagebake.emulator.tls.TlsMaterial;
import dev.imagebake.emulator.network.NatForwarding;
import dev.imagebake.emulator.vm.NoVmRuntime;
import dev.imagebake.emulator.vm.SandboxVmRuntime;
import dev.imagebake.emulator.vm.VmRuntime;
import dev.imagebake.emulator.vm.VmRuntimeException;

import dev.imagebake.util.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * A local stand-in for Azure Resource Manager and its token endpoint, served over HTTPS on 127.0.0.1 so that the
 * real Azure SDK (and the Azure CLI) accept it. Everything it knows lives in one data folder: TLS material,
 * identity, state and the request log; a restart on the same folder carries on where it stopped.
 */
public final class Emulator implements AutoCloseable {
    /**
     * @param port       0 for any free port
     * @param machines   what runs behind VMs
     * @param conditions latency profile, throttling and injected faults
     * @param proxy      also listen as an HTTPS (CONNECT) proxy for Azure's public host names
     */
    public record Settings(Path dataDir, int port, Operations.Settings operations, Machines machines,
                           Conditions conditions, boolean proxy) {
        public Settings(Path dataDir, int port, Operations.Settings operations, Machines machines,
                        Conditions conditions) {
            this(dataDir, port, operations, machines, conditions, false);
        }

        public Settings(Path dataDir, int port) {
            this(dataDir, port, Operations.Settings.DEFAULT);
        }

        /** Control plane only: the specs of the ARM surface need no machines behind their VMs. */
        public Settings(Path dataDir, int port, Operations.Settings operations) {
            this(dataDir, port, operations, Machines.NONE);
        }

        public Settings(Path dataDir, int port, Operations.Settings operations, Machines machines) {
            this(dataDir, port, operations, machines, Conditions.DEFAULT);
        }

        public Settings withConditions(Conditions conditions) {
            return new Settings(dataDir, port, operations, machines, conditions, proxy);
        }

        /** With the proxy for Azure's public host names (see {@link Emulator#proxy()}). */
        public Settings withProxy() {
            return new Settings(dataDir, port, operations, machines, conditions, true);
        }
    }

    /** What runs behind emulated VMs (see src/docs/emulator-vms.md). */
    public enum Machines {
        /** Nothing: VMs are documents with a power state. */
        NONE,
        /** Sandboxed Linux machines reachable over SSH; fails to start where they cannot run. */
        SANDBOX,
        /** {@link #SANDBOX} where this host can run them, else {@link #NONE}. */
        AUTO
    }

    private final DataDir dir;
    private final Identity identity;
    private final Subscriptions subscriptions;
    private final RequestLog log;
    private final HttpsListener listener;
    private final ComputeProvider compute;
    private final StateStore store;

    private final DataDirLock lock;
    private final FederatedCredentials federated;
    private NatForwarding natForwarding;
    private ConnectProxy proxy;
    private AutoCloseable overdueTimer;

    private Emulator(DataDir dir, DataDirLock lock, Identity identity, Subscriptions subscriptions, RequestLog log,
                     HttpsListener listener, ComputeProvider compute, StateStore store, FederatedCredentials federated) {
        this.federated = federated;
        this.dir = dir;
        this.lock = lock;
        this.identity = identity;
        this.subscriptions = subscriptions;
        this.log = log;
        this.listener = listener;
        this.compute = compute;
        this.store = store;
    }

    public static Emulator start(Settings settings) throws IOException {
        DataDir dir = new DataDir(settings.dataDir());
        dir.create();
        // One emulator per data folder: a second would rewrite cloud.json and state.json under the first.
        DataDirLock lock = DataDirLock.acquire(dir);
        try {
            return start(settings, dir, lock);
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    private static Emulator start(Settings settings, DataDir dir, DataDirLock lock) throws IOException {
        TlsMaterial tls = TlsMaterial.loadOrCreate(dir);
        Identity identity = Identity.loadOrCreate(dir);
        Subscriptions subscriptions = subscriptions(dir, identity);
        StateStore store = StateStore.open(dir.stateFile());
        Clock clock = Clock.systemUTC();
        AccessTokens tokens = new AccessTokens(identity.tokenKey(), identity.tenantId(), clock);
        Operations operations = new Operations(store, clock, settings.operations(), settings.conditions().latency());
        TrafficPolicy traffic = new TrafficPolicy(settings.conditions(), operations);
        // One runtime behind VMs and scale set instances alike: their machines share layers and loopback addresses.
        VmRuntime runtime = runtime(settings, dir);
        ComputeProvider compute = new ComputeProvider(store, operations, runtime);
        ScaleSetProvider scaleSets = new ScaleSetProvider(store, operations, runtime);
        List<ResourceProvider> providers = new ArrayList<>(List.of(
                new SubscriptionProvider(identity, subscriptions),
                new LocationsProvider(),
                new ResourceProvidersProvider(),
                new ResourceGroupProvider(store, operations, compute, scaleSets),
                new OperationResultsProvider(operations),
                new AsyncOperationsProvider(operations),
                new NetworkProvider(store, operations),
                new SecurityRuleProvider(store, operations),
                compute,
                new GalleryProvider(store, operations, compute::layersOf),
                new SharedGalleryProvider(store),
                scaleSets,
                new MarketplaceProvider(),
                new ExtensionImageProvider()));
        providers.add(new dev.imagebake.emulator.arm.ResourceListProvider(store));
        // Template deployments create their resources through the providers above, as ARM's engine does.
        providers.add(new DeploymentProvider(store, operations, providers));
        ArmGateway arm = new ArmGateway(identity, tokens, operations, providers, traffic, subscriptions);
        RequestLog log = new RequestLog(dir.requestLog());
        FederatedCredentials federated = FederatedCredentials.load(dir);
        Dispatcher dispatcher = new Dispatcher(List.of(new TokenEndpoint(identity, tokens, traffic.faults(),
                new ClientAssertions(federated, clock)), new MetadataEndpoint(),
                new ManagedIdentityEndpoint(identity, tokens),
                new OpenIdConfiguration(identity), compute.bootDiagnostics(), arm),
                log);
        HttpsListener listener;
        try {
            listener = new HttpsListener(settings.port(), tls.serverContext(), dispatcher);
        } catch (GeneralSecurityException | IOException e) {
            log.close();
            compute.closeMachines();
            store.close();
            throw e instanceof IOException io ? io : new IOException("cannot set up TLS: " + e.getMessage(), e);
        }
        Emulator emulator = new Emulator(dir, lock, identity, subscriptions, log, listener, compute, store, federated);
        emulator.overdueTimer = operations.settleOnTime();
        if (settings.proxy()) {
            try {
                emulator.proxy = new ConnectProxy(0, java.util.Set.copyOf(TlsMaterial.PROXIED_HOSTS),
                        java.net.URI.create(emulator.endpoint()).getPort(), log);
            } catch (IOException e) {
                emulator.close();
                throw e;
            }
        }
        compute.resumeMachines();
        scaleSets.resumeMachines();
        if (!(runtime instanceof NoVmRuntime)) {
            // Inbound NAT of load balancers reaches scale set instances' machines; without machines, nothing listens.
            emulator.natForwarding = new NatForwarding(store, ScaleSetProvider::sshAddressOf);
        }
        emulator.writeCloudFile();
        return emulator;
    }

    /**
     * The tenant's subscriptions: the identity's, and the others kept in the data folder. A new data folder gets one
     * other subscription, so that publishing across subscriptions works out of the box.
     */
    private static Subscriptions subscriptions(DataDir dir, Identity identity) throws IOException {
        List<String> others = new ArrayList<>();
        if (Files.exists(dir.subscriptionsFile())) {
            Object saved = ((java.util.Map<?, ?>) Json.parse(Files.readString(dir.subscriptionsFile()))).get("others");
            for (Object id : saved instanceof List<?> list ? list : List.of()) {
                others.add(String.valueOf(id));
            }
        } else {
            others.add(java.util.UUID.randomUUID().toString());
            saveSubscriptions(dir, others);
        }
        return new Subscriptions(identity.subscriptionId(), others, ids -> {
            try {
                saveSubscriptions(dir, ids);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    private static void saveSubscriptions(DataDir dir, List<String> others) throws IOException {
        DataDir.writeAtomically(dir.subscriptionsFile(), Json.writePretty(java.util.Map.of("others", others)), false);
    }

    /**
     * Adds a subscription to the emulator's tenant (kept in the data folder and listed in the cloud file), for a
     * template that publishes to or reads from a gallery in a subscription of its own.
     */
    public void addSubscription(String id) throws IOException {
        try {
            subscriptions.add(id);
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
        writeCloudFile();
    }

    private void writeCloudFile() throws IOException {
        CloudFile.write(dir, endpoint(), identity, subscriptions.others(), proxy());
    }

    /** The tenant's subscriptions, the default one (the cloud file's subscriptionId) first. */
    public List<String> subscriptions() {
        return subscriptions.all();
    }

    private static VmRuntime runtime(Settings settings, DataDir dir) throws IOException {
        Machines machines = settings.machines() == null ? Machines.NONE : settings.machines();
        if (machines == Machines.NONE) {
            return new NoVmRuntime();
        }
        try {
            return SandboxVmRuntime.open(dir.root().resolve("vm"), dir.root());
        } catch (VmRuntimeException e) {
            if (machines == Machines.AUTO) {
                return new NoVmRuntime();
            }
            throw new IOException(e.getMessage(), e);
        }
    }

    /** {@code https://127.0.0.1:PORT}, without a trailing slash. */
    public String endpoint() {
        return listener.endpoint();
    }

    /**
     * {@code http://127.0.0.1:PORT}, the proxy that sends {@code CONNECT management.azure.com:443} (and the other
     * {@link TlsMaterial#PROXIED_HOSTS}) here; null unless started {@link Settings#withProxy() with the proxy}.
     */
    public String proxy() {
        return proxy == null ? null : proxy.url();
    }

    public Path cloudFile() {
        return dir.cloudFile();
    }

    public Path caCertificate() {
        return dir.caCertificate();
    }

    public Identity identity() {
        return identity;
    }

    /**
     * Trusts tokens from {@code issuer} for {@code subject} (audience {@code api://AzureADTokenExchange}) as the
     * emulator's application, as a federated identity credential does on an Entra ID application; kept in the data
     * folder. The issuer's keys are fetched by OpenID discovery when a token from it arrives.
     */
    public FederatedCredentials.Credential addFederatedCredential(String name, String issuer, String subject)
            throws IOException {
        return federated.add(name, issuer, subject);
    }

    public List<FederatedCredentials.Credential> federatedCredentials() {
        return federated.all();
    }

    @Override
    public void close() throws IOException {
        if (overdueTimer != null) {
            try {
                overdueTimer.close();
            } catch (Exception e) {
                // shutting a timer down does not fail
            }
        }
        if (proxy != null) {
            proxy.close();
        }
        listener.close();
        if (natForwarding != null) {
            natForwarding.close();
        }
        compute.closeMachines();
        log.close();
        store.close(); // after the listener: no request changes the state once it is saved for the last time
        lock.close();
    }
}
