package dev.imagebake.communicator;

/**
 * How a remote command ended.
 *
 * @param exitStatus   its exit status, or -1 when there was none
 * @param signal       the signal that killed it, or null
 * @param disconnected the connection dropped before the command reported how it ended
 */
public record CommandResult(int exitStatus, String signal, boolean disconnected) {
}
