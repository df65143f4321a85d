package dev.imagebake.emulator.network;

import dev.imagebake.emulator.state.State;
import dev.imagebake.emulator.state.StateStore;

import static dev.imagebake.emulator.arm.ProviderSupport.map;
import static dev.imagebake.emulator.arm.ProviderSupport.maps;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

/**
 * Inbound NAT of the emulator's load balancers, for real: when machines run behind scale set instances, each public IP
 * used by a load balancer frontend gets a loopback address of its own ({@code 127.x.y.z}, written into its
 * {@code ipAddress} as Azure writes the address it allocates), and every inbound NAT rule Azure derives from a NAT
 * pool listens on {@code that address:frontendPort} and forwards TCP to the instance's machine at the backend port
 * (port 22 is the machine's SSH server, wherever it listens). The rules follow the state: a watcher compares what the
 * state asks for with the listeners it has, a few times a second, and opens, retargets or closes listeners.
 */
public final class NatForwarding implements AutoCloseable {
    private static final long INTERVAL_MILLIS = 200;

    private final StateStore store;
    private final Function<Map<String, Object>, InetSocketAddress> sshOf;
    private final Map<String, Listener> listeners = new HashMap<>();
    private final Thread watcher;
    private volatile boolean closed;

    /**
     * @param sshOf where a scale set instance's SSH server listens (from its document), or {@code null} when it has
     *              no machine
     */
    public NatForwarding(StateStore store, Function<Map<String, Object>, InetSocketAddress> sshOf) {
        this.store = store;
        this.sshOf = sshOf;
        this.watcher = new Thread(this::watch, "lb-nat-watcher");
        watcher.setDaemon(true);
        watcher.start();
    }

    private void watch() {
        while (!closed) {
            try {
                reconcile();
                Thread.sleep(INTERVAL_MILLIS);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // A state that does not add up this time (a resource half deleted) is read again next time.
            }
        }
    }

    private void reconcile() {
        if (store.read(NatForwarding::unaddressed).size() > 0) {
            store.write(state -> {
                for (Map<String, Object> pip : unaddressed(state)) {
                    map(pip.get("properties")).put("ipAddress", freeAddress(state));
                }
                return null;
            });
        }
        Map<String, InetSocketAddress> wanted = store.read(this::wanted);
        synchronized (listeners) {
            listeners.entrySet().removeIf(entry -> {
                if (!wanted.containsKey(entry.getKey())) {
                    entry.getValue().close();
                    return true;
                }
                return false;
            });
            for (Map.Entry<String, InetSocketAddress> rule : wanted.entrySet()) {
                Listener listener = listeners.get(rule.getKey());
                if (listener != null) {
                    listener.target = rule.getValue();
                    continue;
                }
                String[] frontend = rule.getKey().split(":");
                try {
                    listeners.put(rule.getKey(), new Listener(frontend[0], Integer.parseInt(frontend[1]),
                            rule.getValue()));
                } catch (IOException e) {
                    // The port is taken on that address; tried again at the next round.
                }
            }
        }
    }

    /** The public IPs of load balancer frontends without a loopback address of their own yet. */
    private static List<Map<String, Object>> unaddressed(State state) {
        return LoadBalancers.all(state).stream()
                .flatMap(lb -> maps(map(lb.get("properties")).get(LoadBalancers.FRONTENDS)).stream())
                .map(f -> map(map(f.get("properties")).get("publicIPAddress")).get("id"))
                .filter(id -> id instanceof String).map(id -> state.resource((String) id))
                .filter(pip -> pip != null && !(map(pip.get("properties")).get("ipAddress") instanceof String ip
                        && ip.startsWith("127.")))
                .distinct().toList();
    }

