package dev.checkpointguard.mirror;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The report of a repository's last sync, kept as {@code <git
 * dir>/checkpoint-guard/mirror-status.json} (the {@code --json} form of {@link MirrorReport}) so
 * that {@code check} can show what the mirror holds back without asking upstream. Written whole by
 * rename: a reader sees the previous report or the new one.
 */
public final class MirrorStatus {
  /** The file, relative to the git directory. */
  public static final String FILE = "checkpoint-guard/mirror-status.json";

  private MirrorStatus() {}

  static void write(Path gitDir, MirrorReport r) throws IOException {
    Path file = gitDir.resolve(FILE);
    Files.createDirectories(file.getParent());
    Path tmp = Files.createTempFile(file.getParent(), "mirror-status", ".tmp");
    try {
      Files.writeString(tmp, r.json(), StandardCharsets.UTF_8);
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
