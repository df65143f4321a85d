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

/**
 * Uploads and downloads against a real OpenSSH sshd: every byte arrives, and what does not is a failure that says
 * what was sent and what landed. A machine that drains its input slowly (pv) fills the SSH window, which is when
 * a channel closed without waiting for it used to lose the last 32 KiB.
 */
class TransferIntegritySpec extends Specification {
    @Shared
    @AutoCleanup
    LoopbackSshd sshd = new LoopbackSshd()

    @Shared
    @AutoCleanup
    LoopbackSshd slowReader = new LoopbackSshd('pv -q -L 16m')

    @TempDir
    Path dir

    @Shared
    Random random = new Random(14)

    String remote = "/home/${LoopbackSshd.USER}/xfer-${UUID.randomUUID()}"

    def cleanup() {
        LoopbackSshd.run(['rm', '-rf', remote])
    }

    static SshCommunicator connect(LoopbackSshd server) {
        SshCommunicator.connect(new SshEndpoint('127.0.0.1', server.port, LoopbackSshd.USER, server.clientKeyText,
                null, null, false, [server.hostKeyFingerprint], null, false, null), Duration.ofSeconds(30), {})
    }

    Path randomFile(String name, long size) {
        Path file = dir.resolve(name)
        Files.createDirectories(file.parent)
        byte[] bytes = new byte[(int) size]
        random.nextBytes(bytes)
        Files.write(file, bytes)
        file
    }

    static String sha256(Path file) {
        MessageDigest.getInstance('SHA-256').digest(Files.readAllBytes(file)).encodeHex().toString()
    }

    def "files that fill the SSH window of a slowly draining machine arrive whole, every time"() {
        given:
        // whole SSH packets (32 KiB), so that the last one waits in the channel's buffer when the upload closes
        List<Path> files = (1..24).collect { randomFile("f${it}.bin", 2 * 1048576 + 32768 * random.nextInt(32)) }

        when:
        List<Transfer> transfers = connect(slowReader).withCloseable { ssh ->
            files.collect { ssh.upload(it, "${remote}/${it.fileName}") }
        }

        then:
        files.every { Files.size(Path.of(remote, it.fileName.toString())) == Files.size(it) }
        files.every { sha256(Path.of(remote, it.fileName.toString())) == sha256(it) }
        transfers*.hashed() == [true] * 24
        transfers*.bytes() == files.collect { Files.size(it) }
    }

    def "a folder through a slowly draining machine arrives whole, each file checked, modes kept"() {
        given:
        Path tree = dir.resolve('tree')
        randomFile('tree/a.bin', 3 * 1048576)
        randomFile('tree/sub/with space.bin', 100_000)
        randomFile('tree/sub/deeper/empty', 0)
        Path run = randomFile('tree/z-last.sh', 2 * 1048576 + 32768)
        run.toFile().setExecutable(true)

        when:
        Transfer transfer = connect(slowReader).withCloseable { it.upload(tree, "${remote}/tree") }

        then:
        transfer.files() == 4
        transfer.hashed()
        transfer.bytes() == 3 * 1048576 + 100_000 + 2 * 1048576 + 32768
        ['a.bin', 'sub/with space.bin', 'sub/deeper/empty', 'z-last.sh'].every {
            sha256(Path.of(remote, 'tree', it)) == sha256(tree.resolve(it))
        }
        Files.isExecutable(Path.of(remote, 'tree/z-last.sh'))
    }

    def "a file that arrives altered fails the upload with both checksums"() {
        given:
        LoopbackSshd altering = new LoopbackSshd("sed 's/CORRUPTME/CORRUPTED/'")
        Path file = dir.resolve('app.conf')
        Files.writeString(file, 'key=CORRUPTME\n')

        when:
        connect(altering).withCloseable { it.upload(file, "${remote}/app.conf") }

        then:
        def e = thrown(TransferFailedException)
        e.message == "upload of ${file} to ${remote}/app.conf: the file arrived corrupted: SHA-256 sent " +
                "${sha256(file)}, the machine has ${sha256(Path.of(remote, 'app.conf'))}"

        cleanup:
        altering.close()
    }

    def "a file that arrives short fails the upload with both sizes"() {
        given:
        LoopbackSshd truncating = new LoopbackSshd('head -c -7')
        randomFile('one.bin', 1000)

        when:
        connect(truncating).withCloseable { it.upload(dir.resolve('one.bin'), "${remote}/one.bin") }

        then:
        def e = thrown(TransferFailedException)
        e.message == "upload of ${dir.resolve('one.bin')} to ${remote}/one.bin: the file did not arrive whole: " +
                '1000 bytes sent, the machine has 993'

    }

