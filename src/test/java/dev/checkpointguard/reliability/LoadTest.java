package dev.checkpointguard.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.core.CheckpointSet;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientProtocol;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.FlatTree;
import dev.checkpointguard.fixtures.GitCli;
import dev.checkpointguard.server.GuardedServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Concurrent {@code v0.6.2} clients through {@code serve} (spec §7.2 with its recovery, the real
 * git CLI, 127.0.0.1 and a free port), see {@link LoadRun}.
 *
 * <p>In the suite: 8 clients x 3 rotations at threshold 5, with an adversary force-pushing resets.
 * The larger run (8 x 50 at threshold 100, figures with and without the guard) is {@code mvn -B -o
 * test -Dtest=LoadTest -Dreliability.full=true}; {@code -Dreliability.clients}, {@code
 * -Dreliability.rotations} and {@code -Dreliability.threshold} change its sizes. Figures go to
 * standard output and {@code target/reliability/load.txt}.
 */
class LoadTest {
  @TempDir Path tmp;

  @Test
  void eightClientsRotatingConcurrentlyLoseNothingAndEveryLosingResetIsRejected() throws Exception {
    LoadRun.Options options = new LoadRun.Options(8, 3, 5, true);
    Path repos = Files.createDirectories(tmp.resolve("repos"));
    Path server = serverRepo(repos, options.threshold());
    GitCli git = new GitCli(tmp.resolve("home"));
    LoadRun.Result result;
    try (GuardedServer s =
        GuardedServer.start(
            GuardedServer.Config.builder(repos).port(0).anonymousPush(true).build())) {
      String target = s.url().resolve("checkpoints.git").toString();
      result = new LoadRun(options, tmp, git, target).run();
      report(result.figures("guarded, 8 x 3 at threshold 5, with adversary"));

      // one last forced reset right after a client's append: that checkpoint is in no archive
      ClientRepo last =
          ClientRepo.builder(ClientVersion.V0_6_2)
              .threshold(options.threshold())
              .seed(77)
              .buildOnDisk(tmp.resolve("last.git"));
      GitCli.Result fetch =
          git.run(
              tmp.resolve("last.git"),
              "fetch",
              "--no-tags",
              target,
              "+" + RefNames.MAIN + ":" + RefNames.MAIN,
              "+" + RefNames.CURRENT + ":" + RefNames.CURRENT);
      assertTrue(fetch.ok(), fetch.toString());
      ServerState st = new ServerState(server);
      for (int i = 0; i < 3 && st.full.minus(st.archived).isEmpty(); i++) {
        last.checkpoint(); // rotates when it reaches the threshold; then the next one stays in
        // current
        ClientProtocol.Run push = new ClientProtocol(last, git, target).prePush();
        assertTrue(push.ok(), push.transcript());
        st = new ServerState(server);
      }
      assertFalse(st.full.minus(st.archived).isEmpty(), "current holds no unarchived checkpoint");
      ObjectId serverCurrent = st.v2Refs.get(RefNames.CURRENT);
      ObjectId reset = last.insertCommit(new FlatTree(), "Start generation");
      last.updateRef("refs/heads/reset", null, reset);
      GitCli.Result forced =
          git.run(
              tmp.resolve("last.git"),
              "push",
              "--porcelain",
              "--force",
              target,
              "refs/heads/reset:" + RefNames.CURRENT);
      GitCli.RefResult rr = forced.refResult(RefNames.CURRENT).orElseThrow();
      assertFalse(rr.accepted(), forced.toString());
      assertTrue(
          rr.summary()
              .startsWith(
                  "[remote rejected] (checkpoint-guard: non-fast-forward: resetting "
                      + RefNames.CURRENT
                      + " would lose "),
          rr.summary());
      assertTrue(
          rr.summary().contains(" (rule current-loss); fetch, merge and push again)"),
          rr.summary());
      assertEquals(serverCurrent, new ServerState(server).v2Refs.get(RefNames.CURRENT));
      assertNoStackTrace(forced);
      last.close();

      // the server still answers
      GitCli.Result ls = git.run(tmp, "ls-remote", target);
      assertTrue(ls.ok() && ls.stdout().contains(RefNames.MAIN), ls.toString());
    }
    ServerState st = new ServerState(server);
    CheckpointSet told = LoadRun.ids(result.told());
    assertFalse(told.isEmpty(), result.figures("nothing told pushed"));
    assertEquals(CheckpointSet.empty(), told.minus(st.full), "told pushed but in no generation");
    assertEquals(CheckpointSet.empty(), told.minus(st.main), "told pushed but not on /main");
    for (LoadRun.ClientResult c : result.clients) {
      assertEquals(
          options.rotations(), c.rotations, "client " + c.index + " did not finish its rotations");
      assertEquals(
          java.util.List.of(),
          c.guardRejections,
          "client " + c.index + " was rejected by the guard");
    }
    // every reset the server accepted dropped only archived checkpoints
    assertFalse(st.resets.isEmpty(), "no reset reached the server");
    for (ServerState.Reset r : st.resets) {
      assertEquals(
          CheckpointSet.empty(),
          r.dropped().minus(st.archived),
          "reset " + r + " lost checkpoints");
      assertEquals(java.util.List.of(), r.unarchived(), "reset " + r + " lost transcripts");
    }
    // every forced reset the guard refused says why, and the pusher saw no stack trace
    long refused = 0;
    long raced = 0;
    for (LoadRun.Sabotage sab : result.sabotage) {
      if (sab.accepted()) {
        continue;
      }
      if (sab.summary().contains("checkpoint-guard")) {
        refused++;
        assertTrue(
            sab.summary()
                .startsWith("[remote rejected] (checkpoint-guard: non-fast-forward: resetting "),
            sab.summary());
        assertTrue(sab.summary().contains("(rule current-loss)"), sab.summary());
      } else {
        // receive-pack's own check: the ref moved between the advertisement and the update
        raced++;
        assertTrue(
            sab.summary().equals("[remote rejected] (invalid old id sent)")
                || sab.summary().equals("[remote rejected] (failed to lock)"),
            sab.summary());
      }
    }
    report(
        "adversary: "
            + result.sabotage.size()
            + " forced resets: "
            + refused
            + " refused by the guard, "
            + raced
            + " lost a race with another push, "
            + (result.sabotage.size() - refused - raced)
            + " accepted (nothing unarchived to lose); non-fast-forward moves of current on the server: "
            + st.resets.size()
            + ", each checked to drop archived checkpoints only");
    assertEquals(java.util.List.of(), st.locks, "lock files left behind");
    assertEquals(java.util.List.of(), st.packLocks, "pack lock files left behind");
  }

