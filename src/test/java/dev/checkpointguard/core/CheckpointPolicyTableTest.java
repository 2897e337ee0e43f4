package dev.checkpointguard.core;

import static dev.checkpointguard.fixtures.ClientVersion.V0_5_3;
import static dev.checkpointguard.fixtures.ClientVersion.V0_5_4;
import static dev.checkpointguard.fixtures.ClientVersion.V0_5_6;
import static dev.checkpointguard.fixtures.ClientVersion.V0_6_0;
import static dev.checkpointguard.fixtures.ClientVersion.V0_6_1;
import static dev.checkpointguard.fixtures.ClientVersion.V0_6_2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.FlatTree;
import dev.checkpointguard.fixtures.ServerRepo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.revwalk.RevCommit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One row per line of spec §10.1 and per edge case of §10.4: each row builds the server and the
 * push with the client fixtures (real histories of the named client version), runs {@link
 * CheckpointPolicy} and compares the rendered verdicts ({@code "<short ref> <OUTCOME>[ <rule>]"},
 * in push order; a row with several pushes lists the verdicts of all of them).
 */
class CheckpointPolicyTableTest {
  static final String M = ClientRepo.MAIN;
  static final String C = ClientRepo.CURRENT;
  static final String A1 = RefNames.archive(1);
  static final String A2 = RefNames.archive(2);
  static final String A3 = RefNames.archive(3);

  @ParameterizedTest(name = "§10.1 {0} -> {2}")
  @MethodSource("spec10_1")
  void spec10_1(String row, Function<PolicyBench, List<Verdict>> scenario, String expected) {
    check(scenario, expected);
  }

  @ParameterizedTest(name = "§10.4 {0} -> {2}")
  @MethodSource("spec10_4")
  void spec10_4(String row, Function<PolicyBench, List<Verdict>> scenario, String expected) {
    check(scenario, expected);
  }

  private static void check(Function<PolicyBench, List<Verdict>> scenario, String expected) {
    try (PolicyBench b = new PolicyBench()) {
      List<Verdict> verdicts = scenario.apply(b);
      assertEquals(
          expected, String.join(", ", PolicyBench.render(verdicts)), () -> messages(verdicts));
    }
  }

  private static String messages(List<Verdict> verdicts) {
    StringBuilder s = new StringBuilder();
    verdicts.forEach(v -> s.append(v.message()).append('\n'));
    return s.toString();
  }

  static Arguments row(String name, Function<PolicyBench, List<Verdict>> s, String expected) {
    return Arguments.of(name, s, expected);
  }

