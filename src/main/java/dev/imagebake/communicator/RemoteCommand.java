package dev.imagebake.communicator;

/**
 * A command for the build machine.
 *
 * @param command the command line, run by the login shell
 * @param stdin   text written to the command's standard input, then closed; null for none
 * @param pty     whether to allocate a pseudo-terminal
 */
public record RemoteCommand(String command, String stdin, boolean pty) {
    public static RemoteCommand of(String command) {
        return new RemoteCommand(command, null, false);
    }
}