    private static String freeAddress(State state) {
        Set<String> used = new HashSet<>();
        for (Map<String, Object> document : state.allResources()) {
            if (map(document.get("properties")).get("ipAddress") instanceof String ip) {
                used.add(ip);
            }
        }
        while (true) {
            // Above the range machines take (127.100-199.x.y), so the two never meet.
            String address = "127." + ThreadLocalRandom.current().nextInt(200, 250) + "."
                    + ThreadLocalRandom.current().nextInt(0, 256) + "." + ThreadLocalRandom.current().nextInt(1, 255);
            if (!used.contains(address)) {
                return address;
            }
        }
    }

    /** {@code frontendAddress:frontendPort} → where to forward, for every NAT rule whose instance has a machine. */
    private Map<String, InetSocketAddress> wanted(State state) {
        Map<String, InetSocketAddress> wanted = new LinkedHashMap<>();
        for (Map<String, Object> lb : LoadBalancers.all(state)) {
            Map<String, String> frontendAddresses = new HashMap<>();
            for (Map<String, Object> frontend : maps(map(lb.get("properties")).get(LoadBalancers.FRONTENDS))) {
                if (map(map(frontend.get("properties")).get("publicIPAddress")).get("id") instanceof String pipId
                        && state.resource(pipId) != null
                        && map(state.resource(pipId).get("properties")).get("ipAddress") instanceof String ip
                        && ip.startsWith("127.")) {
                    frontendAddresses.put(String.valueOf(frontend.get("id")).toLowerCase(Locale.ROOT), ip);
                }
            }
            for (LoadBalancers.NatMapping mapping : LoadBalancers.natMappings(state, lb)) {
                String address = frontendAddresses.get(mapping.frontendId().toLowerCase(Locale.ROOT));
                Map<String, Object> instance = state.resource(mapping.instanceId());
                InetSocketAddress ssh = instance == null ? null : sshOf.apply(instance);
                if (address != null && ssh != null) {
                    wanted.put(address + ":" + mapping.frontendPort(), mapping.backendPort() == 22 ? ssh
                            : new InetSocketAddress(ssh.getHostString(), mapping.backendPort()));
                }
            }
        }
        return wanted;
    }

    @Override
    public void close() {
        closed = true;
        watcher.interrupt();
        synchronized (listeners) {
            listeners.values().forEach(Listener::close);
            listeners.clear();
        }
    }

    /** One frontend port: accepts connections and pipes each to the rule's current target. */
    private static final class Listener {
        private final ServerSocket server;
        private volatile InetSocketAddress target;

        Listener(String address, int port, InetSocketAddress target) throws IOException {
            this.target = target;
            server = new ServerSocket();
            server.setReuseAddress(true);
            try {
                server.bind(new InetSocketAddress(InetAddress.getByName(address), port), 64);
            } catch (IOException e) {
                server.close();
                throw e;
            }
            Thread accept = new Thread(this::acceptLoop, "lb-nat-" + address + ":" + port);
            accept.setDaemon(true);
            accept.start();
        }

        private void acceptLoop() {
            while (!server.isClosed()) {
                try {
                    Socket client = server.accept();
                    Thread connection = new Thread(() -> forward(client), "lb-nat-connection");
                    connection.setDaemon(true);
                    connection.start();
                } catch (IOException e) {
                    // closed
                }
            }
        }

        private void forward(Socket client) {
            try (client; Socket backend = new Socket()) {
                backend.connect(target, 10_000);
                client.setTcpNoDelay(true);
                backend.setTcpNoDelay(true);
                Thread upstream = new Thread(() -> pipe(client, backend), "lb-nat-in");
                upstream.setDaemon(true);
                upstream.start();
                pipe(backend, client);
                upstream.join();
            } catch (IOException e) {
                // A backend that does not answer: the client's connection is closed, as a NAT drop would.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private static void pipe(Socket from, Socket to) {
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                byte[] buffer = new byte[32768];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
                to.shutdownOutput();
            } catch (IOException e) {
                // either side closed
            }
        }

        void close() {
            try {
                server.close();
            } catch (IOException e) {
                // nothing left to do
            }
        }
    }
}
