package dev.checkpointguard.admin;

import static dev.checkpointguard.admin.AdminHarness.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.DamageScenarios;
import dev.checkpointguard.fixtures.FastTempDir;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** restore plans the whole undo first and never drops a checkpoint a v2 ref holds now. */
class RestoreCommandTest {
  private static final String TS = "20260601T120000Z";

  @TempDir(factory = FastTempDir.class)
  Path tmp;

  /** Every checkpoint of {@code before} is still held, file by file (later additions allowed). */
  private static void assertKeeps(Map<String, Map<String, ObjectId>> before, Path dir)
      throws Exception {
    Map<String, Map<String, ObjectId>> now = AdminHarness.contentMap(dir);
    for (Map.Entry<String, Map<String, ObjectId>> e : before.entrySet()) {
      assertTrue(now.containsKey(e.getKey()), "checkpoint " + e.getKey() + " lost");
      for (Map.Entry<String, ObjectId> f : e.getValue().entrySet()) {
        assertEquals(
            f.getValue(), now.get(e.getKey()).get(f.getKey()), e.getKey() + "/" + f.getKey());
      }
    }
  }

  /** Archive 1 (100 checkpoints), the under-threshold archive 2 (50), /full/current with 60. */
  private Path migratedThenSixty() {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.build(
        dir,
        ClientVersion.V0_6_0,
        100,
        31,
        c -> {
          c.migrate(150);
          c.upgrade(ClientVersion.V0_6_1);
          c.checkpoints(60);
        });
    return dir;
  }

  /**
   * Repair rotates /full/current into a new archive and resets /full/current; a client appends to
   * it. Deleting the new archive would leave its checkpoints in no v2 ref: restore keeps it.
   */
  @Test
  void rotateThenClientAppendKeepsTheArchiveTheRepairCreated() throws Exception {
    Path dir = migratedThenSixty();
    Map<String, ObjectId> original = AdminHarness.v2Refs(dir);
    AdminHarness.Run r = run("repair", "--repo", dir.toString());
    assertEquals(0, r.exit(), r.toString());
    assertEquals(
        Map.of("full/0000000000001", 100, "full/0000000000003", 110, "full/current", 0),
        AdminHarness.counts(dir));
    ObjectId rotated = AdminHarness.v2Refs(dir).get(RefNames.archive(3));
    ObjectId pushed = LivePush.appendToCurrent(dir);
    var content = AdminHarness.contentMap(dir);

    AdminHarness.Run dry = run("restore", "--repo", dir.toString(), "--backup", TS, "--dry-run");
    assertEquals(1, dry.exit(), dry.toString());
    assertEquals(
        "would create full/0000000000002 back to "
            + original.get(RefNames.archive(2)).abbreviate(10).name()
            + "\ndry run: 1 ref(s) from backup "
            + TS
            + ", 0 already as before, 2 left alone\n",
        dry.out());
    try (Repository repo = AdminHarness.open(dir);
        var held = RepoLock.acquire(repo)) {
      assertEquals(
          dry,
          run("restore", "--repo", dir.toString(), "--backup", TS, "--dry-run"),
          "a dry run takes no lock");
    }

    AdminHarness.Run restore = run("restore", "--repo", dir.toString(), "--backup", TS);
    assertEquals(1, restore.exit(), restore.toString());
    assertEquals(
        "checkpoint-guard restore: full/current moved since the repair ("
            + pushed.abbreviate(10).name()
            + "); left alone\n"
            + "checkpoint-guard restore: full/0000000000003 kept (the repair created it): it holds checkpoints"
            + " no other ref would hold after the restore\n",
        restore.err());
    Map<String, ObjectId> after = AdminHarness.v2Refs(dir);
    assertEquals(rotated, after.get(RefNames.archive(3)));
    assertEquals(pushed, after.get(RefNames.CURRENT));
    assertEquals(original.get(RefNames.archive(2)), after.get(RefNames.archive(2)));
    assertKeeps(content, dir);
  }

