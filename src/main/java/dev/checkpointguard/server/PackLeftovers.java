package dev.checkpointguard.server;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Removes what a JGit receive killed at the wrong moment leaves in a repository's object folder, so
 * that it never blocks a later push (issue 9, defect 1).
 *
 * <p>JGit names a received pack after the objects in it, so the retry of a push makes the same
 * name. It first creates {@code objects/pack/pack-<id>.keep.lock}, writes one line into it and
 * renames it to {@code pack-<id>.keep}; a receive killed between the two leaves the {@code .lock},
 * and every later receive of the same objects then fails with "Cannot lock pack", restarts
 * included. Other leftovers only waste space: a {@code .keep} whose push died before its refs moved
 * (it pins the pack against gc), and the {@code incoming_*} files a receive streams the pack into.
 *
 * <p>When a leftover is stale:
 *
 * <ul>
 *   <li>{@code pack-<id>.keep.lock}: last modified before this server started, or at least {@link
 *       #LOCK_STALE_AFTER} ago. A live receive holds it only while it writes one line, and a
 *       receive of this process cannot have made one before the process started. Should a receive
 *       of another process still hold a removed lock, its rename fails and that one push is refused
 *       cleanly; nothing is lost.
 *   <li>{@code pack-<id>.keep} written by JGit's receive-pack (its line starts with {@value
 *       #JGIT_KEEP}), and {@code objects/incoming_*.pack}/{@code .idx}: not modified for {@link
 *       #STALE_AFTER}. A live receive keeps writing the temporary pack and releases its {@code
 *       .keep} once its refs moved; a {@code .keep} that C git or an administrator wrote is never
 *       touched.
 * </ul>
 */
final class PackLeftovers {
  static final Duration LOCK_STALE_AFTER = Duration.ofSeconds(10);
  static final Duration STALE_AFTER = Duration.ofHours(1);

  /** How JGit's ReceivePack starts the line of the {@code .keep} file it writes. */
  static final String JGIT_KEEP = "jgit receive-pack";

  private static final Pattern PACK_LOCK = Pattern.compile("pack-[0-9a-f]{40,64}\\.keep\\.lock");
  private static final Pattern PACK_KEEP = Pattern.compile("pack-[0-9a-f]{40,64}\\.keep");
  private static final Pattern INCOMING = Pattern.compile("incoming_[0-9]+\\.[a-z_]+");

  private PackLeftovers() {}

  /**
   * Removes the stale leftovers of {@code objectsDir} (a repository's {@code objects} folder).
   *
   * @param startedAt when this server started
   * @param now the current time
   * @return the files removed
   * @throws IOException if a folder cannot be listed or a stale file cannot be removed
   */
  static List<Path> clean(Path objectsDir, Instant startedAt, Instant now) throws IOException {
    List<Path> removed = new ArrayList<>();
    Path packDir = objectsDir.resolve("pack");
    if (Files.isDirectory(packDir, LinkOption.NOFOLLOW_LINKS)) {
      try (DirectoryStream<Path> s = Files.newDirectoryStream(packDir, "pack-*.keep*")) {
        for (Path f : s) {
          String name = f.getFileName().toString();
          Instant modified = modified(f);
          if (modified == null) {
            continue;
          }
          boolean stale =
              PACK_LOCK.matcher(name).matches()
                  ? modified.isBefore(startedAt) || !modified.isAfter(now.minus(LOCK_STALE_AFTER))
                  : PACK_KEEP.matcher(name).matches()
                      && !modified.isAfter(now.minus(STALE_AFTER))
                      && writtenByJGitReceive(f);
          if (stale && delete(f)) {
            removed.add(f);
          }
        }
      }
    }
    if (Files.isDirectory(objectsDir, LinkOption.NOFOLLOW_LINKS)) {
      try (DirectoryStream<Path> s = Files.newDirectoryStream(objectsDir, "incoming_*")) {
        for (Path f : s) {
          Instant modified = modified(f);
          if (modified != null
              && INCOMING.matcher(f.getFileName().toString()).matches()
              && !modified.isAfter(now.minus(STALE_AFTER))
              && delete(f)) {
            removed.add(f);
          }
        }
      }
    }
    return removed;
  }

  /** The last modification of a regular file (not a link), or null when it is none or is gone. */
  private static Instant modified(Path f) throws IOException {
    try {
      var a =
          Files.readAttributes(
              f, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      return a.isRegularFile() ? a.lastModifiedTime().toInstant() : null;
    } catch (NoSuchFileException e) {
      return null; // its receive finished meanwhile
    }
  }

  private static boolean writtenByJGitReceive(Path keep) throws IOException {
    byte[] head = new byte[JGIT_KEEP.length()];
    try (InputStream in = Files.newInputStream(keep, LinkOption.NOFOLLOW_LINKS)) {
      return in.readNBytes(head, 0, head.length) == head.length
          && new String(head, StandardCharsets.UTF_8).equals(JGIT_KEEP);
    } catch (NoSuchFileException e) {
      return false;
    }
  }

  private static boolean delete(Path f) throws IOException {
    return Files.deleteIfExists(f);
  }
}
