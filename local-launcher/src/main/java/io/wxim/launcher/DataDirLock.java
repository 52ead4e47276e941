package io.wxim.launcher;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * One launcher per data directory: an exclusive lock on {@code <data>/launcher.lock}, held while the JVM runs and
 * released by the operating system however it ends (also {@code kill -9}). A second launcher on the same directory
 * would start a second redis-server on the same AOF and open the same store file; it stops with a clear message
 * instead. Holding the lock also tells the launcher that a redis-server named by the directory's pidfile was left by a
 * launcher that is gone ({@link LeftOverRedis}).
 */
final class DataDirLock {
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the lock (never waits); fails with the holder's process id when another launcher holds it. Empty, with a
     * warning, where the file system has no locks (some network and shared-folder mounts): the launcher then runs
     * without this check, as it did before there was one.
     */
    static Optional<DataDirLock> acquire(Path data) throws IOException {
        Path file = data.resolve("launcher.lock");
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) { // held by this JVM already
            lock = null;
        } catch (IOException e) {
            channel.close();
            System.err.printf("warning: cannot lock %s (%s): not checking for another launcher on this directory, nor "
                    + "stopping a redis-server a killed one left running%n", file, e.getMessage());
            return Optional.empty();
        }
        if (lock == null) {
            String holder = Files.readString(file, StandardCharsets.US_ASCII).strip();
            channel.close();
            throw new IOException("another wxim launcher (pid " + (holder.isEmpty() ? "unknown" : holder)
                    + ") is using " + data + ": stop it first, or set WXIM_DATA to another directory");
        }
        channel.truncate(0);
        channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
        channel.force(false);
        return Optional.of(new DataDirLock(channel, lock));
    }

    /** Releases the lock (the JVM's exit does too). */
    void release() throws IOException {
        lock.release();
        channel.close();
    }
}
