package dev.checkpointguard.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.core.CheckpointIds;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientProtocol;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.FastTempDir;
import dev.checkpointguard.fixtures.FlatTree;
import dev.checkpointguard.fixtures.TestJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.eclipse.jgit.lib.ObjectId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Guarded syncs from an unguarded upstream (a bare repository on a local path, written by real
 * {@code git push}es of every client version): the scenarios of docs/mirror.md. After every sync:
 * the checkpoint files the mirror has seen are all still on it, every ref outside v2 equals
 * upstream's, and the exit code says whether anything is held back.
 */
class MirrorSyncTest {
  @TempDir(factory = FastTempDir.class)
  Path tmp;

  private static void assertSynced(MirrorWorld w, MirrorReport r) {
    assertEquals(0, r.exitCode(), r.text());
    w.assertEqualsUpstream();
    w.assertNothingLost();
  }

  @Test
  void everyClientVersionsAppendsRotationsAndMigrationsAreMirroredAsTheyAre() throws Exception {
    for (ClientVersion v : ClientVersion.values()) {
      MirrorWorld w = new MirrorWorld(Files.createDirectories(tmp.resolve(v.label())), 5);
      ClientRepo c = w.client(v);
      c.checkpoints(3);
      if (!v.pushesV2()) {
        c.checkpoints(4); // v0.5.2/v0.5.3 rotate locally; a later client of the same user publishes
        c.upgrade(ClientVersion.V0_5_4);
      }
      w.push(c);
      assertSynced(w, w.sync());
      c.checkpoints(6); // at least one rotation
      c.migrate(7); // each version's migration (v0.6.0: an under-threshold archive, see below)
      w.push(c);
      MirrorReport r = w.sync();
      assertSynced(w, r);
      for (RefAction a : r.actions()) {
        assertFalse(a.heldBack(), v + ": " + r.text());
        if (a.rule() != null) {
          // the only refusal a client produces: v0.6.0's under-threshold migration archive,
          // mirrored as-is
          assertEquals(ClientVersion.V0_6_0, v, r.text());
          assertEquals("archive-threshold", a.rule(), r.text());
          assertTrue(r.text().contains("  ~ " + a.ref() + ": created at "), r.text());
        }
      }
      assertTrue(w.seenCount() > 0);
    }
  }

  @Test
  void recoveryMergesOfConcurrentClientsAreMirrored() throws Exception {
    MirrorWorld w = new MirrorWorld(tmp, 5);
    ClientRepo a = w.client(ClientVersion.V0_6_1);
    a.checkpoints(2);
    w.push(a);
    ClientRepo b = w.client(ClientVersion.V0_6_1);
    fetchAll(w, b);
    assertSynced(w, w.sync());
    a.checkpoint();
    w.push(a);
    b.checkpoint(); // concurrent append: B's push is rejected, B fetches and merges (§7.3 B),
    // then pushes
    ClientProtocol.Run run = w.push(b);
    assertTrue(run.transcript().contains("fetch"), run.transcript());
    assertSynced(w, w.sync());

    // v0.6.2 rotation-conflict recovery (§7.3 A): C rotates and publishes, D appended to the old
    // current
    MirrorWorld w2 = new MirrorWorld(Files.createDirectories(tmp.resolve("a")), 5);
    ClientRepo c = w2.client(ClientVersion.V0_6_2);
    ClientRepo d = w2.client(ClientVersion.V0_6_2);
    c.checkpoints(3);
    w2.push(c);
    fetchAll(w2, d);
    assertSynced(w2, w2.sync());
    c.checkpoints(2); // reaches 5: rotates
    w2.push(c);
    assertSynced(w2, w2.sync());
    d.checkpoint(); // 4 in D's current: D's push is rejected, D merges into the archive (§7.3 A)
    ClientProtocol.Run recovered = w2.push(d);
    assertTrue(recovered.pushes().size() >= 2, recovered.transcript());
    assertSynced(w2, w2.sync());
  }

