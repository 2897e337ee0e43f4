package dev.checkpointguard.core;

import static dev.checkpointguard.fixtures.ClientVersion.V0_6_0;
import static dev.checkpointguard.fixtures.ClientVersion.V0_6_1;
import static dev.checkpointguard.fixtures.ClientVersion.V0_6_2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.fixtures.ClientRepo;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.jgit.lib.ObjectId;
import org.junit.jupiter.api.Test;

/**
 * The exact text a pusher sees for each rule, and that verdicts do not depend on the order of
 * commands. Only the loss and history rules say {@code non-fast-forward}, the words that make the
 * client fetch, merge and retry (spec §7.4).
 */
class CheckpointPolicyMessagesTest {
  static final String M = ClientRepo.MAIN;
  static final String C = ClientRepo.CURRENT;
  static final String A1 = RefNames.archive(1);
  static final String A3 = RefNames.archive(3);
  static final Set<Rule> RETRY_RULES =
      EnumSet.of(Rule.MAIN_HISTORY, Rule.CURRENT_LOSS, Rule.ARCHIVE_HISTORY, Rule.ARCHIVE_LOSS);

  @Test
  void underThresholdArchive() {
    try (PolicyBench b = new PolicyBench()) {
      ClientRepo c = b.client(V0_6_0);
      c.migrate(250);
      Verdict v = b.pushRefs(c, A3).get(0);
      assertEquals(
          "checkpoint-guard: archived generation refs/entire/checkpoints/v2/full/0000000000003 holds 50"
              + " checkpoints, fewer than the threshold 100 (rule archive-threshold); only the v2 migration of"
              + " Entire CLI v0.6.0 makes them, and your v1 branch still has their checkpoints: upgrade the"
              + " Entire CLI (v0.6.2 and later stop pushing it); the server's administrator can run"
              + " checkpoint-guard repair",
          v.message());
      assertShape(v);
    }
  }

  @Test
  void uncoveredResetNamesTheRejectedArchive() {
    try (PolicyBench b = new PolicyBench()) {
      ClientRepo c = b.client(V0_6_2, 50);
      c.checkpoints(30);
      b.publish(c, M, C);
      List<String> lost = c.checkpointsIn(C).first(5);
      c.checkpoints(20);
      List<Verdict> v = b.pushRefs(c, C, A1);
      assertEquals(
          "checkpoint-guard: non-fast-forward: resetting refs/entire/checkpoints/v2/full/current would lose"
              + " 30 raw transcripts of 30 checkpoints that no archived generation holds ("
              + String.join(", ", lost.stream().map(id -> id + "/0/raw_transcript").toList())
              + ", …) (archived generations this push tried to create were rejected:"
              + " full/0000000000001) (rule current-loss); fetch, merge and push again",
          v.get(0).message());
      assertShape(v.get(0));
      assertShape(v.get(1));
    }
  }

  @Test
  void prunedCurrentSaysUpdatingAndListsOneId() {
    try (PolicyBench b = new PolicyBench()) {
      ClientRepo c = b.client(V0_6_2);
      List<String> ids = c.checkpoints(3);
      b.publish(c, C);
      c.pruneForForceMigration(ids.get(1));
      Verdict v = b.pushRefs(c, C).get(0);
      assertEquals(
          "checkpoint-guard: non-fast-forward: updating refs/entire/checkpoints/v2/full/current would lose 1"
              + " raw transcript of 1 checkpoint that no archived generation holds ("
              + ids.get(1)
              + "/0/raw_transcript) (rule current-loss); fetch, merge and push again",
          v.message());
    }
  }

