package dev.checkpointguard.server;

import static dev.checkpointguard.server.ServerTestSupport.ok;
import static dev.checkpointguard.server.ServerTestSupport.ref;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.fixtures.GitCli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.eclipse.jgit.lib.ObjectId;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9, defects 1 and 2: what a receive killed at the wrong moment leaves in {@code
 * objects/pack/} ({@code pack-<id>.keep.lock}) must not make the same push fail forever, and the
 * pusher never sees a server path when a push cannot be stored.
 *
 * <p>JGit names a received pack after the objects in it, so the same commits pushed to two empty
 * repositories give the same pack name: the lock a killed receive left in the second is the one the
 * retry needs.
 */
class StaleReceiveLeftoversTest {
  @TempDir Path tmp;
  private Path repos;
  private GitCli git;
  private Path work;

  @BeforeEach
  void setUp() throws Exception {
    repos = Files.createDirectories(tmp.resolve("repos"));
    git = new GitCli(tmp.resolve("home"));
    work = tmp.resolve("w");
    ok(git.run(tmp, "init", "-q", "-b", "main", work.toString()));
    Files.writeString(work.resolve("a.txt"), "a\n");
    ok(git.run(work, "add", "a.txt"));
    ok(git.run(work, "commit", "-q", "-m", "first"));
  }

  private GuardedServer start() throws Exception {
    return GuardedServer.start(
        GuardedServer.Config.builder(repos).port(0).anonymousPush(true).build());
  }

  /** Pushes {@code main} to {@code first.git} and returns the name of the pack it received. */
  private String packName(GuardedServer s) throws Exception {
    Path first = ServerTestSupport.bareRepo(repos.resolve("first.git"));
    ok(
        git.run(
            work, "push", "-q", s.url().resolve("first.git").toString(), "main:refs/heads/main"));
    List<String> packs = packs(first);
    assertEquals(1, packs.size(), packs.toString());
    return packs.get(0);
  }

  private static List<String> packs(Path repo) throws Exception {
    try (Stream<Path> s = Files.list(repo.resolve("objects/pack"))) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".pack"))
          .map(n -> n.substring(0, n.length() - ".pack".length()))
          .sorted()
          .toList();
    }
  }

  /** A lock file as a receive killed between locking and committing the pack's .keep leaves it. */
  private static Path leftLock(Path repo, String pack, Instant modified) throws Exception {
    Path lock = Files.createDirectories(repo.resolve("objects/pack")).resolve(pack + ".keep.lock");
    Files.createFile(lock);
    Files.setLastModifiedTime(lock, FileTime.from(modified));
    return lock;
  }

  private ObjectId head() throws Exception {
    return ObjectId.fromString(ok(git.run(work, "rev-parse", "HEAD")).stdout().strip());
  }

  /** The lock of a receive killed before this server started does not block the retry. */
  @Test
  void theRetryAfterARestartSucceedsDespiteTheLockTheKilledReceiveLeft() throws Exception {
    String pack;
    Path second = ServerTestSupport.bareRepo(repos.resolve("second.git"));
    Path lock;
    try (GuardedServer before = start()) {
      pack = packName(before);
      // the kill: the receive into second.git died between creating the lock and committing it
      lock = leftLock(second, pack, Instant.now());
    }
    try (GuardedServer s = start()) {
      GitCli.Result r =
          git.run(work, "push", s.url().resolve("second.git").toString(), "main:refs/heads/main");
      assertEquals(0, r.exitCode(), r.toString());
      assertEquals(head(), ref(second, "refs/heads/main"));
      assertFalse(Files.exists(lock), "the stale lock was removed");
      assertEquals(List.of(pack), packs(second));
    }
  }

  /**
   * A lock older than any live receive holds one (JGit holds it while it writes one line) is
   * removed when a push meets it, while the server keeps running; a fresh one is left alone and the
   * push fails with a message that names no server path, then succeeds once the lock is old enough.
   */
  @Test
  void aRunningServerRemovesAnOldLockAndLeavesAFreshOneAlone() throws Exception {
    try (GuardedServer s = start()) {
      String pack = packName(s);
      Path old = ServerTestSupport.bareRepo(repos.resolve("old.git"));
      Path oldLock = leftLock(old, pack, Instant.now().minus(Duration.ofHours(1)));
      GitCli.Result r =
          git.run(work, "push", s.url().resolve("old.git").toString(), "main:refs/heads/main");
      assertEquals(0, r.exitCode(), r.toString());
      assertEquals(head(), ref(old, "refs/heads/main"));
      assertFalse(Files.exists(oldLock));

      // a lock that looks held right now (its time lies ahead, whatever the machine's load)
      Path fresh = ServerTestSupport.bareRepo(repos.resolve("fresh.git"));
      Path freshLock = leftLock(fresh, pack, Instant.now().plus(Duration.ofHours(1)));
      GitCli.Result refused =
          git.run(work, "push", s.url().resolve("fresh.git").toString(), "main:refs/heads/main");
      assertNotEquals(0, refused.exitCode());
      assertNull(ref(fresh, "refs/heads/main"));
      assertTrue(Files.exists(freshLock), "a lock that may be held is never removed");
      String seen = refused.stdout() + refused.stderr();
      assertTrue(
          seen.contains(
              "error: remote unpack failed: error the server could not store the pushed"
                  + " objects; try again"),
          seen);
      assertFalse(seen.contains(tmp.toString()), "a server path reached the pusher: " + seen);
      assertFalse(
          seen.contains("Exception") || seen.contains("\tat ") || seen.contains("Cannot lock"),
          seen);

      Files.setLastModifiedTime(
          freshLock, FileTime.from(Instant.now().minus(Duration.ofMinutes(1))));
      GitCli.Result retry =
          git.run(work, "push", s.url().resolve("fresh.git").toString(), "main:refs/heads/main");
      assertEquals(0, retry.exitCode(), retry.toString());
      assertEquals(head(), ref(fresh, "refs/heads/main"));
    }
  }
}
