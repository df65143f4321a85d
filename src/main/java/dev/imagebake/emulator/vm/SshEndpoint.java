package dev.imagebake.emulator.vm;

/** Where a machine's SSH server listens: a loopback address of its own and port 22 when it could be bound. */
public record SshEndpoint(String address, int port) {
}
