package dev.imagebake.rollout;

import dev.imagebake.communicator.CommandResult;
import dev.imagebake.communicator.ConnectionFailedException;
import dev.imagebake.communicator.RemoteCommand;
import dev.imagebake.communicator.SshCommunicator;
import dev.imagebake.communicator.SshEndpoint;
import dev.imagebake.plan.ScaleSetPost;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The health check of {@code post scaleSet { health { ... } }}: a command over SSH that must exit 0, and/or an HTTP
 * URL that must answer 2xx. A reimaged instance has new host keys, so the SSH check accepts any host key: it only
 * reads the instance's state and sends nothing secret but the login.
 */
public final class InstanceHealth implements HealthProbe {
    private static final Duration ATTEMPT = Duration.ofSeconds(10);
    private final ScaleSetPost.Health health;
    private final String privateKey;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(ATTEMPT).build();

    private InstanceHealth(ScaleSetPost.Health health, String privateKey) {
        this.health = health;
        this.privateKey = privateKey;
    }

    /** The probe for these settings; reads the SSH key at once, so a wrong path fails before anything changes. */
    public static HealthProbe of(ScaleSetPost.Health health, Path folder) throws IOException {
        if (health == null) {
            return RUNNING;
        }
        String key = null;
        if (health.command() != null) {
            Path file = folder.resolve(expandHome(health.privateKeyFile()));
            if (!Files.isReadable(file)) {
                throw new IOException("health: cannot read the SSH private key file " + file);
            }
            key = Files.readString(file);
        }
        return new InstanceHealth(health, key);
    }

    @Override
    public String check(ScaleSets.Address address) throws InterruptedException {
        if (address == null) {
            return "the instance has no network address";
        }
        if (health.command() != null) {
            String failure = command(address);
            if (failure != null) {
                return failure;
            }
        }
        return health.url() == null ? null : url(address);
    }

    private String command(ScaleSets.Address address) throws InterruptedException {
        int port = health.port() != null ? health.port() : address.sshPort() != null ? address.sshPort() : 22;
        SshEndpoint endpoint = new SshEndpoint(address.ip(), port, health.user(), privateKey, null, null, false,
                List.of(), null, true, null);
        SshCommunicator ssh;
        try {
            ssh = SshCommunicator.connect(endpoint, ATTEMPT, attempt -> { });
        } catch (ConnectionFailedException e) {
            return "SSH to " + endpoint.describe() + " failed: " + e.getMessage();
        }
        try {
            StringBuilder output = new StringBuilder();
            CommandResult result = ssh.run(RemoteCommand.of(health.command()), (stream, line) -> {
                if (output.length() < 400) {
                    output.append(output.length() == 0 ? "" : " | ").append(line);
                }
            });
            return result.exitStatus() == 0 ? null : "health command exited " + result.exitStatus()
                    + (output.length() == 0 ? "" : ": " + output);
        } catch (IOException e) {
            return "health command failed: " + reason(e);
        } finally {
            ssh.close();
        }
    }

    private String url(ScaleSets.Address address) throws InterruptedException {
        String target = health.url().replace("{address}", address.ip());
        try {
            HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create(target)).timeout(ATTEMPT)
                    .GET().build(), HttpResponse.BodyHandlers.discarding());
            int status = response.statusCode();
            return status >= 200 && status < 300 ? null : "GET " + target + " answered " + status;
        } catch (IOException | IllegalArgumentException e) {
            return "GET " + target + " failed: " + reason(e);
        }
    }

    /** What went wrong, also for the JDK's exceptions that carry no message (a refused connection). */
    static String reason(Exception e) {
        if (e.getMessage() != null && !e.getMessage().isBlank()) {
            return e.getMessage();
        }
        Throwable cause = e.getCause();
        if (cause != null && cause.getMessage() != null && !cause.getMessage().isBlank()) {
            return cause.getMessage();
        }
        return e instanceof java.net.ConnectException ? "connection refused (nothing listens there, or it is not"
                + " reachable)" : e.getClass().getSimpleName();
    }

    private static String expandHome(String path) {
        return path.startsWith("~/") ? System.getProperty("user.home") + path.substring(1) : path;
    }
}
