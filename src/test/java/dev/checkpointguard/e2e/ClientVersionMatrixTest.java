package dev.checkpointguard.e2e;

import static dev.checkpointguard.fixtures.ClientVersion.V0_5_6;
import static dev.checkpointguard.fixtures.ClientVersion.V0_6_0;
import static dev.checkpointguard.fixtures.ClientVersion.V0_6_1;
import static dev.checkpointguard.fixtures.ClientVersion.V0_6_2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.core.CheckpointSetCache;
import dev.checkpointguard.core.CheckpointTrees;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientProtocol;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.FastTempDir;
import dev.checkpointguard.fixtures.FixtureClock;
import dev.checkpointguard.fixtures.GitCli;
import dev.checkpointguard.server.GuardedServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client-version matrix end to end: {@link GuardedServer} on 127.0.0.1 (anonymous push), each
 * Entire client version replayed with the real {@code git} binary through {@link ClientProtocol},
 * asserting every ref's porcelain result, the text the pusher sees and the server's final refs.
 */
class ClientVersionMatrixTest {
  static final String M = ClientRepo.MAIN;
  static final String C = ClientRepo.CURRENT;
  static final String A1 = RefNames.archive(1);
  static final String A2 = RefNames.archive(2);
  static final String PREFIX = "[remote rejected] (checkpoint-guard: ";

  @TempDir(factory = FastTempDir.class)
  static Path shared;

  static GuardedServer server;
  static final AtomicInteger REPOS = new AtomicInteger();

  @TempDir(factory = FastTempDir.class)
  Path tmp;

  GitCli git;
  Path serverRepo;
  String url;
  final FixtureClock clock = new FixtureClock();
  final List<ClientRepo> clients = new ArrayList<>();

