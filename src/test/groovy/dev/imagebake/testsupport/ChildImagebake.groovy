package dev.imagebake.testsupport

import java.nio.file.Path

/**
 * The command line that runs imagebake in a JVM of its own as a terminal would start it: with SIGINT at its default
 * action. A child of a shell's background job without job control inherits SIGINT as ignored, and a JVM started so
 * never installs its handler, so a spec that sends SIGINT would prove nothing there. perl resets the action and
 * execs, so the pid stays the one the spec signals.
 */
final class ChildImagebake {
    private ChildImagebake() {
    }

    static List<String> command(List<String> args) {
        command([], args)
    }

    static List<String> command(List<String> jvmOptions, List<String> args) {
        String java = Path.of(System.getProperty('java.home'), 'bin', 'java').toString()
        ['perl', '-e', '$SIG{INT} = "DEFAULT"; exec @ARGV or die "exec: $!"', java] + jvmOptions +
                ['-cp', System.getProperty('java.class.path'), 'dev.imagebake.cli.Main'] + args
    }
}
