package dev.checkpointguard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.eclipse.jgit.errors.LockFailedException;
import org.eclipse.jgit.errors.TooLargePackException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which leftovers of killed receives are stale (explicit times, no clock), and what pushers read.
 */
class PackLeftoversTest {
  @TempDir Path tmp;

  private static final Instant STARTED = Instant.parse("2026-06-01T12:00:00Z");
  private static final Instant NOW = STARTED.plus(Duration.ofHours(2));
  private static final String A = "pack-" + "a".repeat(40);
  private static final String B = "pack-" + "b".repeat(40);
  private static final String C = "pack-" + "c".repeat(40);

  private Path file(Path dir, String name, String content, Instant modified) throws Exception {
    Path f = Files.createDirectories(dir).resolve(name);
    Files.writeString(f, content, StandardCharsets.UTF_8);
    Files.setLastModifiedTime(f, FileTime.from(modified));
    return f;
  }

  @Test
  void removesOnlyWhatNoLiveReceiveCanHold() throws Exception {
    Path objects = tmp.resolve("objects");
    Path pack = objects.resolve("pack");
    // .keep.lock: before this server started, or older than the lock threshold: stale
    Path beforeStart = file(pack, A + ".keep.lock", "", STARTED.minusSeconds(1));
    Path oldLock = file(pack, B + ".keep.lock", "", NOW.minus(PackLeftovers.LOCK_STALE_AFTER));
    // a lock taken since this server started and younger than the threshold: may be held, kept
    Path young = file(pack, C + ".keep.lock", "jgit receive-pack", NOW.minusSeconds(1));
    // .keep files: JGit receive-pack's after an hour; C git's or an administrator's never
    Path jgitKeep =
        file(
            pack,
            A + ".keep",
            "jgit receive-pack from a <a@b> 1 +0000\n",
            NOW.minus(PackLeftovers.STALE_AFTER));
    Path jgitKeepYoung =
        file(pack, B + ".keep", "jgit receive-pack from a <a@b> 1 +0000\n", NOW.minusSeconds(60));
    Path gitKeep =
        file(pack, C + ".keep", "receive-pack 4242 on host\n", NOW.minus(Duration.ofDays(9)));
    // temporary packs: after an hour without a write
    Path incoming =
        file(objects, "incoming_123456789.pack", "PACK", NOW.minus(PackLeftovers.STALE_AFTER));
    Path incomingIdx = file(objects, "incoming_123456789.idx", "", NOW.minus(Duration.ofDays(1)));
    Path streaming = file(objects, "incoming_42.pack", "PACK", NOW.minusSeconds(5));
    // what is not a leftover is never touched, however old
    Path packFile = file(pack, A + ".pack", "PACK", NOW.minus(Duration.ofDays(30)));
    Path other = file(pack, "pack-notahash.keep.lock", "", NOW.minus(Duration.ofDays(30)));

    List<Path> removed = PackLeftovers.clean(objects, STARTED, NOW);

    assertEquals(
        List.of(beforeStart, oldLock, jgitKeep, incoming, incomingIdx).stream().sorted().toList(),
        removed.stream().sorted().toList());
    for (Path kept : List.of(young, jgitKeepYoung, gitKeep, streaming, packFile, other)) {
      assertTrue(Files.exists(kept), kept + " was removed");
    }
    assertEquals(
        List.of(), PackLeftovers.clean(objects, STARTED, NOW), "a second pass finds nothing");
    assertEquals(List.of(), PackLeftovers.clean(tmp.resolve("missing"), STARTED, NOW));
  }

  @Test
  void symbolicLinksAreNeverFollowedOrRemoved() throws Exception {
    Path pack = Files.createDirectories(tmp.resolve("objects/pack"));
    Path target = file(tmp, "precious", "x", NOW.minus(Duration.ofDays(9)));
    Path link = Files.createSymbolicLink(pack.resolve(A + ".keep.lock"), target);
    assertEquals(List.of(), PackLeftovers.clean(tmp.resolve("objects"), NOW, NOW));
    assertTrue(Files.isSymbolicLink(link));
    assertTrue(Files.exists(target));
  }

  /** Issue 9, defect 2: what the pusher reads never names a server path or an exception class. */
  @Test
  void pushersReadJGitsTextAboutThePushButNeverAServerPath() {
    assertEquals(
        "Pack exceeds the limit of 4,096 bytes, rejecting the pack",
        UnpackErrors.forPusher(new TooLargePackException(4096)));
    assertEquals(
        UnpackErrors.STORE_FAILED,
        UnpackErrors.forPusher(
            new LockFailedException(
                new java.io.File("/srv/git/x.git/objects/pack/p.pack"),
                "Cannot lock pack in" + " /srv/git/x.git/objects/pack/p.pack")));
    assertEquals(
        UnpackErrors.STORE_FAILED,
        UnpackErrors.forPusher(
            new java.io.IOException(
                "Cannot move pack to /srv/git/x.git/objects/pack/pack-1.pack",
                new java.nio.file.AccessDeniedException("/srv/git/x.git/objects/pack"))));
    assertEquals(
        UnpackErrors.STORE_FAILED,
        UnpackErrors.forPusher(
            new java.io.IOException("Creating directories for '/srv/x' failed")));
    assertEquals(UnpackErrors.STORE_FAILED, UnpackErrors.forPusher(new NullPointerException()));
    assertFalse(
        UnpackErrors.forPusher(new java.io.IOException("bad\u001b[2J\nline")).contains("\u001b"));
    assertEquals(
        "Missing commit 0123",
        UnpackErrors.forPusher(new java.io.IOException("Missing commit 0123")));
  }
}
