package dev.checkpointguard.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientProtocol;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientRepo.SessionData;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.FastTempDir;
import dev.checkpointguard.fixtures.FixtureClock;
import dev.checkpointguard.fixtures.GitCli;
import dev.checkpointguard.fixtures.V1Client;
import dev.checkpointguard.fixtures.V1Reader;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.lib.Repository;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients keep working after a server-side conversion (spec v2-to-v1 §3), with the real {@code git}
 * binary and the clients' own push, fetch and recovery steps ({@link V1Client}, {@link
 * ClientProtocol}).
 */
class ConvertClientsTest {
  @TempDir(factory = FastTempDir.class)
  Path tmp;

  private final FixtureClock clock = new FixtureClock();
  private GitCli git;
  private Path server;

  private ClientRepo client(String name, ClientVersion v, int seed) {
    return ClientRepo.builder(v)
        .clock(clock)
        .seed(seed)
        .user(name, name.toLowerCase() + "@example.com")
        .buildOnDisk(tmp.resolve(name + ".git"));
  }

  private Path newServer() throws Exception {
    server = tmp.resolve("server.git");
    try (Repository r = new FileRepository(server.toFile())) {
      r.create(true);
    }
    git = new GitCli(tmp.resolve("home"));
    return server;
  }

  private List<SessionData> session(String sid) {
    Instant t = clock.tick();
    return List.of(SessionData.of(sid, t, ClientRepo.transcriptOf(sid, t, 2)));
  }

  private Map<String, V1Reader.Checkpoint> serverV1() throws Exception {
    return ConvertHarness.v1(server);
  }

  /**
   * A v0.6.1 client with checkpoints_v2 on writes and pushes both layouts; a v0.6.2 client with
   * checkpoints_version 2 writes v2 only. After the conversion, the first client pushes a new
   * checkpoint: rejected (the server's v1 moved), fetched, its commit cherry-picked onto the
   * conversion, pushed again. Nothing is lost: the server's v1 has the old, the converted and the
   * new checkpoints, and a client with nothing to push reads every one after its next metadata
   * fetch, as does a fresh one.
   */
  @Test
  void aDualWriteClientPushesAfterTheConversionAndOthersReadEverything() throws Exception {
    newServer();
    List<String> dual = new ArrayList<>();
    List<String> v2only = new ArrayList<>();
    try (ClientRepo a = client("Ann", ClientVersion.V0_6_1, 1);
        ClientRepo b = client("Ben", ClientVersion.V0_6_2, 2);
        ClientRepo d = client("Dan", ClientVersion.V0_6_1, 3);
        ClientRepo e = client("Eve", ClientVersion.V0_6_2, 4)) {
      V1Client av1 = V1Client.of(a);
      av1.setOrigin(git, server.toString());
      for (int i = 0; i < 2; i++) {
        dual.add(av1.dualWrite(a, a.newCheckpointId(), session("ann-" + i)));
      }
      assertTrue(new ClientProtocol(a, git, server.toString()).prePush().ok());
      V1Client.Run first = av1.prePush(git);
      assertTrue(first.ok(), first.toString());
      // Dan has fetched v1 before the conversion and writes nothing afterwards
      V1Client dv1 = V1Client.of(d);
      dv1.setOrigin(git, server.toString());
      assertTrue(dv1.fetchMetadata(git).ok());
      for (int i = 0; i < 4; i++) {
        v2only.add(b.checkpoint(b.newCheckpointId(), session("ben-" + i)));
      }
      ClientProtocol.Run bp = new ClientProtocol(b, git, server.toString()).prePush();
      assertTrue(bp.ok(), bp.transcript());

      ConvertHarness.Run r = ConvertHarness.run("convert", "--repo", server.toString());
      assertEquals(0, r.exit(), r.toString());
      assertTrue(r.out().contains("converted: 4"), r.out());
      assertTrue(r.out().contains("already in v1: 2"), r.out());

      // Ann writes one more checkpoint on her stale local v1 and pushes
      String late = av1.dualWrite(a, a.newCheckpointId(), session("ann-late"));
      V1Client.Run push = av1.prePush(git);
      assertTrue(push.ok(), push.toString());
      List<GitCli.RefResult> results = push.pushResults();
      assertEquals(2, results.size(), push.toString());
      assertEquals('!', results.get(0).flag(), push.toString());
      assertTrue(
          results.get(0).summary().contains("fetch first")
              || results.get(0).summary().contains("non-fast-forward"),
          results.get(0).summary());
      assertEquals(' ', results.get(1).flag(), "the retry is a fast-forward\n" + push);

      Set<String> all = new HashSet<>(dual);
      all.addAll(v2only);
      all.add(late);
      Map<String, V1Reader.Checkpoint> v1 = serverV1();
      assertEquals(all, v1.keySet());
      assertEquals(
          ClientRepo.transcriptOf("ann-late", Instant.parse(v1.get(late).createdAt()), 2),
          v1.get(late).sessions().get(0).transcriptText());
      ConvertHarness.assertReadsBack(ConvertHarness.v2(server), v1);

      // Dan (nothing to push) reads the converted checkpoints after his next metadata fetch
      assertEquals(new HashSet<>(dual), dv1.readable(), "before: his stale local branch");
      V1Client.Run fetch = dv1.fetchMetadata(git);
      assertTrue(fetch.ok(), fetch.toString());
      assertEquals(all, dv1.readable());
      // a fresh client (no local branch yet) reads them too
      V1Client ev1 = V1Client.today(e);
      ev1.setOrigin(git, server.toString());
      assertTrue(ev1.fetchMetadata(git).ok());
      assertEquals(all, ev1.readable());
    }
  }

  /**
   * v1 did not exist on the server: the conversion roots it at its own {@code Initialize sessions
   * branch}. Today's client, which created its own empty local branch meanwhile and then wrote a
   * checkpoint, replays that checkpoint onto the server's branch (no merge base: {@code
   * ReconcileDisconnectedMetadataBranch}) and pushes; nothing is lost.
   */
  @Test
  void aClientWithItsOwnRootReplaysOntoTheConvertedBranch() throws Exception {
    newServer();
    List<String> v2only = new ArrayList<>();
    String mine;
    try (ClientRepo b = client("Ben", ClientVersion.V0_6_2, 2);
        ClientRepo t = client("Tia", ClientVersion.V0_6_2, 5)) {
      for (int i = 0; i < 2; i++) {
        v2only.add(b.checkpoint(b.newCheckpointId(), session("ben-" + i)));
      }
      assertTrue(new ClientProtocol(b, git, server.toString()).prePush().ok());
      V1Client today = V1Client.today(t);
      today.setOrigin(git, server.toString());
      mine = t.newCheckpointId();
      today.write(
          mine, session("tia-0")); // local branch rooted at its own Initialize sessions branch

      ConvertHarness.Run r = ConvertHarness.run("convert", "--repo", server.toString());
      assertEquals(0, r.exit(), r.toString());

      V1Client.Run push = today.prePush(git);
      assertTrue(push.ok(), push.toString());
      Set<String> all = new HashSet<>(v2only);
      all.add(mine);
      assertEquals(all, serverV1().keySet());
      assertEquals(all, today.readable());
      try (Repository s = ConvertHarness.open(server)) {
        assertEquals(s.resolve(RefNames.V1), today.tip());
      }
    }
  }
}