  @Test
  void aStaleForcedResetIsMergedBackHeldBackAndResolvedByThePrintedCommand() throws Exception {
    MirrorWorld w = new MirrorWorld(tmp, 10);
    ClientRepo a = w.client(ClientVersion.V0_6_2);
    a.checkpoints(2);
    w.push(a);
    ClientRepo b = w.client(ClientVersion.V0_6_2);
    fetchAll(w, b);
    a.checkpoints(2);
    w.push(a);
    assertSynced(w, w.sync());
    String stale = b.checkpoint();
    w.gitPush(b, "+" + RefNames.CURRENT + ":" + RefNames.CURRENT);
    MirrorWorld.Cli cli = w.mirrorCli();
    assertEquals(1, cli.exit(), cli.toString());
    w.assertNothingLost();
    w.assertOtherRefsEqualUpstream();
    Map<String, ObjectId> m = MirrorWorld.refs(w.mirror);
    ObjectId up = MirrorWorld.refs(w.upstream).get(RefNames.CURRENT);
    assertNotEquals(up, m.get(RefNames.CURRENT));
    assertEquals(up, m.get(MirrorRefs.upstreamRef(RefNames.CURRENT)));
    Set<String> held = ids(w, m.get(RefNames.CURRENT));
    assertTrue(held.contains(stale), held.toString());
    assertTrue(held.containsAll(ids(w, up)), held + " " + ids(w, up));
    assertEquals(4 + 1, held.size(), held.toString());
    w.assertCheck(Set.of(RefNames.CURRENT), Map.of());
    String line =
        line(
            cli.out(),
            "  ! "
                + RefNames.CURRENT
                + ": held back (rule current-loss): upstream's "
                + up.abbreviate(10).name()
                + " drops 2 checkpoints (4 files) no other ref holds; the mirror keeps them");
    // nothing new: nothing changes, the same is reported
    MirrorReport again = w.sync();
    assertEquals(1, again.exitCode(), again.text());
    assertEquals(0, again.changed(), again.text());
    assertEquals(m, MirrorWorld.refs(w.mirror));
    // upstream appends: the mirror follows and still keeps the two
    a.checkpoint();
    w.gitPush(a, "+" + RefNames.CURRENT + ":" + RefNames.CURRENT); // a's own stale view: drops b's
    MirrorReport followed = w.sync();
    assertEquals(1, followed.exitCode(), followed.text());
    w.assertNothingLost();
    // the printed hint makes upstream hold it too; the next sync finds the mirror equal to upstream
    String hint = line.substring(line.indexOf("git -C "));
    hint = w.sync().text().lines().filter(l -> l.contains("git -C ")).findFirst().orElseThrow();
    hint = hint.substring(hint.indexOf("git -C ") + 4);
    List<String> args = new ArrayList<>(List.of(hint.split(" ")));
    w.git.run(tmp, args).expectOk();
    assertSynced(w, w.sync());
    assertNull(MirrorWorld.refs(w.mirror).get(MirrorRefs.upstreamRef(RefNames.CURRENT)));
    w.assertCheck(Set.of(), Map.of());
  }

