package dev.checkpointguard.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.GitCli;
import java.nio.file.Path;
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
    Path client = client("client");
    ObjectId first;
    ObjectId other;
    try (V2Content v2 = content(client)) {
      ObjectId init = v2.commit("Initialize v2 ref", List.of(), false);
      first = v2.commit("Checkpoint: 0a0000000000\n", V2Content.ids(0, 1), false, init);
      other = v2.commit("Initialize v2 ref", V2Content.ids(7, 1), false);
      v2.setRef(MAIN, first);
    }
    GitCli.Result created = push(client, url, MAIN + ":" + MAIN);
    assertEquals(0, created.exitCode(), created.toString());
    assertEquals(List.of(), created.remoteLines(), created.toString());
    assertEquals(first.name(), serverRef(server, MAIN));

    try (V2Content v2 = content(client)) {
      v2.setRef(MAIN, other);
    }
    GitCli.Result forced = push(client, url, "+" + MAIN + ":" + MAIN);
    assertEquals(1, forced.exitCode(), forced.toString());
    assertLines(List.of(MAIN_HISTORY), forced.remoteLines(), forced);
    assertTrue(
        forced.stderr().contains(" ! [remote rejected] " + MAIN + " -> " + MAIN + " (pre-receive hook declined)"),
        forced.toString());
    assertEquals(first.name(), serverRef(server, MAIN), "the server's main must not move");
  }

  @Test
  void judgesARotationWhoseArchiveObjectsAreOnlyInTheQuarantine() throws Exception {
    // ':' in the path makes git C-quote GIT_ALTERNATE_OBJECT_DIRECTORIES, which JGit cannot split itself
    Path server = bare("srv:quoted one.git");
    cli.run(server, "config", "checkpointGuard.threshold", "3").expectOk();
    install("--repo", server.toString()).expectOk();
    Path client = client("client");
    ObjectId current;
    ObjectId archive;
    ObjectId small;
    ObjectId reset;
    try (V2Content v2 = content(client)) {
      ObjectId init = v2.commit("Initialize v2 ref", List.of(), false);
      current = v2.commit("Checkpoint: 0a0000000002\n", V2Content.ids(0, 3), false, init);
      archive = v2.commit("Archive generation", V2Content.ids(0, 3), true, current);
      small = v2.commit("Archive migrated generation", V2Content.ids(0, 2), true);
      reset = v2.commit("Start generation", List.of(), false);
      v2.setRef(CURRENT, current);
    }
    push(client, server.toString(), CURRENT + ":" + CURRENT).expectOk();

    try (V2Content v2 = content(client)) {
      v2.setRef(CURRENT, reset);
      v2.setRef(ARCHIVE1, small);
    }
    GitCli.Result uncovered = push(client, server.toString(), "+" + CURRENT + ":" + CURRENT);
    assertEquals(1, uncovered.exitCode(), uncovered.toString());
    assertLines(
        List.of(
            "checkpoint-guard: non-fast-forward: resetting refs/entire/checkpoints/v2/full/current would"
                + " lose 3 checkpoints that are in no archived generation (0a0000000000, 0a0000000001,"
                + " 0a0000000002) (rule current-loss); fetch, merge and push again"),
        uncovered.remoteLines(),
        uncovered);

    GitCli.Result tooSmall = push(client, server.toString(), ARCHIVE1 + ":" + ARCHIVE1);
    assertEquals(1, tooSmall.exitCode(), tooSmall.toString());
    assertLines(
        List.of(
            "checkpoint-guard: archived generation refs/entire/checkpoints/v2/full/0000000000001 holds 2"
                + " checkpoints, fewer than the threshold 3 (rule archive-threshold); keep them in"
                + " refs/entire/checkpoints/v2/full/current until it holds 3, or ask the server"
                + " administrator to run 'checkpoint-guard repair'"),
        tooSmall.remoteLines(),
        tooSmall);

    assertNotEquals(0, cli.run(server, "cat-file", "-e", archive.name()).exitCode(), "archive not yet on the server");
    try (V2Content v2 = content(client)) {
      v2.setRef(ARCHIVE1, archive);
    }
    // the reset first, its archive second: the hook judges the push as a whole
    GitCli.Result rotation =
        push(client, server.toString(), "+" + CURRENT + ":" + CURRENT, ARCHIVE1 + ":" + ARCHIVE1);
    assertEquals(0, rotation.exitCode(), rotation.toString());
    assertEquals(List.of(), rotation.remoteLines(), rotation.toString());
    assertEquals(reset.name(), serverRef(server, CURRENT));
    assertEquals(archive.name(), serverRef(server, ARCHIVE1));
  }

  @Test
  void perRefModeRefusesOnlyTheOffendingRef() throws Exception {
    Path server = bare("server.git");
    cli.run(server, "config", "checkpointGuard.threshold", "3").expectOk();
    install("--per-ref", "--repo", server.toString()).expectOk();
    Path client = client("client");
    ObjectId main1;
    ObjectId main2;
    ObjectId current;
    ObjectId small;
    ObjectId archive;
    ObjectId reset;
    try (V2Content v2 = content(client)) {
      main1 = v2.commit("Initialize v2 ref", List.of(), false);
      main2 = v2.commit("Checkpoint: 0a0000000000\n", V2Content.ids(0, 1), false, main1);
      current = v2.commit("Checkpoint: 0a0000000002\n", V2Content.ids(0, 3), false);
      small = v2.commit("Archive migrated generation", V2Content.ids(0, 2), true);
      archive = v2.commit("Archive generation", V2Content.ids(0, 3), true, current);
      reset = v2.commit("Start generation", List.of(), false);
      v2.setRef(MAIN, main1);
      v2.setRef(CURRENT, current);
    }
    push(client, server.toString(), MAIN + ":" + MAIN, CURRENT + ":" + CURRENT).expectOk();

    // v0.6.0/v0.6.1: main + current + the latest archive in one non-atomic push
    try (V2Content v2 = content(client)) {
      v2.setRef(MAIN, main2);
      v2.setRef(ARCHIVE1, small);
    }
    GitCli.Result mixed =
        push(client, server.toString(), MAIN + ":" + MAIN, CURRENT + ":" + CURRENT, ARCHIVE1 + ":" + ARCHIVE1);
    assertEquals(1, mixed.exitCode(), mixed.toString());
    assertLines(
        List.of(
            "checkpoint-guard: archived generation refs/entire/checkpoints/v2/full/0000000000001 holds 2"
                + " checkpoints, fewer than the threshold 3 (rule archive-threshold); keep them in"
                + " refs/entire/checkpoints/v2/full/current until it holds 3, or ask the server"
                + " administrator to run 'checkpoint-guard repair'",
            "error: hook declined to update " + ARCHIVE1),
        mixed.remoteLines(),
        mixed);
    assertTrue(mixed.stderr().contains(" ! [remote rejected] " + ARCHIVE1 + " -> " + ARCHIVE1 + " (hook declined)"), mixed.toString());
    assertEquals(main2.name(), serverRef(server, MAIN), "main is not blocked by the bad archive");
    assertEquals(null, serverRef(server, ARCHIVE1));

    // a reset sent before its covering archive: each update hook applies the whole push's verdict
    try (V2Content v2 = content(client)) {
      v2.setRef(CURRENT, reset);
      v2.setRef(ARCHIVE1, archive);
    }
    GitCli.Result rotation =
        push(client, server.toString(), "+" + CURRENT + ":" + CURRENT, ARCHIVE1 + ":" + ARCHIVE1);
    assertEquals(0, rotation.exitCode(), rotation.toString());
    assertEquals(reset.name(), serverRef(server, CURRENT));
    assertEquals(archive.name(), serverRef(server, ARCHIVE1));
  }

  @Test
  void updateHookWithoutAVerdictJudgesTheRefAlone() throws Exception {
    Path server = bare("server.git");
    install("--per-ref", "--repo", server.toString()).expectOk();
    Path client = client("client");
    ObjectId main;
    ObjectId other;
    try (V2Content v2 = content(client)) {
      main = v2.commit("Initialize v2 ref", List.of(), false);
      other = v2.commit("Checkpoint: 0a0000000000\n", V2Content.ids(0, 1), false);
      v2.setRef(MAIN, main);
      v2.setRef("refs/heads/other", other);
    }
    push(client, server.toString(), MAIN + ":" + MAIN, "refs/heads/other:refs/heads/other").expectOk();
    Path hook = server.resolve("hooks").resolve("update");
    GitCli.Result alone =
        cli.with("GIT_DIR", server.toString()).exec(server, null, List.of(hook.toString(), MAIN, main.name(), other.name()));
    assertEquals(1, alone.exitCode(), alone.toString());
    assertEquals(MAIN_HISTORY + "\n", alone.stderr());
    GitCli.Result ff =
        cli.with("GIT_DIR", server.toString())
            .exec(server, null, List.of(hook.toString(), "refs/heads/x", main.name(), other.name()));
    assertEquals(0, ff.exitCode(), ff.toString());
  }

  /**
   * Without pre-receive verdicts the update hook judges each ref alone, against the refs as they are when
   * git calls it. git (C client) sends updates of existing refs first, in the server's advertisement order,
   * then creations in command-line order; the server runs update hooks in that order and, in a non-atomic
   * push, commits each ref before the next hook (atomic: nothing until all passed). An archive created in
   * the same push therefore always comes after the reset of the existing {@code /full/current}, whatever the
   * refspec order: alone, the update hook must refuse such a rotation, which is why per-ref mode applies
   * the whole push's verdicts instead.
   */
  @Test
  void updateHookAloneNeverSeesAnArchiveCreatedInTheSamePush() throws Exception {
    Path server = bare("server.git");
    cli.run(server, "config", "checkpointGuard.threshold", "3").expectOk();
    install("--per-ref", "--repo", server.toString()).expectOk();
    // a hand-made setup without the pre-receive half: no verdicts, every guarded ref judged alone
    writeExecutable(server.resolve("hooks/pre-receive"), "#!/bin/sh\nexit 0\n");
    Path client = client("client");
    ObjectId current;
    ObjectId reset;
    try (V2Content v2 = content(client)) {
      current = v2.commit("Checkpoint: 0a0000000002\n", V2Content.ids(0, 3), false);
      ObjectId archive = v2.commit("Archive generation", V2Content.ids(0, 3), true, current);
      reset = v2.commit("Start generation", List.of(), false);
      v2.setRef(CURRENT, current);
      v2.setRef(ARCHIVE1, archive);
      v2.setRef("refs/heads/reset", reset);
    }
    String serverPath = server.toString();
    push(client, serverPath, CURRENT + ":" + CURRENT).expectOk();
    String resetCurrent = "+refs/heads/reset:" + CURRENT;
    String archive1 = ARCHIVE1 + ":" + ARCHIVE1;
    String refused = " ! [remote rejected] reset -> " + CURRENT + " (hook declined)";

    GitCli.Result atomic = push(client, "--atomic", serverPath, archive1, resetCurrent);
    assertEquals(1, atomic.exitCode(), atomic.toString());
    assertTrue(atomic.stderr().contains(refused), atomic.toString());
    assertEquals(null, serverRef(server, ARCHIVE1), "atomic: nothing is updated");

    for (List<String> order : List.of(List.of(archive1, resetCurrent), List.of(resetCurrent, archive1))) {
      GitCli.Result r = push(client, serverPath, order.get(0), order.get(1));
      assertEquals(1, r.exitCode(), r.toString());
      assertTrue(r.stderr().contains(refused), r.toString());
      assertEquals(current.name(), serverRef(server, CURRENT));
      assertNotEquals(null, serverRef(server, ARCHIVE1), "non-atomic: the archive itself is accepted");
      cli.run(server, "update-ref", "-d", ARCHIVE1).expectOk();
    }

    // once the archive is on the server (the v0.6.2 client's separate, earlier push), the reset passes
    push(client, serverPath, archive1).expectOk();
    push(client, serverPath, resetCurrent).expectOk();
    assertEquals(reset.name(), serverRef(server, CURRENT));
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
