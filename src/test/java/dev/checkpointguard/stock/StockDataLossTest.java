package dev.checkpointguard.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientProtocol;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.FixtureClock;
import dev.checkpointguard.fixtures.GitCli;
import dev.checkpointguard.fixtures.LossCases;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.jgit.lib.ObjectId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every way a push lost transcripts past the guard (issue 15, {@link LossCases}), pushed with the real
 * {@code git} binary into bare repositories that install.sh prepared, in both stock modes: all-or-nothing
 * {@code pre-receive} (the whole push is refused) and per-ref (only the damaging refs are). Afterwards every
 * transcript the server held is still on it. Plus what only the stock hook has: the commit-time check of
 * the {@code reference-transaction} hook, its absence, and git namespaces.
 */
class StockDataLossTest extends StockHookFixture {
  static final String C = RefNames.CURRENT;
  static final String A1 = RefNames.archive(1);

  private final List<ClientRepo> clients = new ArrayList<>();
  private final FixtureClock clock =
      new FixtureClock(Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(600), Duration.ofSeconds(1));

  @AfterEach
  void closeClients() {
    clients.forEach(ClientRepo::close);
  }

  ClientRepo client() {
    int n = clients.size() + 1;
    ClientRepo c =
        ClientRepo.builder(ClientVersion.V0_6_2)
            .clock(clock)
            .seed(n)
            .threshold(LossCases.THRESHOLD)
            .user("Client " + n, "client" + n + "@example.com")
            .buildOnDisk(root.resolve("client" + n + ".git"));
    clients.add(c);
    return c;
  }

  /** A guarded bare repository rotating at the test threshold. */
  Path server(boolean perRef) {
    Path server = bare("server.git");
    cli.run(server, "config", "checkpointGuard.threshold", String.valueOf(LossCases.THRESHOLD)).expectOk();
    if (perRef) {
      install("--per-ref", "--repo", server.toString()).expectOk();
    } else {
      install("--repo", server.toString()).expectOk();
    }
    return server;
  }