  @Test
  void aRetentionDeleteUpstreamIsFollowedAndTheArchiveIsKept() throws Exception {
    MirrorWorld w = new MirrorWorld(tmp, 5);
    ClientRepo c = w.client(ClientVersion.V0_6_2);
    c.checkpoints(7);
    w.push(c);
    assertSynced(w, w.sync());
    String archive = RefNames.archive(1);
    ObjectId tip = c.ref(archive);
    ClientProtocol.Run del =
        new ClientProtocol(c, w.git, w.upstream.toString()).deleteArchive(archive);
    assertTrue(del.ok(), del.transcript());
    MirrorReport r = w.sync();
    assertEquals(0, r.exitCode(), r.text());
    w.assertEqualsUpstream();
    w.assertNothingLost();
    RefAction a = action(r, archive);
    assertEquals(RefAction.Kind.MIRRORED_KEPT, a.kind(), r.text());
    assertEquals(5, a.checkpoints(), r.text());
    assertEquals(tip, MirrorWorld.refs(w.mirror).get(a.keptRef()));
    assertTrue(
        a.keptRef().startsWith(MirrorRefs.KEPT_PREFIX) && a.keptRef().endsWith("/" + archive),
        a.keptRef());
    assertTrue(
        r.text()
            .contains(
                "  = "
                    + archive
                    + ": deleted (was "
                    + tip.abbreviate(10).name()
                    + ") as upstream did; 5 checkpoints (10 files) no other ref holds are kept in "
                    + a.keptRef()),
        r.text());
    // the kept tip is the mirror's own: later syncs never prune it
    assertSynced(w, w.sync());
    assertEquals(tip, MirrorWorld.refs(w.mirror).get(a.keptRef()));
    List<Map<String, Object>> findings = w.assertCheck(Set.of(), Map.of());
    assertTrue(
        findings.stream()
            .anyMatch(
                f ->
                    f.get("code").equals("mirror-kept")
                        && f.get("refs").equals(List.of(a.keptRef()))
                        && ((Number) f.get("count")).intValue() == 5),
        findings.toString());
  }

  @Test
  void aStaleMirrorPushDeletingAYoungArchiveUpstreamIsHeldBack() throws Exception {
    MirrorWorld w =
        new MirrorWorld(tmp, 5, java.time.Instant.now().minus(java.time.Duration.ofHours(2)));
    ClientRepo c = w.client(ClientVersion.V0_6_2);
    c.checkpoints(6);
    w.push(c);
    assertSynced(w, w.sync());
    String archive = RefNames.archive(1);
    w.inUpstream(
        "update-ref",
        "-d",
        archive); // an admin's stale git push --mirror, minutes after the rotation
    MirrorReport r = w.sync();
    assertEquals(1, r.exitCode(), r.text());
    RefAction a = action(r, archive);
    assertEquals(RefAction.Kind.HELD, a.kind(), r.text());
    assertEquals("archive-age", a.rule());
    assertEquals(c.ref(archive), MirrorWorld.refs(w.mirror).get(archive));
    w.assertNothingLost();
    w.assertCheck(Set.of(archive), Map.of());
  }

  @Test
  void deletesOfMainAndCurrentUpstreamAreHeldBack() throws Exception {
    MirrorWorld w = new MirrorWorld(tmp, 5);
    ClientRepo c = w.client(ClientVersion.V0_6_2);
    c.checkpoints(3);
    w.push(c);
    assertSynced(w, w.sync());
    Map<String, ObjectId> before = MirrorWorld.refs(w.mirror);
    w.inUpstream("update-ref", "-d", RefNames.CURRENT);
    w.inUpstream("update-ref", "-d", RefNames.MAIN);
    MirrorReport r = w.sync();
    assertEquals(1, r.exitCode(), r.text());
    assertEquals(RefAction.Kind.HELD, action(r, RefNames.CURRENT).kind());
    assertEquals("current-delete", action(r, RefNames.CURRENT).rule());
    assertEquals("main-delete", action(r, RefNames.MAIN).rule());
    assertEquals(before.get(RefNames.CURRENT), MirrorWorld.refs(w.mirror).get(RefNames.CURRENT));
    assertEquals(before.get(RefNames.MAIN), MirrorWorld.refs(w.mirror).get(RefNames.MAIN));
    assertTrue(
        r.text()
            .contains(
                "  ! "
                    + RefNames.CURRENT
                    + ": held back (rule current-delete): upstream deleted"
                    + " it; the mirror keeps "
                    + before.get(RefNames.CURRENT).abbreviate(10).name()
                    + " (3 checkpoints"),
        r.text());
    w.assertNothingLost();
    w.assertCheck(Set.of(RefNames.CURRENT, RefNames.MAIN), Map.of());
  }

