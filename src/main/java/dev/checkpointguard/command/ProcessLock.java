package dev.checkpointguard.command;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock across processes and threads: an operating-system lock on a file. The kernel
 * drops it when the process dies, so a killed command never leaves a stale lock behind and a rerun
 * can always proceed. Used by the commands that write a repository's refs (repair, restore, a
 * mirror's sync), each on its own file.
 */
public final class ProcessLock implements AutoCloseable {
  private final FileChannel channel;
  private final FileLock lock;

  private ProcessLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * The lock on {@code file} (created, with its folder, when missing), or null at once when another
   * process or thread holds it; never waits.
   */
  public static ProcessLock tryAcquire(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock l;
    try {
      l = ch.tryLock();
    } catch (OverlappingFileLockException e) {
      l = null; // this JVM already holds it (another thread)
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
    if (l == null) {
      ch.close();
      return null;
    }
    return new ProcessLock(ch, l);
  }

  @Override
  public void close() throws IOException {
    if (!channel.isOpen()) {
      return;
    }
    try {
      lock.release();
    } finally {
      channel.close();
    }
  }
}