  static Stream<Arguments> spec10_1() {
    return Stream.of(
        // ---- M
        row(
            "M create rooted at Initialize v2 ref",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              c.checkpoint();
              return b.pushRefs(c, M);
            },
            "main ACCEPT"),
        row(
            "M ff Checkpoint",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              c.checkpoint();
              b.publish(c, M);
              c.checkpoint();
              return b.pushRefs(c, M);
            },
            "main ACCEPT"),
        row(
            "M ff Finalize checkpoint",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              String id = c.checkpoint();
              b.publish(c, M);
              c.finalizeCheckpoint(id, 0);
              return b.pushRefs(c, M);
            },
            "main ACCEPT"),
        row(
            "M ff Migrate batch",
            b -> {
              ClientRepo c = b.client(V0_6_1);
              c.checkpoint();
              b.publish(c, M);
              c.migrate(3);
              assertMessage(c, M, "Migrate batch: 3 checkpoint(s), 3 session(s)\n");
              return b.pushRefs(c, M);
            },
            "main ACCEPT"),
        row(
            "M ff Reset checkpoint before force migration (removes a directory)",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              List<String> ids = c.checkpoints(3);
              b.publish(c, M);
              c.pruneForForceMigration(ids.get(0));
              return b.pushRefs(c, M);
            },
            "main ACCEPT"),
        row(
            "M ff two-parent Merge remote v2/main",
            b -> {
              ClientRepo a = b.client(V0_6_2);
              a.checkpoint();
              b.publish(a, M);
              ClientRepo other = b.client(V0_6_2);
              b.server.cloneInto(other);
              other.checkpoint();
              a.checkpoint();
              b.pushRefs(other, M);
              a.mergeRemote(M, b.server.fetchInto(a, M, "refs/entire-fetch-tmp/m"));
              assertMessage(a, M, "Merge remote v2/main");
              return b.pushRefs(a, M);
            },
            "main ACCEPT"),
        row(
            "M non-ff",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              c.checkpoints(2);
              b.publish(c, M);
              c.updateRef(M, null, c.commit(c.ref(M)).getParent(0));
              c.checkpoint();
              return b.pushRefs(c, M);
            },
            "main REJECT main-history"),
        row(
            "M delete",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              c.checkpoint();
              b.publish(c, M);
              return b.push(c, b.change(M, null));
            },
            "main REJECT main-delete"),
        // ---- C
        row(
            "C create rooted at Initialize v2 ref",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              c.checkpoint();
              return b.pushRefs(c, M, C);
            },
            "main ACCEPT, full/current ACCEPT"),
        row(
            "C create rooted at Start generation (rotation before the first push)",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              c.checkpoints(101);
              List<Verdict> v = new ArrayList<>(b.pushRefs(c, A1));
              v.addAll(b.pushRefs(c, C, M));
              return v;
            },
            "full/0000000000001 ACCEPT, full/current ACCEPT, main ACCEPT"),
        row(
            "C create rooted at Write migrated partial generation (migration, orphan)",
            b -> {
              ClientRepo c = b.client(V0_6_1);
              c.migrate(30);
              assertMessage(c, C, "Write migrated partial generation\n");
              return b.pushRefs(c, M, C);
            },
            "main ACCEPT, full/current ACCEPT"),
        row(
            "C ff Checkpoint",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              c.checkpoint();
              b.publish(c, C);
              c.checkpoint();
              return b.pushRefs(c, C);
            },
            "full/current ACCEPT"),
        row(
            "C ff Finalize checkpoint",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              String id = c.checkpoint();
              b.publish(c, C);
              c.finalizeCheckpoint(id, 0);
              return b.pushRefs(c, C);
            },
            "full/current ACCEPT"),
        row(
            "C ff Checkpoint (task metadata)",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              String id = c.checkpoint();
              b.publish(c, C);
              c.spliceTaskMetadata(id, 0, "toolu_01");
              return b.pushRefs(c, C);
            },
            "full/current ACCEPT"),
        row(
            "C ff Write migrated partial generation",
            b -> {
              ClientRepo c = b.client(V0_6_1);
              c.checkpoints(5);
              b.publish(c, C);
              c.migrate(20);
              return b.pushRefs(c, C);
            },
            "full/current ACCEPT"),
        row(
            "C ff force-migration prune, written back by the final migration write",
            b -> {
              ClientRepo c = b.client(V0_6_1);
              List<String> ids = c.checkpoints(30);
              b.publish(c, M, C);
              c.forceMigrate(ids.subList(0, 10));
              return b.pushRefs(c, M, C);
            },
            "main ACCEPT, full/current ACCEPT"),
        row(
            "C ff force-migration prune, re-packed into an archive pushed earlier",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              List<String> ids = c.checkpoints(150);
              b.publish(c, M, C, A1);
              c.forceMigrate(
                  ids.subList(100, 150), 50); // 50 new + 50 pruned = one migration archive
              assertMessage(c, A2, "Archive migrated generation: " + A2 + "\n");
              List<Verdict> v = new ArrayList<>(b.pushRefs(c, A2));
              v.addAll(b.pushRefs(c, M, C));
              return v;
            },
            "full/0000000000002 ACCEPT, main ACCEPT, full/current ACCEPT"),
        row(
            "C ff force-migration prune that nothing re-packed",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              List<String> ids = c.checkpoints(10);
              b.publish(c, M, C);
              c.pruneForForceMigration(ids.get(3));
              return b.pushRefs(c, C);
            },
            "full/current REJECT current-loss"),
        row(
            "C ff two-parent Merge remote v2/full/current (rehydration, v0.6.1)",
            b -> {
              ClientRepo c = b.client(V0_6_1);
              c.checkpoints(60);
              b.publish(c, M, C);
              c.checkpoints(40); // local rotation: A1 and an orphan Start generation
              c.mergeRemote(C, b.server.ref(C));
              assertMessage(c, C, "Merge remote v2/full/current");
              return b.pushRefs(c, M, C, A1);
            },
            "main ACCEPT, full/current ACCEPT, full/0000000000001 ACCEPT"),
        row(
            "C non-ff rotation reset covered by the archive of an earlier push",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              c.checkpoints(60);
              b.publish(c, M, C);
              c.checkpoints(41);
              List<Verdict> v = new ArrayList<>(b.pushRefs(c, A1));
              v.addAll(b.pushRefs(c, C));
              return v;
            },
            "full/0000000000001 ACCEPT, full/current ACCEPT"),
        row(
            "C non-ff reset after two rotations, covered by the oldest archive",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              c.checkpoints(50);
              b.publish(c, M, C);
              c.checkpoints(160);
              List<Verdict> v = new ArrayList<>(b.pushRefs(c, A1, A2));
              v.addAll(b.pushRefs(c, C, M));
              return v;
            },
            "full/0000000000001 ACCEPT, full/0000000000002 ACCEPT, full/current ACCEPT, main ACCEPT"),
        row(
            "C non-ff reset whose archive never reached the server",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              c.checkpoints(60);
              b.publish(c, M, C);
              c.checkpoints(40);
              return b.pushRefs(c, C);
            },
            "full/current REJECT current-loss"),
        row(
            "C delete",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              c.checkpoint();
              b.publish(c, C);
              return b.push(c, b.change(C, null));
            },
            "full/current REJECT current-delete"),
        // ---- A(N)
        row(
            "A create by rotation (Archive generation, 100)",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              c.checkpoints(100);
              assertMessage(c, A1, "Archive generation");
              return b.pushRefs(c, A1);
            },
            "full/0000000000001 ACCEPT"),
        row(
            "A create whose tip is a Finalize on the local archive",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              List<String> ids = c.checkpoints(100);
              assertEquals(A1, c.finalizeCheckpoint(ids.get(5), 0));
              return b.pushRefs(c, A1);
            },
            "full/0000000000001 ACCEPT"),
        row(
            "A create by migration (orphan, exactly 100)",
            b -> {
              ClientRepo c = b.client(V0_6_1);
              c.migrate(100);
              return b.pushRefs(c, A1);
            },
            "full/0000000000001 ACCEPT"),
        row(
            "A create by the v0.6.0 migration bug (orphan, 50)",
            b -> {
              ClientRepo c = b.client(V0_6_0);
              c.migrate(250);
              return b.pushRefs(c, A3);
            },
            "full/0000000000003 REJECT archive-threshold"),
        row(
            "A create of a legacy v0.5.3 archive (ref at a C commit), pushed by v0.5.4",
            b -> {
              ClientRepo c = b.client(V0_5_3);
              c.checkpoints(100);
              c.upgrade(V0_5_4);
              return b.pushRefs(c, A1);
            },
            "full/0000000000001 ACCEPT"),
        row(
            "A ff Merge local checkpoints into archived generation",
            b -> {
              ClientRepo a = b.client(V0_6_2);
              a.checkpoints(60);
              b.publish(a, M, C);
              ClientRepo stale = b.client(V0_6_2);
              b.server.cloneInto(stale);
              stale.checkpoint();
              a.checkpoints(40);
              b.pushRefs(a, A1);
              b.pushRefs(a, C);
              stale.mergeIntoArchive(
                  A1, b.server.fetchInto(stale, A1, "refs/entire-fetch-tmp/archive-1"));
              return b.pushRefs(stale, A1);
            },
            "full/0000000000001 ACCEPT"),
        row(
            "A ff Repair generation metadata",
            b -> {
              ClientRepo c = b.client(V0_6_1);
              c.checkpoints(100);
              b.publish(c, A1);
              c.repairGenerationMetadata(A1);
              return b.pushRefs(c, A1);
            },
            "full/0000000000001 ACCEPT"),
        row(
            "A ff Finalize checkpoint by v0.5.6",
            b -> {
              ClientRepo c = b.client(V0_5_6);
              List<String> ids = c.checkpoints(100);
              b.publish(c, A1);
              c.finalizeCheckpoint(ids.get(0), 0);
              return b.pushRefs(c, A1);
            },
            "full/0000000000001 ACCEPT"),
        row(
            "A ff two-parent Merge remote v2/full/<N> by v0.5.6",
            b -> {
              ClientRepo c = b.client(V0_5_6);
              List<String> ids = c.checkpoints(100);
              b.publish(c, A1);
              ClientRepo other = b.client(V0_5_6);
              b.server.cloneInto(other);
              other.finalizeCheckpoint(ids.get(1), 0);
              b.pushRefs(other, A1);
              c.finalizeCheckpoint(ids.get(2), 0);
              c.mergeRemote(A1, b.server.fetchInto(c, A1, "refs/entire-fetch-tmp/a1"));
              assertMessage(c, A1, "Merge remote v2/full/0000000000001");
              return b.pushRefs(c, A1);
            },
            "full/0000000000001 ACCEPT"),
        row(
            "A ff force-migration prune that removes checkpoints (old clients)",
            b -> {
              ClientRepo c = b.client(V0_6_1);
              List<String> ids = c.checkpoints(100);
              b.publish(c, A1);
              c.pruneForForceMigration(ids.get(7));
              return b.pushRefs(c, A1);
            },
            "full/0000000000001 REJECT archive-loss"),
        row(
            "A delete (retention: newest checkpoint older than a day, by generation.json)",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              c.checkpoints(100);
              b.publish(c, A1);
              b.clock.advance(Duration.ofHours(25));
              return b.push(c, b.change(A1, null));
            },
            "full/0000000000001 ACCEPT"),
        row(
            "A delete of a generation whose newest checkpoint is younger than a day",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              c.checkpoints(100);
              b.publish(c, A1);
              b.clock.advance(Duration.ofHours(23));
              return b.push(c, b.change(A1, null));
            },
            "full/0000000000001 REJECT archive-age"),
        row(
            "A delete of an archive without generation.json: age from /main's created_at",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              c.checkpoints(100);
              FlatTree t = c.flatTree(A1);
              t.remove("generation.json");
              c.updateRef(A1, null, c.insertCommit(t, "Archive generation", c.ref(C)));
              b.publish(c, M, A1);
              List<Verdict> v = new ArrayList<>(b.push(c, b.change(A1, null)));
              b.clock.advance(Duration.ofDays(2));
              v.addAll(b.push(c, b.change(A1, null)));
              return v;
            },
            "full/0000000000001 REJECT archive-age, full/0000000000001 ACCEPT"),
        row(
            "A delete of an archive without generation.json, not in /main: age from its transcripts",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              c.checkpoints(100);
              FlatTree t = c.flatTree(A1);
              t.remove("generation.json");
              c.updateRef(A1, null, c.insertCommit(t, "Archive generation", c.ref(C)));
              b.publish(c, A1);
              List<Verdict> v = new ArrayList<>(b.push(c, b.change(A1, null)));
              b.clock.advance(Duration.ofDays(2));
              v.addAll(b.push(c, b.change(A1, null)));
              return v;
            },
            "full/0000000000001 REJECT archive-age, full/0000000000001 ACCEPT"),
        row(
            "A delete with minArchiveAgeForDeletion=0",
            b -> {
              b.settings = b.settings.withMinArchiveAgeForDeletion(Duration.ZERO);
              ClientRepo c = b.client(V0_6_2);
              c.checkpoints(100);
              b.publish(c, A1);
              return b.push(c, b.change(A1, null));
            },
            "full/0000000000001 ACCEPT"),
        row(
            "A delete with allowArchiveDeletion=false",
            b -> {
              b.settings = b.settings.withAllowArchiveDeletion(false);
              ClientRepo c = b.client(V0_6_2);
              c.checkpoints(100);
              b.publish(c, A1);
              return b.push(c, b.change(A1, null));
            },
            "full/0000000000001 REJECT archive-delete"),
        row(
            "A non-ff (rewritten archive)",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              c.checkpoints(100);
              b.publish(c, A1);
              RevCommit a1 = c.commit(c.ref(A1));
              c.updateRef(
                  A1, null, c.insertCommit(c.flatTree(A1), "Archive generation", a1.getParent(0)));
              return b.pushRefs(c, A1);
            },
            "full/0000000000001 REJECT archive-history"),
        // ---- other names
        row(
            "other names under v2/ and an unguarded ref",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              c.checkpoint();
              ObjectId tip = c.ref(M);
              return b.push(
                  c,
                  b.change(RefNames.FULL_PREFIX + "abc", tip),
                  b.change(RefNames.FULL_PREFIX + "12", tip),
                  b.change(RefNames.FULL_PREFIX + "00000000000001", tip),
                  b.change(RefNames.FULL_PREFIX + "000000000000a", tip),
                  b.change(RefNames.V2_PREFIX + "other", tip),
                  b.change(RefNames.V2_PREFIX + "main/x", tip),
                  b.change("refs/heads/main", tip));
            },
            "full/abc REJECT unknown-ref, full/12 REJECT unknown-ref, full/00000000000001 REJECT unknown-ref, "
                + "full/000000000000a REJECT unknown-ref, other REJECT unknown-ref, main/x REJECT unknown-ref, "
                + "refs/heads/main NOT_GUARDED"),
        // ---- the guard's own namespace: repair's backups are written on the server, never pushed
        row(
            "refs/checkpoint-guard/ create, update and delete, in warn mode too",
            b -> {
              b.settings = b.settings.withMode(GuardSettings.Mode.WARN);
              ClientRepo c = b.client(V0_6_2);
              c.checkpoints(2);
              ObjectId tip = c.ref(M);
              ObjectId parent = c.commit(tip).getParent(0);
              String backup = RefNames.BACKUP_PREFIX + "20260101T000000Z/" + M;
              b.server.receiveObjects(c, tip);
              b.server.setRef(backup, parent);
              return b.push(
                  c,
                  b.change(backup, tip),
                  b.change(RefNames.RESULT_PREFIX + "20260101T000000Z/" + C, tip),
                  b.change(RefNames.BACKUP_PREFIX + "20260101T000000Z/refs/heads/main", tip),
                  b.change(RefNames.GUARD_PREFIX + "other", tip),
                  b.change(backup, null),
                  b.change("refs/checkpoint-guardian", tip));
            },
            "refs/checkpoint-guard/backup/20260101T000000Z/refs/entire/checkpoints/v2/main REJECT guard-ref, "
                + "refs/checkpoint-guard/result/20260101T000000Z/refs/entire/checkpoints/v2/full/current REJECT"
                + " guard-ref, refs/checkpoint-guard/backup/20260101T000000Z/refs/heads/main REJECT guard-ref, "
                + "refs/checkpoint-guard/other REJECT guard-ref, "
                + "refs/checkpoint-guard/backup/20260101T000000Z/refs/entire/checkpoints/v2/main REJECT guard-ref, "
                + "refs/checkpoint-guardian NOT_GUARDED"));
  }

  /** Trees that name many checkpoint directories, all pointing at one tiny tree (a cheap push). */
  @ParameterizedTest(name = "bounds {0} -> {2}")
  @MethodSource("bounds")
  void bounds(String row, Function<PolicyBench, List<Verdict>> scenario, String expected) {
    check(scenario, expected);
  }

  static final int WIDE = 200_000;

  /**
   * A root tree with one shard {@code ab} of {@code n} checkpoint directories sharing one tiny
   * tree.
   */
  static FlatTree wide(ClientRepo c, int n) {
    FlatTree tiny = new FlatTree().put("f", FileMode.REGULAR_FILE, c.insertBlob("x"));
    ObjectId dir = c.insertTree(tiny);
    FlatTree t = new FlatTree();
    for (int i = 0; i < n; i++) {
      t.put(String.format(java.util.Locale.ROOT, "ab/%010x", i), FileMode.TREE, dir);
    }
    return t;
  }

  @ParameterizedTest(name = "§10.2a units {0} -> {2}")
  @MethodSource("units")
  void units(String row, Function<PolicyBench, List<Verdict>> scenario, String expected) {
    check(scenario, expected);
  }

  /**
   * The loss rule's units (spec §10.2 a, §10.4 item 6): raw transcript paths, and the IDs of
   * checkpoint directories without any; coverage by the content of post-push archive tips only
   * (issue 15).
   */
  static Stream<Arguments> units() {
    return Stream.of(
        row(
            "below the ID: a reset drops session 1 of a checkpoint whose session 0 is archived",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              List<String> ids = c.checkpoints(100); // archive 1, C = Start generation
              b.publish(c, M, A1, C);
              ObjectId start = c.ref(C);
              c.addSession(ids.get(0));
              b.publish(c, M, C);
              List<Verdict> v = b.push(c, b.change(C, start));
              assertTrue(
                  v.get(0).message().contains(ids.get(0) + "/1/raw_transcript"),
                  v.get(0).message());
              return v;
            },
            "full/current REJECT current-loss"),
        row(
            "a checkpoint split over two archives covers a reset of both of its sessions",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              List<String> ids = c.checkpoints(100); // archive 1 holds X/0
              c.addSession(ids.get(0)); // X/1 in the next generation
              c.checkpoints(99); // archive 2 holds X/1
              b.publish(c, M, A1, A2);
              ObjectId start = c.ref(C);
              // a rehydrated /full/current that holds both generations, X with both sessions
              FlatTree both = c.flatTree(A1).overlay(c.flatTree(A2));
              both.remove("generation.json");
              ObjectId rehydrated = c.insertCommit(both, "Merge remote v2/full/current");
              b.server.receiveObjects(c, rehydrated);
              b.server.setRef(C, rehydrated);
              return b.push(c, b.change(C, start));
            },
            "full/current ACCEPT"),
        row(
            "hollow tree: every checkpoint directory kept, only as tasks/",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              List<String> ids = c.checkpoints(5);
              b.publish(c, M, C);
              FlatTree hollow = new FlatTree();
              ObjectId blob = c.insertBlob("{}\n");
              for (String id : ids) {
                hollow.put(
                    CheckpointIds.path(CheckpointIds.parse(id))
                        + "/0/tasks/toolu_1/checkpoint.json",
                    FileMode.REGULAR_FILE,
                    blob);
              }
              return b.push(c, b.change(C, c.insertCommit(hollow, "Start generation")));
            },
            "full/current REJECT current-loss"),
        row(
            "a finalize replaces a transcript's blob at the same path: nothing lost",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              List<String> ids = c.checkpoints(5);
              b.publish(c, M, C);
              c.finalizeCheckpoint(ids.get(2), 0);
              return b.pushRefs(c, C, M);
            },
            "full/current ACCEPT, main ACCEPT"),
        row(
            "v0.6.2 rotation whose archive was finalized locally before it was published",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              List<String> ids = c.checkpoints(60);
              b.publish(c, M, C);
              c.checkpoints(40); // rotation: archive 1 pending
              assertEquals(
                  A1,
                  c.finalizeCheckpoint(ids.get(0), 0)); // a stop-time finalize lands in the archive
              List<Verdict> v = new ArrayList<>(b.pushRefs(c, A1));
              v.addAll(b.pushRefs(c, C, M));
              return v;
            },
            "full/0000000000001 ACCEPT, full/current ACCEPT, main ACCEPT"),
        row(
            "a task splice into a fresh generation, then its reset: the ID is the unit",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              List<String> ids = c.checkpoints(100); // archive 1
              b.publish(c, M, A1, C);
              ObjectId start = c.ref(C);
              c.spliceTaskMetadata(
                  ids.get(3), 0, "toolu_9"); // tasks only; the directory exists in archive 1
              b.publish(c, C);
              return b.push(c, b.change(C, start));
            },
            "full/current ACCEPT"),
        row(
            "a task-only directory that no archive has is a lost unit",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              c.checkpoints(100); // archive 1
              b.publish(c, M, A1, C);
              ObjectId start = c.ref(C);
              c.spliceTaskMetadata("abcdef012345", 0, "toolu_9");
              b.publish(c, C);
              List<Verdict> v = b.push(c, b.change(C, start));
              assertTrue(
                  v.get(0)
                      .message()
                      .contains(
                          "1 checkpoint without transcripts that no archived generation holds (abcdef012345)"),
                  v.get(0).message());
              return v;
            },
            "full/current REJECT current-loss"),
        row(
            "ancestry without content: a same-push archive whose parent is the old tip, holding others",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              ClientRepo other = b.client(V0_6_2);
              c.checkpoints(5);
              b.publish(c, M, C);
              other.checkpoints(100);
              b.server.receiveObjects(other, other.ref(A1));
              ServerRepo.copyObjects(other.repository(), c.repository(), other.ref(A1));
              ObjectId archive = c.insertCommit(other.flatTree(A1), "Archive generation", c.ref(C));
              return b.push(
                  c,
                  b.change(A1, archive),
                  b.change(C, c.insertCommit(new FlatTree(), "Start generation")));
            },
            "full/0000000000001 ACCEPT, full/current REJECT current-loss"),
        row(
            "ancestry without content: an archive fast-forwarded to a merge with the old tip",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              c.checkpoints(100); // archive 1
              b.publish(c, M, A1, C);
              ObjectId start = c.ref(C);
              c.checkpoints(5);
              b.publish(c, M, C);
              ObjectId merge =
                  c.insertCommit(
                      c.flatTree(A1), "Merge remote v2/full/0000000000001", c.ref(A1), c.ref(C));
              List<Verdict> v = new ArrayList<>(b.push(c, b.change(A1, merge)));
              v.addAll(b.push(c, b.change(C, start)));
              return v;
            },
            "full/0000000000001 ACCEPT, full/current REJECT current-loss"),
        row(
            "a same-push archive create whose name the server already holds covers nothing",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              ClientRepo other = b.client(V0_6_2);
              c.checkpoints(99);
              b.publish(c, M, C);
              other.checkpoints(100);
              b.publish(other, A1); // another client took number 1
              c.checkpoint(); // rotates locally into its own archive 1
              b.server.receiveObjects(c, c.ref(A1), c.ref(C));
              return b.server.evaluate(
                  b.policy(), List.of(RefChange.create(A1, c.ref(A1)), b.changeTo(c, C)));
            },
            "full/0000000000001 ACCEPT, full/current REJECT current-loss"),
        row(
            "same-push cover names the archives the reset requires",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              c.checkpoints(60);
              b.publish(c, M, C);
              c.checkpoints(40);
              b.server.receiveObjects(c, c.ref(A1), c.ref(C));
              List<Verdict> v =
                  b.server.evaluate(b.policy(), List.of(b.changeTo(c, C), b.changeTo(c, A1)));
              assertEquals(List.of(b.changeTo(c, A1)), v.get(0).requires());
              return v;
            },
            "full/current ACCEPT, full/0000000000001 ACCEPT"),
        row(
            "stock git: archives of the push never cover a reset in it",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              c.checkpoints(60);
              b.publish(c, M, C);
              c.checkpoints(40);
              b.server.receiveObjects(c, c.ref(A1), c.ref(C));
              CheckpointPolicy p =
                  b.policy().withSamePushCover(CheckpointPolicy.SamePushCover.NONE);
              List<Verdict> v = b.server.evaluate(p, List.of(b.changeTo(c, A1), b.changeTo(c, C)));
              assertTrue(
                  v.get(1).message().contains("push them first, then the reset"),
                  v.get(1).message());
              return v;
            },
            "full/0000000000001 ACCEPT, full/current REJECT current-loss"));
  }

  static Stream<Arguments> bounds() {
    return Stream.of(
        row(
            "A create naming 200k directories: counted up to the threshold, accepted",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              c.checkpoint();
              ObjectId a = c.insertCommit(wide(c, WIDE), "Archive generation", c.ref(C));
              return b.push(c, b.change(A1, a));
            },
            "full/0000000000001 ACCEPT"),
        row(
            "A create above the bound on one tree",
            b -> {
              b.maxCheckpoints = WIDE - 1;
              ClientRepo c = b.client(V0_6_2);
              c.checkpoint();
              ObjectId a = c.insertCommit(wide(c, WIDE), "Archive generation", c.ref(C));
              List<Verdict> v = b.push(c, b.change(A1, a));
              assertEquals(
                  "checkpoint-guard: refs/entire/checkpoints/v2/full/0000000000001 refused: a generation it"
                      + " involves holds more than 199999 checkpoints or transcript files, more than the guard"
                      + " reads (rule too-many-checkpoints); ask the server administrator to run checkpoint-guard"
                      + " check",
                  v.get(0).message());
              return v;
            },
            "full/0000000000001 REJECT too-many-checkpoints"),
        row(
            "C create above the bound",
            b -> {
              b.maxCheckpoints = 1000;
              ClientRepo c = b.client(V0_6_2);
              c.checkpoint();
              ObjectId next = c.insertCommit(wide(c, 1001), "Checkpoint: ab0000000000\n", c.ref(C));
              return b.push(c, b.change(C, next));
            },
            "full/current REJECT too-many-checkpoints"),
        row(
            "C reset from a server C above the bound",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              c.checkpoint();
              ObjectId big = c.insertCommit(wide(c, 1001), "Checkpoint: ab0000000000\n", c.ref(C));
              b.server.receiveObjects(c, big);
              b.server.setRef(C, big);
              b.maxCheckpoints = 1000;
              c.checkpoint();
              return b.push(c, b.change(C, c.ref(C)));
            },
            "full/current REJECT too-many-checkpoints"));
  }

  static Stream<Arguments> spec10_4() {
    return Stream.of(
        row(
            "1 first push after two rotations: archives, then C create without lease",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              c.checkpoints(250);
              List<Verdict> v = new ArrayList<>(b.pushRefs(c, A1, A2));
              v.addAll(b.pushRefs(c, C, M));
              return v;
            },
            "full/0000000000001 ACCEPT, full/0000000000002 ACCEPT, full/current ACCEPT, main ACCEPT"),
        row(
            "2 append on a server C that is an orphan Start generation",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              c.checkpoints(100);
              b.publish(c, M, C, A1);
              assertMessage(c, C, "Start generation");
              c.checkpoint();
              return b.pushRefs(c, M, C);
            },
            "main ACCEPT, full/current ACCEPT"),
        row(
            "3 several archives and the reset in one push, any order",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              c.checkpoints(30);
              b.publish(c, M, C);
              c.checkpoints(200);
              return b.pushRefs(c, C, A2, A1);
            },
            "full/current ACCEPT, full/0000000000002 ACCEPT, full/0000000000001 ACCEPT"),
        row(
            "4 a gap in the numbers, and reuse of a deleted number",
            b -> {
              ClientRepo c = b.client(V0_6_1);
              c.checkpoints(300);
              b.publish(c, A1);
              List<Verdict> v = new ArrayList<>(b.pushRefs(c, A3)); // 2 was never pushed
              b.clock.advance(Duration.ofDays(15)); // retention
              v.addAll(b.push(c, b.change(A3, null)));
              v.addAll(b.push(c, b.change(A3, c.ref(A2)))); // number 3 again, other content
              return v;
            },
            "full/0000000000003 ACCEPT, full/0000000000003 ACCEPT, full/0000000000003 ACCEPT"),
        row(
            "5a two appenders: the second merges (two-parent ff)",
            b -> {
              ClientRepo a = b.client(V0_6_2);
              a.checkpoint();
              b.publish(a, M, C);
              ClientRepo other = b.client(V0_6_2);
              b.server.cloneInto(other);
              other.checkpoint();
              b.pushRefs(other, C);
              a.checkpoint();
              a.mergeRemote(C, b.server.fetchInto(a, C, "refs/entire-fetch-tmp/c"));
              return b.pushRefs(a, C);
            },
            "full/current ACCEPT"),
        row(
            "5b stale rotator: its archive is accepted, a reset it never sends would lose data",
            b -> {
              ClientRepo a = b.client(V0_6_2);
              a.checkpoints(60);
              b.publish(a, M, C);
              ClientRepo other = b.client(V0_6_2);
              b.server.cloneInto(other);
              other.checkpoint();
              b.pushRefs(other, M, C);
              a.checkpoints(40);
              List<Verdict> v = new ArrayList<>(b.pushRefs(a, A1));
              v.addAll(b.pushRefs(a, C));
              return v;
            },
            "full/0000000000001 ACCEPT, full/current REJECT current-loss"),
        row(
            "5c two clients rotate the same generation: the second archive is non-ff",
            b -> {
              ClientRepo a = b.client(V0_6_2);
              a.checkpoints(90);
              b.publish(a, M, C);
              ClientRepo other = b.client(V0_6_2);
              b.server.cloneInto(other);
              a.checkpoints(10);
              other.checkpoints(10);
              List<Verdict> v = new ArrayList<>(b.pushRefs(a, A1));
              v.addAll(b.pushRefs(other, A1));
              return v;
            },
            "full/0000000000001 ACCEPT, full/0000000000001 REJECT archive-history"),
        row(
            "6 same checkpoint in two generations (resumed session, task splice)",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              List<String> ids = c.checkpoints(60);
              b.publish(c, M, C);
              c.checkpoints(40);
              c.addSession(ids.get(0));
              c.spliceTaskMetadata(ids.get(1), 0, "toolu_9");
              assertEquals(2, c.checkpointsIn(C).size());
              List<Verdict> v = new ArrayList<>(b.pushRefs(c, A1));
              v.addAll(b.pushRefs(c, C, M));
              return v;
            },
            "full/0000000000001 ACCEPT, full/current ACCEPT, main ACCEPT"),
        row(
            "8 retention delete of an old archive",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              c.checkpoints(100);
              b.publish(c, A1);
              b.clock.advance(Duration.ofDays(15));
              return b.push(c, b.change(A1, null));
            },
            "full/0000000000001 ACCEPT"),
        row(
            "7 the reset's archive is only local (never published)",
            b -> {
              ClientRepo c = b.client(V0_6_1);
              c.checkpoints(60);
              b.publish(c, M, C);
              c.checkpoints(40);
              c.upgrade(V0_6_2); // rotations from before the upgrade have no pending record
              return b.pushRefs(c, C);
            },
            "full/current REJECT current-loss"),
        row(
            "§10.2(b) exception: a pending archive pruned by migrate --force arrives under the threshold",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              List<String> ids = c.checkpoints(60);
              b.publish(c, M, C);
              c.checkpoints(40); // rotation: A1 pending, not pushed
              c.forceMigrate(ids.subList(0, 5)); // prunes A1 to 95, re-packs the 5 into C
              assertEquals(95, c.checkpointsIn(A1).size());
              List<Verdict> v = new ArrayList<>(b.pushRefs(c, A1));
              v.addAll(b.pushRefs(c, C, M));
              return v;
            },
            "full/0000000000001 ACCEPT, full/current ACCEPT, main ACCEPT"),
        row(
            "§10.2(b) a v0.6.0 bug archive pruned by migrate --force stays rejected",
            b -> {
              ClientRepo c = b.client(V0_6_0);
              List<String> ids = c.migrate(130);
              c.pruneForForceMigration(ids.get(129));
              assertMessage(
                  c, A2, "Reset checkpoint before force migration: " + ids.get(129) + "\n");
              return b.pushRefs(c, A2);
            },
            "full/0000000000002 REJECT archive-threshold"),
        row(
            "reset whose only cover is an archive the same push deletes",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              c.checkpoints(60);
              b.publish(c, M, C);
              c.checkpoints(40);
              b.pushRefs(c, A1);
              b.clock.advance(Duration.ofDays(15));
              return b.push(c, b.change(A1, null), b.changeTo(c, C));
            },
            "full/0000000000001 ACCEPT, full/current REJECT current-loss"),
        row(
            "reset whose only cover is an archive this push rejects",
            b -> {
              ClientRepo c = b.client(V0_6_2, 50); // a client whose threshold was overridden
              c.checkpoints(30);
              b.publish(c, M, C);
              c.checkpoints(20);
              return b.pushRefs(c, A1, C);
            },
            "full/0000000000001 REJECT archive-threshold, full/current REJECT current-loss"),
        row(
            "reset covered by content only (merged archive, old tip not an ancestor)",
            b -> {
              ClientRepo a = b.client(V0_6_2);
              a.checkpoints(99);
              b.publish(a, M, C);
              ClientRepo stale = b.client(V0_6_2);
              b.server.cloneInto(stale);
              a.checkpoint(); // rotates
              b.pushRefs(a, A1);
              stale.checkpoint(); // appended on the old generation
              b.pushRefs(stale, C); // reaches the server before a's reset
              // the stale client's archive merge
              stale.mergeIntoArchive(
                  A1, b.server.fetchInto(stale, A1, "refs/entire-fetch-tmp/archive-1"));
              b.pushRefs(stale, A1);
              return b.pushRefs(
                  a, C); // a's reset: server C is no ancestor of A1, A1 holds its content
            },
            "full/current ACCEPT"),
        row(
            "an archive create on top of a rejected sibling in the same push",
            b -> {
              ClientRepo c = b.client(V0_6_0);
              c.migrate(130);
              return b.pushRefs(c, A1, A2);
            },
            "full/0000000000001 ACCEPT, full/0000000000002 REJECT archive-threshold"),
        row(
            "non-commit new values: blob, tree, annotated tag",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              c.checkpoint();
              ObjectId blob = c.insertBlob("x");
              ObjectId tree = c.insertTree(c.flatTree(C));
              ObjectId tag = c.insertTag(c.ref(M), Constants.OBJ_COMMIT, "v1");
              return b.push(c, b.change(M, blob), b.change(C, tree), b.change(A1, tag));
            },
            "main REJECT not-a-commit, full/current REJECT not-a-commit, "
                + "full/0000000000001 REJECT not-a-commit"),
        row(
            "a new value that is not in the repository",
            b -> {
              ClientRepo c = b.client(V0_6_2);
              return b.server.evaluate(
                  b.policy(),
                  List.of(
                      RefChange.create(
                          M, ObjectId.fromString("1234567890123456789012345678901234567890"))));
            },
            "main REJECT missing-object"),
        row(
            "warn mode: rejections become warnings",
            b -> {
              b.settings = b.settings.withMode(GuardSettings.Mode.WARN);
              ClientRepo c = b.client(V0_6_0);
              c.migrate(30);
              b.publish(c, M);
              return b.push(c, b.changeTo(c, A1), b.change(M, null));
            },
            "full/0000000000001 WARN archive-threshold, main WARN main-delete"),
        row(
            "threshold 30 accepts a 30-checkpoint archive",
            b -> {
              b.settings = b.settings.withThreshold(30);
              ClientRepo c = b.client(V0_6_0);
              c.migrate(30);
              return b.pushRefs(c, A1);
            },
            "full/0000000000001 ACCEPT"),
        row(
            "threshold 31 rejects it",
            b -> {
              b.settings = b.settings.withThreshold(31);
              ClientRepo c = b.client(V0_6_0);
              c.migrate(30);
              return b.pushRefs(c, A1);
            },
            "full/0000000000001 REJECT archive-threshold"),
        row(
            "v2 frozen: a rotation is accepted as usual",
            b -> {
              b.settings = b.settings.withV2(GuardSettings.V2State.FROZEN);
              ClientRepo c = b.client(V0_6_2);
              c.checkpoints(60);
              b.publish(c, M, C);
              c.checkpoints(40);
              List<Verdict> v = new ArrayList<>(b.pushRefs(c, A1));
              v.addAll(b.pushRefs(c, C, M));
              return v;
            },
            "full/0000000000001 ACCEPT, full/current ACCEPT, main ACCEPT"),
        row(
            "v2 frozen: an archive delete is refused, in warn mode too",
            b -> {
              b.settings =
                  b.settings.withV2(GuardSettings.V2State.FROZEN).withMode(GuardSettings.Mode.WARN);
              ClientRepo c = b.client(V0_6_2);
              c.checkpoints(100);
              b.publish(c, A1);
              b.clock.advance(java.time.Duration.ofDays(30));
              return b.push(c, b.change(A1, null));
            },
            "full/0000000000001 REJECT v2-frozen"),
        row(
            "v2 retired: every create and update is refused, in warn mode too",
            b -> {
              b.settings =
                  b.settings
                      .withV2(GuardSettings.V2State.RETIRED)
                      .withMode(GuardSettings.Mode.WARN);
              ClientRepo c = b.client(V0_6_2);
              c.checkpoints(60);
              b.publish(c, M, C);
              c.checkpoints(41);
              return b.pushRefs(c, A1, C, M);
            },
            "full/0000000000001 REJECT v2-retired, full/current REJECT v2-retired, main REJECT v2-retired"));
  }

  static void assertMessage(ClientRepo c, String ref, String message) {
    assertEquals(message, c.commit(c.ref(ref)).getFullMessage(), ref);
  }
}