  @Test
  void historyLossDeleteAndNameRules() {
    try (PolicyBench b = new PolicyBench()) {
      ClientRepo c = b.client(V0_6_1);
      List<String> ids = c.checkpoints(101);
      b.publish(c, M, C, A1);
      ObjectId archived = c.ref(A1);
      // main rewritten, archive pruned
      c.updateRef(M, null, c.commit(c.ref(M)).getParent(0));
      c.checkpoint();
      c.pruneForForceMigration(ids.get(0));
      List<Verdict> v = b.evaluate(c, b.changeTo(c, M), b.changeTo(c, A1));
      assertEquals(
          "checkpoint-guard: non-fast-forward: refs/entire/checkpoints/v2/main can only be fast-forwarded"
              + " (rule main-history); fetch, merge and push again",
          v.get(0).message());
      assertEquals(
          "checkpoint-guard: non-fast-forward: updating archived generation"
              + " refs/entire/checkpoints/v2/full/0000000000001 would remove 1 raw transcript of 1 checkpoint ("
              + ids.get(0)
              + "/0/raw_transcript) (rule archive-loss); archives only grow: fetch, merge and push again",
          v.get(1).message());
      // archive rewritten
      ObjectId sibling =
          c.insertCommit(c.flatTree(A1), "Archive generation", c.commit(archived).getParent(0));
      Verdict history = b.evaluate(c, b.change(A1, sibling)).get(0);
      assertEquals(
          "checkpoint-guard: non-fast-forward: archived generation"
              + " refs/entire/checkpoints/v2/full/0000000000001 can only be fast-forwarded (rule"
              + " archive-history); fetch, merge and push again",
          history.message());
      List<Verdict> deletes = b.evaluate(c, b.change(M, null), b.change(C, null));
      assertEquals(
          "checkpoint-guard: deleting refs/entire/checkpoints/v2/main is not allowed (rule main-delete): it is"
              + " the permanent checkpoint index",
          deletes.get(0).message());
      assertEquals(
          "checkpoint-guard: deleting refs/entire/checkpoints/v2/full/current is not allowed (rule"
              + " current-delete): it holds the transcripts of the active generation",
          deletes.get(1).message());
      b.settings = b.settings.withAllowArchiveDeletion(false);
      assertEquals(
          "checkpoint-guard: deleting archived generation refs/entire/checkpoints/v2/full/0000000000001 is"
              + " disabled on this repository (rule archive-delete): git config"
              + " checkpointGuard.allowArchiveDeletion is false; ask the server administrator",
          b.evaluate(c, b.change(A1, null)).get(0).message());
      ObjectId blob = c.insertBlob("x");
      b.server.receiveObjects(c, blob, c.ref(M));
      List<Verdict> odd =
          b.server.evaluate(
              b.policy(),
              List.of(
                  RefChange.create(RefNames.FULL_PREFIX + "abc", c.ref(M)),
                  RefChange.create(RefNames.archive(9), blob),
                  RefChange.create(
                      RefNames.archive(8),
                      ObjectId.fromString("00000000000000000000000000000000000000aa"))));
      assertEquals(
          "checkpoint-guard: refs/entire/checkpoints/v2/full/abc is not a checkpoint ref (rule unknown-ref);"
              + " under refs/entire/checkpoints/v2/ only main, full/current and full/<13 digits> may exist",
          odd.get(0).message());
      assertEquals(
          "checkpoint-guard: refs/entire/checkpoints/v2/full/0000000000009 must point to a commit, but "
              + blob.name()
              + " is a blob (rule not-a-commit)",
          odd.get(1).message());
      assertEquals(
          "checkpoint-guard: object 00000000000000000000000000000000000000aa for"
              + " refs/entire/checkpoints/v2/full/0000000000008 is not in the repository (rule missing-object);"
              + " push it with the objects it needs",
          odd.get(2).message());
      for (Verdict x :
          List.of(
              v.get(0),
              v.get(1),
              history,
              deletes.get(0),
              deletes.get(1),
              odd.get(0),
              odd.get(1),
              odd.get(2))) {
        assertShape(x);
      }
    }
  }

  @Test
  void warnModeKeepsTheRuleAndSaysWhatEnforceWouldDo() {
    try (PolicyBench b = new PolicyBench()) {
      b.settings = b.settings.withMode(GuardSettings.Mode.WARN);
      ClientRepo c = b.client(V0_6_1);
      c.checkpoint();
      b.publish(c, M);
      Verdict v = b.push(c, b.change(M, null)).get(0);
      assertEquals(Verdict.Outcome.WARN, v.outcome());
      assertTrue(v.accepted());
      assertEquals(
          "checkpoint-guard: warning: accepted because checkpointGuard.mode is warn; enforce mode would refuse:"
              + " deleting refs/entire/checkpoints/v2/main is not allowed (rule main-delete): it is the"
              + " permanent checkpoint index",
          v.message());
      assertEquals(null, b.server.ref(M), "warn mode lets the delete through");
    }
  }