  @Test
  void rewrittenAndDeletedBranchesAndTagsFollowUpstreamAndTheMirrorsOwnRefsStay() throws Exception {
    MirrorWorld w = new MirrorWorld(tmp, 5);
    ClientRepo c = w.client(ClientVersion.V0_6_2);
    c.checkpoint();
    ObjectId one = c.insertCommit(new FlatTree(), "one");
    ObjectId two = c.insertCommit(new FlatTree(), "two", one);
    ObjectId other = c.insertCommit(new FlatTree(), "unrelated");
    c.updateRef("refs/heads/main", null, two);
    c.updateRef("refs/heads/topic", null, two);
    c.updateRef("refs/tags/v1", null, one);
    w.gitPush(c, "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*");
    // upstream's own guard refs are never fetched
    w.gitPush(c, two.name() + ":refs/checkpoint-guard/backup/20260101T000000Z/refs/heads/main");
    w.push(c);
    assertSynced(w, w.sync());
    assertNull(
        MirrorWorld.refs(w.mirror)
            .get("refs/checkpoint-guard/backup/20260101T000000Z/refs/heads/main"));
    // the mirror's own refs under refs/checkpoint-guard/ are never pruned either
    w.git
        .run(
            w.mirror,
            "update-ref",
            "refs/checkpoint-guard/backup/20260202T000000Z/refs/heads/x",
            one.name())
        .expectOk();
    w.gitPush(
        c,
        "+" + other.name() + ":refs/heads/main",
        ":refs/heads/topic",
        ":refs/tags/v1",
        one.name() + ":refs/tags/v2",
        two.name() + ":refs/heads/new");
    MirrorReport r = w.sync();
    assertSynced(w, r);
    String text = r.text();
    assertTrue(
        text.contains(
            "  + refs/heads/main: "
                + two.abbreviate(10).name()
                + "..."
                + other.abbreviate(10).name()
                + " (forced update)"),
        text);
    assertTrue(
        text.contains("  - refs/heads/topic: deleted (was " + two.abbreviate(10).name() + ")"),
        text);
    assertTrue(text.contains("  * refs/tags/v2: created at " + one.abbreviate(10).name()), text);
    assertEquals(
        one,
        MirrorWorld.refs(w.mirror)
            .get("refs/checkpoint-guard/backup/20260202T000000Z/refs/heads/x"));
  }

  @Test
  void anUpstreamThatCannotBeReadLeavesTheMirrorUnchanged() throws Exception {
    MirrorWorld w = new MirrorWorld(tmp, 5);
    ClientRepo c = w.client(ClientVersion.V0_6_2);
    c.checkpoints(2);
    w.push(c);
    assertSynced(w, w.sync());
    Map<String, ObjectId> before = MirrorWorld.refs(w.mirror);
    w.from = tmp.resolve("gone.git").toString();
    MirrorWorld.Cli r = w.mirrorCli();
    assertEquals(2, r.exit(), r.toString());
    assertEquals("", r.out());
    assertTrue(
        r.err().startsWith("checkpoint-guard mirror: cannot fetch from " + w.from + ": "), r.err());
    assertTrue(r.err().trim().endsWith("; the mirror is unchanged"), r.err());
    assertEquals(before, MirrorWorld.refs(w.mirror));
    MirrorWorld.Cli json = w.mirrorCli("--json");
    assertEquals(2, json.exit());
    assertTrue(json.out().contains("\"result\": \"failed\""), json.out());
  }

