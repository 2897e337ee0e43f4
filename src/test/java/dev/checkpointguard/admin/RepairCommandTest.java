package dev.checkpointguard.admin;

import static dev.checkpointguard.admin.AdminHarness.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.core.CheckpointPolicy;
import dev.checkpointguard.core.GuardSettings;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.core.Verdict;
import dev.checkpointguard.fixtures.DamageScenarios;
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
  @TempDir Path tmp;

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
      try (Repository r = AdminHarness.open(dir); ObjectReader reader = r.newObjectReader()) {
        Verdict v = policy.evaluate(List.of(u.change()), RepositoryRefs.archives(r), reader).get(0);
        assertTrue(v.accepted(), u + " rejected: " + v.message());
        judged.add(RefNames.shortName(u.ref()));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }
  }

  @Test
  void minimalRepairOfOneV060RunKeepsFullArchivesAndMovesTheRemainderIntoCurrent() throws Exception {
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
    try (Repository repo = AdminHarness.open(dir); RevWalk w = new RevWalk(repo)) {
      RevCommit c = w.parseCommit(after.get(RefNames.CURRENT));
      assertEquals(before.get(RefNames.CURRENT), c.getParent(0)); // a fast-forward on the old tip
      assertEquals("Write repacked partial generation\n", c.getFullMessage());
    }
    assertEquals(Map.of("full/0000000000001", 100, "full/0000000000002", 100, "full/current", 50),
        AdminHarness.counts(dir));
    assertEquals(content, AdminHarness.contentMap(dir));
    AdminHarness.assertRepaired(dir, 100);
    assertTrue(r.out().contains("  fast-forward full/current: add 50 checkpoints, drop archived copies of 0"
        + " checkpoints, 50 checkpoints after\n"), r.out());
    assertTrue(r.out().contains("  delete full/0000000000003 (50 checkpoints, migration;"), r.out());
    assertTrue(r.out().contains("check: healthy (0 errors, 0 warnings"), r.out());

    // a second run changes nothing at all, not even backups
    Map<String, ObjectId> all = AdminHarness.allRefs(dir);
    AdminHarness.Run again = run("repair", "--repo", dir.toString());
    assertEquals(0, again.exit(), again.toString());
    assertTrue(again.out().startsWith("nothing to repair (mode minimal, threshold 100)\n"), again.out());
    assertEquals(all, AdminHarness.allRefs(dir));
  }
}
