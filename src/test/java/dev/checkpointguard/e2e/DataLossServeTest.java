package dev.checkpointguard.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.FastTempDir;
import dev.checkpointguard.fixtures.FixtureClock;
import dev.checkpointguard.fixtures.GitCli;
import dev.checkpointguard.fixtures.LossCases;
import dev.checkpointguard.server.GuardedServer;
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
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every way a push lost transcripts past the guard (issue 15, {@link LossCases}), pushed with the
 * real {@code git} binary through {@code serve} (JGit, per-command verdicts): the damaging ref is
 * refused with the lost unit named, everything else of the push is judged on its own, and
 * afterwards every transcript the server held is still on it.
 */
class DataLossServeTest {
  @TempDir(factory = FastTempDir.class)
  static Path shared;

  static GuardedServer server;
  static final AtomicInteger REPOS = new AtomicInteger();

  @TempDir(factory = FastTempDir.class)
  Path tmp;

  GitCli git;
  Path serverRepo;
  String url;
  final List<ClientRepo> clients = new ArrayList<>();
  // near the server's real clock, so that a generation made in the test is "minutes old"
  final FixtureClock clock =
      new FixtureClock(
          Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(600), Duration.ofSeconds(1));

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
    git = new GitCli(tmp.resolve("home"));
    String name = "loss" + REPOS.incrementAndGet() + ".git";
    serverRepo = server.reposDir().resolve(name);
    try (Repository r = new FileRepository(serverRepo.toFile())) {
      r.create(true);
      r.getConfig().setInt("checkpointGuard", null, "threshold", LossCases.THRESHOLD);
      r.getConfig().save();
    }
    url = server.url().resolve(name).toString();
  }

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
            .buildOnDisk(tmp.resolve("client" + n + ".git"));
    clients.add(c);
    return c;
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(LossCases.Case.class)
  void theDamagingRefIsRefusedAndNothingIsLost(LossCases.Case k) throws IOException {
    LossCases.Attack a = LossCases.prepare(k, client(), client(), git, url, this::symref, tmp);
    if (a.racer() != null) {
      // another client takes the archive's number after git read the server's refs, before it sends
      // the commands: JGit refuses the create, so the archive covers nothing
      LossCases.raceBeforePush(a.from(), serverRepo, a.racer());
    }
    Map<String, String> before = values(a.refused());
    Map<String, ObjectId> transcripts = LossCases.transcripts(serverRepo);
    GitCli.Result push = LossCases.push(git, a, url);

    for (String ref : a.refused()) {
      GitCli.RefResult r =
          push.refResult(ref).orElseThrow(() -> new AssertionError(ref + ": " + push));
      assertEquals('!', r.flag(), push.toString());
    }
    assertEquals(before, values(a.refused()), "a refused ref moved");
    String reason = push.refResult(a.refused().get(0)).orElseThrow().reason();
    for (String e : a.evidence()) {
      assertTrue(reason.contains(e), "'" + e + "' missing from: " + reason);
    }
    for (String ref : a.accepted()) {
      assertTrue(push.refResult(ref).orElseThrow().accepted(), push.toString());
    }
    LossCases.assertKept(transcripts, serverRepo);
  }

  private void symref(String name, String target) {
    try (Repository r = new FileRepository(serverRepo.toFile())) {
      RefUpdate u = r.updateRef(name);
      RefUpdate.Result res = u.link(target);
      assertTrue(res == RefUpdate.Result.NEW || res == RefUpdate.Result.FORCED, res.toString());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The server's value of each ref (through symbolic refs), "" when absent. */
  private Map<String, String> values(List<String> refs) {
    Map<String, String> out = new TreeMap<>();
    for (String ref : refs) {
      GitCli.Result r = git.run(serverRepo, "rev-parse", "-q", "--verify", ref);
      out.put(ref, r.ok() ? r.stdout().trim() : "");
    }
    return out;
  }
}