  @Test
  void aPushToTheMirrorDuringASyncMakesItPlanAgainAndIsNeverOverwritten() throws Exception {
    MirrorWorld w = new MirrorWorld(tmp, 10);
    ClientRepo a = w.client(ClientVersion.V0_6_2);
    a.checkpoints(2);
    w.push(a);
    assertSynced(w, w.sync());
    ClientRepo pusher = w.client(ClientVersion.V0_6_2);
    w.git
        .run(pusher.directory(), "fetch", "-q", w.mirror.toString(), "+refs/entire/*:refs/entire/*")
        .expectOk();
    String pushed = pusher.checkpoint();
    a.checkpoints(2);
    w.push(a);
    List<Integer> attempts = new ArrayList<>();
    MirrorReport r =
        w.sync(
            new MirrorSync.Listener() {
              @Override
              public void beforeApply(int attempt) {
                attempts.add(attempt);
                if (attempt == 1) {
                  ClientProtocol.Run p =
                      new ClientProtocol(pusher, w.git, w.mirror.toString()).prePush();
                  assertTrue(p.ok(), p.transcript());
                }
              }
            });
    assertEquals(List.of(1, 2), attempts);
    assertEquals(2, r.attempts());
    assertEquals(1, r.exitCode(), r.text());
    w.observe();
    w.assertNothingLost();
    Set<String> onMirror = ids(w, MirrorWorld.refs(w.mirror).get(RefNames.CURRENT));
    assertTrue(onMirror.contains(pushed), onMirror.toString());
    assertTrue(onMirror.containsAll(ids(w, MirrorWorld.refs(w.upstream).get(RefNames.CURRENT))));
    // the pusher's /main and upstream's both moved on from the mirror's: both are merged
    w.assertCheck(Set.of(RefNames.CURRENT, RefNames.MAIN), Map.of());
  }

  @Test
  void aHundredSyncsWithNothingNewChangeNothing() throws Exception {
    MirrorWorld w = new MirrorWorld(tmp, 5);
    ClientRepo c = w.client(ClientVersion.V0_6_2);
    c.checkpoints(12);
    w.push(c);
    w.gitPush(c, c.ref(RefNames.MAIN).name() + ":refs/heads/main");
    assertSynced(w, w.sync());
    Map<String, ObjectId> before = MirrorWorld.refs(w.mirror);
    long objects = countObjects(w.mirror);
    List<Long> micros = new ArrayList<>();
    try (var repo = MirrorWorld.open(w.mirror)) {
      Upstream up = Upstream.parse(w.from);
      for (int i = 0; i < 100; i++) {
        MirrorReport r = MirrorSync.run(repo, up, MirrorSync.Options.defaults(w.git.environment()));
        assertEquals(0, r.exitCode(), r.text());
        assertEquals(0, r.changed(), r.text());
        assertEquals(0, r.fetchedTips());
        micros.add(r.duration().toNanos() / 1000);
      }
    }
    assertEquals(before, MirrorWorld.refs(w.mirror));
    assertEquals(objects, countObjects(w.mirror));
    w.assertNothingLost();
    java.util.Collections.sort(micros);
    System.out.println(
        "[mirror] 100 syncs with nothing new: median " + micros.get(50) + " us (not asserted)");
  }

  @Test
  void anUnderThresholdArchiveIsMirroredAsItIsAndReported() throws Exception {
    MirrorWorld w = new MirrorWorld(tmp, ClientRepo.DEFAULT_THRESHOLD);
    ClientRepo c = w.client(ClientVersion.V0_6_0);
    c.migrate(7); // the remainder of the migration as an archive of its own: the v0.6.0 bug (§9)
    w.push(c);
    MirrorWorld.Cli r = w.mirrorCli();
    assertEquals(0, r.exit(), r.toString());
    w.assertEqualsUpstream();
    w.assertNothingLost();
    String archive = c.latestArchive();
    line(
        r.out(),
        "  ~ "
            + archive
            + ": created at "
            + c.ref(archive).abbreviate(10).name()
            + "; as upstream has it, although a push would be refused (rule archive-threshold: archived generation "
            + archive
            + " holds 7 checkpoints, fewer than the threshold 100");
    // upstream's damage, mirrored: check names it, nothing is held back
    w.assertCheck(Set.of(), Map.of("under-threshold-archive", archive));
  }

