package dev.checkpointguard.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientProtocol;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.FixtureClock;
import dev.checkpointguard.fixtures.FlatTree;
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
 * Every way a push lost transcripts past the guard (issue 15, {@link LossCases}), pushed with the
 * real {@code git} binary into bare repositories that install.sh prepared, in both stock modes:
 * all-or-nothing {@code pre-receive} (the whole push is refused) and per-ref (only the damaging
 * refs are). Afterwards every transcript the server held is still on it. Plus what only the stock
 * hook has: archives of the same push never cover a reset, and git namespaces.
 */
class StockDataLossTest extends StockHookFixture {
  static final String C = RefNames.CURRENT;
  static final String A1 = RefNames.archive(1);

  private final List<ClientRepo> clients = new ArrayList<>();
  private final FixtureClock clock =
      new FixtureClock(
          Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(600), Duration.ofSeconds(1));

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
    cli.run(server, "config", "checkpointGuard.threshold", String.valueOf(LossCases.THRESHOLD))
        .expectOk();
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
  void theDamagingPushIsRefusedAndNothingIsLost(LossCases.Case k, boolean perRef)
      throws IOException {
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
      assertEquals(
          '!',
          push.refResult(ref).orElseThrow(() -> new AssertionError(ref + ": " + push)).flag(),
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
   * An archive and a reset it relies on in one push: git applies a non-atomic push one ref at a
   * time, so the archive could fail while the reset lands. The stock hook never counts archives of
   * the push as cover; the reset is refused, saying to push the archive first, and both land when
   * pushed that way.
   */
  @ParameterizedTest(name = "per-ref {0}")
  @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
  void archivesOfThePushNeverCoverAReset(boolean perRef) throws IOException {
    Path server = server(perRef);
    GitCli git = new GitCli(root.resolve("client home"));
    Covered p = coveredByAnArchiveUpdate(server, git);
    GitCli.Result push =
        git.run(
            p.client.directory(),
            "push",
            "--porcelain",
            server.toString(),
            p.archive.name() + ":" + A1,
            "+" + p.reset.name() + ":" + C);
    assertFalse(push.ok(), push.toString());
    assertTrue(
        String.join("\n", push.remoteLines())
            .contains(
                "(archived generations pushed with it do not count on this server: push them first, then the"
                    + " reset) (rule current-loss)"),
        push.toString());
    assertEquals(p.current.name(), serverRef(server, C));
    assertEquals(
        perRef ? p.archive.name() : p.before.name(), serverRef(server, A1), push.toString());
    // pushed separately, archive first, both land
    git.run(
            p.client.directory(),
            "push",
            "--porcelain",
            server.toString(),
            p.archive.name() + ":" + A1)
        .expectOk();
    git.run(
            p.client.directory(),
            "push",
            "--porcelain",
            server.toString(),
            "+" + p.reset.name() + ":" + C)
        .expectOk();
    assertEquals(p.reset.name(), serverRef(server, C));
  }

  /**
   * A /full/current whose reset is covered only by an ff of archive 1 that merges it in (not yet
   * pushed).
   */
  private record Covered(
      ClientRepo client, ObjectId current, ObjectId before, ObjectId archive, ObjectId reset) {}

  private Covered coveredByAnArchiveUpdate(Path server, GitCli git) {
    ClientRepo c = client();
    c.checkpoints(LossCases.THRESHOLD); // archive 1, C = Start generation
    publish(git, c, server, A1, C, RefNames.MAIN);
    ObjectId start = c.ref(C);
    c.checkpoints(LossCases.THRESHOLD - 1);
    publish(git, c, server, C, RefNames.MAIN);
    ObjectId current = c.ref(C);
    // the client's own recovery merge: archive 1 gains /full/current's checkpoints
    ObjectId before = c.ref(A1);
    ObjectId archive =
        c.insertCommit(
            c.flatTree(A1).overlay(c.flatTree(C)),
            "Merge local checkpoints into archived generation",
            before);
    return new Covered(c, current, before, archive, start);
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
    // the same checkpoints archived in the root namespace (by the administrator: below the
    // threshold)
    ObjectId archive = c.insertCommit(c.flatTree(C), "Archive generation", c.ref(C));
    root.run(
            c.directory(),
            "push",
            "--porcelain",
            server.toString(),
            archive.name() + ":refs/heads/x")
        .expectOk();
    cli.run(server, "update-ref", A1, archive.name()).expectOk();
    ObjectId reset = c.insertCommit(new FlatTree(), "Start generation");
    GitCli.Result push =
        inA.run(
            c.directory(), "push", "--porcelain", server.toString(), "+" + reset.name() + ":" + C);
    assertFalse(push.ok(), push.toString());
    assertTrue(
        String.join("\n", push.remoteLines()).contains("(rule current-loss)"), push.toString());
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