  @BeforeAll
  static void startServer() throws IOException {
    Path repos = Files.createDirectories(shared.resolve("repos"));
    server =
        GuardedServer.start(
            GuardedServer.Config.builder(repos).port(0).anonymousPush(true).build());
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @BeforeEach
  void newRepository() throws IOException {
    git = git(tmp.resolve("home"));
    String name = "r" + REPOS.incrementAndGet() + ".git";
    serverRepo = server.reposDir().resolve(name);
    try (Repository r = new FileRepository(serverRepo.toFile())) {
      r.create(true);
    }
    url = remote(name);
  }

  /** The git runner of a test (ClientVersionMatrixSshTest: one that reaches ssh:// remotes). */
  GitCli git(Path home) {
    return new GitCli(home);
  }

  /** The URL of the server repository {@code name} (ClientVersionMatrixSshTest: its ssh:// URL). */
  String remote(String name) {
    return server.url().resolve(name).toString();
  }

  @AfterEach
  void closeClients() {
    clients.forEach(ClientRepo::close);
  }

  ClientRepo client(ClientVersion v) {
    int n = clients.size() + 1;
    ClientRepo c =
        ClientRepo.builder(v)
            .clock(clock)
            .seed(n)
            .user("Client " + n, "client" + n + "@example.com")
            .buildOnDisk(tmp.resolve("client" + n + ".git"));
    clients.add(c);
    return c;
  }

  ClientProtocol protocol(ClientRepo c) {
    return new ClientProtocol(c, git, url);
  }

  /** A clone of the server's v2 refs into a new client. */
  ClientRepo cloneClient(ClientVersion v) {
    ClientRepo c = client(v);
    GitCli.Result r =
        git.run(
            c.directory(),
            "fetch",
            "--no-tags",
            url,
            "+refs/entire/checkpoints/v2/*:refs/entire/checkpoints/v2/*");
    assertTrue(r.ok(), r.toString());
    return c;
  }

  Map<String, ObjectId> serverRefs() throws IOException {
    try (Repository r = new FileRepository(serverRepo.toFile())) {
      Map<String, ObjectId> out = new TreeMap<>();
      for (Ref ref : r.getRefDatabase().getRefsByPrefix(RefNames.V2_PREFIX)) {
        out.put(ref.getName(), ref.getObjectId());
      }
      return out;
    }
  }

  RevCommit serverCommit(String ref) throws IOException {
    try (Repository r = new FileRepository(serverRepo.toFile());
        RevWalk w = new RevWalk(r)) {
      RevCommit c = w.parseCommit(r.exactRef(ref).getObjectId());
      w.parseBody(c);
      return c;
    }
  }

  int serverCount(String ref) throws IOException {
    try (Repository r = new FileRepository(serverRepo.toFile());
        ObjectReader reader = r.newObjectReader();
        RevWalk w = new RevWalk(reader)) {
      return new CheckpointTrees(reader, CheckpointSetCache.NONE)
          .count(w.parseCommit(r.exactRef(ref).getObjectId()).getTree());
    }
  }

  static GitCli.RefResult result(GitCli.Result push, String ref) {
    return push.refResult(ref)
        .orElseThrow(() -> new AssertionError("no result for " + ref + " in " + push));
  }

  static void assertRejected(GitCli.RefResult r, String messageStart) {
    assertEquals('!', r.flag(), r.toString());
    assertTrue(r.summary().startsWith(PREFIX + messageStart), r.summary());
  }

  static List<String> args(GitCli.Result r) {
    return r.command().subList(1, r.command().size());
  }

  // ------------------------------------------------------------------ v0.6.2

  @Test
  void v062RotationPublishesTheArchiveThenResetsWithALease() throws IOException {
    ClientRepo c = client(V0_6_2);
    c.checkpoints(60);
    assertTrue(protocol(c).prePush().ok());
    ObjectId before = serverRefs().get(C);
    c.checkpoints(40); // rotation
    ClientProtocol.Run run = protocol(c).prePush();
    assertTrue(run.ok(), run.transcript());
    List<GitCli.Result> cmds = run.commands();
    assertEquals(
        List.of("push", "--no-verify", "--porcelain", url, A1 + ":" + A1), args(cmds.get(0)));
    assertEquals('*', result(cmds.get(0), A1).flag());
    assertEquals(List.of("ls-remote", url, C), args(cmds.get(1)));
    assertEquals(
        List.of(
            "push",
            "--no-verify",
            "--porcelain",
            "--force-with-lease=" + C + ":" + before.name(),
            url,
            C + ":" + C),
        args(cmds.get(2)));
    assertEquals('+', result(cmds.get(2), C).flag());
    assertEquals(
        List.of("push", "--no-verify", "--porcelain", url, M + ":" + M), args(cmds.get(3)));
    assertEquals(' ', result(cmds.get(3), M).flag());
    assertEquals(4, cmds.size());
    assertEquals(Map.of(M, c.ref(M), C, c.ref(C), A1, c.ref(A1)), serverRefs());
    assertEquals("Start generation", serverCommit(C).getFullMessage());
  }

  @Test
  void v062FirstPushAfterTwoRotationsCreatesCurrentWithoutALease() throws IOException {
    ClientRepo c = client(V0_6_2);
    c.checkpoints(250);
    ClientProtocol.Run run = protocol(c).prePush();
    assertTrue(run.ok(), run.transcript());
    List<GitCli.Result> cmds = run.commands();
    assertEquals('*', result(cmds.get(0), A1).flag());
    assertEquals('*', result(cmds.get(0), A2).flag());
    assertEquals("", cmds.get(1).stdout(), "ls-remote: no current yet");
    assertEquals(
        List.of("push", "--no-verify", "--porcelain", url, C + ":" + C), args(cmds.get(2)));
    assertEquals('*', result(cmds.get(2), C).flag());
    assertEquals('*', result(cmds.get(3), M).flag());
    assertEquals(Map.of(M, c.ref(M), C, c.ref(C), A1, c.ref(A1), A2, c.ref(A2)), serverRefs());
    assertEquals(50, serverCount(C));
  }

  @Test
  void v062AppenderBehindARotationMergesIntoTheArchive() throws IOException {
    ClientRepo a = client(V0_6_2);
    a.checkpoints(60);
    assertTrue(protocol(a).prePush().ok());
    ClientRepo stale = cloneClient(V0_6_2);
    stale.checkpoint();
    a.checkpoints(40);
    assertTrue(protocol(a).prePush().ok());
    ClientProtocol.Run run = protocol(stale).prePush();
    assertTrue(run.ok(), run.transcript());
    GitCli.Result first = run.pushes().get(0);
    assertEquals("[rejected] (fetch first)", result(first, M).summary());
    assertEquals("[rejected] (fetch first)", result(first, C).summary());
    GitCli.Result archive = run.pushes().get(1);
    assertEquals(List.of("push", "--no-verify", "--porcelain", url, A1 + ":" + A1), args(archive));
    assertEquals(' ', result(archive, A1).flag());
    GitCli.Result retry = run.pushes().get(2);
    assertEquals(' ', result(retry, M).flag());
    assertEquals('=', result(retry, C).flag());
    assertEquals(3, run.pushes().size());
    assertEquals(
        "Merge local checkpoints into archived generation", serverCommit(A1).getFullMessage());
    assertEquals(101, serverCount(A1));
    assertEquals(a.ref(C), serverRefs().get(C));
  }

  @Test
  void staleRotatorPublishesItsArchiveButNeverResets() throws IOException {
    ClientRepo a = client(V0_6_2);
    a.checkpoints(60);
    assertTrue(protocol(a).prePush().ok());
    ClientRepo other = cloneClient(V0_6_2);
    other.checkpoint();
    assertTrue(protocol(other).prePush().ok());
    ObjectId otherCurrent = serverRefs().get(C);
    a.checkpoints(40); // archive built on a current the server has moved past
    ClientProtocol.Run run = protocol(a).prePush();
    assertEquals(1, run.pushes().size(), run.transcript());
    assertEquals('*', result(run.pushes().get(0), A1).flag());
    assertEquals(
        List.of("remote " + C + " " + otherCurrent.name() + " is not covered by pending archives"),
        run.errors());
    assertEquals(otherCurrent, serverRefs().get(C));
    assertEquals(a.ref(A1), serverRefs().get(A1));
    assertEquals(1, a.pending().size(), "the record stays; every later push stops here too");
  }

  /**
   * A reset whose archive vanished between the archive push and the reset (retention by another
   * client): the guard rejects the lease push with {@code non-fast-forward}; pre-push stops and
   * keeps its record, and the next pre-push republishes the archive and resets.
   */
  @Test
  void staleResetIsRejectedAndTheNextPrePushRecovers() throws IOException {
    ClientRepo c = client(V0_6_2);
    c.checkpoints(60);
    assertTrue(protocol(c).prePush().ok());
    c.checkpoints(40);
    ClientRepo cleaner = client(V0_6_2);
    // another client's cleanup deletes the archive between the coverage gate and the lease reset
    ClientProtocol.Run run =
        protocol(c)
            .beforeLeaseReset(
                () -> {
                  git.run(cleaner.directory(), "fetch", "--no-tags", url, "+" + A1 + ":" + A1);
                  assertTrue(protocol(cleaner).deleteArchive(A1).ok());
                })
            .prePush();
    assertEquals('*', result(run.pushes().get(0), A1).flag());
    GitCli.Result reset = run.pushes().get(1);
    assertTrue(args(reset).get(3).startsWith("--force-with-lease=" + C + ":"));
    assertRejected(
        result(reset, C),
        "non-fast-forward: resetting refs/entire/checkpoints/v2/full/current would lose 60 raw transcripts of"
            + " 60 checkpoints that no archived generation holds (");
    assertEquals(2, run.pushes().size(), "main is not pushed in this run");
    assertFalse(run.ok());
    assertFalse(serverRefs().containsKey(A1));

    ClientProtocol.Run again = protocol(c).prePush();
    assertTrue(again.ok(), again.transcript());
    assertEquals('*', result(again.pushes().get(0), A1).flag());
    assertEquals('+', result(again.pushes().get(1), C).flag());
    assertEquals(Map.of(M, c.ref(M), C, c.ref(C), A1, c.ref(A1)), serverRefs());
  }

  /**
   * A user's forced push of a stale current is refused as non-fast-forward; the client recovers by
   * merge.
   */
  @Test
  void staleForcePushIsRejectedThenTheClientMergesAndRetries() throws IOException {
    ClientRepo c = client(V0_6_1);
    c.checkpoints(5);
    assertTrue(protocol(c).prePush().ok());
    ClientRepo other = cloneClient(V0_6_1);
    other.checkpoint();
    assertTrue(protocol(other).prePush().ok());
    c.checkpoint();
    GitCli.Result forced =
        git.run(c.directory(), "push", "--porcelain", "--force", url, C + ":" + C);
    assertRejected(
        result(forced, C),
        "non-fast-forward: resetting refs/entire/checkpoints/v2/full/current would lose 1 raw transcript of 1"
            + " checkpoint that no archived generation holds (");
    ClientProtocol.Run run = protocol(c).prePush();
    assertTrue(run.ok(), run.transcript());
    assertEquals("[rejected] (fetch first)", result(run.pushes().get(0), C).summary());
    assertEquals(' ', result(run.pushes().get(1), C).flag());
    assertEquals("Merge remote v2/full/current", serverCommit(C).getFullMessage());
    assertEquals(7, serverCount(C));
  }

  @Test
  void archiveAndResetInOnePushAreJudgedTogether() throws IOException {
    ClientRepo c = client(V0_6_2);
    c.checkpoints(60);
    assertTrue(protocol(c).prePush().ok());
    ObjectId old = serverRefs().get(C);
    c.checkpoints(40);
    // the reset named first: the guard still judges the archive first
    GitCli.Result r =
        git.run(
            c.directory(),
            "push",
            "--no-verify",
            "--porcelain",
            "--force-with-lease=" + C + ":" + old.name(),
            url,
            C + ":" + C,
            A1 + ":" + A1);
    assertEquals('+', result(r, C).flag(), r.toString());
    assertEquals('*', result(r, A1).flag());
    assertEquals(c.ref(C), serverRefs().get(C));
  }

  // ------------------------------------------------------------------ v0.6.0 / v0.6.1

  @Test
  void v060MigrationPushLosesOnlyTheUnderThresholdArchive() throws IOException {
    ClientRepo c = client(V0_6_0);
    c.migrate(130);
    ClientProtocol.Run run = protocol(c).prePush();
    assertEquals(1, run.pushes().size(), "no retry without non-fast-forward");
    GitCli.Result push = run.pushes().get(0);
    assertEquals(
        List.of("push", "--no-verify", "--porcelain", url, M + ":" + M, C + ":" + C, A2 + ":" + A2),
        args(push));
    assertEquals('*', result(push, M).flag());
    assertEquals('*', result(push, C).flag());
    assertEquals(
        PREFIX
            + "archived generation refs/entire/checkpoints/v2/full/0000000000002 holds 30 checkpoints, fewer than"
            + " the threshold 100 (rule archive-threshold); "
            + "only the v2 migration of Entire CLI v0.6.0 makes them, and your v1 branch still has "
            + "their checkpoints: upgrade the Entire CLI (v0.6.2 and later stop pushing it); "
            + "the server's administrator can run checkpoint-guard repair)",
        result(push, A2).summary());
    assertEquals(1, run.errors().size());
    assertEquals(Map.of(M, c.ref(M), C, c.ref(C)), serverRefs());
  }

  @Test
  void v060MigrationPushInWarnModeIsAcceptedWithAWarning() throws IOException {
    try (Repository r = new FileRepository(serverRepo.toFile())) {
      r.getConfig().setString("checkpointGuard", null, "mode", "warn");
      r.getConfig().save();
    }
    ClientRepo c = client(V0_6_0);
    c.migrate(130);
    ClientProtocol.Run run = protocol(c).prePush();
    assertTrue(run.ok(), run.transcript());
    GitCli.Result push = run.pushes().get(0);
    assertEquals('*', result(push, A2).flag());
    assertTrue(
        push.remoteLines()
            .contains(
                "checkpoint-guard: warning: accepted because checkpointGuard.mode is warn; enforce mode would"
                    + " refuse: archived generation refs/entire/checkpoints/v2/full/0000000000002 holds 30"
                    + " checkpoints, fewer than the threshold 100 (rule archive-threshold); "
                    + "only the v2 migration of Entire CLI v0.6.0 makes them, and your v1 branch still has "
                    + "their checkpoints: upgrade the Entire CLI (v0.6.2 and later stop pushing it); "
                    + "the server's administrator can run checkpoint-guard repair"),
        push.stderr());
    assertEquals(Map.of(M, c.ref(M), C, c.ref(C), A2, c.ref(A2)), serverRefs());
  }

  @Test
  void v061MigrationPushIsAccepted() throws IOException {
    ClientRepo c = client(V0_6_1);
    c.migrate(230);
    ClientProtocol.Run run = protocol(c).prePush();
    assertTrue(run.ok(), run.transcript());
    GitCli.Result push = run.pushes().get(0);
    assertEquals('*', result(push, M).flag());
    assertEquals('*', result(push, C).flag());
    assertEquals('*', result(push, A2).flag());
    assertEquals("Write migrated partial generation\n", serverCommit(C).getFullMessage());
    assertEquals(30, serverCount(C));
    assertEquals(
        Map.of(M, c.ref(M), C, c.ref(C), A2, c.ref(A2)), serverRefs(), "only the latest archive");
  }

  /**
   * §10.2(b): a pending archive pruned by {@code migrate --force} is published under the threshold.
   */
  @Test
  void v062ForceMigrationAfterARotationPublishesThePrunedArchive() throws IOException {
    ClientRepo c = client(V0_6_2);
    List<String> ids = c.checkpoints(60);
    assertTrue(protocol(c).prePush().ok());
    c.checkpoints(40);
    c.forceMigrate(ids.subList(0, 5));
    ClientProtocol.Run run = protocol(c).prePush();
    assertTrue(run.ok(), run.transcript());
    assertEquals('*', result(run.pushes().get(0), A1).flag());
    assertEquals('+', result(run.pushes().get(1), C).flag());
    assertEquals(' ', result(run.pushes().get(2), M).flag());
    assertEquals(95, serverCount(A1));
    assertEquals(5, serverCount(C));
    assertEquals(Map.of(M, c.ref(M), C, c.ref(C), A1, c.ref(A1)), serverRefs());
  }

  /**
   * An old client's prune of a published archive is refused as non-fast-forward; its merge restores
   * it.
   */
  @Test
  void v061ForceMigrationPruneOfAPublishedArchiveIsMergedBack() throws IOException {
    ClientRepo c = client(V0_6_1);
    List<String> ids = c.checkpoints(100);
    assertTrue(protocol(c).prePush().ok());
    c.forceMigrate(ids.subList(0, 5));
    ClientProtocol.Run run = protocol(c).prePush();
    assertTrue(run.ok(), run.transcript());
    GitCli.Result first = run.pushes().get(0);
    assertEquals(' ', result(first, M).flag());
    assertEquals(' ', result(first, C).flag());
    assertRejected(
        result(first, A1),
        "non-fast-forward: updating archived generation refs/entire/checkpoints/v2/full/0000000000001 would"
            + " remove 5 raw transcripts of 5 checkpoints (");
    GitCli.Result retry = run.pushes().get(1);
    assertEquals(List.of("push", "--no-verify", "--porcelain", url, A1 + ":" + A1), args(retry));
    assertEquals(' ', result(retry, A1).flag());
    assertEquals("Merge remote v2/full/0000000000001", serverCommit(A1).getFullMessage());
    assertEquals(100, serverCount(A1));
    assertEquals(5, serverCount(C));
  }

  // ------------------------------------------------------------------ v0.5.x

  @Test
  void v05ThreePushesRehydrateCurrentAfterALocalRotation() throws IOException {
    ClientRepo c = client(V0_5_6);
    c.checkpoints(60);
    ClientProtocol.Run first = protocol(c).prePush();
    assertTrue(first.ok(), first.transcript());
    assertEquals(2, first.pushes().size(), "main and current; no archive yet");
    c.checkpoints(40); // local rotation: A1, and current reset to an orphan
    ClientProtocol.Run run = protocol(c).prePush();
    assertTrue(run.ok(), run.transcript());
    List<GitCli.Result> pushes = run.pushes();
    assertEquals(
        List.of("push", "--no-verify", "--porcelain", url, M + ":" + M), args(pushes.get(0)));
    assertEquals(' ', result(pushes.get(0), M).flag());
    assertEquals("[rejected] (non-fast-forward)", result(pushes.get(1), C).summary());
    assertEquals(' ', result(pushes.get(2), C).flag());
    assertEquals(
        List.of("push", "--no-verify", "--porcelain", url, A1 + ":" + A1), args(pushes.get(3)));
    assertEquals('*', result(pushes.get(3), A1).flag());
    RevCommit merge = serverCommit(C);
    assertEquals("Merge remote v2/full/current", merge.getFullMessage());
    assertEquals(2, merge.getParentCount());
    assertEquals(60, serverCount(C), "the archived checkpoints are back in current");
    assertEquals(100, serverCount(A1));
  }

  @Test
  void v05AppenderBehindARotationMergesIntoTheLatestRemoteOnlyArchive() throws IOException {
    ClientRepo a = client(V0_6_2);
    a.checkpoints(60);
    assertTrue(protocol(a).prePush().ok());
    ClientRepo old = cloneClient(V0_5_6);
    old.checkpoint();
    a.checkpoints(40);
    assertTrue(protocol(a).prePush().ok());
    ClientProtocol.Run run = protocol(old).prePush();
    assertTrue(run.ok(), run.transcript());
    List<GitCli.Result> pushes = run.pushes();
    assertEquals("[rejected] (fetch first)", result(pushes.get(0), M).summary());
    assertEquals(' ', result(pushes.get(1), M).flag());
    assertEquals("[rejected] (fetch first)", result(pushes.get(2), C).summary());
    assertEquals(
        ' ', result(pushes.get(3), A1).flag()); // Merge local checkpoints into archived generation
    assertEquals('=', result(pushes.get(4), C).flag()); // the adopted remote current
    assertEquals(5, pushes.size(), "no local archive when the run started: no third push");
    assertEquals(101, serverCount(A1));
    assertEquals(a.ref(C), serverRefs().get(C));
  }

  @Test
  void legacyV053ArchivePushedByV054() throws IOException {
    ClientRepo c = client(ClientVersion.V0_5_3);
    c.checkpoints(100); // legacy rotation: the archive ref points at the current commit
    c.upgrade(ClientVersion.V0_5_4);
    ClientProtocol.Run run = protocol(c).prePush();
    assertTrue(run.ok(), run.transcript());
    List<GitCli.Result> pushes = run.pushes();
    assertEquals(3, pushes.size());
    assertEquals('*', result(pushes.get(0), M).flag());
    assertEquals('*', result(pushes.get(1), C).flag());
    assertEquals('*', result(pushes.get(2), A1).flag());
    assertTrue(serverCommit(A1).getFullMessage().startsWith("Checkpoint: "));
    assertEquals(100, serverCount(A1));
  }

  // ------------------------------------------------------------------ §7.5, §8.6

  @Test
  void retentionDeleteWithALease() throws IOException {
    ClientRepo c = client(V0_6_2);
    c.checkpoints(100);
    assertTrue(protocol(c).prePush().ok());
    ObjectId a1 = c.ref(A1);
    ClientProtocol.Run run = protocol(c).deleteArchive(A1);
    assertTrue(run.ok(), run.transcript());
    GitCli.Result push = run.pushes().get(0);
    assertEquals(
        List.of(
            "push",
            "--no-verify",
            "--porcelain",
            "--force-with-lease=" + A1 + ":" + a1.name(),
            url,
            ":" + A1),
        args(push));
    assertEquals('-', result(push, A1).flag());
    assertFalse(serverRefs().containsKey(A1));
  }

  @Test
  void retentionDeleteRefusedWhenTheRepositoryForbidsIt() throws IOException {
    try (Repository r = new FileRepository(serverRepo.toFile())) {
      r.getConfig().setBoolean("checkpointGuard", null, "allowArchiveDeletion", false);
      r.getConfig().save();
    }
    ClientRepo c = client(V0_6_2);
    c.checkpoints(100);
    assertTrue(protocol(c).prePush().ok());
    ClientProtocol.Run run = protocol(c).deleteArchive(A1);
    assertEquals(
        PREFIX
            + "deleting archived generation refs/entire/checkpoints/v2/full/0000000000001 is disabled on this"
            + " repository (rule archive-delete): git config checkpointGuard.allowArchiveDeletion is false; ask"
            + " the server administrator)",
        result(run.pushes().get(0), A1).summary());
    assertEquals(c.ref(A1), serverRefs().get(A1));
  }

  @Test
  void metadataRepairPushWithALease() throws IOException {
    ClientRepo c = client(V0_6_1);
    c.checkpoints(100);
    assertTrue(protocol(c).prePush().ok());
    ObjectId before = serverRefs().get(A1);
    ClientProtocol.Run run = protocol(c).repairAndPush(A1);
    assertTrue(run.ok(), run.transcript());
    GitCli.Result push = run.pushes().get(0);
    assertEquals(
        List.of(
            "push",
            "--no-verify",
            "--porcelain",
            "--force-with-lease=" + A1 + ":" + before.name(),
            url,
            A1 + ":" + A1),
        args(push));
    assertEquals(' ', result(push, A1).flag());
    assertEquals("Repair generation metadata: 0000000000001\n", serverCommit(A1).getFullMessage());
  }

  // ------------------------------------------------------------------ names and object types

  @Test
  void unknownRefIsRejected() throws IOException {
    ClientRepo c = client(V0_6_2);
    c.checkpoint();
    String bad = RefNames.FULL_PREFIX + "abc";
    GitCli.Result r = git.run(c.directory(), "push", "--porcelain", url, M + ":" + bad);
    assertEquals(
        PREFIX
            + "refs/entire/checkpoints/v2/full/abc is not a checkpoint ref (rule unknown-ref); under"
            + " refs/entire/checkpoints/v2/ only main, full/current and full/<13 digits> may exist)",
        result(r, bad).summary());
    assertTrue(serverRefs().isEmpty());
  }

  @Test
  void nonCommitValuesAreRejected() throws IOException {
    ClientRepo c = client(V0_6_2);
    c.checkpoint();
    ObjectId tag = c.insertTag(c.ref(M), Constants.OBJ_COMMIT, "v1");
    c.updateRef("refs/tags/v1", null, tag);
    GitCli.Result r = git.run(c.directory(), "push", "--porcelain", url, "refs/tags/v1:" + M);
    assertEquals(
        PREFIX
            + "refs/entire/checkpoints/v2/main must point to a commit, but "
            + tag.name()
            + " is a tag (rule not-a-commit))",
        result(r, M).summary());
    assertNull(serverRefs().get(M));
  }
}
