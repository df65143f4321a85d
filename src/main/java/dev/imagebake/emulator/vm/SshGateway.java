package dev.imagebake.emulator.vm;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

/**
 * A machine's SSH port. Every connection is handed to the machine's own OpenSSH server in inetd mode
 * ({@code sshd -i}, run inside the sandbox), so authentication, host keys, sudo, PTYs, scp and SFTP are those of
 * a real Linux VM. A connection made while the machine is still booting waits for the boot to finish; one made
 * while it is stopped is closed at once.
 */
final class SshGateway implements AutoCloseable {
    private final ServerSocket server;
    private final Supplier<Sandbox> sandbox;
    private final Path log;

    private SshGateway(ServerSocket server, Supplier<Sandbox> sandbox, Path log) {
        this.server = server;
        this.sandbox = sandbox;
        this.log = log;
    }

    /**
     * Binds {@code address:22}, or a free port on that address when port 22 is privileged for this process.
     *
     * @param sandbox waits for the running sandbox, or gives {@code null} when the machine is not running
     * @throws IOException when the address itself is taken
     */
    static SshGateway bind(String address, Supplier<Sandbox> sandbox, Path log) throws IOException {
        InetAddress host = InetAddress.getByName(address);
        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        try {
            server.bind(new InetSocketAddress(host, 22), 64);
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("Permission denied")) {
                server.close();
                throw e;
            }
            server.close();
            server = new ServerSocket();
            server.bind(new InetSocketAddress(host, 0), 64);
        }
        SshGateway gateway = new SshGateway(server, sandbox, log);
        Thread accept = new Thread(gateway::acceptLoop, "vm-ssh-" + address);
        accept.setDaemon(true);
        accept.start();
        return gateway;
    }

    SshEndpoint endpoint() {
        return new SshEndpoint(server.getInetAddress().getHostAddress(), server.getLocalPort());
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                Thread connection = new Thread(() -> serve(socket), "vm-ssh-connection");
                connection.setDaemon(true);
                connection.start();
            } catch (IOException e) {
                // closed
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            Sandbox running = sandbox.get();
            if (running == null) {
                return;
            }
            socket.setTcpNoDelay(true);
            ProcessBuilder builder = new ProcessBuilder(running.command(List.of("/usr/sbin/sshd", "-i", "-e",
                    // PAM's session modules (loginuid, systemd) need powers a user namespace does not have.
                    "-o", "UsePAM=no")));
            builder.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
            Process sshd = builder.start();
            Thread upstream = new Thread(() -> pump(socket, sshd), "vm-ssh-in");
            upstream.setDaemon(true);
            upstream.start();
            try (InputStream fromSshd = sshd.getInputStream(); OutputStream toClient = socket.getOutputStream()) {
                fromSshd.transferTo(toClient);
            } catch (IOException e) {
                // the client went away
            }
            sshd.destroy();
        } catch (IOException e) {
            // the connection is closed either way
        }
    }

    private static void pump(Socket socket, Process sshd) {
        try (InputStream fromClient = socket.getInputStream(); OutputStream toSshd = sshd.getOutputStream()) {
            byte[] buffer = new byte[32768];
            for (int n; (n = fromClient.read(buffer)) > 0; ) {
                toSshd.write(buffer, 0, n);
                toSshd.flush();
            }
        } catch (IOException e) {
            // either side closed
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // nothing left to do
        }
    }
}