  /**
   * Full mode packs archive 2 and most of /full/current into a new archive 3; a client pushes to
   * /full/current. Restoring archive 2 but not /full/current would lose the 50 checkpoints repair
   * moved out of /full/current into archive 3: archive 3 is kept.
   */
  @Test
  void fullModeThenClientPushKeepsTheArchiveHoldingWhatLeftCurrent() throws Exception {
    Path dir = migratedThenSixty();
    AdminHarness.Run r = run("repair", "--repo", dir.toString(), "--mode", "full");
    assertEquals(0, r.exit(), r.toString());
    assertEquals(
        Map.of("full/0000000000001", 100, "full/0000000000003", 100, "full/current", 10),
        AdminHarness.counts(dir));
    ObjectId pushed = LivePush.appendToCurrent(dir);
    var content = AdminHarness.contentMap(dir);
    AdminHarness.Run restore = run("restore", "--repo", dir.toString(), "--backup", TS);
    assertEquals(1, restore.exit(), restore.toString());
    assertEquals(
        "checkpoint-guard restore: full/current moved since the repair ("
            + pushed.abbreviate(10).name()
            + "); left alone\n"
            + "checkpoint-guard restore: full/0000000000003 kept (the repair created it): it holds checkpoints"
            + " no other ref would hold after the restore\n",
        restore.err());
    assertTrue(
        restore
            .out()
            .endsWith(
                "restored 1 ref(s) from backup " + TS + ", 0 already as before, 2 left alone\n"),
        restore.out());
    assertEquals(
        Map.of(
            "full/0000000000001",
            100,
            "full/0000000000002",
            50,
            "full/0000000000003",
            100,
            "full/current",
            11),
        AdminHarness.counts(dir));
    assertKeeps(content, dir);
  }

  /**
   * Backup refs are not guarded: a forged entry naming refs/heads/x is refused, nothing is written.
   */
  @Test
  void aBackupNamingARefOutsideV2IsRefusedAsAWhole() throws Exception {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.oneV060Run(dir, 250);
    AdminHarness.Run r = run("repair", "--repo", dir.toString());
    assertEquals(0, r.exit(), r.toString());
    ObjectId any = AdminHarness.v2Refs(dir).get(RefNames.MAIN);
    try (Repository repo = AdminHarness.open(dir)) {
      assertEquals(
          RefWriter.Result.DONE,
          RefWriter.compareAndSet(
              repo,
              RefNames.BACKUP_PREFIX + TS + "/refs/heads/x",
              ObjectId.zeroId(),
              any,
              "forged"));
      assertEquals(
          RefWriter.Result.DONE,
          RefWriter.compareAndSet(
              repo,
              RefNames.BACKUP_PREFIX + "19990101T000000Z/refs/heads/x",
              ObjectId.zeroId(),
              any,
              "forged"));
    }
    Map<String, ObjectId> refs = AdminHarness.allRefs(dir);
    for (String ts : List.of(TS, "19990101T000000Z")) {
      AdminHarness.Run restore = run("restore", "--repo", dir.toString(), "--backup", ts);
      assertEquals(1, restore.exit(), restore.toString());
      assertEquals(
          "checkpoint-guard restore: backup "
              + ts
              + " names refs/heads/x, which is not under"
              + " refs/entire/checkpoints/v2/ (repair never backs up such a ref: a forged backup?); nothing was"
              + " restored\n",
          restore.err());
      assertEquals("", restore.out());
      assertEquals(refs, AdminHarness.allRefs(dir));
    }
  }

  /**
   * A ref that moves after the plan, before the write, fails the one atomic batch: nothing
   * restored.
   */
  @Test
  void theRestoreIsOneAtomicBatch() throws Exception {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.severalV060Runs(dir);
    Map<String, ObjectId> original = AdminHarness.v2Refs(dir);
    assertEquals(0, run("repair", "--repo", dir.toString(), "--mode", "full").exit());
    Map<String, ObjectId> repaired = AdminHarness.v2Refs(dir);
    try (Repository repo = AdminHarness.open(dir)) {
      List<RepairPlan.Update> stale = new java.util.ArrayList<>();
      for (Map.Entry<String, ObjectId> e : original.entrySet()) {
        if (!e.getValue().equals(repaired.get(e.getKey()))) {
          stale.add(
              new RepairPlan.Update(
                  e.getKey(),
                  repaired.getOrDefault(e.getKey(), ObjectId.zeroId()),
                  e.getValue(),
                  "restore"));
        }
      }
      stale.add(
          new RepairPlan.Update(
              RefNames.MAIN, ObjectId.zeroId(), repaired.get(RefNames.MAIN), "stale"));
      assertEquals(RefWriter.Result.MOVED, RefWriter.compareAndSetAll(repo, stale, "stale"));
    }
    assertEquals(repaired, AdminHarness.v2Refs(dir));
    AdminHarness.Run restore = run("restore", "--repo", dir.toString(), "--backup", TS);
    assertEquals(0, restore.exit(), restore.toString());
    assertEquals(original, AdminHarness.v2Refs(dir));
  }
}
