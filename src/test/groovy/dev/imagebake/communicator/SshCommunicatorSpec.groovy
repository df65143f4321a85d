package dev.imagebake.communicator

import org.apache.sshd.core.CoreModuleProperties
import org.apache.sshd.server.Environment
import org.apache.sshd.server.ExitCallback
import org.apache.sshd.server.SshServer
import org.apache.sshd.server.channel.ChannelSession
import org.apache.sshd.server.channel.ChannelSessionAware
import org.apache.sshd.server.command.Command
import org.apache.sshd.server.command.CommandFactory
import org.apache.sshd.server.auth.pubkey.AcceptAllPublickeyAuthenticator
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider
import org.apache.sshd.server.shell.ProcessShellCommandFactory
import spock.lang.AutoCleanup
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.security.KeyPairGenerator
import java.time.Duration

/**
 * Fast specs of the SSH communicator against an in-process server (Apache MINA SSHD) that runs commands with
 * this host's /bin/sh. The same behaviour is proven against a real OpenSSH sshd by SshBuildSpec.
 */
class SshCommunicatorSpec extends Specification {
    @Shared
    @AutoCleanup('stop')
    SshServer server = startServer()

    @TempDir
    Path dir

    static SshServer startServer() {
        SshServer server = SshServer.setUpDefaultServer()
        server.host = '127.0.0.1'
        server.port = 0
        server.keyPairProvider = new SimpleGeneratorHostKeyProvider()
        server.publickeyAuthenticator = AcceptAllPublickeyAuthenticator.INSTANCE
        server.commandFactory = ProcessShellCommandFactory.INSTANCE
        server.start()
        server
    }

    SshCommunicator connect(List<String> hostKeys = []) {
        connectTo(server.port, hostKeys)
    }

    static SshCommunicator connectTo(int port, List<String> hostKeys = []) {
        def pair = KeyPairGenerator.getInstance('Ed25519').generateKeyPair()
        SshCommunicator.connect(new SshEndpoint('127.0.0.1', port, 'tester', null, pair, null, false,
                hostKeys, null, hostKeys.isEmpty(), null), Duration.ofSeconds(10), {})
    }

    def "runs a command with an in-memory key, streaming stdout and stderr, and returns its exit status"() {
        given:
        def lines = []

        when:
        def result = connect().withCloseable {
            // (MINA drops what a process writes right before it exits: a short pause keeps the spec about the client)
            it.run(RemoteCommand.of('echo err >&2; echo out; sleep 0.3; exit 5'), { s, l -> lines << "${s}:${l}".toString() })
        }

        then:
        result.exitStatus() == 5
        !result.disconnected()
        lines.sort() == ['STDERR:err', 'STDOUT:out']
    }

    def "stdin reaches the command, and quoted values stay literal"() {
        given:
        def lines = []
        String script = "V=${ShellQuoting.quote('a \'quoted\' $HOME; `x`\nline')}\n" + 'printf "%s|" "$V"; echo\n'

        when:
        connect().withCloseable { it.run(new RemoteCommand('sh -s', script, false), { s, l -> lines << l }) }

        then:
        lines == ['a \'quoted\' $HOME; `x`', 'line|']
    }

    def "uploads content, a file and a folder with its modes, and downloads a file"() {
        given:
        Path source = Files.createDirectories(dir.resolve('src/sub'))
        Files.writeString(source.resolve('run.sh'), '#!/bin/sh\necho ok\n')
        source.resolve('run.sh').toFile().setExecutable(true)
        Files.writeString(dir.resolve('one.txt'), 'one')
        Path target = dir.resolve('remote')

        when:
        connect().withCloseable {
            it.upload('hello'.bytes, target.resolve('a/content.txt').toString(), 0600)
            it.upload(dir.resolve('one.txt'), target.resolve('one.txt').toString())
            it.upload(dir.resolve('src'), target.resolve('tree').toString())
        }

        then:
        Files.readString(target.resolve('a/content.txt')) == 'hello'
        Files.readString(target.resolve('one.txt')) == 'one'
        Files.isExecutable(target.resolve('tree/sub/run.sh'))
        Files.readString(target.resolve('tree/sub/run.sh')).contains('echo ok')
    }