  static List<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (LossCases.Case k : LossCases.Case.values()) {
      out.add(Arguments.of(k, false));
      out.add(Arguments.of(k, true));
    }
    return out;
  }

  @ParameterizedTest(name = "{0}, per-ref {1}")
  @MethodSource("cases")
  void theDamagingPushIsRefusedAndNothingIsLost(LossCases.Case k, boolean perRef) throws IOException {
    Path server = server(perRef);
    GitCli git = new GitCli(root.resolve("client home"));
    LossCases.Attack a =
        LossCases.prepare(
            k,
            client(),
            client(),
            git,
            server.toString(),
            (name, target) -> cli.run(server, "symbolic-ref", name, target).expectOk(),
            Files.createDirectories(root.resolve("scratch")));
    if (a.racer() != null) {
      LossCases.raceBeforePush(a.from(), server, a.racer());
    }
    Map<String, String> before = values(server, a.refused());
    Map<String, ObjectId> transcripts = LossCases.transcripts(server);
    GitCli.Result push = LossCases.push(git, a, server.toString());

    for (String ref : a.refused()) {
      assertEquals('!', push.refResult(ref).orElseThrow(() -> new AssertionError(ref + ": " + push)).flag(),
          push.toString());
    }
    assertEquals(before, values(server, a.refused()), "a refused ref moved: " + push);
    String said = String.join("\n", push.remoteLines());
    for (String e : a.evidence()) {
      assertTrue(said.contains(e), "'" + e + "' missing from: " + push);
    }
    for (String ref : a.accepted()) {
      assertEquals(perRef, push.refResult(ref).orElseThrow().accepted(), push.toString());
    }
    assertFalse(said.contains(root.toString()), "a server path reached the pusher: " + push);
    LossCases.assertKept(transcripts, server);
  }

  /**
   * An archive update and a reset in one push, the archive first: accepted on the archive's cover. When
   * another push moves the archive between the guard's verdict and git's update of it, the update fails,
   * and the reference-transaction hook refuses the reset at commit time (git then stops the push).
   */
  @Test
  void theReferenceTransactionHookRefusesAResetWhoseArchiveDidNotLand() throws IOException {
    Path server = bare("server.git");
    cli.run(server, "config", "checkpointGuard.threshold", String.valueOf(LossCases.THRESHOLD)).expectOk();
    // the race: an update hook that was there before install.sh (so it runs first) moves archive 1 when git
    // is about to update it, once the test has set the stage
    writeExecutable(
        server.resolve("hooks/update"),
        "#!/bin/sh\n"
            + "if [ \"$1\" = " + A1 + " ] && [ -f race ]; then\n"
            + "  git update-ref " + A1 + " \"$(cat race)\"\n"
            + "fi\n");
    install("--per-ref", "--repo", server.toString()).expectOk();
    GitCli git = new GitCli(root.resolve("client home"));
    Covered p = coveredByAnArchiveUpdate(server, git);
    Files.writeString(server.resolve("race"), p.elsewhere.name());
    Map<String, ObjectId> transcripts = LossCases.transcripts(server);
    GitCli.Result push =
        git.run(p.client.directory(), "push", "--porcelain", server.toString(),
            p.archive.name() + ":" + A1, "+" + p.reset.name() + ":" + C);
    assertNotEquals(0, push.exitCode(), push.toString());
    assertTrue(push.stderr().contains("checkpoint-guard: non-fast-forward: " + C + " was not updated:"
        + " archived generation " + A1 + ", which holds the transcripts it drops, was not stored with it"
        + " (rule current-loss); fetch, merge and push again"), push.toString());
    assertEquals(p.current.name(), serverRef(server, C));
    assertEquals(p.elsewhere.name(), serverRef(server, A1));
    LossCases.assertKept(transcripts, server);
  }

  /** Without the race, the same push lands: the dependency was met at commit time. */
  @Test
  void anArchiveUpdateAndAResetInOnePushLandTogether() throws IOException {
    Path server = server(false);
    GitCli git = new GitCli(root.resolve("client home"));
    Covered p = coveredByAnArchiveUpdate(server, git);
    GitCli.Result push =
        git.run(p.client.directory(), "push", "--porcelain", server.toString(),
            p.archive.name() + ":" + A1, "+" + p.reset.name() + ":" + C);
    assertTrue(push.ok(), push.toString());
    assertEquals(p.reset.name(), serverRef(server, C));
    assertEquals(p.archive.name(), serverRef(server, A1));
  }

  /**
   * Where the reference-transaction hook is not installed (GitLab and Gitea drop-ins, or removed), archives
   * of a push never cover a reset in it: the reset is refused at once, saying to push the archive first.
   */
  @Test
  void withoutTheCommitTimeCheckArchivesOfThePushDoNotCover() throws IOException {
    Path server = server(false);
    Files.delete(server.resolve("hooks/reference-transaction"));
    GitCli git = new GitCli(root.resolve("client home"));
    Covered p = coveredByAnArchiveUpdate(server, git);
    GitCli.Result push =
        git.run(p.client.directory(), "push", "--porcelain", server.toString(),
            p.archive.name() + ":" + A1, "+" + p.reset.name() + ":" + C);
    assertFalse(push.ok(), push.toString());
    assertTrue(String.join("\n", push.remoteLines()).contains(
        "(archived generations pushed with it count on this server only when they come first: push them"
            + " first, then the reset)"), push.toString());
    assertEquals(p.current.name(), serverRef(server, C));
    // pushed separately, archive first, both land
    git.run(p.client.directory(), "push", "--porcelain", server.toString(), p.archive.name() + ":" + A1)
        .expectOk();
    git.run(p.client.directory(), "push", "--porcelain", server.toString(), "+" + p.reset.name() + ":" + C)
        .expectOk();
  }

  /** A /full/current whose reset is covered only by an ff of archive 1 that merges it in (not yet pushed). */
  private record Covered(
      ClientRepo client, ObjectId current, ObjectId archive, ObjectId reset, ObjectId elsewhere) {}

  private Covered coveredByAnArchiveUpdate(Path server, GitCli git) {
    ClientRepo c = client();
    c.checkpoints(LossCases.THRESHOLD); // archive 1, C = Start generation
    publish(git, c, server, A1, C, RefNames.MAIN);
    ObjectId start = c.ref(C);
    c.checkpoints(LossCases.THRESHOLD - 1);
    publish(git, c, server, C, RefNames.MAIN);
    ObjectId current = c.ref(C);
    // the client's own recovery merge: archive 1 gains /full/current's checkpoints
    ObjectId archive =
        c.insertCommit(c.flatTree(A1).overlay(c.flatTree(C)), "Merge local checkpoints into archived generation",
            c.ref(A1));
    // another archive 1 value someone else may push: a repair of generation.json
    ObjectId elsewhere = c.insertCommit(c.flatTree(A1), "Repair generation metadata: 0000000000001\n", c.ref(A1));
    git.run(c.directory(), "push", "--porcelain", server.toString(), elsewhere.name() + ":refs/heads/elsewhere")
        .expectOk();
    return new Covered(c, current, archive, start, elsewhere);
  }

  // ---------------------------------------------------------------- git namespaces

  /** A push into namespace {@code a} is judged against a's archives, not the root namespace's. */
  @Test
  void anotherNamespacesArchiveDoesNotCoverAReset() throws IOException {
    Path server = server(false);
    GitCli root = new GitCli(this.root.resolve("client home"));
    GitCli inA = new GitCli(this.root.resolve("client home")).with("GIT_NAMESPACE", "a");
    ClientRepo c = client();
    c.checkpoints(LossCases.THRESHOLD - 1);
    publish(inA, c, server, C, RefNames.MAIN);
    // the same checkpoints archived in the root namespace (by the administrator: below the threshold)
    ObjectId archive = c.insertCommit(c.flatTree(C), "Archive generation", c.ref(C));
    root.run(c.directory(), "push", "--porcelain", server.toString(), archive.name() + ":refs/heads/x")
        .expectOk();
    cli.run(server, "update-ref", A1, archive.name()).expectOk();
    ObjectId reset = c.insertCommit(new dev.checkpointguard.fixtures.FlatTree(), "Start generation");
    GitCli.Result push = inA.run(c.directory(), "push", "--porcelain", server.toString(), "+" + reset.name() + ":" + C);
    assertFalse(push.ok(), push.toString());
    assertTrue(String.join("\n", push.remoteLines()).contains("(rule current-loss)"), push.toString());
    assertEquals(c.ref(C).name(), serverRef(server, "refs/namespaces/a/" + C));
  }

  /** A v0.6.2 rotation inside a namespace: its own archive covers its lease reset. */
  @Test
  void aRotationInsideANamespaceIsAccepted() throws IOException {
    Path server = server(false);
    GitCli inB = new GitCli(root.resolve("client home")).with("GIT_NAMESPACE", "b/c");
    ClientRepo c = client();
    c.checkpoints(LossCases.THRESHOLD - 1);
    ClientProtocol.Run first = new ClientProtocol(c, inB, server.toString()).prePush();
    assertTrue(first.ok(), first.transcript());
    c.checkpoint(); // rotates
    ClientProtocol.Run run = new ClientProtocol(c, inB, server.toString()).prePush();
    assertTrue(run.ok(), run.transcript());
    String ns = "refs/namespaces/b/refs/namespaces/c/";
    assertEquals(c.ref(C).name(), serverRef(server, ns + C));
    assertEquals(c.ref(A1).name(), serverRef(server, ns + A1));
    assertEquals(null, serverRef(server, C), "nothing in the root namespace");
  }

  private static void publish(GitCli git, ClientRepo c, Path server, String... refs) {
    List<String> args = new ArrayList<>(List.of("push", "--porcelain", server.toString()));
    for (String r : refs) {
      args.add(r + ":" + r);
    }
    git.run(c.directory(), args.toArray(String[]::new)).expectOk();
  }

  /** The server's value of each ref (through symbolic refs), "" when absent. */
  private Map<String, String> values(Path server, List<String> refs) {
    Map<String, String> out = new TreeMap<>();
    for (String ref : refs) {
      String v = serverRef(server, ref);
      out.put(ref, v == null ? "" : v);
    }
    return out;
  }
}
