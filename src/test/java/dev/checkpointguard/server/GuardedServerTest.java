package dev.checkpointguard.server;

import static dev.checkpointguard.server.ServerTestSupport.checkpointCommit;
import static dev.checkpointguard.server.ServerTestSupport.header;
import static dev.checkpointguard.server.ServerTestSupport.raw;
import static dev.checkpointguard.server.ServerTestSupport.ref;
import static dev.checkpointguard.server.ServerTestSupport.writeUsers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.UnaryOperator;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.StoredConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guarded server end to end: real Jetty on a loopback port, the real git CLI as the client. */
class GuardedServerTest {
  private static final String ARCHIVE = "refs/entire/checkpoints/v2/full/0000000000001";

  @TempDir Path tmp;
  private Path repos;
  private Path serverRepo;
  private Git git;
  private final List<GuardedServer> servers = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    repos = Files.createDirectories(tmp.resolve("repos"));
    serverRepo = ServerTestSupport.bareRepo(repos.resolve("checkpoints.git"));
    try (var r = ServerTestSupport.open(serverRepo)) {
      r.getConfig().setBoolean("core", null, "logAllRefUpdates", true);
      r.getConfig().save();
    }
    git = new Git(tmp.resolve("home"));
  }

  @AfterEach
  void tearDown() {
    servers.forEach(GuardedServer::close);
  }

  private GuardedServer start(UnaryOperator<GuardedServer.Config> tweak) throws Exception {
    GuardedServer s = GuardedServer.start(tweak.apply(GuardedServer.Config.defaults(repos).withPort(0)));
    servers.add(s);
    return s;
  }

  /** A work repository with one commit on its branch {@code main}. */
  private Path work(String name) throws Exception {
    Path w = tmp.resolve(name);
    git.run(tmp, "init", "-q", "-b", "main", w.toString()).ok();
    Files.writeString(w.resolve("a.txt"), name + "\n");
    git.run(w, "add", "a.txt").ok();
    git.run(w, "commit", "-q", "-m", "first").ok();
    return w;
  }

  private static String withCredentials(URI url, String user, String password) {
    return url.getScheme() + "://" + user + ":" + password + "@" + url.getHost() + ":" + url.getPort()
        + url.getPath();
  }

  @Test
  void servesCloneAndAnonymousPushOnLoopback() throws Exception {
    GuardedServer s = start(c -> c.withAnonymousPush(true));
    assertEquals(URI.create("http://127.0.0.1:" + s.port() + "/"), s.url());
    String remote = s.url().resolve("checkpoints.git").toString();

    Path w = work("w");
    git.run(w, "push", "-q", remote, "main:refs/heads/main").ok();
    ObjectId head = ObjectId.fromString(git.run(w, "rev-parse", "HEAD").ok().out().strip());
    assertEquals(head, ref(serverRepo, "refs/heads/main"));

    Path clone = tmp.resolve("clone");
    git.run(tmp, "clone", "-q", "-b", "main", remote, clone.toString()).ok();
    assertEquals("w\n", Files.readString(clone.resolve("a.txt")));
  }

  @Test
  void pushWithoutCredentialsIsChallengedAndFetchStaysOpen() throws Exception {
    Path users = writeUsers(tmp.resolve("users"), "alice", "s3cret");
    GuardedServer s = start(c -> c.withUsersFile(users));
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> push =
        http.send(
            HttpRequest.newBuilder(s.url().resolve("checkpoints.git/info/refs?service=git-receive-pack")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(401, push.statusCode());
    assertEquals(
        "Basic realm=\"checkpoint-guard\", charset=\"UTF-8\"",
        push.headers().firstValue("WWW-Authenticate").orElse(null));
    HttpResponse<String> fetch =
        http.send(
            HttpRequest.newBuilder(s.url().resolve("checkpoints.git/info/refs?service=git-upload-pack")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, fetch.statusCode());
    ServerTestSupport.Raw post = raw(s.port(), "POST", "/checkpoints.git/git-receive-pack", "Content-Length: 0");
    assertEquals(401, post.status());

    Path w = work("w");
    Git.Result r = git.run(w, "push", s.url().resolve("checkpoints.git").toString(), "main");
    assertNotEquals(0, r.exit());
    assertTrue(r.err().contains("could not read Username"), r.err());
    assertNull(ref(serverRepo, "refs/heads/main"));
    git.run(tmp, "clone", "-q", s.url().resolve("checkpoints.git").toString(), tmp.resolve("c").toString()).ok();
  }

  @Test
  void wrongPasswordIsRefusedAndTheRightOneAccepted() throws Exception {
    Path users = writeUsers(tmp.resolve("users"), "alice", "s3cret", "bob", "hunter2");
    GuardedServer s =
        start(c -> c.withUsersFile(users)
            .withAuthBackoff(Duration.ofMillis(20), Duration.ofMillis(100)));
    URI remote = s.url().resolve("checkpoints.git");
    Path w = work("w");

    Git.Result wrong = git.run(w, "push", withCredentials(remote, "alice", "hunter2"), "main");
    assertNotEquals(0, wrong.exit());
    assertTrue(wrong.err().contains("Authentication failed"), wrong.err());
    Git.Result unknown = git.run(w, "push", withCredentials(remote, "mallory", "s3cret"), "main");
    assertTrue(unknown.err().contains("Authentication failed"), unknown.err());
    assertNull(ref(serverRepo, "refs/heads/main"));

    git.run(w, "push", "-q", withCredentials(remote, "alice", "s3cret"), "main").ok();
    ObjectId head = ObjectId.fromString(git.run(w, "rev-parse", "HEAD").ok().out().strip());
    assertEquals(head, ref(serverRepo, "refs/heads/main"));
    // The reflog names the pusher.
    try (var r = ServerTestSupport.open(serverRepo)) {
      assertEquals("alice", r.getRefDatabase().getReflogReader("refs/heads/main").getLastEntry().getWho().getName());
    }
  }

  @Test
  void repeatedFailuresAreSlowedAndGuessesDuringThePenaltyGet429() throws Exception {
    Path users = writeUsers(tmp.resolve("users"), "alice", "s3cret");
    GuardedServer s =
        start(c -> c.withUsersFile(users)
            .withAuthBackoff(Duration.ofMillis(200), Duration.ofMillis(800)));
    String target = "/checkpoints.git/info/refs?service=git-receive-pack";
    String wrong = "Authorization: Basic " + Base64.getEncoder().encodeToString("alice:nope".getBytes());
    String right = "Authorization: Basic " + Base64.getEncoder().encodeToString("alice:s3cret".getBytes());

    long[] expectedMillis = {200, 400, 800, 800};
    for (long expected : expectedMillis) {
      long t0 = System.nanoTime();
      ServerTestSupport.Raw r = raw(s.port(), "GET", target, wrong);
      long took = (System.nanoTime() - t0) / 1_000_000;
      assertEquals(401, r.status());
      assertTrue(header(r, "WWW-Authenticate").startsWith("Basic realm="), r.head());
      assertTrue(took >= expected - 20, "failure answered after " + took + " ms, expected >= " + expected);
    }
    // While a failure's penalty runs, a parallel attempt is refused unchecked, even with the right password.
    java.util.concurrent.CompletableFuture<ServerTestSupport.Raw> pending =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> {
              try {
                return raw(s.port(), "GET", target, wrong);
              } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            },
            r -> new Thread(r).start());
    Thread.sleep(300);
    ServerTestSupport.Raw during = raw(s.port(), "GET", target, right);
    assertEquals(429, during.status());
    assertEquals("1", header(during, "Retry-After"));
    assertEquals(401, pending.get().status());
    assertEquals(200, raw(s.port(), "GET", target, right).status());
  }

  @Test
  void guardRejectionReachesThePusherAndRepoConfigSetsTheThreshold() throws Exception {
    GuardedServer s = start(c -> c.withAnonymousPush(true));
    String remote = s.url().resolve("checkpoints.git").toString();
    Path w = work("w");
    checkpointCommit(w.resolve(".git"), ARCHIVE, "0123456789ab");

    Git.Result r = git.run(w, "push", "--porcelain", remote, ARCHIVE + ":" + ARCHIVE, "main:refs/heads/main");
    assertEquals(1, r.exit(), r.out() + r.err());
    assertTrue(
        r.out().lines().anyMatch(l -> l.equals("!\t" + ARCHIVE + ":" + ARCHIVE + "\t[remote rejected] "
            + "(checkpoint-guard: archived generation " + ARCHIVE + " holds 1 checkpoint, fewer than the "
            + "threshold 100 (rule archive-threshold); keep them in refs/entire/checkpoints/v2/full/current "
            + "until it holds 100, or ask the server administrator to run 'checkpoint-guard repair')")),
        r.out());
    assertTrue(r.out().lines().anyMatch(l -> l.equals("*\trefs/heads/main:refs/heads/main\t[new branch]")), r.out());
    assertNull(ref(serverRepo, ARCHIVE));

    try (var repo = ServerTestSupport.open(serverRepo)) {
      StoredConfig config = repo.getConfig();
      config.setInt("checkpointGuard", null, "threshold", 1);
      config.save();
    }
    Git.Result again = git.run(w, "push", "--porcelain", remote, ARCHIVE + ":" + ARCHIVE);
    assertEquals(0, again.exit(), again.out() + again.err());
    assertEquals(ref(w.resolve(".git"), ARCHIVE), ref(serverRepo, ARCHIVE));
  }

  @Test
  void pathsOutsideTheReposFolderAre404() throws Exception {
    Path secret = ServerTestSupport.bareRepo(tmp.resolve("secret.git"));
    checkpointCommit(secret, "refs/heads/main", "0123456789ab");
    Files.createSymbolicLink(repos.resolve("link.git"), secret);
    Files.createDirectories(repos.resolve("sub"));
    ServerTestSupport.bareRepo(repos.resolve("sub").resolve("nested.git"));
    ServerTestSupport.bareRepo(repos.resolve(".hidden.git"));
    GuardedServer s = start(c -> c.withAnonymousPush(true));
    String q = "/info/refs?service=git-upload-pack";

    assertEquals(200, raw(s.port(), "GET", "/checkpoints.git" + q).status());
    String[] attempts = {
      "/../secret.git" + q,
      "/checkpoints.git/../../secret.git" + q,
      "/%2e%2e/secret.git" + q,
      "/.%2E/secret.git" + q,
      "/..%2Fsecret.git" + q,
      "/%2E%2E%2Fsecret.git" + q,
      "/sub%2Fnested.git" + q,
      "/sub/nested.git" + q,
      "/sub/../checkpoints.git" + q,
      "/" + secret.toString().substring(1) + q,
      "/%2F" + secret.toString().substring(1).replace("/", "%2F") + q,
      "//" + secret.toString().substring(1) + q,
      "/link.git" + q,
      "/.hidden.git" + q,
      "/checkpoints.git%00" + q,
      "/checkpoints.git;x=y" + q,
      "/..%5Csecret.git" + q,
      "/missing.git" + q,
      "/checkpoints" + q,
      "http://127.0.0.1:" + s.port() + "/../secret.git" + q,
    };
    for (String a : attempts) {
      assertEquals(404, raw(s.port(), "GET", a).status(), a);
    }
    assertEquals(404, raw(s.port(), "POST", "/../secret.git/git-receive-pack", "Content-Length: 0").status());
  }

  @Test
  void objectsAndPacksOverTheLimitsAreRefused() throws Exception {
    GuardedServer s = start(c -> c.withAnonymousPush(true).withMaxObjectSize(1024));
    Path w = work("w");
    byte[] big = new byte[64 * 1024];
    new java.util.Random(1).nextBytes(big);
    Files.write(w.resolve("big.bin"), big);
    git.run(w, "add", "big.bin").ok();
    git.run(w, "commit", "-q", "-m", "big").ok();

    Git.Result r = git.run(w, "push", "--porcelain", s.url().resolve("checkpoints.git").toString(), "main");
    assertNotEquals(0, r.exit());
    assertTrue((r.out() + r.err()).contains("Max object size limit is 1,024 bytes"), r.out() + r.err());
    assertNull(ref(serverRepo, "refs/heads/main"));

    GuardedServer small = start(c -> c.withAnonymousPush(true).withMaxPackSize(4096));
    Git.Result p = git.run(w, "push", "--porcelain", small.url().resolve("checkpoints.git").toString(), "main");
    assertNotEquals(0, p.exit());
    assertTrue((p.out() + p.err()).contains("Pack exceeds the limit of 4,096 bytes"), p.out() + p.err());
    assertNull(ref(serverRepo, "refs/heads/main"));
  }

  @Test
  void startRefusesAMissingFolderOrNobodyToPush() {
    IllegalArgumentException nobody =
        assertThrows(IllegalArgumentException.class, () -> GuardedServer.start(GuardedServer.Config.defaults(repos).withPort(0)));
    assertEquals("pushing needs a users file or anonymous push", nobody.getMessage());
    IllegalArgumentException missing =
        assertThrows(
            IllegalArgumentException.class,
            () -> GuardedServer.start(
                GuardedServer.Config.defaults(tmp.resolve("nope")).withPort(0).withAnonymousPush(true)));
    assertEquals(tmp.resolve("nope") + " is not a directory", missing.getMessage());
  }
}
