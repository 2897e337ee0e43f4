package dev.checkpointguard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.command.Io;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientProtocol;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.GitCli;
import dev.checkpointguard.mirror.ManualScheduler;
import dev.checkpointguard.mirror.MirrorService;
import dev.checkpointguard.mirror.MirrorSync;
import dev.checkpointguard.mirror.SyncOutcome;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve --mirrors FILE}: one process that serves guarded pushes and runs the guarded
 * periodic syncs (on virtual time here: the scheduler is the test's), and stops both cleanly.
 */
class ServeMirrorsTest {
  private static final Pattern READY =
      Pattern.compile("checkpoint-guard serving (.+) at (http://127\\.0\\.0\\.1:(\\d+)/)");

  @TempDir Path tmp;

  @Test
  void serveSyncsItsMirrorsGuardsPushesToThemAndStopsBoth() throws Exception {
    GitCli git = new GitCli(tmp.resolve("home"));
    Path upstream = tmp.resolve("upstream.git");
    git.run(tmp, "init", "-q", "--bare", upstream.toString()).expectOk();
    ClientRepo a =
        ClientRepo.builder(ClientVersion.V0_6_2).seed(1).buildOnDisk(tmp.resolve("a.git"));
    a.checkpoints(3);
    assertTrue(new ClientProtocol(a, git, upstream.toString()).prePush().ok());
    Path repos = Files.createDirectories(tmp.resolve("repos"));
    Path file = tmp.resolve("mirrors");
    Files.writeString(file, "# mirrors\nmirror.git  " + upstream + "  10m\n");

    ManualScheduler scheduler = new ManualScheduler();
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    List<SyncOutcome> outcomes = Collections.synchronizedList(new ArrayList<>());
    MirrorService.Starter starter =
        (dir, entries, env, listener) ->
            MirrorService.start(
                dir,
                entries,
                git.environment(),
                o -> {
                  outcomes.add(o);
                  listener.onSync(o);
                },
                scheduler,
                new Random(1),
                Clock.systemUTC(),
                log::add,
                MirrorService.Options.DEFAULTS,
                MirrorSync.Listener.NONE);

    StopSignal stop = StopSignal.manual();
    PipedInputStream outIn = new PipedInputStream();
    PrintStream out = new PrintStream(new PipedOutputStream(outIn), true, StandardCharsets.UTF_8);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Io io =
        new Io(
            out,
            new PrintStream(err, true, StandardCharsets.UTF_8),
            new ByteArrayInputStream(new byte[0]),
            Map.of());
    Main main = new Main(io, List.of(new ServeCommand(tmp, () -> stop, starter)));
    CompletableFuture<Integer> exit =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return main.run(
                    "serve",
                    "--repos",
                    repos.toString(),
                    "--anonymous-push",
                    "--port",
                    "0",
                    "--mirrors",
                    file.toString());
              } finally {
                out.close();
              }
            });
    String ready =
        new BufferedReader(new InputStreamReader(outIn, StandardCharsets.UTF_8)).readLine();
    Matcher m = READY.matcher(String.valueOf(ready));
    assertTrue(m.matches(), ready + " " + err);
    String url = m.group(2) + "mirror.git";

    scheduler.advance(Duration.ofMinutes(1));
    assertEquals(1, outcomes.size(), log.toString());
    assertEquals(SyncOutcome.Result.UPDATED, outcomes.get(0).result(), log.toString());
    // clients read the mirror through serve
    GitCli.Result ls = git.run(tmp, "ls-remote", url, RefNames.CURRENT).expectOk();
    assertEquals(a.ref(RefNames.CURRENT).name() + "\t" + RefNames.CURRENT, ls.stdout().trim());
    // the sync is counted in GET /metrics
    java.net.http.HttpResponse<String> metrics =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(m.group(2) + "metrics"))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    assertTrue(
        metrics.body().contains("checkpoint_guard_mirror_syncs_total{outcome=\"updated\"} 1.0"),
        metrics.body());
    // and pushes to it are guarded: a reset that would lose checkpoints is refused
    ClientRepo b =
        ClientRepo.builder(ClientVersion.V0_6_2).seed(2).buildOnDisk(tmp.resolve("b.git"));
    b.checkpoint();
    GitCli.Result refused =
        git.run(
            b.directory(),
            "push",
            "--porcelain",
            url,
            "+" + RefNames.CURRENT + ":" + RefNames.CURRENT);
    assertTrue(refused.stdout().contains("(rule current-loss)"), refused.toString());

    stop.stop();
    assertEquals(0, exit.get(60, TimeUnit.SECONDS), err.toString(StandardCharsets.UTF_8));
    assertEquals(0, scheduler.pending(), "the periodic syncs stopped with the server");
  }

  @Test
  void aBadMirrorsFileIsAUsageErrorNamingTheLine() throws Exception {
    Path repos = Files.createDirectories(tmp.resolve("repos"));
    Path file = tmp.resolve("mirrors");
    Files.writeString(
        file, "ok.git /srv/up.git 10m\nbad.git https://bob:pw@example.com/x.git 10m\n");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Io io =
        new Io(
            new PrintStream(new ByteArrayOutputStream()),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            new ByteArrayInputStream(new byte[0]),
            Map.of());
    int code =
        new Main(io, List.of(new ServeCommand(tmp, StopSignal::manual)))
            .run(
                "serve",
                "--repos",
                repos.toString(),
                "--anonymous-push",
                "--port",
                "0",
                "--mirrors",
                file.toString());
    assertEquals(2, code);
    assertEquals(
        "checkpoint-guard serve: "
            + file
            + ":2: upstream: the URL carries a password; remove it and let"
            + " git's credential helper or ~/.netrc provide it (docs/mirror.md, \"Credentials\")\n",
        err.toString(StandardCharsets.UTF_8));
    for (String[] bad :
        new String[][] {
          {"x.git /up.git"},
          {"../x.git /up.git 1m"},
          {"x.git /up.git 5s"},
          {"x.git git://h/x.git 1m"},
          {"x.git /a.git 1m\nx.git /b.git 1m"}
        }) {
      Files.writeString(file, bad[0] + "\n");
      err.reset();
      assertEquals(
          2,
          new Main(io, List.of(new ServeCommand(tmp, StopSignal::manual)))
              .run(
                  "serve",
                  "--repos",
                  repos.toString(),
                  "--anonymous-push",
                  "--port",
                  "0",
                  "--mirrors",
                  file.toString()),
          bad[0]);
      assertTrue(
          err.toString(StandardCharsets.UTF_8).startsWith("checkpoint-guard serve: " + file + ":"),
          err.toString(StandardCharsets.UTF_8));
    }
  }
}
