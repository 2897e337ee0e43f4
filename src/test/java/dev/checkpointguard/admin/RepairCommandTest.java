package dev.checkpointguard.admin;

import static dev.checkpointguard.admin.AdminHarness.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.command.Invocation;
import dev.checkpointguard.core.CheckpointPolicy;
import dev.checkpointguard.core.CheckpointTrees;
import dev.checkpointguard.core.GuardSettings;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.core.Verdict;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.DamageScenarios;
import dev.checkpointguard.fixtures.FastTempDir;
import dev.checkpointguard.fixtures.GitCli;
import dev.checkpointguard.jgit.RepositoryRefs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RepairCommandTest {
  @TempDir(factory = FastTempDir.class)
  Path tmp;

  /** Judges every v2 ref update repair makes with the policy core, against the live repository. */
  static final class PolicyJudge implements Repair.Listener {
    final Path dir;
    final CheckpointPolicy policy;
    final List<String> judged = new ArrayList<>();

    PolicyJudge(Path dir, int threshold) {
      this.dir = dir;
      this.policy = new CheckpointPolicy(GuardSettings.defaults().withThreshold(threshold));
    }

    @Override
    public void beforeUpdate(RepairPlan.Update u) {
      try (Repository r = AdminHarness.open(dir);
          ObjectReader reader = r.newObjectReader()) {
        Verdict v = policy.evaluate(List.of(u.change()), RepositoryRefs.of(r), reader).get(0);
        assertTrue(v.accepted(), u + " rejected: " + v.message());
        judged.add(RefNames.shortName(u.ref()));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }
  }

  @Test
  void minimalRepairOfOneV060RunKeepsFullArchivesAndMovesTheRemainderIntoCurrent()
      throws Exception {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.oneV060Run(dir, 250);
    Map<String, ObjectId> before = AdminHarness.v2Refs(dir);
    var content = AdminHarness.contentMap(dir);
    PolicyJudge judge = new PolicyJudge(dir, 100);

    AdminHarness.Run r = run(Map.of(), judge, "repair", "--repo", dir.toString());
    assertEquals(0, r.exit(), r.toString());
    assertEquals(List.of("full/current", "full/0000000000003"), judge.judged);
    Map<String, ObjectId> after = AdminHarness.v2Refs(dir);
    assertEquals(before.get(RefNames.archive(1)), after.get(RefNames.archive(1)));
    assertEquals(before.get(RefNames.archive(2)), after.get(RefNames.archive(2)));
    assertNull(after.get(RefNames.archive(3)));
    assertEquals(before.get(RefNames.MAIN), after.get(RefNames.MAIN));
    try (Repository repo = AdminHarness.open(dir);
        RevWalk w = new RevWalk(repo)) {
      RevCommit c = w.parseCommit(after.get(RefNames.CURRENT));
      assertEquals(before.get(RefNames.CURRENT), c.getParent(0)); // a fast-forward on the old tip
      assertEquals("Write repacked partial generation\n", c.getFullMessage());
    }
    assertEquals(
        Map.of("full/0000000000001", 100, "full/0000000000002", 100, "full/current", 50),
        AdminHarness.counts(dir));
    assertEquals(content, AdminHarness.contentMap(dir));
    AdminHarness.assertRepaired(dir, 100);
    assertTrue(
        r.out()
            .contains(
                "  fast-forward full/current: add 50 checkpoints, drop archived copies of 0"
                    + " checkpoints, 50 checkpoints after\n"),
        r.out());
    assertTrue(
        r.out().contains("  delete full/0000000000003 (50 checkpoints, migration;"), r.out());
    assertTrue(r.out().contains("check: healthy (0 errors, 0 warnings"), r.out());

    // a second run changes nothing at all, not even backups
    Map<String, ObjectId> all = AdminHarness.allRefs(dir);
    AdminHarness.Run again = run("repair", "--repo", dir.toString());
    assertEquals(0, again.exit(), again.toString());
    assertTrue(
        again.out().startsWith("nothing to repair (mode minimal, threshold 100)\n"), again.out());
    assertEquals(all, AdminHarness.allRefs(dir));
  }

  /** Repairs {@code dir}, asserting every update passes the policy and the content map is kept. */
  private AdminHarness.Run repairKeepingContent(Path dir, int threshold, String... extra)
      throws Exception {
    var content = AdminHarness.contentMap(dir);
    PolicyJudge judge = new PolicyJudge(dir, threshold);
    List<String> args =
        new ArrayList<>(
            List.of(
                "repair", "--repo", dir.toString(), "--threshold", Integer.toString(threshold)));
    args.addAll(List.of(extra));
    AdminHarness.Run r = run(Map.of(), judge, args.toArray(new String[0]));
    assertEquals(0, r.exit(), r.toString());
    assertFalse(judge.judged.isEmpty());
    assertEquals(content, AdminHarness.contentMap(dir));
    AdminHarness.assertRepaired(dir, threshold);
    Map<String, ObjectId> all = AdminHarness.allRefs(dir);
    AdminHarness.Run again = run(args.toArray(new String[0]));
    assertEquals(0, again.exit(), again.toString());
    assertTrue(again.out().startsWith("nothing to repair"), again.out());
    assertEquals(all, AdminHarness.allRefs(dir));
    return r;
  }

  @Test
  void currentReachingTheThresholdIsRotatedAsTheClientRotates() throws Exception {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.build(
        dir,
        ClientVersion.V0_6_0,
        100,
        31,
        c -> {
          c.migrate(150); // 1 (100) and the under-threshold 2 (50)
          c.upgrade(ClientVersion.V0_6_1);
          c.checkpoints(60); // /full/current: 60
        });
    ObjectId oldCurrent = AdminHarness.v2Refs(dir).get(RefNames.CURRENT);
    AdminHarness.Run r = repairKeepingContent(dir, 100);
    assertEquals(
        Map.of("full/0000000000001", 100, "full/0000000000003", 110, "full/current", 0),
        AdminHarness.counts(dir));
    assertTrue(
        r.out()
            .contains(
                "  rotate full/current into full/0000000000003 with 110 checkpoints (Archive"
                    + " generation), generation.json "),
        r.out());
    Map<String, ObjectId> after = AdminHarness.v2Refs(dir);
    try (Repository repo = AdminHarness.open(dir);
        RevWalk w = new RevWalk(repo)) {
      RevCommit archive = w.parseCommit(after.get(RefNames.archive(3)));
      assertEquals("Archive generation", archive.getFullMessage());
      RevCommit partial = w.parseCommit(archive.getParent(0));
      assertEquals("Write repacked partial generation\n", partial.getFullMessage());
      assertEquals(oldCurrent, partial.getParent(0));
      RevCommit start = w.parseCommit(after.get(RefNames.CURRENT));
      assertEquals("Start generation", start.getFullMessage());
      assertEquals(0, start.getParentCount());
      assertEquals(CheckpointTrees.EMPTY_TREE, start.getTree());
    }
  }

  @Test
  void missingOrInvalidGenerationJsonIsRewrittenAsTheClientsMetadataRepair() throws Exception {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.build(
        dir,
        ClientVersion.V0_6_1,
        100,
        32,
        c -> {
          c.migrate(200);
          var t = c.flatTree(RefNames.archive(1));
          t.put(
              "generation.json",
              org.eclipse.jgit.lib.FileMode.REGULAR_FILE,
              c.insertBlob("not json\n"));
          c.commitTree(RefNames.archive(1), t, "Finalize checkpoint: 000000000000\n");
          var t2 = c.flatTree(RefNames.archive(2));
          t2.remove("generation.json");
          c.commitTree(RefNames.archive(2), t2, "Finalize checkpoint: 000000000000\n");
        });
    Map<String, ObjectId> before = AdminHarness.v2Refs(dir);
    AdminHarness.Run r = repairKeepingContent(dir, 100);
    assertTrue(
        r.out()
            .contains(
                "  fast-forward full/0000000000001: write generation.json (was invalid),"
                    + " generation.json "),
        r.out());
    try (Repository repo = AdminHarness.open(dir);
        RevWalk w = new RevWalk(repo)) {
      RevCommit c = w.parseCommit(AdminHarness.v2Refs(dir).get(RefNames.archive(2)));
      assertEquals("Repair generation metadata: 0000000000002\n", c.getFullMessage());
      assertEquals(before.get(RefNames.archive(2)), c.getParent(0));
    }
    AdminHarness.Run check = run("check", "--repo", dir.toString(), "--json");
    assertFalse(check.out().contains("\"matches\": false"), check.out());
  }

  /**
   * The halt mode of the crash hook, for tests that run the CLI as a process: exit 137, then a
   * rerun.
   */
  @Test
  void haltModeKillsTheProcessAndARerunFinishes() throws Exception {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.oneV060Run(dir, 250);
    var content = AdminHarness.contentMap(dir);
    Path home = tmp.resolve("home");
    ProcessBuilder pb =
        new ProcessBuilder(
            HookedMain.command(
                4,
                Crash.Mode.HALT,
                Repair.BATCH,
                List.of("-Duser.home=" + home),
                "repair",
                "--repo",
                dir.toString()));
    // The child's environment is built, not inherited: no developer git config reaches it.
    pb.environment().clear();
    pb.environment().putAll(new GitCli(home).environment());
    pb.redirectErrorStream(true);
    Path outFile = tmp.resolve("repair.out");
    pb.redirectOutput(outFile.toFile()); // a file, not a pipe: a stuck child cannot block the read
    Process p = pb.start();
    String out;
    try {
      p.getOutputStream().close();
      boolean exited = p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS);
      out = java.nio.file.Files.readString(outFile);
      assertTrue(exited, "repair did not exit within 60 s:\n" + out);
    } finally {
      p.destroyForcibly();
    }
    assertEquals(137, p.exitValue(), out);
    assertTrue(out.contains("attempt 1 (mode minimal, threshold 100):"), out);
    assertFalse(out.contains("applied:"), out);
    assertEquals(content, AdminHarness.contentMap(dir));
    AdminHarness.Run rerun = run("repair", "--repo", dir.toString());
    assertEquals(0, rerun.exit(), rerun.toString());
    assertEquals(content, AdminHarness.contentMap(dir));
    AdminHarness.assertRepaired(dir, 100);
  }

  @Test
  void gapsInNumberingAreRepairedWithoutRenumbering() throws Exception {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.v060RunWithGaps(dir);
    repairKeepingContent(dir, 100);
    assertEquals(Map.of("full/current", 50), AdminHarness.counts(dir));
  }

  @Test
  void severalRunsMinimalKeepsHealthyArchivesAndPacksUnderThresholdOnes() throws Exception {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.severalV060Runs(dir);
    assertEquals(
        Map.of(
            "full/0000000000001",
            100,
            "full/0000000000002",
            50,
            "full/0000000000003",
            100,
            "full/0000000000004",
            20,
            "full/0000000000005",
            100,
            "full/current",
            3),
        AdminHarness.counts(dir));
    Map<String, ObjectId> before = AdminHarness.v2Refs(dir);
    AdminHarness.Run r = repairKeepingContent(dir, 100);
    Map<String, ObjectId> after = AdminHarness.v2Refs(dir);
    for (long n : new long[] {1, 3, 5}) {
      assertEquals(before.get(RefNames.archive(n)), after.get(RefNames.archive(n)), "archive " + n);
    }
    // 50 + 20 + 3 = 73 < 100: no new archive, everything in current
    assertEquals(
        Map.of(
            "full/0000000000001",
            100,
            "full/0000000000003",
            100,
            "full/0000000000005",
            100,
            "full/current",
            73),
        AdminHarness.counts(dir));
    assertTrue(r.out().contains("delete full/0000000000002 (50 checkpoints"), r.out());
    assertTrue(r.out().contains("delete full/0000000000004 (20 checkpoints"), r.out());
  }

  @Test
  void severalRunsFullModeRenumbersChronologically() throws Exception {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.severalV060Runs(dir);
    AdminHarness.Run check = run("check", "--repo", dir.toString());
    assertTrue(check.out().contains("warning archive-order:"), check.out());
    repairKeepingContent(dir, 100, "--mode", "full");
    // the second migration's checkpoints interleave with the first's: all 373 are repacked after 5
    assertEquals(
        Map.of(
            "full/0000000000006",
            100,
            "full/0000000000007",
            100,
            "full/0000000000008",
            100,
            "full/current",
            73),
        AdminHarness.counts(dir));
    AdminHarness.assertChronological(dir);
    AdminHarness.Run after = run("check", "--repo", dir.toString());
    assertTrue(after.out().endsWith("result: healthy (0 errors, 0 warnings)\n"), after.out());
  }

  @Test
  void rehydratedCurrentLosesOnlyItsArchivedCopies() throws Exception {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.rehydratedCurrent(dir, 10);
    Map<String, ObjectId> before = AdminHarness.v2Refs(dir);
    AdminHarness.Run r = repairKeepingContent(dir, 10);
    assertEquals(
        before.get(RefNames.archive(1)), AdminHarness.v2Refs(dir).get(RefNames.archive(1)));
    assertEquals(Map.of("full/0000000000001", 10, "full/current", 2), AdminHarness.counts(dir));
    assertTrue(
        r.out()
            .contains(
                "fast-forward full/current: add 0 checkpoints, drop archived copies of 10"
                    + " checkpoints, 2 checkpoints after"),
        r.out());
  }

  @Test
  void duplicatesAreMergedOnceAndTheLaterGenerationsDifferingFileWins() throws Exception {
    Path dir = tmp.resolve("r.git");
    String[] finalized = new String[1];
    DamageScenarios.build(
        dir,
        ClientVersion.V0_6_1,
        10,
        21,
        c -> {
          DamageScenarios.rehydrate(c, 10);
          finalized[0] = c.checkpointsIn(RefNames.archive(1)).toIds().get(0);
          // the rehydrated copy in /full/current is finalized there (same paths, different blobs),
          // and the
          // rotation that follows archives the rehydrated copies a second time (spec §9)
          assertEquals(RefNames.CURRENT, c.finalizeCheckpoint(finalized[0], 0));
        });
    AdminHarness.Run check = run("check", "--repo", dir.toString(), "--threshold", "10");
    assertEquals(
        0, check.exit(), check.toString()); // warnings only: minimal repair keeps both archives
    assertTrue(
        check
            .out()
            .contains(
                "warning diverged-checkpoints: 1 checkpoint in full/0000000000001 and"
                    + " full/0000000000002 with the same file holding different content ["
                    + finalized[0]
                    + "]"),
        check.out());
    assertTrue(
        check
            .out()
            .contains(
                "warning duplicate-checkpoints: 9 checkpoints copied in both"
                    + " full/0000000000001 and full/0000000000002"),
        check.out());
    var content = AdminHarness.contentMap(dir);
    AdminHarness.Run r = repairKeepingContent(dir, 10, "--mode", "full");
    assertTrue(
        r.out()
            .contains(
                "  merged 10 checkpoints found in several generations (union of files; 2"
                    + " file(s) differed, the later generation's copy kept)"),
        r.out());
    // the finalized transcript from /full/current is the one kept
    assertEquals(content.get(finalized[0]), AdminHarness.contentMap(dir).get(finalized[0]));
    assertEquals(Map.of("full/0000000000003", 10, "full/current", 2), AdminHarness.counts(dir));
  }

  @Test
  void legacyArchivesStayInMinimalModeAndAreRepackedInFullMode() throws Exception {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.legacyThenV060(dir);
    Path copy = tmp.resolve("copy.git");
    DamageScenarios.copyRepository(dir, copy);
    Map<String, ObjectId> before = AdminHarness.v2Refs(dir);
    AdminHarness.Run check = run("check", "--repo", dir.toString());
    assertTrue(check.out().contains("full/0000000000001   100  legacy"), check.out());
    repairKeepingContent(dir, 100);
    assertEquals(
        before.get(RefNames.archive(1)), AdminHarness.v2Refs(dir).get(RefNames.archive(1)));
    assertEquals(
        Map.of("full/0000000000001", 100, "full/0000000000002", 100, "full/current", 34),
        AdminHarness.counts(dir));
    repairKeepingContent(copy, 100, "--mode", "full");
    AdminHarness.assertChronological(copy);
  }

  @Test
  void missingCreatedAtGoesLastAndEnvelopesFallBackToTranscripts() throws Exception {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.v060MissingCreatedAt(dir);
    AdminHarness.Run r = repairKeepingContent(dir, 100, "--mode", "full");
    assertTrue(r.out().contains("create full/0000000000003 with 100 checkpoints"), r.out());
    AdminHarness.assertChronological(dir);
    AdminHarness.Run check = run("check", "--repo", dir.toString(), "--json");
    assertTrue(check.out().contains("\"matches\": true"), check.out());
  }

  @Test
  void dryRunPrintsThePlanAndWritesNothing() throws Exception {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.severalV060Runs(dir);
    Map<String, ObjectId> refs = AdminHarness.allRefs(dir);
    long objects = objectFiles(dir);
    AdminHarness.Run r = run("repair", "--repo", dir.toString(), "--mode", "full", "--dry-run");
    assertEquals(1, r.exit(), r.toString()); // like check: there is work to do
    assertTrue(r.out().startsWith("plan (mode full, threshold 100):\n"), r.out());
    assertTrue(
        r.out().contains("  create full/0000000000006 with 100 checkpoints from {"), r.out());
    assertTrue(
        r.out().contains("  delete full/0000000000005 (100 checkpoints, rotation;"), r.out());
    assertTrue(
        r.out().contains("dry run: 3 archive(s) created, 5 deleted, 373 checkpoint(s) moved,"),
        r.out());
    assertEquals(refs, AdminHarness.allRefs(dir));
    assertEquals(objects, objectFiles(dir));
    assertFalse(java.nio.file.Files.exists(dir.resolve(RepoLock.FILE)), "a dry run takes no lock");

    // a dry run needs no lock: it runs while a repair or restore holds it
    try (Repository repo = AdminHarness.open(dir);
        var held = RepoLock.acquire(repo)) {
      AdminHarness.Run locked = run("repair", "--repo", dir.toString(), "--dry-run");
      assertEquals(1, locked.exit(), locked.toString());
      assertTrue(locked.out().startsWith("plan (mode minimal, threshold 100):\n"), locked.out());
    }
    assertEquals(0, run("repair", "--repo", dir.toString()).exit());
    AdminHarness.Run healthy = run("repair", "--repo", dir.toString(), "--dry-run");
    assertEquals(0, healthy.exit(), healthy.toString());
    assertTrue(
        healthy.out().startsWith("nothing to repair (mode minimal, threshold 100)\ncheck: healthy"),
        healthy.out());
  }

  private static long objectFiles(Path dir) throws Exception {
    try (var s = java.nio.file.Files.walk(dir.resolve("objects"))) {
      return s.filter(java.nio.file.Files::isRegularFile).count();
    }
  }

  @Test
  void restorePutsBackEveryRefAndLeavesMovedRefsAlone() throws Exception {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.severalV060Runs(dir);
    Map<String, ObjectId> before = AdminHarness.v2Refs(dir);
    AdminHarness.Run r = run("repair", "--repo", dir.toString(), "--mode", "full");
    assertEquals(0, r.exit(), r.toString());
    String ts = "20260601T120000Z";
    String undo =
        Invocation.of(Map.of())
            .command("restore", "--repo", dir.toAbsolutePath().toString(), "--backup", ts);
    assertTrue(r.out().contains("backup: " + ts + " (undo with: " + undo + ")"), r.out());
    AdminHarness.Run check = run("check", "--repo", dir.toString());
    assertTrue(
        check.out().contains("  " + ts + "  6 refs  undo with: " + undo + "\n"), check.out());

    AdminHarness.Run dry = run("restore", "--repo", dir.toString(), "--backup", ts, "--dry-run");
    assertEquals(0, dry.exit(), dry.toString());
    assertFalse(before.equals(AdminHarness.v2Refs(dir)));
    AdminHarness.Run restore = run("restore", "--repo", dir.toString(), "--backup", ts);
    assertEquals(0, restore.exit(), restore.toString());
    assertEquals(before, AdminHarness.v2Refs(dir));
    assertTrue(
        restore
            .out()
            .endsWith(
                "restored 9 ref(s) from backup " + ts + ", 0 already as before, 0 left alone\n"),
        restore.out());

    AdminHarness.Run unknown =
        run("restore", "--repo", dir.toString(), "--backup", "19990101T000000Z");
    assertEquals(2, unknown.exit());
    assertEquals(
        "checkpoint-guard restore: --backup 19990101T000000Z: no such backup (check lists them)\n",
        unknown.err());
  }

  @Test
  void restoreNeverDropsWhatAClientPushedAfterTheRepair() throws Exception {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.oneV060Run(dir, 250);
    AdminHarness.Run r = run("repair", "--repo", dir.toString());
    assertEquals(0, r.exit(), r.toString());
    ObjectId pushed = LivePush.appendToCurrent(dir);
    AdminHarness.Run restore =
        run("restore", "--repo", dir.toString(), "--backup", "20260601T120000Z");
    assertEquals(1, restore.exit(), restore.toString());
    assertTrue(restore.err().contains("full/current moved since the repair"), restore.err());
    assertEquals(pushed, AdminHarness.v2Refs(dir).get(RefNames.CURRENT));
    assertTrue(AdminHarness.v2Refs(dir).containsKey(RefNames.archive(3))); // restored
  }

  @Test
  void aRefMovedByALivePushMakesRepairPlanAgain() throws Exception {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.oneV060Run(dir, 250);
    var content = AdminHarness.contentMap(dir);
    ObjectId[] pushed = new ObjectId[1];
    Repair.Listener pushOnce =
        new Repair.Listener() {
          @Override
          public void beforeUpdate(RepairPlan.Update u) throws java.io.IOException {
            if (pushed[0] == null && u.ref().equals(RefNames.CURRENT)) {
              pushed[0] = LivePush.appendToCurrent(dir);
            }
          }
        };
    AdminHarness.Run r = run(Map.of(), pushOnce, "repair", "--repo", dir.toString());
    assertEquals(0, r.exit(), r.toString());
    assertTrue(
        r.err()
            .contains(
                "checkpoint-guard repair: refs/entire/checkpoints/v2/full/current moved since"
                    + " it was planned; planning again (attempt 1 of 5)"),
        r.err());
    assertTrue(r.out().contains("attempt 2 (mode minimal, threshold 100):"), r.out());
    var after = AdminHarness.contentMap(dir);
    assertEquals(content.size() + 1, after.size()); // the pushed checkpoint is kept
    after.keySet().retainAll(content.keySet());
    assertEquals(content, after);
    try (Repository repo = AdminHarness.open(dir);
        RevWalk w = new RevWalk(repo)) {
      assertTrue(
          w.isMergedInto(
              w.parseCommit(pushed[0]),
              w.parseCommit(AdminHarness.v2Refs(dir).get(RefNames.CURRENT))),
          "repair built on the pushed tip");
    }
    AdminHarness.assertRepaired(dir, 100);
  }

  /**
   * Issue 9, defect 6: a write the ref database refuses for another reason than a concurrent change
   * (here: a new object vanished before the refs were written) is an error, reported as such, not a
   * "moved since it was planned" race that repair retries.
   */
  @Test
  void aRefWriteErrorIsReportedAsAnErrorNotAsAConcurrentPush() throws Exception {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.oneV060Run(dir, 250);
    var content = AdminHarness.contentMap(dir);
    Map<String, ObjectId> before = AdminHarness.v2Refs(dir);
    boolean[] removed = new boolean[1];
    Repair.Listener loseObject =
        new Repair.Listener() {
          @Override
          public void beforeWrite(List<RepairPlan.Update> batch) throws java.io.IOException {
            RepairPlan.Update u = batch.get(batch.size() - 1);
            if (!removed[0] && !u.isDelete() && RefNames.isV2(u.ref())) {
              String hex = u.next().name();
              java.nio.file.Files.delete(
                  dir.resolve("objects").resolve(hex.substring(0, 2)).resolve(hex.substring(2)));
              removed[0] = true;
            }
          }
        };
    AdminHarness.Run r = run(Map.of(), loseObject, "repair", "--repo", dir.toString());
    assertTrue(removed[0], "the plan writes a v2 ref");
    assertEquals(2, r.exit(), r.toString());
    assertFalse(r.err().contains("moved"), r.err());
    assertFalse(r.out().contains("attempt 2"), r.out());
    assertTrue(r.err().contains("the new object is missing"), r.err());
    assertTrue(r.err().contains("every step so far kept all checkpoints"), r.err());
    assertEquals(before, AdminHarness.v2Refs(dir), "no v2 ref changed");
    assertEquals(content, AdminHarness.contentMap(dir));
  }

  /**
   * Issue 9, defect 6: an interrupt (the embedding application cancels the repair) stops it between
   * two steps, losing nothing, and the thread's interrupt flag is still set afterwards.
   */
  @Test
  void anInterruptStopsRepairBetweenStepsAndKeepsTheInterruptFlag() throws Exception {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.oneV060Run(dir, 250);
    var content = AdminHarness.contentMap(dir);
    Repair.Listener cancel =
        new Repair.Listener() {
          @Override
          public void afterStep(int n, String what) {
            if (n == 2) {
              Thread.currentThread().interrupt();
            }
          }
        };
    AdminHarness.Run r;
    boolean flag;
    try {
      r = run(Map.of(), cancel, "repair", "--repo", dir.toString());
    } finally {
      flag = Thread.interrupted(); // clears it for the next test
    }
    assertTrue(flag, "the interrupt flag is kept");
    assertEquals(2, r.exit(), r.toString());
    assertTrue(r.err().contains("interrupted after step 2"), r.err());
    assertFalse(r.out().contains("applied:"), r.out());
    assertEquals(content, AdminHarness.contentMap(dir));
    AdminHarness.Run rerun = run("repair", "--repo", dir.toString());
    assertEquals(0, rerun.exit(), rerun.toString());
    assertEquals(content, AdminHarness.contentMap(dir));
  }

  @Test
  void anArchiveThePlanReliesOnMovingAlsoMakesRepairPlanAgain() throws Exception {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.rehydratedCurrent(dir, 10);
    var content = AdminHarness.contentMap(dir);
    boolean[] moved = new boolean[1];
    Repair.Listener moveArchive =
        new Repair.Listener() {
          @Override
          public void beforeUpdate(RepairPlan.Update u) throws java.io.IOException {
            if (!moved[0]) {
              moved[0] = true;
              LivePush.appendTo(
                  dir, RefNames.archive(1)); // the archive that justifies dropping copies
            }
          }
        };
    AdminHarness.Run r =
        run(Map.of(), moveArchive, "repair", "--repo", dir.toString(), "--threshold", "10");
    assertEquals(0, r.exit(), r.toString());
    assertTrue(
        r.err()
            .contains(
                "checkpoint-guard repair: refs/entire/checkpoints/v2/full/0000000000001 moved"
                    + " since it was planned; planning again (attempt 1 of 5)"),
        r.err());
    var after = AdminHarness.contentMap(dir);
    after.keySet().retainAll(content.keySet());
    assertEquals(content, after);
    AdminHarness.assertRepaired(dir, 10);
  }

  /**
   * /main is not part of the plan (its times only order checkpoints): pushes to it never force a
   * re-plan.
   */
  @Test
  void pushesToMainDuringRepairDoNotMakeItPlanAgain() throws Exception {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.oneV060Run(dir, 250);
    var content = AdminHarness.contentMap(dir);
    List<ObjectId> mains = new ArrayList<>();
    Repair.Listener pushToMain =
        new Repair.Listener() {
          @Override
          public void beforeUpdate(RepairPlan.Update u) throws java.io.IOException {
            mains.add(LivePush.appendTo(dir, RefNames.MAIN));
          }

          @Override
          public void beforeWrite(List<RepairPlan.Update> batch) throws java.io.IOException {
            mains.add(LivePush.appendTo(dir, RefNames.MAIN));
          }
        };
    AdminHarness.Run r = run(Map.of(), pushToMain, "repair", "--repo", dir.toString());
    assertEquals(0, r.exit(), r.toString());
    assertFalse(r.err().contains("planning again"), r.err());
    assertFalse(r.out().contains("attempt 2"), r.out());
    assertEquals(
        4, mains.size()); // two batches (create, /full/current), a push before and after each check
    assertEquals(mains.get(3), AdminHarness.v2Refs(dir).get(RefNames.MAIN));
    assertEquals(content, AdminHarness.contentMap(dir));
    AdminHarness.assertRepaired(dir, 100);
  }

  /**
   * A ref the plan relies on but does not change (the archive holding the copies dropped from
   * /full/current) is deleted after the re-check, just before the write: the atomic batch also
   * verifies it, so the /full/current update fails as a whole (the compare-and-set branch) and
   * repair plans again from what is left, dropping nothing more.
   */
  @Test
  void aReliedOnArchiveDeletedJustBeforeTheWriteFailsTheWholeBatch() throws Exception {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.rehydratedCurrent(dir, 10);
    ObjectId currentBefore = AdminHarness.v2Refs(dir).get(RefNames.CURRENT);
    List<Map<String, Map<String, ObjectId>>> afterDelete = new ArrayList<>();
    Repair.Listener retention =
        new Repair.Listener() {
          @Override
          public void beforeWrite(List<RepairPlan.Update> batch) throws java.io.IOException {
            if (afterDelete.isEmpty() && batch.get(0).ref().equals(RefNames.CURRENT)) {
              try (Repository repo = AdminHarness.open(dir)) {
                ObjectId archive = RefWriter.read(repo, RefNames.archive(1));
                assertEquals(
                    RefWriter.Result.DONE,
                    RefWriter.compareAndSet(
                        repo, RefNames.archive(1), archive, ObjectId.zeroId(), "retention"));
                afterDelete.add(AdminHarness.contentMap(dir));
              } catch (Exception e) {
                throw new AssertionError(e);
              }
              assertEquals(currentBefore, AdminHarness.v2RefsUnchecked(dir).get(RefNames.CURRENT));
            }
          }
        };
    AdminHarness.Run r =
        run(Map.of(), retention, "repair", "--repo", dir.toString(), "--threshold", "10");
    assertEquals(1, afterDelete.size(), r.toString());
    assertTrue(
        r.err()
            .contains(
                "checkpoint-guard repair: refs/entire/checkpoints/v2/full/current or a"
                    + " generation ref the plan relies on moved since it was planned (compare-and-set failed);"
                    + " planning again (attempt 1 of 5)"),
        r.err());
    assertTrue(r.out().contains("attempt 2 (mode minimal, threshold 10):"), r.out());
    assertEquals(afterDelete.get(0), AdminHarness.contentMap(dir));
  }

  @Test
  void refsThatKeepMovingMakeRepairStopAfterBoundedAttempts() throws Exception {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.oneV060Run(dir, 250);
    var content = AdminHarness.contentMap(dir);
    Repair.Listener pushAlways =
        new Repair.Listener() {
          @Override
          public void beforeUpdate(RepairPlan.Update u) throws java.io.IOException {
            if (u.ref().equals(RefNames.CURRENT)) {
              LivePush.appendToCurrent(dir);
            }
          }
        };
    AdminHarness.Run r = run(Map.of(), pushAlways, "repair", "--repo", dir.toString());
    assertEquals(1, r.exit(), r.toString());
    assertTrue(
        r.err()
            .contains(
                "checkpoint-guard repair: stopped after 5 attempts: refs kept changing under"
                    + " live pushes; nothing more was changed"),
        r.err());
    var after = AdminHarness.contentMap(dir);
    after.keySet().retainAll(content.keySet());
    assertEquals(content, after);
    assertTrue(AdminHarness.v2Refs(dir).containsKey(RefNames.archive(3)), "nothing deleted");
  }

  @Test
  void refusesInsideAPushQuarantineAndWhileAnotherRepairHoldsTheLock() throws Exception {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.oneV060Run(dir, 250);
    Map<String, ObjectId> refs = AdminHarness.allRefs(dir);
    AdminHarness.Run q =
        run(
            Map.of("GIT_QUARANTINE_PATH", dir.resolve("objects/tmp_objdir-x").toString()),
            Repair.Listener.NONE,
            "repair",
            "--repo",
            dir.toString());
    assertEquals(2, q.exit());
    assertEquals(
        "checkpoint-guard repair: refusing to run inside a push quarantine (GIT_QUARANTINE_PATH is"
            + " set); run it outside git hooks\n",
        q.err());
    AdminHarness.Run od =
        run(
            Map.of("GIT_OBJECT_DIRECTORY", tmp.toString()),
            Repair.Listener.NONE,
            "repair",
            "--repo",
            dir.toString());
    assertEquals(2, od.exit());
    assertTrue(od.err().contains("is not the repository's own object directory"), od.err());
    AdminHarness.Run own =
        run(
            Map.of("GIT_OBJECT_DIRECTORY", dir.resolve("objects").toString()),
            Repair.Listener.NONE,
            "repair",
            "--repo",
            dir.toString(),
            "--dry-run");
    assertEquals(1, own.exit(), own.toString()); // accepted; the plan is not empty
    assertTrue(own.out().startsWith("plan (mode minimal, threshold 100):\n"), own.out());
    try (Repository repo = AdminHarness.open(dir);
        var lock = RepoLock.acquire(repo)) {
      AdminHarness.Run locked = run("repair", "--repo", dir.toString());
      assertEquals(2, locked.exit());
      assertTrue(
          locked
              .err()
              .startsWith(
                  "checkpoint-guard repair: another checkpoint-guard repair or restore"
                      + " is running on this repository"),
          locked.err());
    }
    assertEquals(refs, AdminHarness.allRefs(dir));
    AdminHarness.Run mode = run("repair", "--repo", dir.toString(), "--mode", "max");
    assertEquals(2, mode.exit());
    assertEquals("checkpoint-guard repair: --mode max: expected minimal or full\n", mode.err());
  }

  /**
   * Kills the repair after every step in turn (a simulated crash: the run stops mid-plan, nothing
   * is cleaned up), then reruns it: nothing is lost and the rerun reaches a healthy repository.
   * With one ref per batch every ref write is a crash point; with the default atomic batches, every
   * batch is.
   */
  @Test
  void killedAfterAnyStepARerunFinishesTheJob() throws Exception {
    Path origin = tmp.resolve("origin.git");
    DamageScenarios.severalV060Runs(origin);
    int single = crashEverywhere(origin, 1);
    assertTrue(single >= 20, "only " + single + " steps");
    // one step per atomic batch: objects, backups, results, creates, /full/current, deletes
    assertEquals(6, crashEverywhere(origin, Repair.BATCH));
  }

  /**
   * Crashes a copy of {@code origin} after step 1, 2, ... until a run completes; returns its step
   * count.
   */
  private int crashEverywhere(Path origin, int batch) throws Exception {
    var content = AdminHarness.contentMap(origin);
    for (int n = 1; n < 200; n++) {
      Path dir = tmp.resolve("crash-" + batch + "-" + n + ".git");
      DamageScenarios.copyRepository(origin, dir);
      AdminHarness.Run crashed =
          run(batch, Crash.after(n), "repair", "--repo", dir.toString(), "--mode", "full");
      if (crashed.exit() == 0) {
        deleteTree(dir);
        return n - 1;
      }
      assertEquals(2, crashed.exit(), crashed.toString());
      assertTrue(crashed.err().contains("simulated crash after step " + n), crashed.err());
      assertEquals(content, AdminHarness.contentMap(dir), "after crash at step " + n);
      AdminHarness.Run rerun =
          run(batch, Repair.Listener.NONE, "repair", "--repo", dir.toString(), "--mode", "full");
      assertEquals(0, rerun.exit(), "rerun after step " + n + ": " + rerun);
      assertEquals(content, AdminHarness.contentMap(dir), "after rerun from step " + n);
      AdminHarness.assertRepaired(dir, 100);
      AdminHarness.assertChronological(dir);
      deleteTree(dir);
    }
    throw new AssertionError("repair never completed");
  }

  private static void deleteTree(Path dir) throws Exception {
    try (var s = java.nio.file.Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        java.nio.file.Files.delete(p);
      }
    }
  }
}
