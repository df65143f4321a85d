package dev.imagebake.emulator.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** Serves the dispatcher over HTTPS on the loopback interface, with the JDK's built-in server. */
public final class HttpsListener implements AutoCloseable {
    private final HttpsServer server;
    private final ExecutorService threads;

    static {
        // The JDK server writes headers and body separately; with Nagle on, the client's delayed ACK then stalls
        // every reply by ~40 ms. Read once, when the server implementation loads, so set before any server exists.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    public HttpsListener(int port, SSLContext tls, Dispatcher dispatcher) throws IOException {
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        threads = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "imagebake-emulator-http");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(threads);
        server.createContext("/", exchange -> serve(exchange, dispatcher));
        server.start();
    }

    public String endpoint() {
        return "https://127.0.0.1:" + server.getAddress().getPort();
    }

    private void serve(HttpExchange exchange, Dispatcher dispatcher) throws IOException {
        try (exchange) {
            Map<String, List<String>> headers = new LinkedHashMap<>();
            exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), values));
            String host = exchange.getRequestHeaders().getFirst("Host");
            Request request = new Request(UUID.randomUUID().toString(), exchange.getRequestMethod().toUpperCase(Locale.ROOT),
                    exchange.getRequestURI().getRawPath(), exchange.getRequestURI().getRawQuery(), headers,
                    exchange.getRequestBody().readAllBytes(), host == null ? endpoint() : "https://" + host);
            Response response = dispatcher.dispatch(request);
            byte[] body = Dispatcher.render(response);
            response.headers().forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
            if (body.length > 0 && !response.headers().containsKey("Content-Type")) {
                exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
            }
            boolean noBody = body.length == 0 || request.method().equals("HEAD") || response.status() == 204;
            // -1 tells the JDK server "no body"; 0 would mean a chunked one.
            exchange.sendResponseHeaders(response.status(), noBody ? -1 : body.length);
            if (!noBody) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
