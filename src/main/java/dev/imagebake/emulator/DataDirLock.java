package dev.imagebake.emulator;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An emulator's hold on its data folder: an OS lock on {@code DATA/emulator.lock}, which names the holder's process.
 * The OS drops it when the process ends, however it ends, so a killed emulator never blocks the next one.
 */
final class DataDirLock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static DataDirLock acquire(DataDir dir) throws IOException {
        Path file = dir.root().resolve("emulator.lock");
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            String holder = Files.readString(file, StandardCharsets.UTF_8).strip();
            channel.close();
            throw new DataDirInUseException("another emulator uses the data folder " + dir.root()
                    + (holder.isEmpty() ? "" : " (" + holder + ")") + "; stop it first, or give another --data");
        }
        channel.truncate(0);
        channel.write(java.nio.ByteBuffer.wrap(("process " + ProcessHandle.current().pid()).getBytes(
                StandardCharsets.UTF_8)));
        channel.force(false);
        return new DataDirLock(channel, lock);
    }

    @Override
    public void close() throws IOException {
        if (channel.isOpen()) {
            lock.release();
            channel.close();
        }
    }
}
