package dev.checkpointguard.mirror;

import dev.checkpointguard.command.ProcessLock;
import java.io.IOException;
import java.nio.file.Path;

/**
 * One sync of a repository at a time, across processes and threads: {@code <git
 * dir>/checkpoint-guard/mirror.lock} (see {@link ProcessLock}).
 */
final class MirrorLock {
  static final String FILE = "checkpoint-guard/mirror.lock";

  private MirrorLock() {}

  /** The lock, or null at once when another sync of this repository holds it. */
  static ProcessLock tryAcquire(Path gitDir) throws IOException {
    return ProcessLock.tryAcquire(gitDir.resolve(FILE));
  }
}
