package dev.checkpointguard.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.FlatTree;
import dev.checkpointguard.fixtures.GitCli;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.lib.ObjectId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Real {@code git push}es into bare repositories that install.sh prepared. */
class StockPushTest extends StockHookFixture {
  static final String ARCHIVE1 = RefNames.archive(1);

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"local path", "file:// URL"})
  void refusesANonFastForwardOfMainAndAcceptsItsCreation(String transport) throws Exception {
    Path server = bare("server one.git");
    install("--repo", server.toString()).expectOk();
    String url = transport.startsWith("file") ? "file://" + server : server.toString();
    Path client;
    ObjectId first;
    ObjectId other;
    try (ClientRepo c = clientRepo("client.git", ClientRepo.DEFAULT_THRESHOLD)) {
      c.checkpoint();
      client = c.directory();
      first = c.ref(MAIN);
      other = c.insertCommit(new FlatTree(), "Initialize v2 ref"); // unrelated: not a fast-forward
    }
    GitCli.Result created = push(client, url, MAIN + ":" + MAIN);
    assertEquals(0, created.exitCode(), created.toString());
    assertEquals(List.of(), created.remoteLines(), created.toString());
    assertEquals(first.name(), serverRef(server, MAIN));

    setRef(client, MAIN, other);
    GitCli.Result forced = push(client, url, "+" + MAIN + ":" + MAIN);
    assertEquals(1, forced.exitCode(), forced.toString());
    assertLines(List.of(MAIN_HISTORY), forced.remoteLines(), forced);
    assertTrue(
        forced
            .stderr()
            .contains(
                " ! [remote rejected] " + MAIN + " -> " + MAIN + " (pre-receive hook declined)"),
        forced.toString());
    assertEquals(first.name(), serverRef(server, MAIN), "the server's main must not move");
  }

  /** A client state after a rotation, with what the server had before it. */
  private record Rotated(
      Path dir,
      List<String> ids,
      ObjectId before,
      ObjectId archive,
      ObjectId reset,
      ObjectId small) {}

  /**
   * A {@code v0.6.2} client with threshold 3 that pushed {@code /main} and {@code /full/current}
   * with two checkpoints, then wrote a third, which rotated: {@code ARCHIVE1} holds all three,
   * {@code /full/current} is the {@code Start generation} reset. {@code small} is an
   * under-threshold archive of the two pushed checkpoints, as the {@code v0.6.0} migration bug
   * writes (spec §9).
   */
  private Rotated rotatedClient(Path server) throws Exception {
    try (ClientRepo c = clientRepo("client.git", 3)) {
      List<String> ids = new ArrayList<>(c.checkpoints(2));
      ObjectId before = c.ref(CURRENT);
      push(c.directory(), server.toString(), MAIN + ":" + MAIN, CURRENT + ":" + CURRENT).expectOk();
      ids.add(c.checkpoint());
      assertEquals(
          List.of(ARCHIVE1), List.copyOf(c.archives().keySet()), "the third checkpoint rotates");
      ObjectId small =
          c.insertCommit(
              c.flatTreeOf(c.commit(before).getTree().getId()), "Archive migrated generation");
      return new Rotated(c.directory(), ids, before, c.ref(ARCHIVE1), c.ref(CURRENT), small);
    }
  }

  private static String threshold(int holds) {
    return "checkpoint-guard: archived generation refs/entire/checkpoints/v2/full/0000000000001 holds "
        + holds
        + " checkpoints, fewer than the threshold 3 (rule archive-threshold); "
        + "only the v2 migration of Entire CLI v0.6.0 makes them, and your v1 branch still has "
        + "their checkpoints: upgrade the Entire CLI (v0.6.2 and later stop pushing it); "
        + "the server's administrator can run checkpoint-guard repair";
  }

  @Test
  void judgesARotationWhoseArchiveObjectsAreOnlyInTheQuarantine() throws Exception {
    // ':' in the path makes git C-quote GIT_ALTERNATE_OBJECT_DIRECTORIES, which JGit cannot split
    // itself
    Path server = bare("srv:quoted one.git");
    cli.run(server, "config", "checkpointGuard.threshold", "3").expectOk();
    install("--repo", server.toString()).expectOk();
    Rotated r = rotatedClient(server);

    GitCli.Result uncovered = push(r.dir(), server.toString(), "+" + CURRENT + ":" + CURRENT);
    assertEquals(1, uncovered.exitCode(), uncovered.toString());
    List<String> lost = new ArrayList<>(r.ids().subList(0, 2));
    lost.sort(null);
    assertLines(
        List.of(
            "checkpoint-guard: non-fast-forward: resetting refs/entire/checkpoints/v2/full/current would"
                + " lose 2 raw transcripts of 2 checkpoints that no archived generation holds ("
                + String.join(", ", lost.stream().map(id -> id + "/0/raw_transcript").toList())
                + ") (rule current-loss); fetch, merge and push again"),
        uncovered.remoteLines(),
        uncovered);

    GitCli.Result tooSmall = push(r.dir(), server.toString(), r.small().name() + ":" + ARCHIVE1);
    assertEquals(1, tooSmall.exitCode(), tooSmall.toString());
    assertLines(List.of(threshold(2)), tooSmall.remoteLines(), tooSmall);

    assertNotEquals(
        0,
        cli.run(server, "cat-file", "-e", r.archive().name()).exitCode(),
        "archive not yet on the server");
    // the reset and its archive in one push: git applies them one by one, so the archive of the
    // push does
    // not cover the reset (docs/stock-hook.md); the hook still reads the archive from the
    // quarantine
    GitCli.Result together =
        push(r.dir(), server.toString(), "+" + CURRENT + ":" + CURRENT, ARCHIVE1 + ":" + ARCHIVE1);
    assertEquals(1, together.exitCode(), together.toString());
    assertTrue(
        String.join("\n", together.remoteLines()).contains("push them first, then the reset"),
        together.toString());
    // as v0.6.2 publishes: the archive alone (counted from the quarantine), then the reset
    GitCli.Result archive = push(r.dir(), server.toString(), ARCHIVE1 + ":" + ARCHIVE1);
    assertEquals(0, archive.exitCode(), archive.toString());
    GitCli.Result reset = push(r.dir(), server.toString(), "+" + CURRENT + ":" + CURRENT);
    assertEquals(0, reset.exitCode(), reset.toString());
    assertEquals(List.of(), reset.remoteLines(), reset.toString());
    assertEquals(r.reset().name(), serverRef(server, CURRENT));
    assertEquals(r.archive().name(), serverRef(server, ARCHIVE1));
  }

  @Test
  void perRefModeRefusesOnlyTheOffendingRef() throws Exception {
    Path server = bare("server.git");
    cli.run(server, "config", "checkpointGuard.threshold", "3").expectOk();
    install("--per-ref", "--repo", server.toString()).expectOk();
    Rotated r = rotatedClient(server);

    // v0.6.0/v0.6.1: main and the latest archive (here the bad one) in one non-atomic push
    GitCli.Result mixed =
        push(r.dir(), server.toString(), MAIN + ":" + MAIN, r.small().name() + ":" + ARCHIVE1);
    assertEquals(1, mixed.exitCode(), mixed.toString());
    assertLines(
        List.of(threshold(2), "error: hook declined to update " + ARCHIVE1),
        mixed.remoteLines(),
        mixed);
    assertTrue(
        mixed
            .stderr()
            .contains(
                " ! [remote rejected] "
                    + r.small().name()
                    + " -> "
                    + ARCHIVE1
                    + " (hook declined)"),
        mixed.toString());
    assertEquals(
        cli.run(r.dir(), "rev-parse", MAIN).stdout().trim(),
        serverRef(server, MAIN),
        "main is not blocked by the bad archive");
    assertEquals(null, serverRef(server, ARCHIVE1));

    // a reset sent with its covering archive, which git applies after the reset: only the reset is
    // refused, the archive lands, and the reset alone is then covered by it
    GitCli.Result rotation =
        push(r.dir(), server.toString(), "+" + CURRENT + ":" + CURRENT, ARCHIVE1 + ":" + ARCHIVE1);
    assertEquals(1, rotation.exitCode(), rotation.toString());
    assertTrue(
        rotation.stderr().contains(" * [new reference]   " + ARCHIVE1 + " -> " + ARCHIVE1),
        rotation.toString());
    assertTrue(
        rotation
            .stderr()
            .contains(" ! [remote rejected] " + CURRENT + " -> " + CURRENT + " (hook declined)"),
        rotation.toString());
    GitCli.Result reset = push(r.dir(), server.toString(), "+" + CURRENT + ":" + CURRENT);
    assertEquals(0, reset.exitCode(), reset.toString());
    assertEquals(r.reset().name(), serverRef(server, CURRENT));
    assertEquals(r.archive().name(), serverRef(server, ARCHIVE1));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"all-or-nothing", "per-ref"})
  void refusesPushesIntoTheRepairBackupNamespace(String mode) throws Exception {
    Path server = bare("server.git");
    if (mode.equals("per-ref")) {
      install("--per-ref", "--repo", server.toString()).expectOk();
    } else {
      install("--repo", server.toString()).expectOk();
    }
    String backup = RefNames.BACKUP_PREFIX + "20260101T000000Z/" + MAIN;
    Path client;
    try (ClientRepo c = clientRepo("client.git", ClientRepo.DEFAULT_THRESHOLD)) {
      c.checkpoint();
      client = c.directory();
    }
    // only a backup ref in the push: the wrapper must still start the guard
    GitCli.Result forged = push(client, server.toString(), MAIN + ":" + backup);
    assertEquals(1, forged.exitCode(), forged.toString());
    List<String> expected = new ArrayList<>();
    expected.add(
        "checkpoint-guard: pushing "
            + backup
            + " is not allowed (rule guard-ref): refs under "
            + RefNames.GUARD_PREFIX
            + " are the server's own (repair backups, mirror copies) and are written"
            + " only by checkpoint-guard on the server");
    if (mode.equals("per-ref")) {
      expected.add("error: hook declined to update " + backup);
    }
    assertLines(expected, forged.remoteLines(), forged);
    assertEquals(null, serverRef(server, backup));
  }

  @Test
  void updateHookWithoutAVerdictJudgesTheRefAlone() throws Exception {
    Path server = bare("server.git");
    install("--per-ref", "--repo", server.toString()).expectOk();
    Path client;
    ObjectId main;
    ObjectId other;
    try (ClientRepo c = clientRepo("client.git", ClientRepo.DEFAULT_THRESHOLD)) {
      c.checkpoint();
      client = c.directory();
      main = c.ref(MAIN);
      other = c.insertCommit(new FlatTree(), "Initialize v2 ref");
      c.updateRef("refs/heads/other", ObjectId.zeroId(), other);
    }
    push(client, server.toString(), MAIN + ":" + MAIN, "refs/heads/other:refs/heads/other")
        .expectOk();
    Path hook = server.resolve("hooks").resolve("update");
    GitCli.Result alone =
        cli.with("GIT_DIR", server.toString())
            .exec(server, null, List.of(hook.toString(), MAIN, main.name(), other.name()));
    assertEquals(1, alone.exitCode(), alone.toString());
    assertEquals(MAIN_HISTORY + "\n", alone.stderr());
    GitCli.Result ff =
        cli.with("GIT_DIR", server.toString())
            .exec(
                server, null, List.of(hook.toString(), "refs/heads/x", main.name(), other.name()));
    assertEquals(0, ff.exitCode(), ff.toString());
  }

  /**
   * Without pre-receive verdicts the update hook judges each ref alone, against the refs as they
   * are when git calls it. git (C client) sends updates of existing refs first, in the server's
   * advertisement order, then creations in command-line order; the server runs update hooks in that
   * order and, in a non-atomic push, commits each ref before the next hook (atomic: nothing until
   * all passed). An archive created in the same push therefore always comes after the reset of the
   * existing {@code /full/current}, whatever the refspec order: alone, the update hook must refuse
   * such a rotation, which is why per-ref mode applies the whole push's verdicts instead.
   */
  @Test
  void updateHookAloneNeverSeesAnArchiveCreatedInTheSamePush() throws Exception {
    Path server = bare("server.git");
    cli.run(server, "config", "checkpointGuard.threshold", "3").expectOk();
    install("--per-ref", "--repo", server.toString()).expectOk();
    // a hand-made setup without the pre-receive half: no verdicts, every guarded ref judged alone
    writeExecutable(server.resolve("hooks/pre-receive"), "#!/bin/sh\nexit 0\n");
    Rotated r = rotatedClient(server);
    // the server's current also has the third checkpoint: the archive covers exactly what a reset
    // drops
    ObjectId full = r.archive();
    String serverPath = server.toString();
    push(
            r.dir(),
            serverPath,
            cli.run(r.dir(), "rev-parse", full.name() + "^").stdout().trim() + ":" + CURRENT)
        .expectOk();
    ObjectId current = ObjectId.fromString(serverRef(server, CURRENT));
    String resetCurrent = "+" + CURRENT + ":" + CURRENT;
    String archive1 = ARCHIVE1 + ":" + ARCHIVE1;
    String refused = " ! [remote rejected] " + CURRENT + " -> " + CURRENT + " (hook declined)";

    GitCli.Result atomic = push(r.dir(), "--atomic", serverPath, archive1, resetCurrent);
    assertEquals(1, atomic.exitCode(), atomic.toString());
    assertTrue(atomic.stderr().contains(refused), atomic.toString());
    assertEquals(null, serverRef(server, ARCHIVE1), "atomic: nothing is updated");

    for (List<String> order :
        List.of(List.of(archive1, resetCurrent), List.of(resetCurrent, archive1))) {
      GitCli.Result p = push(r.dir(), serverPath, order.get(0), order.get(1));
      assertEquals(1, p.exitCode(), p.toString());
      assertTrue(p.stderr().contains(refused), p.toString());
      assertEquals(current.name(), serverRef(server, CURRENT));
      assertNotEquals(
          null, serverRef(server, ARCHIVE1), "non-atomic: the archive itself is accepted");
      cli.run(server, "update-ref", "-d", ARCHIVE1).expectOk();
    }

    // once the archive is on the server (the v0.6.2 client's separate, earlier push), the reset
    // passes
    push(r.dir(), serverPath, archive1).expectOk();
    push(r.dir(), serverPath, resetCurrent).expectOk();
    assertEquals(r.reset().name(), serverRef(server, CURRENT));
  }

  @Test
  void sha256RepositoryIsRefusedByDefaultAndAcceptedWhenConfigured() throws Exception {
    Path server = bare("server256.git", "--object-format=sha256");
    install("--repo", server.toString()).expectOk();
    Path client = client("client256", "--object-format=sha256");
    cli.run(client, "commit", "-q", "--allow-empty", "-m", "Initialize v2 ref").expectOk();
    GitCli.Result refused = push(client, server.toString(), "HEAD:" + MAIN);
    assertEquals(1, refused.exitCode(), refused.toString());
    assertLines(
        List.of(
            "checkpoint-guard: refs/entire/checkpoints/v2/main refused: the server cannot read this"
                + " repository (it uses SHA-256 object ids, which JGit cannot read) (rule"
                + " unreadable-repository); ask the server administrator (git config"
                + " checkpointGuard.unreadableRepository is reject)"),
        refused.remoteLines(),
        refused);
    assertEquals(null, serverRef(server, MAIN));

    cli.run(server, "config", "checkpointGuard.unreadableRepository", "accept").expectOk();
    GitCli.Result accepted = push(client, server.toString(), "HEAD:" + MAIN);
    assertEquals(0, accepted.exitCode(), accepted.toString());
    assertLines(
        List.of(
            "checkpoint-guard: warning: refs/entire/checkpoints/v2/main accepted unchecked: the server"
                + " cannot read this repository (it uses SHA-256 object ids, which JGit cannot read) (rule"
                + " unreadable-repository; git config checkpointGuard.unreadableRepository is accept)"),
        accepted.remoteLines(),
        accepted);
    assertEquals(64, serverRef(server, MAIN).length());
  }
}
