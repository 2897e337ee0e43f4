package dev.checkpointguard.server;

import static dev.checkpointguard.server.ServerTestSupport.ok;
import static dev.checkpointguard.server.ServerTestSupport.writeUsers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.GitCli;
import dev.checkpointguard.fixtures.TestJson;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /metrics}, {@code GET /healthz} and the JSON push log, end to end: real Jetty on a
 * loopback port, real git pushes of a v0.6.2 client's rotation that the guard partly refuses.
 */
class MetricsAndLogTest {
  private static final String ARCHIVE = "refs/entire/checkpoints/v2/full/0000000000001";
  private static final Instant NOW = Instant.parse("2026-03-04T05:06:07Z");

  @TempDir Path tmp;
  private Path repos;
  private GitCli git;
  private GuardedServer server;
  private final ByteArrayOutputStream jsonLog = new ByteArrayOutputStream();

  @BeforeEach
  void setUp() throws Exception {
    repos = Files.createDirectories(tmp.resolve("repos"));
    ServerTestSupport.bareRepo(repos.resolve("checkpoints.git"));
    git = new GitCli(tmp.resolve("home"));
    Path users = writeUsers(tmp.resolve("users"), "alice", "s3cret");
    server =
        GuardedServer.start(
            GuardedServer.Config.builder(repos)
                .port(0)
                .usersFile(users)
                .authBackoff(Duration.ofMillis(1), Duration.ofMillis(2))
                .logFormat(LogFormat.JSON, new PrintStream(jsonLog, true, StandardCharsets.UTF_8))
                .clock(Clock.fixed(NOW, ZoneOffset.UTC))
                .build());
  }

  @AfterEach
  void tearDown() {
    server.close();
  }

