package dev.imagebake.emulator;

import dev.imagebake.emulator.arm.ArmGateway;
import dev.imagebake.emulator.arm.AsyncOperationsProvider;
import dev.imagebake.emulator.arm.Conditions;
import dev.imagebake.emulator.arm.MetadataEndpoint;
import dev.imagebake.emulator.arm.OperationResultsProvider;
import dev.imagebake.emulator.arm.Operations;
import dev.imagebake.emulator.arm.ResourceGroupProvider;
import dev.imagebake.emulator.arm.SubscriptionProvider;
import dev.imagebake.emulator.arm.TrafficPolicy;
import dev.imagebake.emulator.auth.AccessTokens;
import dev.imagebake.emulator.auth.TokenEndpoint;
import dev.imagebake.emulator.compute.ComputeProvider;
import dev.imagebake.emulator.compute.GalleryProvider;
import dev.imagebake.emulator.http.Dispatcher;
import dev.imagebake.emulator.http.HttpsListener;
import dev.imagebake.emulator.http.RequestLog;
import dev.imagebake.emulator.network.NetworkProvider;
import dev.imagebake.emulator.state.StateStore;
import dev.imagebake.emulator.tls.TlsMaterial;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.List;

/**
 * A local stand-in for Azure Resource Manager and its token endpoint, served over HTTPS on 127.0.0.1 so that the
 * real Azure SDK (and the Azure CLI) accept it. Everything it knows lives in one data folder: TLS material,
 * identity, state and the request log; a restart on the same folder carries on where it stopped.
 */
public final class Emulator implements AutoCloseable {
    /**
     * @param port       0 for any free port
     * @param conditions latency profile, throttling and injected faults
     */
    public record Settings(Path dataDir, int port, Operations.Settings operations, Conditions conditions) {
        public Settings(Path dataDir, int port) {
            this(dataDir, port, Operations.Settings.DEFAULT);
        }

        public Settings(Path dataDir, int port, Operations.Settings operations) {
            this(dataDir, port, operations, Conditions.DEFAULT);
        }

        public Settings withConditions(Conditions conditions) {
            return new Settings(dataDir, port, operations, conditions);
        }
    }

    private final DataDir dir;
    private final Identity identity;
    private final RequestLog log;
    private final HttpsListener listener;
    private StateStore store;

    private Emulator(DataDir dir, Identity identity, RequestLog log, HttpsListener listener) {
        this.dir = dir;
        this.identity = identity;
        this.log = log;
        this.listener = listener;
    }

    public static Emulator start(Settings settings) throws IOException {
        DataDir dir = new DataDir(settings.dataDir());
        dir.create();
        TlsMaterial tls = TlsMaterial.loadOrCreate(dir);
        Identity identity = Identity.loadOrCreate(dir);
        StateStore store = StateStore.open(dir.stateFile());
        Clock clock = Clock.systemUTC();
        AccessTokens tokens = new AccessTokens(identity.tokenKey(), identity.tenantId(), clock);
        Operations operations = new Operations(store, clock, settings.operations(), settings.conditions().latency());
        TrafficPolicy traffic = new TrafficPolicy(settings.conditions(), operations);
        ArmGateway arm = new ArmGateway(identity, tokens, operations, List.of(
                new SubscriptionProvider(identity),
                new ResourceGroupProvider(store, operations),
                new OperationResultsProvider(operations),
                new AsyncOperationsProvider(operations),
                new NetworkProvider(store, operations),
                new ComputeProvider(store, operations),
                new GalleryProvider(store, operations)), traffic);
        RequestLog log = new RequestLog(dir.requestLog());
        Dispatcher dispatcher = new Dispatcher(List.of(new TokenEndpoint(identity, tokens), new MetadataEndpoint(), arm),
                log);
        HttpsListener listener;
        try {
            listener = new HttpsListener(settings.port(), tls.serverContext(), dispatcher);
        } catch (GeneralSecurityException | IOException e) {
            log.close();
            store.close();
            throw e instanceof IOException io ? io : new IOException("cannot set up TLS: " + e.getMessage(), e);
        }
        Emulator emulator = new Emulator(dir, identity, log, listener);
        emulator.store = store;
        CloudFile.write(dir, emulator.endpoint(), identity);
        return emulator;
    }

    /** {@code https://127.0.0.1:PORT}, without a trailing slash. */
    public String endpoint() {
        return listener.endpoint();
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

    @Override
    public void close() throws IOException {
        listener.close();
        log.close();
        store.close();  // after the listener: no request changes the state once it is saved for the last time
    }
}