    def "an upload whose last packet waits for a full SSH window still arrives whole"() {
        given: 'a server whose 64 KiB window is filled before it reads anything, and which reads only after EOF or 2 s'
        SshServer slow = SshServer.setUpDefaultServer()
        slow.host = '127.0.0.1'
        slow.port = 0
        slow.keyPairProvider = new SimpleGeneratorHostKeyProvider()
        slow.publickeyAuthenticator = AcceptAllPublickeyAuthenticator.INSTANCE
        CoreModuleProperties.WINDOW_SIZE.set(slow, 65536L)
        CoreModuleProperties.MAX_PACKET_SIZE.set(slow, 32768L)
        slow.commandFactory = { channel, command -> new ReadsWhenWindowIsFull() } as CommandFactory
        slow.start()
        Files.write(dir.resolve('three-packets.bin'), new byte[98304].tap { new Random(3).nextBytes(it) })

        when: 'two packets fill the window; the third is still buffered when the upload ends'
        Transfer transfer = connectTo(slow.port).withCloseable {
            it.upload(dir.resolve('three-packets.bin'), '/ignored/three-packets.bin')
        }

        then:
        transfer.bytes() == 98304
        transfer.hashed()

        cleanup:
        slow.stop()
    }

    def "a command that ends without reading its input ends the send at once, not after sshj's 30 s window wait"() {
        given: 'a server with a 64 KiB window whose command exits with status 3 at once, reading nothing'
        SshServer quitter = SshServer.setUpDefaultServer()
        quitter.host = '127.0.0.1'
        quitter.port = 0
        quitter.keyPairProvider = new SimpleGeneratorHostKeyProvider()
        quitter.publickeyAuthenticator = AcceptAllPublickeyAuthenticator.INSTANCE
        CoreModuleProperties.WINDOW_SIZE.set(quitter, 65536L)
        quitter.commandFactory = { channel, command -> new ExitsAtOnce() } as CommandFactory
        quitter.start()

        when:
        long started = System.nanoTime()
        def (result, connected) = connectTo(quitter.port).withCloseable {
            [it.run(new RemoteCommand('ignored', 'x' * 1048576, false), OutputListener.IGNORE), it.connected]
        }

        then:
        result.exitStatus() == 3
        !result.disconnected()
        connected
        System.nanoTime() - started < 20_000_000_000L

        cleanup:
        quitter.stop()
    }

    static class ExitsAtOnce implements Command {
        ExitCallback exit

        void setInputStream(InputStream in) {}

        void setOutputStream(OutputStream out) {}

        void setErrorStream(OutputStream err) {}

        void setExitCallback(ExitCallback callback) { exit = callback }

        void start(ChannelSession session, Environment env) { Thread.start { exit.onExit(3) } }

        void destroy(ChannelSession session) {}
    }

    /** Reads its input only once its window is used up and then EOF arrived (or 2 s passed), then reports it. */
    static class ReadsWhenWindowIsFull implements Command, ChannelSessionAware {
        InputStream input
        OutputStream output
        ExitCallback exit
        ChannelSession channel

        void setInputStream(InputStream in) { input = in }

        void setOutputStream(OutputStream out) { output = out }

        void setErrorStream(OutputStream err) {}

        void setExitCallback(ExitCallback callback) { exit = callback }

        void setChannelSession(ChannelSession session) { channel = session }

        void start(ChannelSession session, Environment env) {
            Thread.start {
                long deadline = System.nanoTime() + 20_000_000_000L
                while (channel.localWindow.size > 0 && System.nanoTime() < deadline) {
                    Thread.onSpinWait()
                }
                long eofDeadline = System.nanoTime() + 2_000_000_000L
                while (!channel.eofSignalled && System.nanoTime() < eofDeadline) {
                    Thread.onSpinWait()
                }
                byte[] received = input.readAllBytes()
                String sum = java.security.MessageDigest.getInstance('SHA-256').digest(received).encodeHex()
                output.write("${received.length}\n${sum}  -\n".getBytes('UTF-8'))
                output.flush()
                exit.onExit(0)
            }
        }

        void destroy(ChannelSession session) {}
    }

    def "interrupting ends the remote process group, not only the channel"() {
        given:
        Path marker = dir.resolve('still-running')
        def communicator = connect()
        def finished = null
        Thread runner = Thread.start {
            finished = communicator.run(RemoteCommand.of("sleep 3; touch ${marker}"), OutputListener.IGNORE)
        }

        when:
        Thread.sleep(500)
        communicator.interruptCommands()
        runner.join(10_000)
        Thread.sleep(3_500)

        then:
        !runner.alive
        finished != null
        !Files.exists(marker)

        cleanup:
        communicator.close()
    }

    def "a host key other than the expected one is refused at once"() {
        when:
        connect(['SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'])

        then:
        def e = thrown(ConnectionFailedException)
        !e.retryable()
        e.message.contains('is not the expected one: refusing to connect (expected SHA256:AAAA')
        e.message.contains(', got SHA256:')
    }
}