  private String remote(String user, String password) {
    URI u = server.url().resolve("checkpoints.git");
    return u.getScheme()
        + "://"
        + user
        + ":"
        + password
        + "@"
        + u.getHost()
        + ":"
        + u.getPort()
        + u.getPath();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(server.url().resolve(path)).build(),
            HttpResponse.BodyHandlers.ofString());
  }

  /** The value of one sample line {@code name{labels} value} in a scrape, or null. */
  private static Double sample(String scrape, String nameAndLabels) {
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(nameAndLabels) + " (\\S+)$").matcher(scrape);
    return m.find() ? Double.valueOf(m.group(1)) : null;
  }

  @Test
  void countsVerdictsPushesAndLoginFailuresAndLogsEachRefAsJson() throws Exception {
    Path clientDir = tmp.resolve("client.git");
    try (ClientRepo client = ServerTestSupport.client(clientDir, 3, 4)) {
      assertEquals(List.of(ARCHIVE), List.copyOf(client.archives().keySet()));
    }
    List<String> push =
        new ArrayList<>(
            List.of(
                "push",
                "--porcelain",
                remote("alice", "s3cret"),
                ClientRepo.MAIN + ":" + ClientRepo.MAIN,
                ClientRepo.CURRENT + ":" + ClientRepo.CURRENT,
                ARCHIVE + ":" + ARCHIVE));
    GitCli.Result r = git.run(clientDir, push);
    assertEquals(
        1,
        r.exitCode(),
        r.toString()); // the 3-checkpoint archive is refused, main and current land

    GitCli.Result wrong =
        git.run(clientDir, "push", remote("alice", "wrong"), ClientRepo.MAIN + ":refs/heads/x");
    assertNotEquals(0, wrong.exitCode());

    HttpResponse<String> metrics = get("metrics");
    assertEquals(200, metrics.statusCode());
    assertTrue(
        metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"),
        metrics.headers().toString());
    String scrape = metrics.body();
    assertEquals(
        2.0,
        sample(scrape, "checkpoint_guard_verdicts_total{outcome=\"accept\",rule=\"none\"}"),
        scrape);
    assertEquals(
        1.0,
        sample(
            scrape,
            "checkpoint_guard_verdicts_total{outcome=\"reject\",rule=\"archive-threshold\"}"),
        scrape);
    assertEquals(
        1.0,
        sample(scrape, "checkpoint_guard_push_duration_seconds_count{result=\"rejected\"}"),
        scrape);
    assertEquals(
        0.0, sample(scrape, "checkpoint_guard_push_duration_seconds_count{result=\"ok\"}"), scrape);
    assertEquals(
        1.0,
        sample(
            scrape,
            "checkpoint_guard_push_duration_seconds_bucket{result=\"rejected\",le=\"+Inf\"}"),
        scrape);
    assertEquals(
        1.0,
        sample(scrape, "checkpoint_guard_auth_failures_total{reason=\"wrong_credentials\"}"),
        scrape);
    assertEquals(
        0.0, sample(scrape, "checkpoint_guard_auth_failures_total{reason=\"throttled\"}"), scrape);
    assertTrue(scrape.contains("# TYPE jvm_memory_used_bytes gauge"), "JVM basics are exported");
    assertTrue(scrape.contains("# TYPE checkpoint_guard_build_info gauge"), scrape);

    // mirror syncs report through the listener; unknown words are folded into one series
    server.metrics().syncListener().onSync("updated");
    server.metrics().syncListener().onSync("Refs: 3\n");
    String again = get("metrics").body();
    assertEquals(
        1.0, sample(again, "checkpoint_guard_mirror_syncs_total{outcome=\"updated\"}"), again);
    assertEquals(
        1.0, sample(again, "checkpoint_guard_mirror_syncs_total{outcome=\"other\"}"), again);

    // one JSON object per ref command, all of the same push
    List<String> lines = jsonLog.toString(StandardCharsets.UTF_8).lines().toList();
    assertEquals(3, lines.size(), lines.toString());
    List<Map<String, Object>> records = new ArrayList<>();
    for (String line : lines) {
      @SuppressWarnings("unchecked")
      Map<String, Object> rec = (Map<String, Object>) TestJson.parse(line);
      records.add(rec);
    }
    Object pushId = records.get(0).get("push");
    for (Map<String, Object> rec : records) {
      assertEquals("push", rec.get("event"));
      assertEquals(pushId, rec.get("push"));
      assertEquals(NOW.toString(), rec.get("time"));
      assertEquals("checkpoints.git", rec.get("repository"));
      assertEquals("alice", rec.get("user"));
      assertEquals("127.0.0.1", rec.get("from"));
      assertEquals(false, rec.get("pack_refused"));
      assertTrue(((Number) rec.get("duration_ms")).doubleValue() >= 0, rec.toString());
    }
    Map<String, Object> archive =
        records.stream().filter(rec -> ARCHIVE.equals(rec.get("ref"))).findFirst().orElseThrow();
    assertEquals("create", archive.get("type"));
    assertEquals("rejected_other_reason", archive.get("result"));
    assertEquals("reject", archive.get("verdict"));
    assertEquals("archive-threshold", archive.get("rule"));
    assertTrue(
        ((String) archive.get("message")).startsWith("checkpoint-guard: archived generation "),
        archive.toString());
    Map<String, Object> main =
        records.stream()
            .filter(rec -> ClientRepo.MAIN.equals(rec.get("ref")))
            .findFirst()
            .orElseThrow();
    assertEquals("ok", main.get("result"));
    assertEquals("accept", main.get("verdict"));
    assertEquals("none", main.get("rule"));
    assertEquals(null, main.get("message"));
  }

  @Test
  void healthzAnswersWhileServingAndSaysWhenTheRepositoriesFolderIsGone() throws Exception {
    HttpResponse<String> ok = get("healthz");
    assertEquals(200, ok.statusCode());
    assertEquals("ok\n", ok.body());
    ok(
        git.run(
            tmp,
            "clone",
            "-q",
            server.url().resolve("checkpoints.git").toString(),
            tmp.resolve("c").toString()));

    Files.move(repos, tmp.resolve("moved away"));
    HttpResponse<String> gone = get("healthz");
    assertEquals(503, gone.statusCode());
    assertEquals("repositories folder unavailable\n", gone.body());
  }
}
