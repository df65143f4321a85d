package dev.imagebake.emulator.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An HTTP {@code CONNECT} proxy on 127.0.0.1 that sends the public Azure host names it is given to the emulator's
 * own HTTPS listener and refuses every other destination. It only relays bytes: TLS is between the client and the
 * emulator, whose server certificate names those hosts, so a tool with Azure's endpoints built in (Packer, the Go
 * and Python SDKs) reaches the emulator unchanged with {@code HTTPS_PROXY} and the emulator's CA. The request's
 * {@code Host} stays the public name, so the URLs the emulator hands back (Location, nextLink) point there too and
 * come back through the proxy.
 */
public final class ConnectProxy implements AutoCloseable {
    private static final int MAX_HEADER = 16 * 1024;

    private final ServerSocket server;
    private final Set<String> hosts;
    private final InetSocketAddress target;
    private final ExecutorService threads;
    private final RequestLog log;

    /**
     * @param hosts      the host names answered on port 443, lower case
     * @param targetPort the emulator's HTTPS port on the loopback address
     * @param log        where refused requests are recorded (tunnelled ones are logged by the emulator itself)
     */
    public ConnectProxy(int port, Set<String> hosts, int targetPort, RequestLog log) throws IOException {
        this.hosts = Set.copyOf(hosts);
        this.log = log;
        this.target = new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort);
        server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        threads = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "imagebake-emulator-proxy");
            thread.setDaemon(true);
            return thread;
        });
        threads.execute(this::accept);
    }

    /** {@code http://127.0.0.1:PORT}, what {@code HTTPS_PROXY} is set to. */
    public String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                threads.execute(() -> serve(client));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket client) {
        try (client) {
            client.setTcpNoDelay(true);
            InputStream in = client.getInputStream();
            OutputStream out = client.getOutputStream();
            String head = readHead(in);
            if (head == null) {
                refuse(out, 400, "Bad Request", "The request has no complete header.");
                return;
            }
            String[] requestLine = head.substring(0, head.indexOf("\r\n")).split(" ");
            if (requestLine.length != 3 || !requestLine[0].equals("CONNECT")) {
                String url = requestLine.length > 1 ? requestLine[1] : "";
                log.refused(requestLine[0], url.contains("?") ? url.substring(0, url.indexOf('?')) : url, 405);
                refuse(out, 405, "Method Not Allowed", "The imagebake emulator's proxy only tunnels HTTPS (CONNECT) "
                        + "to Azure's public endpoints; it does not forward '" + requestLine[0] + "' requests.");
                return;
            }
            String destination = requestLine[1].toLowerCase(Locale.ROOT);
            int colon = destination.lastIndexOf(':');
            String host = colon < 0 ? destination : destination.substring(0, colon);
            String port = colon < 0 ? "" : destination.substring(colon + 1);
            if (!port.equals("443") || !hosts.contains(host)) {
                log.refused("CONNECT", requestLine[1], 403);
                refuse(out, 403, "Forbidden", "The imagebake emulator's proxy answers only for " + String.join(", ",
                        hosts.stream().sorted().toList()) + " on port 443; it refuses " + requestLine[1]
                        + " rather than send it to the internet.");
                return;
            }
            try (Socket emulator = new Socket()) {
                emulator.connect(target, 10_000);
                emulator.setTcpNoDelay(true);
                out.write("HTTP/1.1 200 Connection Established\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                // When either side ends, both sockets close: the other direction's copy then ends too.
                threads.execute(() -> {
                    pump(in, emulator);
                    closeQuietly(emulator);
                    closeQuietly(client);
                });
                pump(emulator.getInputStream(), client);
            }
        } catch (IOException e) {
            // the client or the emulator went away: nothing to answer
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // already closed
        }
    }

    /** Copies until end of stream, then half-closes the other side so it sees the end too. */
    private static void pump(InputStream from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try {
            OutputStream out = to.getOutputStream();
            for (int n; (n = from.read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
                out.flush();
            }
            to.shutdownOutput();
        } catch (IOException e) {
            // one side closed under us: the other side's pump ends too
        }
    }

    /** The request line and headers, up to the blank line; null if the stream ends first or they are too long. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (head.size() < MAX_HEADER) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            matched = b == end[matched] ? matched + 1 : b == '\r' ? 1 : 0;
            if (matched == 4) {
                return head.toString(StandardCharsets.US_ASCII);
            }
        }
        return null;
    }

    private static void refuse(OutputStream out, int status, String reason, String message) throws IOException {
        byte[] body = (message + "\n").getBytes(StandardCharsets.UTF_8);
        out.write(("HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
        threads.shutdownNow();
    }
}