  @Test
  void anUpstreamArchiveRewriteThatDropsCheckpointsIsMergedBack() throws Exception {
    MirrorWorld w = new MirrorWorld(tmp, 5);
    ClientRepo c = w.client(ClientVersion.V0_6_2);
    c.checkpoints(5);
    w.push(c);
    assertSynced(w, w.sync());
    String archive = RefNames.archive(1);
    FlatTree t = c.flatTree(archive);
    String dropped = t.checkpointIds().first();
    for (String p : t.pathsUnder(dropped.substring(0, 2) + "/" + dropped.substring(2))) {
      t.remove(p);
    }
    ObjectId rewritten = c.insertCommit(t, "rewritten");
    w.gitPush(c, "+" + rewritten.name() + ":" + archive);
    MirrorReport r = w.sync();
    assertEquals(1, r.exitCode(), r.text());
    RefAction a = action(r, archive);
    assertEquals(RefAction.Kind.MERGED, a.kind(), r.text());
    assertEquals("archive-history", a.rule());
    assertEquals(1, a.checkpoints());
    w.assertNothingLost();
    assertEquals(5, ids(w, MirrorWorld.refs(w.mirror).get(archive)).size());
  }

  @Test
  void aValueThatIsNotACommitIsHeldAndRecorded() throws Exception {
    MirrorWorld w = new MirrorWorld(tmp, 5);
    ClientRepo c = w.client(ClientVersion.V0_6_2);
    c.checkpoints(2);
    w.push(c);
    assertSynced(w, w.sync());
    ObjectId tag =
        c.insertTag(c.ref(RefNames.CURRENT), org.eclipse.jgit.lib.Constants.OBJ_COMMIT, "t");
    w.gitPush(c, "+" + tag.name() + ":" + RefNames.CURRENT);
    MirrorReport r = w.sync();
    assertEquals(1, r.exitCode(), r.text());
    RefAction a = action(r, RefNames.CURRENT);
    assertEquals(RefAction.Kind.HELD, a.kind());
    assertEquals("not-a-commit", a.rule());
    assertEquals(tag, MirrorWorld.refs(w.mirror).get(MirrorRefs.upstreamRef(RefNames.CURRENT)));
    assertEquals(
        c.ref(RefNames.CURRENT).equals(tag) ? null : a.mirror(),
        MirrorWorld.refs(w.mirror).get(RefNames.CURRENT));
  }

  @Test
  void inWarnModeARefusedResetIsMirroredAndTheDroppedTipKept() throws Exception {
    MirrorWorld w = new MirrorWorld(tmp, 5);
    w.git.run(w.mirror, "config", "checkpointGuard.mode", "warn").expectOk();
    ClientRepo a = w.client(ClientVersion.V0_6_2);
    a.checkpoints(2);
    w.push(a);
    ClientRepo b = w.client(ClientVersion.V0_6_2);
    fetchAll(w, b);
    a.checkpoints(2);
    w.push(a);
    assertSynced(w, w.sync());
    b.checkpoint();
    w.gitPush(b, "+" + RefNames.CURRENT + ":" + RefNames.CURRENT);
    MirrorReport r = w.sync();
    assertSynced(w, r);
    RefAction act = action(r, RefNames.CURRENT);
    assertEquals(RefAction.Kind.MIRRORED_KEPT, act.kind(), r.text());
    assertNotNull(MirrorWorld.refs(w.mirror).get(act.keptRef()));
  }

