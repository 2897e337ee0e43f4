package dev.checkpointguard.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.FastTempDir;
import dev.checkpointguard.fixtures.FlatTree;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mirror} as its own process, killed with SIGKILL: while the pack streams in, after the
 * objects landed, after the plan wrote its merge, and after the batch. After each kill the mirror's
 * refs are exactly as before the sync or exactly as after it (never a part), and a rerun finishes
 * the sync with nothing lost.
 */
class MirrorKillTest {
  @TempDir(factory = FastTempDir.class)
  Path tmp;

  @Test
  void sigkillAtAnyMomentLeavesAllOrNothingAndARerunFinishes() throws Exception {
    MirrorWorld w = new MirrorWorld(tmp, 5);
    ClientRepo a = w.client(ClientVersion.V0_6_2);
    a.checkpoints(2);
    w.push(a);
    ClientRepo b = w.client(ClientVersion.V0_6_2);
    MirrorSyncTest.fetchAll(w, b);
    a.checkpoints(2);
    w.push(a);
    w.gitPush(
        a,
        a.ref(RefNames.MAIN).name() + ":refs/heads/main",
        a.ref(RefNames.MAIN).name() + ":refs/tags/t");
    assertEquals(0, w.sync().exitCode());
    Path template = w.mirror;
    Map<String, ObjectId> before = MirrorWorld.refs(template);

    // upstream: a stale reset (the sync merges), a 12 MiB branch (a long fetch), a deleted tag
    b.checkpoint();
    w.gitPush(b, "+" + RefNames.CURRENT + ":" + RefNames.CURRENT);
    byte[] big = new byte[12 << 20];
    new Random(7).nextBytes(big);
    ObjectId blob;
    try (ObjectInserter ins = a.repository().newObjectInserter()) {
      blob = ins.insert(Constants.OBJ_BLOB, big);
      ins.flush();
    }
    FlatTree t = new FlatTree();
    t.put("big.bin", org.eclipse.jgit.lib.FileMode.REGULAR_FILE, blob);
    ObjectId bigCommit = a.insertCommit(t, "big");
    w.gitPush(a, bigCommit.name() + ":refs/heads/big", ":refs/tags/t");

    List<String> stops = List.of("stream", "fetched", "planned 1", "applied");
    int locks = 0;
    for (String stop : stops) {
      Path dir = tmp.resolve("kill-" + stop.replace(' ', '-') + ".git");
      copy(template, dir);
      w.mirror = dir;
      Path err = tmp.resolve(dir.getFileName() + ".err");
      String pauseAt = stop.startsWith("timed") ? "" : stop.equals("stream") ? "" : stop;
      Process p =
          new ProcessBuilder(
                  MirrorKillMain.command(
                      pauseAt, "mirror", "--repo", dir.toString(), "--from", w.from))
              .redirectOutput(tmp.resolve(dir.getFileName() + ".out").toFile())
              .redirectError(err.toFile())
              .start();
      p.getOutputStream().close();
      try {
        if (stop.equals("stream")) {
          assertTrue(waitForIncomingPack(p, dir), "never saw the pack streaming in");
        } else if (stop.startsWith("timed")) {
          assertTrue(waitFor(p, err, "at planned 1"), Files.readString(err));
          Thread.sleep(Integer.parseInt(stop.substring(6)));
        } else {
          assertTrue(
              waitFor(p, err, "paused at " + stop),
              "never paused at " + stop + ": " + Files.readString(err));
        }
      } finally {
        p.destroyForcibly(); // SIGKILL
        p.waitFor(30, TimeUnit.SECONDS);
      }
      Map<String, ObjectId> after = MirrorWorld.refs(dir);
      boolean untouched = after.equals(before);
      if (!untouched) {
        // all of it: every ref outside v2 is upstream's, /full/current is the merge, upstream's
        // value recorded
        w.assertOtherRefsEqualUpstream();
        assertNotEquals(before.get(RefNames.CURRENT), after.get(RefNames.CURRENT));
        assertEquals(
            MirrorWorld.refs(w.upstream).get(RefNames.CURRENT),
            after.get(MirrorRefs.upstreamRef(RefNames.CURRENT)),
            stop);
      }
      if (List.of("stream", "fetched", "planned 1").contains(stop)) {
        assertTrue(untouched, "refs moved although killed at " + stop);
      }
      if (stop.equals("applied")) {
        assertTrue(!untouched, "killed after the batch: all of it must be there");
      }
      MirrorReport rerun;
      try {
        rerun = w.sync();
      } catch (MirrorSync.FailedException e) {
        // killed inside the ref transaction: like git, the rerun names the lock file instead of
        // guessing
        assertTrue(
            e.getMessage()
                .contains(
                    ".lock exists: a git process is writing refs, or one was killed while it"
                        + " did; nothing was changed by this sync."),
            e.getMessage());
        assertEquals(after, MirrorWorld.refs(dir));
        Files.delete(Path.of(e.getMessage().substring(0, e.getMessage().indexOf(" exists: "))));
        locks++;
        rerun = w.sync();
      }
      assertEquals(1, rerun.exitCode(), stop + ": " + rerun.text());
      w.assertOtherRefsEqualUpstream();
      w.assertNothingLost();
      System.out.println(
          "[reliability] mirror SIGKILLed at "
              + stop
              + ": refs "
              + (untouched ? "untouched" : "fully synced")
              + ", rerun held back "
              + rerun.heldBackCount()
              + " ref(s), nothing lost");
    }
    System.out.println(
        "[reliability] mirror killed "
            + stops.size()
            + " times; "
            + locks
            + " left a ref lock file");
  }

  private static void copy(Path from, Path to) throws Exception {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Path dest = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(dest);
        } else {
          Files.copy(p, dest, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }

  private static boolean waitForIncomingPack(Process p, Path dir) throws Exception {
    Path objects =
        dir.resolve("objects"); // JGit streams into objects/incoming_*.pack, then moves it
    for (int i = 0; i < 30000 && p.isAlive(); i++) {
      if (Files.isDirectory(objects)) {
        try (Stream<Path> s = Files.walk(objects, 2)) {
          if (s.anyMatch(f -> f.getFileName().toString().startsWith("incoming_"))) {
            return true;
          }
        }
      }
      Thread.sleep(1);
    }
    return false;
  }

  private static boolean waitFor(Process p, Path file, String text) throws Exception {
    for (int i = 0; i < 1200; i++) {
      if (Files.exists(file) && Files.readString(file).contains(text)) {
        return true;
      }
      if (!p.isAlive()) {
        return Files.exists(file) && Files.readString(file).contains(text);
      }
      Thread.sleep(50);
    }
    return false;
  }

  static List<String> list(Object... o) {
    List<String> out = new ArrayList<>();
    for (Object x : o) {
      out.add(String.valueOf(x));
    }
    return out;
  }
}
