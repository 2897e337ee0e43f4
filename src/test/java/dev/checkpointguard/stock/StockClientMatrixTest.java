package dev.checkpointguard.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.core.CheckpointIds;
import dev.checkpointguard.core.CheckpointSet;
import dev.checkpointguard.core.CheckpointSetCache;
import dev.checkpointguard.core.CheckpointTrees;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientProtocol;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.GitCli;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Entire client versions that push v2 refs (one per push protocol of spec §7.6: three pushes,
 * one multi-ref push, pending publication), replayed by the fixture library ({@link
 * ClientProtocol}, the exact git command lines of spec §7) against bare repositories that
 * install.sh prepared.
 */
class StockClientMatrixTest extends StockHookFixture {
  private static final String THRESHOLD =
      "checkpoint-guard: archived generation "
          + "refs/entire/checkpoints/v2/full/0000000000002 holds 10 checkpoints, fewer than the threshold 100"
          + " (rule archive-threshold); "
          + "only the v2 migration of Entire CLI v0.6.0 makes them, and your v1 branch still has "
          + "their checkpoints: upgrade the Entire CLI (v0.6.2 and later stop pushing it); "
          + "the server's administrator can run checkpoint-guard repair";

  @ParameterizedTest(name = "{0}")
  @EnumSource(
      value = ClientVersion.class,
      names = {"V0_5_4", "V0_6_0", "V0_6_2"})
  void writesRotatesAndPushesWithoutLosingACheckpoint(ClientVersion version) throws Exception {
    lifecycle(version, false);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(
      value = ClientVersion.class,
      names = {"V0_6_2"})
  void perRefModeAcceptsTheSameLifecycle(ClientVersion version) throws Exception {
    lifecycle(version, true);
  }

  private void lifecycle(ClientVersion version, boolean perRef) throws Exception {
    Path server = bare("server.git");
    cli.run(server, "config", "checkpointGuard.threshold", "3").expectOk();
    if (perRef) {
      install("--per-ref", "--repo", server.toString()).expectOk();
    } else {
      install("--repo", server.toString()).expectOk();
    }
    GitCli git = new GitCli(root.resolve("client home"));
    List<String> written = new ArrayList<>();
    try (ClientRepo c =
        ClientRepo.builder(version).threshold(3).buildOnDisk(root.resolve("client.git"))) {
      ClientProtocol p = new ClientProtocol(c, git, server.toString());
      written.addAll(c.checkpoints(2));
      ClientProtocol.Run first = p.prePush();
      assertTrue(first.ok(), first.transcript());
      written.addAll(c.checkpoints(2)); // the first of these rotates
      assertFalse(c.archives().isEmpty());
      ClientProtocol.Run second = p.prePush();
      assertTrue(second.ok(), second.transcript());
      for (String ref : List.of(ClientRepo.MAIN, ClientRepo.CURRENT)) {
        assertEquals(c.ref(ref).name(), serverRef(server, ref), ref + "\n" + second.transcript());
      }
    }
    try (Repository s =
            new FileRepositoryBuilder().setGitDir(server.toFile()).setMustExist(true).build();
        ObjectReader reader = s.newObjectReader();
        RevWalk walk = new RevWalk(reader)) {
      CheckpointTrees trees = new CheckpointTrees(reader, CheckpointSetCache.NONE);
      CheckpointSet raw =
          trees.checkpoints(walk.parseCommit(s.resolve(ClientRepo.CURRENT)).getTree());
      for (Ref a : s.getRefDatabase().getRefsByPrefix(RefNames.FULL_PREFIX)) {
        raw = raw.union(trees.checkpoints(walk.parseCommit(a.getObjectId()).getTree()));
      }
      CheckpointSet index =
          trees.checkpoints(walk.parseCommit(s.resolve(ClientRepo.MAIN)).getTree());
      for (String id : written) {
        assertTrue(index.contains(CheckpointIds.parse(id)), id + " missing from main");
        assertTrue(raw.contains(CheckpointIds.parse(id)), id + " missing from every /full ref");
      }
    }
  }

  @ParameterizedTest(name = "per-ref {0}")
  @CsvSource({"false, pre-receive hook declined", "true, hook declined"})
  void v060MigrationBugIsRefused(boolean perRef, String declined) throws Exception {
    Path server = bare("server.git");
    if (perRef) {
      install("--per-ref", "--repo", server.toString()).expectOk();
    } else {
      install("--repo", server.toString()).expectOk();
    }
    GitCli git = new GitCli(root.resolve("client home"));
    try (ClientRepo c =
        ClientRepo.builder(ClientVersion.V0_6_0).buildOnDisk(root.resolve("client.git"))) {
      c.migrate(110); // archive 1 holds 100, archive 2 the remaining 10: the bug (spec §9)
      ClientProtocol.Run run = new ClientProtocol(c, git, server.toString()).prePush();
      String archive = RefNames.archive(2);
      GitCli.RefResult refused = run.last(archive).orElseThrow();
      assertEquals('!', refused.flag(), run.transcript());
      assertEquals(declined, refused.reason(), run.transcript());
      assertTrue(run.pushes().get(0).remoteLines().contains(THRESHOLD), run.transcript());
      assertEquals(null, serverRef(server, archive));
      ObjectId main = c.ref(ClientRepo.MAIN);
      if (perRef) {
        assertEquals(
            main.name(), serverRef(server, ClientRepo.MAIN), "per-ref mode lets main through");
        assertEquals('*', run.last(ClientRepo.MAIN).orElseThrow().flag(), run.transcript());
      } else {
        assertEquals(
            null, serverRef(server, ClientRepo.MAIN), "pre-receive refuses the whole push");
        assertEquals("pre-receive hook declined", run.last(ClientRepo.MAIN).orElseThrow().reason());
      }
    }
  }
}