  @Test
  void theCommandLineReportsUsageErrorsInOneLine() throws Exception {
    MirrorWorld w = new MirrorWorld(tmp, 5);
    List<String[]> bad =
        List.of(
            new String[] {
              "mirror",
              "--repo",
              w.mirror.toString(),
              "--from",
              "https://alice:secret@example.com/x.git"
            },
            new String[] {
              "mirror", "--repo", w.mirror.toString(), "--from", "git://example.com/x.git"
            },
            new String[] {
              "mirror", "--repo", w.mirror.toString(), "--from", "ftp://example.com/x.git"
            },
            new String[] {
              "mirror",
              "--repo",
              w.mirror.toString(),
              "--from",
              w.upstream.toString(),
              "--timeout",
              "0"
            },
            new String[] {
              "mirror",
              "--repo",
              tmp.resolve("no/such/dir").toString(),
              "--from",
              w.upstream.toString()
            },
            new String[] {"mirror", "--from", w.upstream.toString()});
    for (String[] args : bad) {
      MirrorWorld.Cli r = w.cli(args);
      assertEquals(2, r.exit(), r.toString());
      assertEquals(1, r.err().lines().filter(l -> !l.startsWith("Try")).count(), r.toString());
      assertFalse(r.err().contains("secret"), r.err());
      assertFalse(r.err().contains("Exception"), r.err());
    }
    // a new path becomes the mirror, as git clone --mirror makes one
    Path fresh = tmp.resolve("fresh.git");
    MirrorWorld.Cli made =
        w.cli("mirror", "--repo", fresh.toString(), "--from", w.upstream.toString());
    assertEquals(0, made.exit(), made.toString());
    assertEquals(
        "checkpoint-guard mirror: created the empty bare repository " + fresh + "\n", made.err());
    assertTrue(Files.isRegularFile(fresh.resolve("HEAD")));
    Path work = tmp.resolve("work");
    w.git.run(tmp, "init", "-q", work.toString()).expectOk();
    MirrorWorld.Cli r = w.cli("mirror", "--repo", work.toString(), "--from", w.upstream.toString());
    assertEquals(
        "checkpoint-guard mirror: --repo "
            + work
            + ": a mirror is a bare repository (git init --bare), not"
            + " a work tree\n",
        r.err());
  }

  @Test
  void aDryRunPrintsThePlanAndMovesNoRef() throws Exception {
    MirrorWorld w = new MirrorWorld(tmp, 5);
    ClientRepo c = w.client(ClientVersion.V0_6_2);
    c.checkpoints(3);
    w.push(c);
    MirrorWorld.Cli dry = w.mirrorCli("--dry-run");
    assertEquals(0, dry.exit(), dry.toString());
    assertTrue(dry.out().contains("(dry run: nothing is changed)"), dry.out());
    assertTrue(dry.out().contains("  * " + RefNames.CURRENT + ": created at "), dry.out());
    assertEquals(Map.of(), MirrorWorld.refs(w.mirror));
    assertFalse(Files.exists(w.mirror.resolve(MirrorStatus.FILE)));
    w.from = w.upstream.toUri().toString(); // file:// works as a path does
    assertTrue(w.from.startsWith("file:///"), w.from);
    MirrorWorld.Cli json = w.mirrorCli("--json");
    assertEquals(0, json.exit(), json.toString());
    @SuppressWarnings("unchecked")
    Map<String, Object> doc = (Map<String, Object>) TestJson.parse(json.out());
    assertEquals(MirrorReport.SCHEMA, doc.get("schema"));
    assertEquals("updated", doc.get("result"));
    assertEquals(
        json.out(),
        Files.readString(w.mirror.resolve(MirrorStatus.FILE))
            .replace(w.mirror.toString(), w.mirror.toString()));
  }

  // ----------------------------------------------------------------------------------------
  // helpers

  static void fetchAll(MirrorWorld w, ClientRepo c) {
    w.git
        .run(c.directory(), "fetch", "-q", w.upstream.toString(), "+refs/entire/*:refs/entire/*")
        .expectOk();
  }

  static Set<String> ids(MirrorWorld w, ObjectId tip) {
    return MirrorWorld.files(w.mirror, List.of(tip)).stream()
        .map(s -> CheckpointIds.format(s.id()))
        .collect(Collectors.toCollection(java.util.TreeSet::new));
  }

  static RefAction action(MirrorReport r, String ref) {
    return r.actions().stream()
        .filter(a -> a.ref().equals(ref))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no action for " + ref + ":\n" + r.text()));
  }

  /** The one line of {@code text} starting with {@code prefix}. */
  static String line(String text, String prefix) {
    List<String> l = text.lines().filter(s -> s.startsWith(prefix)).toList();
    assertEquals(1, l.size(), "expected one line starting with\n" + prefix + "\nin\n" + text);
    return l.get(0);
  }

  static long countObjects(Path dir) throws Exception {
    try (var s = Files.walk(dir.resolve("objects"))) {
      return s.filter(Files::isRegularFile).count();
    }
  }

  static Map<String, ObjectId> sorted(Map<String, ObjectId> m) {
    return new TreeMap<>(m);
  }
}
