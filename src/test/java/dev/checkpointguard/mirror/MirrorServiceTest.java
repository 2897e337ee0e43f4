package dev.checkpointguard.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.FastTempDir;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.eclipse.jgit.lib.ObjectId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The periodic syncs of {@code serve --mirrors} on virtual time ({@link ManualScheduler}): jittered
 * starts, intervals, backoff while upstream fails, one log line per sync, never two syncs of one
 * repository at once, and a stop that leaves a running sync's repository whole.
 */
class MirrorServiceTest {
  @TempDir(factory = FastTempDir.class)
  Path tmp;

  private final List<String> logged = Collections.synchronizedList(new ArrayList<>());

  /** The sync lines of the log (without the "created the empty bare repository" lines). */
  private final List<String> lines =
      new java.util.AbstractList<>() {
        @Override
        public String get(int i) {
          return syncLines().get(i);
        }

        @Override
        public int size() {
          return syncLines().size();
        }
      };

  private List<String> syncLines() {
    synchronized (logged) {
      return logged.stream().filter(l -> l.contains(" from ")).toList();
    }
  }

  private final List<SyncOutcome> outcomes = Collections.synchronizedList(new ArrayList<>());

  private MirrorsFile.Entry entry(String name, String from, Duration interval) throws Exception {
    return new MirrorsFile.Entry(name, Upstream.parse(from), interval, 1);
  }

  private MirrorService start(
      Path repos,
      List<MirrorsFile.Entry> entries,
      SyncScheduler s,
      MirrorService.Options o,
      MirrorSync.Listener steps)
      throws Exception {
    return MirrorService.start(
        repos,
        entries,
        new MirrorWorld(tmp.resolve("w" + logged.size()), 5).git.environment(),
        outcomes::add,
        s,
        new Random(42),
        Clock.systemUTC(),
        logged::add,
        o,
        steps);
  }

  @Test
  void firstSyncsAreJitteredThenEachRepositoryFollowsItsInterval() throws Exception {
    MirrorWorld w = new MirrorWorld(tmp.resolve("world"), 5);
    ClientRepo c = w.client(ClientVersion.V0_6_2);
    c.checkpoints(3);
    w.push(c);
    Path repos = Files.createDirectories(tmp.resolve("repos"));
    ManualScheduler s = new ManualScheduler();
    try (MirrorService svc =
        start(
            repos,
            List.of(
                entry("a.git", w.from, Duration.ofMinutes(10)),
                entry("b.git", w.from, Duration.ofMinutes(10))),
            s,
            MirrorService.Options.DEFAULTS,
            MirrorSync.Listener.NONE)) {
      assertEquals(2, s.delays.size());
      for (Duration d : s.delays) {
        assertTrue(d.compareTo(Duration.ofSeconds(30)) < 0, d.toString());
      }
      assertNotEquals(s.delays.get(0), s.delays.get(1));
      assertTrue(Files.isDirectory(repos.resolve("a.git").resolve("objects")), "created empty");
      s.advance(Duration.ofSeconds(30));
      assertEquals(2, outcomes.size(), lines.toString());
      for (SyncOutcome o : outcomes) {
        assertEquals(SyncOutcome.Result.UPDATED, o.result(), lines.toString());
        assertTrue(
            o.next().compareTo(Duration.ofMinutes(9)) >= 0
                && o.next().compareTo(Duration.ofMinutes(11)) <= 0,
            o.next().toString());
      }
      assertEquals(MirrorWorld.mirrored(w.upstream), MirrorWorld.mirrored(repos.resolve("a.git")));
      assertEquals(2, lines.size());
      assertTrue(
          lines
              .get(0)
              .matches(
                  "mirror [ab]\\.git from "
                      + w.from
                      + ": updated 2 refs; \\d+ ms; next sync in"
                      + " (9|10|11)m"),
          lines.get(0));
      s.advance(Duration.ofSeconds(30));
      assertEquals(2, outcomes.size(), "nothing due before an interval");
      s.advance(Duration.ofMinutes(11));
      assertEquals(4, outcomes.size());
      assertEquals(SyncOutcome.Result.UP_TO_DATE, outcomes.get(3).result());
      assertTrue(lines.get(3).contains(": up to date; "), lines.get(3));
      assertEquals(2, s.pending(), "each repository has exactly one next sync");
    }
  }

  @Test
  void whileUpstreamFailsTheDelayDoublesUpToTheCapAndASuccessResetsIt() throws Exception {
    MirrorWorld w = new MirrorWorld(tmp.resolve("world"), 5);
    Path repos = Files.createDirectories(tmp.resolve("repos"));
    Path missing = tmp.resolve("later.git");
    ManualScheduler s = new ManualScheduler();
    MirrorService.Options noJitter =
        new MirrorService.Options(
            Duration.ofSeconds(1), 0, Duration.ofHours(1), Duration.ofSeconds(5), 30);
    try (MirrorService svc =
        start(
            repos,
            List.of(entry("a.git", missing.toString(), Duration.ofMinutes(10))),
            s,
            noJitter,
            MirrorSync.Listener.NONE)) {
      s.advance(Duration.ofSeconds(1));
      for (int i = 0; i < 4; i++) {
        s.advance(s.delays.get(s.delays.size() - 1));
      }
      assertEquals(5, outcomes.size(), lines.toString());
      List<Duration> next = outcomes.stream().map(SyncOutcome::next).toList();
      assertEquals(
          List.of(
              Duration.ofMinutes(20),
              Duration.ofMinutes(40),
              Duration.ofMinutes(60),
              Duration.ofMinutes(60),
              Duration.ofMinutes(60)),
          next);
      for (SyncOutcome o : outcomes) {
        assertEquals(SyncOutcome.Result.FAILED, o.result());
      }
      assertTrue(
          lines
              .get(2)
              .startsWith(
                  "mirror a.git from " + missing + ": failed: cannot fetch from " + missing),
          lines.get(2));
      assertTrue(lines.get(2).endsWith("; next sync in 60m (3 failures in a row)"), lines.get(2));
      // upstream comes back: the next sync succeeds and the interval is the interval again
      w.git.run(tmp, "clone", "-q", "--bare", w.upstream.toString(), missing.toString()).expectOk();
      s.advance(Duration.ofMinutes(60));
      assertEquals(SyncOutcome.Result.UP_TO_DATE, outcomes.get(5).result(), lines.toString());
      assertEquals(Duration.ofMinutes(10), outcomes.get(5).next());
    }
  }

