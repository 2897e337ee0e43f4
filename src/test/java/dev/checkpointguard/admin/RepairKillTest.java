package dev.checkpointguard.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.fixtures.DamageScenarios;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jgit.lib.ObjectId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code repair} as its own process, killed with a real SIGKILL: once at every step of its run (the
 * process stops at the step through the {@code pause} crash mode and is then killed from outside),
 * and a few times at arbitrary moments while it writes. After each kill, the checkpoint ID -> (path
 * -> blob) map over every generation is unchanged, and a rerun finishes the repair with {@code
 * check} healthy.
 */
class RepairKillTest {
  @TempDir Path tmp;

  private Path origin;
  private int locksLeft;
  private Map<String, Map<String, ObjectId>> content;

  private void scenario() throws Exception {
    origin = tmp.resolve("origin.git");
    DamageScenarios.severalV060Runs(origin);
    content = AdminHarness.contentMap(origin);
  }

  @Test
  void sigkillAtEveryStepLosesNothingAndARerunFinishesTheRepair() throws Exception {
    scenario();
    // how many steps a full run has
    Path probe = tmp.resolve("probe.git");
    DamageScenarios.copyRepository(origin, probe);
    AtomicInteger steps = new AtomicInteger();
    // one ref per atomic batch, so that there is a step between any two ref writes
    Repair.Listener count =
        new Repair.Listener() {
          @Override
          public void afterStep(int n, String what) {
            steps.set(n);
          }
        };
    AdminHarness.Run full =
        AdminHarness.run(1, count, "repair", "--repo", probe.toString(), "--mode", "full");
    assertEquals(0, full.exit(), full.toString());
    assertTrue(steps.get() >= 20, "only " + steps.get() + " steps");

    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<String>> runs = new ArrayList<>();
      for (int n = 1; n <= steps.get(); n++) {
        int step = n;
        runs.add(pool.submit(() -> killAtStep(step)));
      }
      for (Future<String> f : runs) {
        f.get(5, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
    System.out.println(
        "[reliability] repair killed with SIGKILL at each of "
            + steps.get()
            + " steps, then rerun: nothing lost, check healthy");
  }

  private String killAtStep(int n) throws Exception {
    Path dir = tmp.resolve("kill-" + n + ".git");
    DamageScenarios.copyRepository(origin, dir);
    Process p = start(dir, n, Crash.Mode.PAUSE, 1);
    Path err = dir.resolveSibling(dir.getFileName() + ".err");
    try {
      String marker = "checkpoint-guard repair: crash point " + n + " reached (";
      assertTrue(
          waitFor(p, err, marker), "step " + n + " never reached:\n" + Files.readString(err));
    } finally {
      p.destroyForcibly(); // SIGKILL
      p.waitFor(30, TimeUnit.SECONDS);
    }
    assertEquals(137, p.exitValue(), "killed by SIGKILL");
    assertEquals(content, AdminHarness.contentMap(dir), "after SIGKILL at step " + n);
    rerunAndCheck(dir, "step " + n);
    return dir.toString();
  }

  @Test
  void sigkillAtArbitraryMomentsWhileItWritesLosesNothing() throws Exception {
    scenario();
    int[] delays = {0, 10, 20, 40, 80};
    for (int delay : delays) {
      Path dir = tmp.resolve("timed-" + delay + ".git");
      DamageScenarios.copyRepository(origin, dir);
      Process p = start(dir, -1, Crash.Mode.THROW, Repair.BATCH);
      Path out = dir.resolveSibling(dir.getFileName() + ".out");
      try {
        // the plan is printed just before the first object is written
        assertTrue(waitFor(p, out, "attempt 1 (mode full"), "no plan printed");
        Thread.sleep(delay);
      } finally {
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
      }
      assertEquals(
          content, AdminHarness.contentMap(dir), "after SIGKILL " + delay + " ms into the writes");
      List<String> locks;
      try (var r = AdminHarness.open(dir)) {
        locks = Repair.leftLocks(r);
      }
      if (!locks.isEmpty()) {
        // killed inside a ref transaction: like git, the rerun refuses to guess and names the lock
        // files
        AdminHarness.Run refused =
            AdminHarness.run("repair", "--repo", dir.toString(), "--mode", "full");
        assertEquals(1, refused.exit(), refused.toString());
        assertTrue(
            refused.err().startsWith("checkpoint-guard repair: " + locks.get(0)), refused.err());
        assertTrue(
            refused
                .err()
                .contains(
                    ": a git process is writing refs, or one was killed while it did;"
                        + " nothing was changed by this run."),
            refused.err());
        assertEquals(content, AdminHarness.contentMap(dir), "after the refused rerun");
        for (String lock : locks) {
          Files.delete(Path.of(lock)); // what the message tells the administrator to do
        }
        locksLeft++;
      }
      rerunAndCheck(dir, delay + " ms");
    }
    System.out.println(
        "[reliability] repair killed with SIGKILL "
            + delays.length
            + " times at arbitrary moments"
            + " of its writes: nothing lost; "
            + locksLeft
            + " left a ref lock file, which the rerun named");
  }

  /**
   * A lock file left by a process killed inside a ref transaction: named, nothing touched, then
   * fine.
   */
  @Test
  void aLeftoverRefLockIsNamedInsteadOfRetried() throws Exception {
    Path dir = tmp.resolve("locked.git");
    DamageScenarios.oneV060Run(dir, 250);
    Map<String, ObjectId> refs = AdminHarness.allRefs(dir);
    Path lock = dir.resolve("packed-refs.lock");
    Files.writeString(lock, "");
    AdminHarness.Run refused = AdminHarness.run("repair", "--repo", dir.toString());
    assertEquals(1, refused.exit(), refused.toString());
    assertTrue(
        refused
            .err()
            .startsWith(
                "checkpoint-guard repair: "
                    + lock
                    + " exists: a git process is writing"
                    + " refs, or one was killed while it did; nothing was changed by this run. If no git process is running"
                    + " on this repository, remove that file and run repair again\n"),
        refused.err());
    assertEquals(refs, AdminHarness.allRefs(dir));
    Files.delete(lock);
    AdminHarness.Run ok = AdminHarness.run("repair", "--repo", dir.toString());
    assertEquals(0, ok.exit(), ok.toString());
  }

  private void rerunAndCheck(Path dir, String label) throws Exception {
    AdminHarness.Run rerun = AdminHarness.run("repair", "--repo", dir.toString(), "--mode", "full");
    assertEquals(0, rerun.exit(), "rerun after " + label + ": " + rerun);
    assertEquals(Map.of(), leftoverLocks(dir), "lock files after " + label);
    assertEquals(content, AdminHarness.contentMap(dir), "after the rerun from " + label);
    AdminHarness.assertRepaired(dir, 100); // includes check, exit 0
  }

  /**
   * Lock files left in the repository: repair's own lock is released by the kernel with the
   * process.
   */
  private static Map<String, Long> leftoverLocks(Path dir) throws Exception {
    Map<String, Long> out = new java.util.TreeMap<>();
    try (var s = Files.walk(dir.resolve("refs"))) {
      s.filter(p -> p.toString().endsWith(".lock")).forEach(p -> out.put(p.toString(), 0L));
    }
    if (Files.exists(dir.resolve("packed-refs.lock"))) {
      out.put("packed-refs.lock", 0L);
    }
    return out;
  }

  /** repair as its own process; the test switches reach it only through {@link HookedMain}. */
  private Process start(Path dir, int crashAfterStep, Crash.Mode mode, int batchSize)
      throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(
            HookedMain.command(
                crashAfterStep,
                mode,
                batchSize,
                List.of("-XX:TieredStopAtLevel=1", "-Xshare:auto"),
                "repair",
                "--repo",
                dir.toString(),
                "--mode",
                "full"));
    pb.redirectOutput(dir.resolveSibling(dir.getFileName() + ".out").toFile());
    pb.redirectError(dir.resolveSibling(dir.getFileName() + ".err").toFile());
    Process p = pb.start();
    p.getOutputStream().close();
    return p;
  }

  /** Waits up to 60 s for {@code text} in {@code file}; false if the process ended first. */
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
}