    def "a machine without sha256sum still has every size checked, and says so"() {
        given:
        Path bin = Files.createDirectories(dir.resolve('bin'))
        ['sh', 'cat', 'mkdir', 'dirname', 'chmod', 'wc', 'stat', 'tar', 'xargs', 'rm', 'mktemp'].each {
            Files.createSymbolicLink(bin.resolve(it), Path.of(LoopbackSshd.run('sh', '-c', "command -v ${it}").trim()))
        }
        dir.toFile().setExecutable(true, false)
        LoopbackSshd bare = new LoopbackSshd('cat', bin.toString())
        randomFile('tree/a.txt', 10)
        randomFile('b.txt', 20)

        when:
        List<Transfer> transfers = connect(bare).withCloseable {
            [it.upload(dir.resolve('b.txt'), "${remote}/b.txt"), it.upload(dir.resolve('tree'), "${remote}/tree")]
        }

        then:
        transfers*.hashed() == [false, false]
        transfers*.verification() == ['size verified', 'size verified']
        transfers*.bytes() == [20, 10]

        cleanup:
        bare?.close()
    }

    def "verification can be limited to sizes"() {
        given:
        randomFile('c.bin', 5000)

        when:
        Transfer transfer = connect(sshd).withCloseable { it.upload(dir.resolve('c.bin'), "${remote}/c.bin", false) }

        then:
        !transfer.hashed()
        transfer.bytes() == 5000
        sha256(Path.of(remote, 'c.bin')) == sha256(dir.resolve('c.bin'))
    }

    def "downloads of a file and of a folder arrive whole and are checked against the machine's copy"() {
        given:
        randomFile('tree/big.bin', 5 * 1048576 + 123)
        randomFile('tree/sub/small.txt', 42)
        connect(sshd).withCloseable { it.upload(dir.resolve('tree'), "${remote}/tree") }
        LoopbackSshd.run(['ln', '-s', 'sub/small.txt', "${remote}/tree/link.txt".toString()])

        when:
        def (file, folder) = connect(sshd).withCloseable {
            [it.download("${remote}/tree/big.bin", dir.resolve('back/big.bin')),
             it.download("${remote}/tree", dir.resolve('back/tree'))]
        }

        then:
        file.hashed() && file.files() == 1 && file.bytes() == 5 * 1048576 + 123
        sha256(dir.resolve('back/big.bin')) == sha256(dir.resolve('tree/big.bin'))
        folder.hashed() && folder.files() == 3
        ['big.bin', 'sub/small.txt', 'link.txt'].every {
            Files.readAllBytes(dir.resolve('back/tree').resolve(it)) == Files.readAllBytes(Path.of(remote, 'tree', it))
        }
    }

    def "a download that does not match the machine's copy fails with both checksums"() {
        given: 'a machine whose sha256sum reports another sum than the bytes it serves'
        Path bin = Files.createDirectories(dir.resolve('fakebin'))
        Files.writeString(bin.resolve('sha256sum'), '#!/bin/sh\ncat > /dev/null; echo ' + '0' * 64 + '  -\n')
        bin.resolve('sha256sum').toFile().setExecutable(true, false)
        dir.toFile().setExecutable(true, false)
        LoopbackSshd lying = new LoopbackSshd('cat', "${bin}:/usr/bin:/bin")
        randomFile('d.txt', 64)
        connect(sshd).withCloseable { it.upload(dir.resolve('d.txt'), "${remote}/d.txt") }

        when:
        connect(lying).withCloseable { it.download("${remote}/d.txt", dir.resolve('got.txt')) }

        then:
        def e = thrown(TransferFailedException)
        e.message == "download of ${remote}/d.txt to ${dir.resolve('got.txt')}: the file arrived corrupted: " +
                "SHA-256 sent ${'0' * 64}, this host received ${sha256(dir.resolve('d.txt'))}"

        cleanup:
        lying?.close()
    }

    def "a machine that refuses an upload before reading it says why, not that a stream closed"() {
        given:
        randomFile('big.bin', 8 * 1048576)

        when:
        long started = System.nanoTime()
        connect(sshd).withCloseable { it.upload(dir.resolve('big.bin'), '/proc/ib-refused/big.bin') }

        then: 'at once, not after sshj waited out its 30 s for a window the machine would never open'
        def e = thrown(IOException)
        System.nanoTime() - started < 20_000_000_000L
        e.message.startsWith("upload of ${dir.resolve('big.bin')} to /proc/ib-refused/big.bin failed on the machine: " +
                'mkdir: cannot create directory')
    }

    def "a command that ends without reading all of its input ends with its own status, the connection intact"() {
        when:
        long started = System.nanoTime()
        def (result, after) = connect(sshd).withCloseable {
            [it.run(new RemoteCommand('exit 3', 'x' * (8 * 1048576), false), OutputListener.IGNORE), it.connected]
        }

        then: 'at once, not after sshj waited out its 30 s for a window the machine would never open'
        System.nanoTime() - started < 20_000_000_000L
        result.exitStatus() == 3
        !result.disconnected()
        after
    }
}