  @Test
  void aSyncFindingAnotherOneRunningDoesNothingAndSaysSo() throws Exception {
    MirrorWorld w = new MirrorWorld(tmp.resolve("world"), 5);
    ClientRepo c = w.client(ClientVersion.V0_6_2);
    c.checkpoints(2);
    w.push(c);
    Path repos = Files.createDirectories(tmp.resolve("repos"));
    ManualScheduler s = new ManualScheduler();
    try (MirrorService svc =
            start(
                repos,
                List.of(entry("a.git", w.from, Duration.ofMinutes(5))),
                s,
                MirrorService.Options.DEFAULTS,
                MirrorSync.Listener.NONE);
        var held = MirrorLock.tryAcquire(repos.resolve("a.git"))) {
      s.advance(Duration.ofSeconds(30));
      assertEquals(SyncOutcome.Result.BUSY, outcomes.get(0).result(), lines.toString());
      assertEquals(Map.of(), MirrorWorld.refs(repos.resolve("a.git")));
      assertTrue(lines.get(0).contains(": skipped: another sync of "), lines.get(0));
      held.close();
      s.advance(Duration.ofMinutes(6));
      assertEquals(SyncOutcome.Result.UPDATED, outcomes.get(1).result(), lines.toString());
    }
  }

  @Test
  void aHeldBackRefIsInTheLogLine() throws Exception {
    MirrorWorld w = new MirrorWorld(tmp.resolve("world"), 5);
    ClientRepo a = w.client(ClientVersion.V0_6_2);
    a.checkpoints(2);
    w.push(a);
    ClientRepo b = w.client(ClientVersion.V0_6_2);
    MirrorSyncTest.fetchAll(w, b);
    Path repos = Files.createDirectories(tmp.resolve("repos"));
    ManualScheduler s = new ManualScheduler();
    try (MirrorService svc =
        start(
            repos,
            List.of(entry("a.git", w.from, Duration.ofMinutes(5))),
            s,
            MirrorService.Options.DEFAULTS,
            MirrorSync.Listener.NONE)) {
      s.advance(Duration.ofSeconds(30));
      a.checkpoint();
      w.push(a);
      s.advance(Duration.ofMinutes(6)); // the mirror sees a's third checkpoint
      b.checkpoint();
      w.gitPush(
          b, "+refs/entire/checkpoints/v2/full/current:refs/entire/checkpoints/v2/full/current");
      s.advance(Duration.ofMinutes(6));
      assertEquals(SyncOutcome.Result.HELD_BACK, outcomes.get(2).result(), lines.toString());
      assertTrue(
          lines
              .get(2)
              .contains(
                  ": held back 1 ref (refs/entire/checkpoints/v2/full/current: current-loss),"
                      + " updated 1 ref; "),
          lines.get(2));
    }
  }

  @Test
  void aStopDuringASyncLeavesTheRepositoryAsItWas() throws Exception {
    MirrorWorld w = new MirrorWorld(tmp.resolve("world"), 5);
    ClientRepo c = w.client(ClientVersion.V0_6_2);
    c.checkpoints(3);
    w.push(c);
    Path repos = Files.createDirectories(tmp.resolve("repos"));
    CountDownLatch fetched = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    MirrorSync.Listener steps =
        new MirrorSync.Listener() {
          @Override
          public void afterStep(String step) {
            if (step.equals("fetched")) {
              fetched.countDown();
              try {
                release.await(30, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
          }
        };
    MirrorService.Options fast =
        new MirrorService.Options(
            Duration.ofMillis(1), 0.1, Duration.ofHours(1), Duration.ofSeconds(30), 30);
    MirrorService svc =
        start(
            repos,
            List.of(entry("a.git", w.from, Duration.ofMinutes(5))),
            SyncScheduler.threads(1),
            fast,
            steps);
    assertTrue(fetched.await(60, TimeUnit.SECONDS), "the sync never fetched");
    Thread closer = new Thread(svc::close);
    closer.start();
    for (int i = 0; i < 6000 && closer.getState() != Thread.State.TIMED_WAITING; i++) {
      Thread.sleep(5);
    }
    release.countDown();
    closer.join(60_000);
    assertTrue(!closer.isAlive(), "close did not return");
    assertEquals(1, outcomes.size(), lines.toString());
    assertEquals(SyncOutcome.Result.FAILED, outcomes.get(0).result());
    assertEquals("stopped before applying; the mirror is unchanged", outcomes.get(0).problem());
    Map<String, ObjectId> refs = MirrorWorld.refs(repos.resolve("a.git"));
    assertEquals(Map.of(), refs, "nothing applied");
  }
}
