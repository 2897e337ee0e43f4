package dev.checkpointguard.admin;

import dev.checkpointguard.command.UsageException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.eclipse.jgit.lib.Repository;

/**
 * An exclusive lock on a repository for {@code repair} and {@code restore}: an OS file lock on
 * {@code <git dir>/checkpoint-guard.lock}. The operating system drops it when the process dies, so
 * a killed repair never leaves a stale lock behind and a rerun can always proceed.
 */
final class RepoLock implements AutoCloseable {
  static final String FILE = "checkpoint-guard.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private RepoLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** Takes the lock or fails at once (never waits) with a usage error naming the lock file. */
  static RepoLock acquire(Repository repo) throws IOException, UsageException {
    Path file = repo.getDirectory().toPath().resolve(FILE);
    FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock l;
    try {
      l = ch.tryLock();
    } catch (OverlappingFileLockException e) {
      l = null;
    }
    if (l == null) {
      ch.close();
      throw new UsageException(
          "another checkpoint-guard repair or restore is running on this repository"
              + " (lock held on "
              + file
              + ")");
    }
    return new RepoLock(ch, l);
  }

  @Override
  public void close() throws IOException {
    try {
      lock.release();
    } finally {
      channel.close();
    }
  }
}