  @Test
  void invalidSettingsRefuseGuardedRefsOnly() {
    List<Verdict> v =
        CheckpointPolicy.refuseGuarded(
            List.of(
                RefChange.create(
                    M, ObjectId.fromString("1111111111111111111111111111111111111111")),
                RefChange.create(
                    "refs/heads/main",
                    ObjectId.fromString("1111111111111111111111111111111111111111"))),
            "invalid git config checkpointGuard.mode = 'off': expected enforce or warn");
    assertEquals(
        "checkpoint-guard: refs/entire/checkpoints/v2/main refused: invalid git config checkpointGuard.mode ="
            + " 'off': expected enforce or warn (rule invalid-settings); ask the server administrator to fix"
            + " the repository's git config",
        v.get(0).message());
    assertEquals(Verdict.Outcome.NOT_GUARDED, v.get(1).outcome());
    assertShape(v.get(0));
  }

  /** The same verdict for every command whatever order the client sent them in (5! orders). */
  @Test
  void verdictsDoNotDependOnCommandOrder() {
    try (PolicyBench b = new PolicyBench()) {
      b.cache = CheckpointSetCache.lru(100_000); // the same trees are read 120 times
      ClientRepo c = b.client(V0_6_2);
      c.checkpoints(40);
      b.publish(c, M, C);
      c.checkpoints(200); // A1 covers the server's current, A2 is the next generation
      ClientRepo bug = b.client(V0_6_0);
      bug.migrate(20);
      List<RefChange> changes =
          List.of(
              b.changeTo(c, M),
              b.changeTo(c, C),
              b.changeTo(c, A1),
              b.changeTo(c, RefNames.archive(2)),
              b.change(A3, bug.ref(A1)));
      b.server.receiveAllObjects(c);
      b.server.receiveAllObjects(bug);
      Map<String, String> expected = new HashMap<>();
      for (Verdict v : b.server.evaluate(b.policy(), changes)) {
        expected.put(v.ref(), PolicyBench.render(v));
      }
      assertEquals("full/current ACCEPT", expected.get(C));
      assertEquals("full/0000000000003 REJECT archive-threshold", expected.get(A3));
      int orders = 0;
      for (List<RefChange> order : permutations(changes)) {
        for (Verdict v : b.server.evaluate(b.policy(), order)) {
          assertEquals(expected.get(v.ref()), PolicyBench.render(v), () -> "order " + order);
        }
        orders++;
      }
      assertEquals(120, orders);
    }
  }

  @Test
  void resetCoveredOnlyByARejectedArchiveIsRejectedInEitherOrder() {
    try (PolicyBench b = new PolicyBench()) {
      ClientRepo c = b.client(V0_6_2, 50);
      c.checkpoints(30);
      b.publish(c, M, C);
      c.checkpoints(20);
      b.server.receiveAllObjects(c);
      for (List<RefChange> order :
          List.of(
              List.of(b.changeTo(c, C), b.changeTo(c, A1)),
              List.of(b.changeTo(c, A1), b.changeTo(c, C)))) {
        for (Verdict v : b.server.evaluate(b.policy(), order)) {
          assertEquals(v.ref().equals(C) ? Rule.CURRENT_LOSS : Rule.ARCHIVE_THRESHOLD, v.rule());
        }
      }
      // with the threshold at 50 the same archive is accepted and covers the reset
      b.settings = b.settings.withThreshold(50);
      assertEquals(
          List.of("full/current ACCEPT", "full/0000000000001 ACCEPT"),
          PolicyBench.render(
              b.server.evaluate(b.policy(), List.of(b.changeTo(c, C), b.changeTo(c, A1)))));
    }
  }

  static void assertShape(Verdict v) {
    String m = v.message();
    assertTrue(m.startsWith(Messages.PREFIX), m);
    assertTrue(m.contains(v.ref()), m);
    assertTrue(m.contains("(rule " + v.rule().id()), m);
    assertEquals(RETRY_RULES.contains(v.rule()), m.contains(Messages.NON_FAST_FORWARD), m);
    assertTrue(m.indexOf('\n') < 0, m);
  }

  static <T> List<List<T>> permutations(List<T> items) {
    List<List<T>> out = new ArrayList<>();
    if (items.size() <= 1) {
      out.add(new ArrayList<>(items));
      return out;
    }
    for (int i = 0; i < items.size(); i++) {
      List<T> rest = new ArrayList<>(items);
      T head = rest.remove(i);
      for (List<T> p : permutations(rest)) {
        p.add(0, head);
        out.add(p);
      }
    }
    return out;
  }
}
