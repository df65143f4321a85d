package dev.imagebake.communicator

import dev.imagebake.testsupport.LoopbackSshd
import spock.lang.AutoCleanup
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.security.MessageDigest
import java.time.Duration
import java.util.concurrent.TimeUnit

/**
 * Many uploads and downloads of random sizes (0 B to 64 MiB, folders too) to a real sshd while both cores are kept
 * busy by other processes, and more to a machine that drains its input slowly: every one is checked here, on disk,
 * independently of imagebake's own verification. Not one may arrive short.
 */
class TransferSoakSpec extends Specification {
    static final int TRANSFERS = 200
    static final long MAX_SIZE = 64L * 1048576

    @Shared
    @AutoCleanup
    LoopbackSshd sshd = new LoopbackSshd()

    @Shared
    @AutoCleanup
    LoopbackSshd slowReader = new LoopbackSshd('pv -q -L 16m')

    @Shared
    List<Process> burners = []

    @TempDir
    Path dir

    Random random = new Random(20261207)
    String remote = "/home/${LoopbackSshd.USER}/soak-${UUID.randomUUID()}"

    def setupSpec() {
        // Busy loops on every core, bounded in time so that they end by themselves even if this JVM dies.
        int cores = Runtime.runtime.availableProcessors()
        cores.times {
            burners << new ProcessBuilder('timeout', '900', 'sh', '-c', 'while :; do :; done').start()
        }
    }

    def cleanupSpec() {
        // TERM, which timeout passes on to its loop (a KILL would leave the loop running without it)
        burners.each { burner ->
            List<ProcessHandle> loops = burner.descendants().toList()
            burner.destroy()
            if (!burner.waitFor(10, TimeUnit.SECONDS)) {
                burner.destroyForcibly()
            }
            loops*.destroyForcibly()
        }
    }

    def setup() {
        Files.createDirectories(Path.of(remote))
        LoopbackSshd.run('chown', LoopbackSshd.USER, remote)
    }

    def cleanup() {
        LoopbackSshd.run(['rm', '-rf', remote])
    }

    /** Sizes spread evenly over the orders of magnitude from 1 B to 64 MiB, and some empty files. */
    long randomSize() {
        random.nextInt(20) == 0 ? 0 : (long) Math.exp(random.nextDouble() * Math.log(MAX_SIZE))
    }

    Path randomFile(Path file, long size) {
        Files.createDirectories(file.parent)
        byte[] chunk = new byte[1048576]
        Files.newOutputStream(file).withCloseable { out ->
            for (long left = size; left > 0; left -= chunk.length) {
                random.nextBytes(chunk)
                out.write(chunk, 0, (int) Math.min(left, chunk.length))
            }
        }
        file
    }

    Path randomFolder(Path root, int files, long maxSize) {
        files.times {
            randomFile(root.resolve("d${random.nextInt(3)}/f${it}.bin"), Math.min(randomSize(), maxSize))
        }
        root
    }

    static String sha256(Path file) {
        MessageDigest digest = MessageDigest.getInstance('SHA-256')
        Files.newInputStream(file).withCloseable { InputStream it ->
            byte[] buffer = new byte[1048576]
            for (int n; (n = it.read(buffer)) > 0;) {
                digest.update(buffer, 0, n)
            }
        }
        digest.digest().encodeHex().toString()
    }

    /** Every regular file below {@code root}, by relative name, with its size and SHA-256. */
    static Map<String, List> contents(Path root) {
        Files.walk(root).withCloseable { paths ->
            paths.filter { Files.isRegularFile(it) }.toList().collectEntries {
                [(root.relativize(it).toString()): [Files.size(it), sha256(it)]]
            }
        }
    }

    static SshCommunicator connect(LoopbackSshd server) {
        SshCommunicator.connect(new SshEndpoint('127.0.0.1', server.port, LoopbackSshd.USER, server.clientKeyText,
                null, null, false, [server.hostKeyFingerprint], null, false, null), Duration.ofSeconds(60), {})
    }

    def "200 uploads and downloads of random sizes, folders too, on a busy machine: every byte arrives"() {
        given:
        List<String> short_ = []
        int checked = 0
        long bytes = 0

        when:
        connect(sshd).withCloseable { ssh ->
            TRANSFERS.times { n ->
                boolean folder = n % 10 == 9
                boolean upload = n % 2 == 0
                Path local = dir.resolve("l${n}")
                Path there = Path.of(remote, "r${n}")
                Transfer done
                if (upload) {
                    folder ? randomFolder(local, 1 + random.nextInt(12), 8L * 1048576) : randomFile(local, randomSize())
                    done = ssh.upload(local, there.toString())
                } else {
                    folder ? randomFolder(there, 1 + random.nextInt(12), 8L * 1048576) : randomFile(there, randomSize())
                    LoopbackSshd.run('chown', '-R', LoopbackSshd.USER, there.toString())
                    done = ssh.download(there.toString(), local)
                }
                Map<String, List> sent = contents(upload ? local : there)
                Map<String, List> arrived = contents(upload ? there : local)
                if (sent != arrived || !done.hashed() || done.bytes() != sent.values().sum(0L) { it[0] }) {
                    short_ << "transfer ${n} (${upload ? 'upload' : 'download'} of ${sent.size()} files)".toString()
                }
                checked++
                bytes += done.bytes()
                local.toFile().deleteDir()
                there.toFile().deleteDir()
            }
        }

        then:
        checked == TRANSFERS
        short_ == []
        bytes > 100L * 1048576 // the sizes spread over the whole range, not only small files
    }

    def "uploads to a machine that drains its input slowly all arrive whole"() {
        given:
        List<String> short_ = []

        when:
        connect(slowReader).withCloseable { ssh ->
            24.times { n ->
                boolean folder = n % 4 == 3
                Path local = dir.resolve("s${n}")
                // at least the SSH window (2 MiB) and whole 32 KiB packets, where a lost last packet shows
                folder ? randomFolder(local, 1 + random.nextInt(4), 3L * 1048576)
                        : randomFile(local, 2L * 1048576 + 32768L * random.nextInt(64))
                Path there = Path.of(remote, "s${n}")
                Transfer done = ssh.upload(local, there.toString())
                if (contents(local) != contents(there) || !done.hashed()) {
                    short_ << "upload ${n}".toString()
                }
            }
        }

        then:
        short_ == []
    }
}
