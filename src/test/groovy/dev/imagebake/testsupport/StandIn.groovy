package dev.imagebake.testsupport

import java.nio.file.Files
import java.nio.file.Path
import java.security.MessageDigest

/**
 * A stand-in for a tool that cannot run here (goss, a Puppet agent with a server): a shell script that records its
 * command line, user, working folder, environment and the files below the working folder (with their SHA-256) in
 * {@link #RECORD}, prints the output a spec chose and exits with the status it chose. The template steps from
 * {@link #steps} put the script at /tmp/standin on the build machine; a spec's installCommand (or an earlier step)
 * installs it where the tool belongs.
 */
class StandIn {
    static final String RECORD = '/var/tmp/standin-record.txt'

    static final String SCRIPT = '''#!/bin/sh
record=/var/tmp/standin-record.txt
if [ "$1" = "--version" ]; then echo "stand-in 1.0"; exit 0; fi
{
  printf 'argv:'; printf ' [%s]' "$0" "$@"; echo
  echo "pwd: $(pwd)"
  echo "user: $(id -un)"
  env | sort | sed 's/^/env: /'
  find "$(pwd)" -type f | sort | while read -r f; do echo "file: $(sha256sum "$f")"; done
} >> "$record"
chmod 644 "$record"
cat /var/tmp/standin-output 2>/dev/null
exit "$(cat /var/tmp/standin-exit 2>/dev/null || echo 0)"
'''

    /**
     * Template steps that upload the stand-in to /tmp/standin and make it print {@code output} and exit with
     * {@code exit}; the files they upload are written to {@code folder}.
     */
    static String steps(Path folder, int exit, String output = '') {
        Files.writeString(folder.resolve('standin.sh'), SCRIPT)
        Files.writeString(folder.resolve('standin-output.txt'), output)
        """
provision file { source 'standin.sh'; destination '/tmp/standin' }
provision file { source 'standin-output.txt'; destination '/var/tmp/standin-output' }
provision shell { inline 'echo ${exit} > /var/tmp/standin-exit' }
"""
    }

    /** The lines a build printed from the machine (`    azure: LINE`), without the prefix. */
    static List<String> machineLines(String out) {
        out.readLines().findAll { it.startsWith('    azure: ') }*.substring('    azure: '.length())
    }

    /** The SHA-256 of a file on this host, as sha256sum prints it. */
    static String sha256(Path file) {
        MessageDigest.getInstance('SHA-256').digest(Files.readAllBytes(file)).encodeHex().toString()
    }
}