  @Test
  @EnabledIfSystemProperty(named = "reliability.full", matches = "true")
  void fullRunWithAndWithoutTheGuard() throws Exception {
    LoadRun.Options options =
        new LoadRun.Options(
            Integer.getInteger("reliability.clients", 8),
            Integer.getInteger("reliability.rotations", 50),
            Integer.getInteger("reliability.threshold", 100),
            false);
    String sizes =
        options.clients() + " x " + options.rotations() + " at threshold " + options.threshold();

    Path plainRepos = Files.createDirectories(tmp.resolve("plain"));
    serverRepo(plainRepos, options.threshold());
    LoadRun.Result plain;
    try (PlainGitServer s = new PlainGitServer(plainRepos)) {
      plain =
          new LoadRun(
                  options,
                  Files.createDirectories(tmp.resolve("plain-clients")),
                  new GitCli(tmp.resolve("home-plain")),
                  s.url().resolve("checkpoints.git").toString())
              .run();
    }
    report(plain.figures("without the guard, " + sizes));

    Path repos = Files.createDirectories(tmp.resolve("guarded"));
    Path server = serverRepo(repos, options.threshold());
    LoadRun.Result guarded;
    try (GuardedServer s =
        GuardedServer.start(
            GuardedServer.Config.builder(repos).port(0).anonymousPush(true).build())) {
      guarded =
          new LoadRun(
                  options,
                  Files.createDirectories(tmp.resolve("guarded-clients")),
                  new GitCli(tmp.resolve("home-guarded")),
                  s.url().resolve("checkpoints.git").toString())
              .run();
    }
    report(guarded.figures("with the guard, " + sizes));
    ServerState st = new ServerState(server);
    CheckpointSet told = LoadRun.ids(guarded.told());
    assertEquals(CheckpointSet.empty(), told.minus(st.full), "told pushed but in no generation");
    assertEquals(CheckpointSet.empty(), told.minus(st.main), "told pushed but not on /main");
    for (ServerState.Reset r : st.resets) {
      assertEquals(
          CheckpointSet.empty(),
          r.dropped().minus(st.archived),
          "reset " + r + " lost checkpoints");
      assertEquals(java.util.List.of(), r.unarchived(), "reset " + r + " lost transcripts");
    }
    for (LoadRun.ClientResult c : guarded.clients) {
      assertEquals(
          java.util.List.of(),
          c.guardRejections,
          "client " + c.index + " was rejected by the guard");
    }
    assertEquals(java.util.List.of(), st.locks, "lock files left behind");
    assertEquals(java.util.List.of(), st.packLocks, "pack lock files left behind");
    report(
        "guarded run: "
            + st.resets.size()
            + " resets on the server, "
            + st.full.size()
            + " checkpoints in all generations, 0 lost");
  }

  /**
   * An empty bare repository {@code checkpoints.git} with the guard's threshold and a reflog for
   * current.
   */
  static Path serverRepo(Path repos, int threshold) throws Exception {
    Path dir = repos.resolve("checkpoints.git");
    try (Repository r = new FileRepositoryBuilder().setGitDir(dir.toFile()).setBare().build()) {
      r.create(true);
      r.getConfig().setInt("checkpointGuard", null, "threshold", threshold);
      r.getConfig().setString("core", null, "logAllRefUpdates", "always");
      r.getConfig().save();
    }
    // an existing log file is appended to whatever the setting says
    Path log = dir.resolve("logs").resolve(RefNames.CURRENT);
    Files.createDirectories(log.getParent());
    Files.writeString(log, "", StandardOpenOption.CREATE);
    return dir;
  }

  static void assertNoStackTrace(GitCli.Result r) {
    String all = r.stdout() + r.stderr();
    assertFalse(
        all.contains("\tat ") || all.contains("Exception"), "stack trace sent to the pusher: " + r);
  }

  static synchronized void report(String line) throws Exception {
    System.out.println("[reliability] " + line);
    Path out = Path.of("target", "reliability", "load.txt");
    Files.createDirectories(out.getParent());
    Files.writeString(out, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }
}
