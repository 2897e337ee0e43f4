package dev.checkpointguard.mirror;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One sync of a repository at a time, across processes and threads: an OS lock on {@code <git
 * dir>/checkpoint-guard/mirror.lock}. The kernel drops it when the process dies, so a killed sync
 * never blocks the next one.
 */
final class MirrorLock implements AutoCloseable {
  static final String FILE = "checkpoint-guard/mirror.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private MirrorLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** The lock, or null at once when another sync of this repository holds it. */
  static MirrorLock tryAcquire(Path gitDir) throws IOException {
    Path file = gitDir.resolve(FILE);
    Files.createDirectories(file.getParent());
    FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock l;
    try {
      l = ch.tryLock();
    } catch (OverlappingFileLockException e) {
      l = null; // this JVM already holds it (another thread's sync)
    }
    if (l == null) {
      ch.close();
      return null;
    }
    return new MirrorLock(ch, l);
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
