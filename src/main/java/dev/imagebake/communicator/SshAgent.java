package dev.imagebake.communicator;

import net.schmizz.sshj.common.Buffer;
import net.schmizz.sshj.common.KeyType;
import net.schmizz.sshj.common.SSHPacket;
import net.schmizz.sshj.userauth.UserAuthException;
import net.schmizz.sshj.userauth.keyprovider.KeyProvider;
import net.schmizz.sshj.userauth.method.AuthMethod;
import net.schmizz.sshj.userauth.method.AuthPublickey;

import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;

/**
 * A client of the running ssh-agent (the socket in SSH_AUTH_SOCK), speaking the agent protocol: list the keys,
 * and have the agent sign the login request, so that the private key never leaves the agent.
 */
final class SshAgent implements Closeable {
    private static final byte REQUEST_IDENTITIES = 11;
    private static final byte IDENTITIES_ANSWER = 12;
    private static final byte SIGN_REQUEST = 13;
    private static final byte SIGN_RESPONSE = 14;
    private static final int RSA_SHA2_256 = 2;
    private static final int RSA_SHA2_512 = 4;

    private final SocketChannel channel;

    private SshAgent(SocketChannel channel) {
        this.channel = channel;
    }

    static SshAgent connect(String socket) throws IOException {
        if (socket == null || socket.isBlank()) {
            throw new UserAuthException("agent true needs a running ssh-agent, but SSH_AUTH_SOCK is not set");
        }
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            channel.close();
            throw new UserAuthException("cannot reach the ssh-agent at " + socket + ": "
                    + dev.imagebake.util.IoErrors.reason(e));
        }
        return new SshAgent(channel);
    }

    /** One login method per key the agent holds. */
    List<AuthMethod> authMethods() throws IOException {
        Buffer.PlainBuffer answer = request(new byte[] {REQUEST_IDENTITIES}, IDENTITIES_ANSWER);
        long count = answer.readUInt32();
        List<AuthMethod> methods = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            byte[] blob = answer.readBytes();
            answer.readString(); // the key's comment
            PublicKey key = new Buffer.PlainBuffer(blob).readPublicKey();
            methods.add(new AgentPublickey(this, blob, key));
        }
        if (methods.isEmpty()) {
            throw new UserAuthException("the ssh-agent holds no keys (add one with ssh-add)");
        }
        return methods;
    }

    byte[] sign(byte[] keyBlob, byte[] data, int flags) throws IOException {
        Buffer.PlainBuffer message = new Buffer.PlainBuffer();
        message.putByte(SIGN_REQUEST).putBytes(keyBlob).putBytes(data).putUInt32(flags);
        return request(message.getCompactData(), SIGN_RESPONSE).readBytes();
    }

    private synchronized Buffer.PlainBuffer request(byte[] body, byte expected) throws IOException {
        ByteBuffer out = ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body);
        out.flip();
        while (out.hasRemaining()) {
            channel.write(out);
        }
        ByteBuffer length = read(4);
        ByteBuffer reply = read(length.getInt());
        byte type = reply.get();
        if (type != expected) {
            throw new UserAuthException("the ssh-agent refused the request (answer " + type + ")");
        }
        byte[] rest = new byte[reply.remaining()];
        reply.get(rest);
        return new Buffer.PlainBuffer(rest);
    }

    private ByteBuffer read(int size) throws IOException {
        if (size < 0 || size > 1 << 20) {
            throw new IOException("the ssh-agent sent a malformed answer");
        }
        ByteBuffer in = ByteBuffer.allocate(size);
        while (in.hasRemaining()) {
            if (channel.read(in) < 0) {
                throw new IOException("the ssh-agent closed the connection");
            }
        }
        in.flip();
        return in;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /** Public key authentication whose signature comes from the agent. */
    private static final class AgentPublickey extends AuthPublickey {
        private final SshAgent agent;
        private final byte[] blob;

        AgentPublickey(SshAgent agent, byte[] blob, PublicKey key) {
            super(new KeyProvider() {
                @Override
                public PrivateKey getPrivate() throws IOException {
                    throw new IOException("the private key stays in the ssh-agent");
                }

                @Override
                public PublicKey getPublic() {
                    return key;
                }

                @Override
                public KeyType getType() {
                    return KeyType.fromKey(key);
                }
            });
            this.agent = agent;
            this.blob = blob;
        }

        @Override
        protected SSHPacket putSig(SSHPacket request) throws UserAuthException {
            byte[] signed = new Buffer.PlainBuffer().putString(params.getTransport().getSessionID())
                    .putBuffer(request).getCompactData();
            try {
                request.putBytes(agent.sign(blob, signed, flags(request)));
            } catch (IOException e) {
                throw new UserAuthException("the ssh-agent did not sign the login: "
                        + dev.imagebake.util.IoErrors.reason(e), e);
            }
            return request;
        }

        /** RSA keys sign with SHA-2 when the request names rsa-sha2-256 or -512 as its algorithm. */
        private static int flags(SSHPacket request) {
            try {
                Buffer.PlainBuffer copy = new Buffer.PlainBuffer(request.getCompactData());
                copy.readByte();
                copy.readString();
                copy.readString();
                copy.readString();
                copy.readBoolean();
                String algorithm = copy.readString(StandardCharsets.US_ASCII);
                return algorithm.equals("rsa-sha2-256") ? RSA_SHA2_256
                        : algorithm.equals("rsa-sha2-512") ? RSA_SHA2_512 : 0;
            } catch (Buffer.BufferException e) {
                return 0;
            }
        }
    }
}
