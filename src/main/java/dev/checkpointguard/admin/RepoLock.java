package dev.checkpointguard.admin;

import dev.checkpointguard.command.ProcessLock;
import dev.checkpointguard.command.UsageException;
import java.io.IOException;
import java.nio.file.Path;
import org.eclipse.jgit.lib.Repository;

/**
 * The exclusive lock of {@code repair} and {@code restore} on a repository: {@code <git
 * dir>/checkpoint-guard.lock} (see {@link ProcessLock}).
 */
final class RepoLock {
  static final String FILE = "checkpoint-guard.lock";

  private RepoLock() {}

  /** Takes the lock or fails at once (never waits) with a usage error naming the lock file. */
  static ProcessLock acquire(Repository repo) throws IOException, UsageException {
    Path file = repo.getDirectory().toPath().resolve(FILE);
    ProcessLock lock = ProcessLock.tryAcquire(file);
    if (lock == null) {
      throw new UsageException(
          "another checkpoint-guard repair or restore is running on this repository"
              + " (lock held on "
              + file
              + ")");
    }
    return lock;
  }
}
