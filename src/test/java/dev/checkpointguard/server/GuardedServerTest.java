package dev.checkpointguard.server;

import static dev.checkpointguard.server.ServerTestSupport.header;
import static dev.checkpointguard.server.ServerTestSupport.ok;
import static dev.checkpointguard.server.ServerTestSupport.raw;
import static dev.checkpointguard.server.ServerTestSupport.ref;
import static dev.checkpointguard.server.ServerTestSupport.writeUsers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.GitCli;
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
  private GitCli git;
  private final List<GuardedServer> servers = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    repos = Files.createDirectories(tmp.resolve("repos"));
    serverRepo = ServerTestSupport.bareRepo(repos.resolve("checkpoints.git"));
    try (var r = ServerTestSupport.open(serverRepo)) {
      r.getConfig().setBoolean("core", null, "logAllRefUpdates", true);
      r.getConfig().save();
    }
    git = new GitCli(tmp.resolve("home"));
  }

  @AfterEach
  void tearDown() {
    servers.forEach(GuardedServer::close);
  }

  private GuardedServer start(UnaryOperator<GuardedServer.Config.Builder> tweak) throws Exception {
    GuardedServer s =
        GuardedServer.start(tweak.apply(GuardedServer.Config.builder(repos).port(0)).build());
    servers.add(s);
    return s;
  }

  /**
   * A server whose login throttle runs on {@code timer}: its penalties pass only when the test
   * says.
   */
  private GuardedServer start(ManualTimer timer, UnaryOperator<GuardedServer.Config.Builder> tweak)
      throws Exception {
    GuardedServer s =
        GuardedServer.start(
            tweak.apply(GuardedServer.Config.builder(repos).port(0)).build(), timer);
    servers.add(s);
    return s;
  }

  /** A raw request on its own thread (its answer may wait for the timer). */
  private static java.util.concurrent.CompletableFuture<ServerTestSupport.Raw> send(
      int port, String target, String... headers) {
    return java.util.concurrent.CompletableFuture.supplyAsync(
        () -> {
          try {
            return raw(port, "GET", target, headers);
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        },
        r -> new Thread(r).start());
  }

  /** A work repository with one commit on its branch {@code main}. */
  private Path work(String name) throws Exception {
    Path w = tmp.resolve(name);
    ok(git.run(tmp, "init", "-q", "-b", "main", w.toString()));
    Files.writeString(w.resolve("a.txt"), name + "\n");
    ok(git.run(w, "add", "a.txt"));
    ok(git.run(w, "commit", "-q", "-m", "first"));
    return w;
  }

  private static String withCredentials(URI url, String user, String password) {
    return url.getScheme()
        + "://"
        + user
        + ":"
        + password
        + "@"
        + url.getHost()
        + ":"
        + url.getPort()
        + url.getPath();
  }

  @Test
  void servesCloneAndAnonymousPushOnLoopback() throws Exception {
    GuardedServer s = start(c -> c.anonymousPush(true));
    assertEquals(URI.create("http://127.0.0.1:" + s.port() + "/"), s.url());
    String remote = s.url().resolve("checkpoints.git").toString();

    Path w = work("w");
    ok(git.run(w, "push", "-q", remote, "main:refs/heads/main"));
    ObjectId head = ObjectId.fromString(ok(git.run(w, "rev-parse", "HEAD")).stdout().strip());
    assertEquals(head, ref(serverRepo, "refs/heads/main"));

    Path clone = tmp.resolve("clone");
    ok(git.run(tmp, "clone", "-q", "-b", "main", remote, clone.toString()));
    assertEquals("w\n", Files.readString(clone.resolve("a.txt")));
  }

  @Test
  void pushWithoutCredentialsIsChallengedAndFetchStaysOpen() throws Exception {
    Path users = writeUsers(tmp.resolve("users"), "alice", "s3cret");
    GuardedServer s = start(c -> c.usersFile(users));
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> push =
        http.send(
            HttpRequest.newBuilder(
                    s.url().resolve("checkpoints.git/info/refs?service=git-receive-pack"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(401, push.statusCode());
    assertEquals(
        "Basic realm=\"checkpoint-guard\", charset=\"UTF-8\"",
        push.headers().firstValue("WWW-Authenticate").orElse(null));
    HttpResponse<String> fetch =
        http.send(
            HttpRequest.newBuilder(
                    s.url().resolve("checkpoints.git/info/refs?service=git-upload-pack"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, fetch.statusCode());
    ServerTestSupport.Raw post =
        raw(s.port(), "POST", "/checkpoints.git/git-receive-pack", "Content-Length: 0");
    assertEquals(401, post.status());

    Path w = work("w");
    GitCli.Result r = git.run(w, "push", s.url().resolve("checkpoints.git").toString(), "main");
    assertNotEquals(0, r.exitCode());
    assertTrue(r.stderr().contains("could not read Username"), r.stderr());
    assertNull(ref(serverRepo, "refs/heads/main"));
    ok(
        git.run(
            tmp,
            "clone",
            "-q",
            s.url().resolve("checkpoints.git").toString(),
            tmp.resolve("c").toString()));
  }

  @Test
  void wrongPasswordIsRefusedAndTheRightOneAccepted() throws Exception {
    Path users = writeUsers(tmp.resolve("users"), "alice", "s3cret", "bob", "hunter2");
    GuardedServer s =
        start(c -> c.usersFile(users).authBackoff(Duration.ofMillis(20), Duration.ofMillis(100)));
    URI remote = s.url().resolve("checkpoints.git");
    Path w = work("w");

    GitCli.Result wrong = git.run(w, "push", withCredentials(remote, "alice", "hunter2"), "main");
    assertNotEquals(0, wrong.exitCode());
    assertTrue(wrong.stderr().contains("Authentication failed"), wrong.stderr());
    GitCli.Result unknown =
        git.run(w, "push", withCredentials(remote, "mallory", "s3cret"), "main");
    assertTrue(unknown.stderr().contains("Authentication failed"), unknown.stderr());
    assertNull(ref(serverRepo, "refs/heads/main"));

    ok(git.run(w, "push", "-q", withCredentials(remote, "alice", "s3cret"), "main"));
    ObjectId head = ObjectId.fromString(ok(git.run(w, "rev-parse", "HEAD")).stdout().strip());
    assertEquals(head, ref(serverRepo, "refs/heads/main"));
    // The reflog names the pusher.
    try (var r = ServerTestSupport.open(serverRepo)) {
      assertEquals(
          "alice",
          r.getRefDatabase().getReflogReader("refs/heads/main").getLastEntry().getWho().getName());
    }
  }

  /**
   * Issue 9, defect 7: the penalties are asserted as the delays the server asks for, on a timer the
   * test moves, not as wall-clock time (which a loaded machine stretches at random).
   */
  @Test
  void repeatedFailuresAreSlowedAndGuessesDuringThePenaltyGet429() throws Exception {
    Path users = writeUsers(tmp.resolve("users"), "alice", "s3cret");
    ManualTimer timer = new ManualTimer();
    GuardedServer s =
        start(
            timer,
            c -> c.usersFile(users).authBackoff(Duration.ofMillis(200), Duration.ofMillis(800)));
    String target = "/checkpoints.git/info/refs?service=git-receive-pack";
    String wrong =
        "Authorization: Basic " + Base64.getEncoder().encodeToString("alice:nope".getBytes());
    String right =
        "Authorization: Basic " + Base64.getEncoder().encodeToString("alice:s3cret".getBytes());

    long[] expectedMillis = {200, 400, 800, 800};
    for (int i = 0; i < expectedMillis.length; i++) {
      var answer = send(s.port(), target, wrong);
      assertEquals(
          Duration.ofMillis(expectedMillis[i]),
          timer.awaitDelay(i + 1),
          "penalty of failure " + (i + 1));
      assertFalse(answer.isDone(), "the failure is answered only once its penalty has passed");
      timer.advance(Duration.ofMillis(expectedMillis[i]));
      ServerTestSupport.Raw r = answer.get();
      assertEquals(401, r.status());
      assertTrue(header(r, "WWW-Authenticate").startsWith("Basic realm="), r.head());
    }
    // While a failure's penalty runs, a parallel attempt is refused unchecked, even with the right
    // password.
    var pending = send(s.port(), target, wrong);
    assertEquals(Duration.ofMillis(800), timer.awaitDelay(5));
    timer.advance(Duration.ofMillis(799));
    ServerTestSupport.Raw during = raw(s.port(), "GET", target, right);
    assertEquals(429, during.status());
    assertEquals("1", header(during, "Retry-After"));
    assertFalse(pending.isDone());
    timer.advance(Duration.ofMillis(1));
    assertEquals(401, pending.get().status());
    assertEquals(200, raw(s.port(), "GET", target, right).status());
    assertEquals(5, timer.delays().size(), "the right password was never delayed");
  }

  @Test
  void behindAProxyTheBackoffKeysOnTheForwardedAddress() throws Exception {
    Path users = writeUsers(tmp.resolve("users"), "alice", "s3cret", "bob", "hunter2");
    String target = "/checkpoints.git/info/refs?service=git-receive-pack";
    String aliceWrong =
        "Authorization: Basic " + Base64.getEncoder().encodeToString("alice:nope".getBytes());
    String bobRight =
        "Authorization: Basic " + Base64.getEncoder().encodeToString("bob:hunter2".getBytes());
    for (boolean trust : new boolean[] {false, true}) {
      ManualTimer timer = new ManualTimer();
      GuardedServer s =
          start(
              timer,
              c ->
                  c.usersFile(users)
                      .trustForwarded(trust)
                      .authBackoff(Duration.ofMillis(1000), Duration.ofMillis(1000)));
      var pending = send(s.port(), target, aliceWrong, "X-Forwarded-For: 203.0.113.7");
      timer.awaitDelay(1); // alice's failure is penalised
      int bob = raw(s.port(), "GET", target, bobRight, "X-Forwarded-For: 198.51.100.9").status();
      // Without trust both come from the proxy's address, so alice's failure holds bob back.
      assertEquals(trust ? 200 : 429, bob, "trust=" + trust);
      timer.advance(Duration.ofMillis(1000));
      assertEquals(401, pending.get().status());
    }
  }

  @Test
  void anAttackerGuessingAKnownUserFromElsewhereCannotLockThatUserOut() throws Exception {
    Path users = writeUsers(tmp.resolve("users"), "alice", "s3cret");
    ManualTimer timer = new ManualTimer();
    GuardedServer s =
        start(
            timer,
            c ->
                c.usersFile(users)
                    .trustForwarded(true)
                    .authBackoff(Duration.ofMillis(200), Duration.ofMillis(1600)));
    String target = "/checkpoints.git/info/refs?service=git-receive-pack";
    String aliceWrong =
        "Authorization: Basic " + Base64.getEncoder().encodeToString("alice:nope".getBytes());
    String aliceRight =
        "Authorization: Basic " + Base64.getEncoder().encodeToString("alice:s3cret".getBytes());

    // The attacker guesses alice's password from its own address: 200 + 400 + 800 ms of penalties,
    // and a
    // fourth guess waiting for its answer while alice works.
    long[] penalties = {200, 400, 800};
    for (int i = 0; i < penalties.length; i++) {
      var guess = send(s.port(), target, aliceWrong, "X-Forwarded-For: 203.0.113.7");
      assertEquals(Duration.ofMillis(penalties[i]), timer.awaitDelay(i + 1));
      timer.advance(Duration.ofMillis(penalties[i]));
      assertEquals(401, guess.get().status());
    }
    var pendingGuess = send(s.port(), target, aliceWrong, "X-Forwarded-For: 203.0.113.7");
    assertEquals(Duration.ofMillis(1600), timer.awaitDelay(4));
    assertEquals(
        429,
        raw(s.port(), "GET", target, aliceWrong, "X-Forwarded-For: 203.0.113.7").status(),
        "the attacker's address waits for its penalty");

    // alice, from her own address, gets in at once with the right password: no delay is asked
    // for...
    assertEquals(
        200, raw(s.port(), "GET", target, aliceRight, "X-Forwarded-For: 198.51.100.9").status());
    assertEquals(4, timer.delays().size());
    // ...and a real push with git succeeds while the attacker is penalised.
    Path w = work("w");
    ok(
        git.run(
            w,
            "push",
            "-q",
            withCredentials(s.url().resolve("checkpoints.git"), "alice", "s3cret"),
            "main:refs/heads/main"));
    assertEquals(ref(w.resolve(".git"), "refs/heads/main"), ref(serverRepo, "refs/heads/main"));
    assertEquals(4, timer.delays().size(), "alice's push was never delayed");

    // A wrong password for alice from a third address is not blocked, but its answer waits for the
    // penalty of alice's name: it had reached the 1600 ms maximum.
    var third = send(s.port(), target, aliceWrong, "X-Forwarded-For: 192.0.2.44");
    assertEquals(Duration.ofMillis(1600), timer.awaitDelay(5));
    timer.advance(Duration.ofMillis(1600));
    assertEquals(401, third.get().status());
    assertEquals(401, pendingGuess.get().status());
  }

  @Test
  void anInvalidUsersFileAfterAReloadRefusesEveryPushUntilFixed() throws Exception {
    Path users = writeUsers(tmp.resolve("users"), "alice", "s3cret", "bob", "hunter2");
    String good = Files.readString(users);
    GuardedServer s = start(c -> c.usersFile(users));
    String target = "/checkpoints.git/info/refs?service=git-receive-pack";
    String alice =
        "Authorization: Basic " + Base64.getEncoder().encodeToString("alice:s3cret".getBytes());
    assertEquals(200, raw(s.port(), "GET", target, alice).status());

    // The admin removes bob and leaves a typo: fail closed, nobody pushes, bob least of all.
    Files.writeString(users, good.replaceAll("(?m)^bob:.*\n", "") + "alice2 pbkdf2-sha256$oops\n");
    Files.setLastModifiedTime(
        users, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 10_000));
    ServerTestSupport.Raw refused = raw(s.port(), "GET", target, alice);
    assertEquals(503, refused.status());
    Path w = work("w");
    GitCli.Result push =
        git.run(
            w,
            "push",
            withCredentials(s.url().resolve("checkpoints.git"), "bob", "hunter2"),
            "main");
    assertNotEquals(0, push.exitCode());
    assertTrue(push.stderr().contains("503"), push.stderr());
    assertNull(ref(serverRepo, "refs/heads/main"));
    // Fetching does not depend on the users file.
    assertEquals(
        200, raw(s.port(), "GET", "/checkpoints.git/info/refs?service=git-upload-pack").status());

    Files.writeString(users, good.replaceAll("(?m)^bob:.*\n", ""));
    Files.setLastModifiedTime(
        users, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 20_000));
    ok(
        git.run(
            w,
            "push",
            "-q",
            withCredentials(s.url().resolve("checkpoints.git"), "alice", "s3cret"),
            "main:refs/heads/main"));
    assertEquals(ref(w.resolve(".git"), "refs/heads/main"), ref(serverRepo, "refs/heads/main"));
    GitCli.Result bob =
        git.run(
            w,
            "push",
            withCredentials(s.url().resolve("checkpoints.git"), "bob", "hunter2"),
            "main:refs/heads/b");
    assertTrue(bob.stderr().contains("Authentication failed"), bob.stderr());
  }

  @Test
  void guardRejectionReachesThePusherAndRepoConfigSetsTheThreshold() throws Exception {
    GuardedServer s = start(c -> c.anonymousPush(true));
    String remote = s.url().resolve("checkpoints.git").toString();
    // A client whose threshold is 3 rotates an archive the server (threshold 100) finds too small.
    Path clientDir = tmp.resolve("client.git");
    try (ClientRepo client = ServerTestSupport.client(clientDir, 3, 4)) {
      assertEquals(List.of(ARCHIVE), List.copyOf(client.archives().keySet()));
    }
    String[] refs = {
      ClientRepo.MAIN + ":" + ClientRepo.MAIN,
      ClientRepo.CURRENT + ":" + ClientRepo.CURRENT,
      ARCHIVE + ":" + ARCHIVE
    };
    List<String> push = new ArrayList<>(List.of("push", "--porcelain", remote));
    push.addAll(List.of(refs));

    GitCli.Result r = git.run(clientDir, push);
    assertEquals(1, r.exitCode(), r.toString());
    assertEquals(
        List.of(
            "*\t" + refs[0] + "\t[new reference]",
            "*\t" + refs[1] + "\t[new reference]",
            "!\t"
                + refs[2]
                + "\t[remote rejected] (checkpoint-guard: archived generation "
                + ARCHIVE
                + " holds 3 checkpoints, fewer than the threshold 100 (rule archive-threshold); "
                + "only the v2 migration of Entire CLI v0.6.0 makes them, and your v1 branch still has "
                + "their checkpoints: upgrade the Entire CLI (v0.6.2 and later stop pushing it); "
                + "the server's administrator can run checkpoint-guard repair)"),
        r.stdout().lines().filter(l -> l.length() > 1 && l.charAt(1) == '\t').toList());
    assertNull(ref(serverRepo, ARCHIVE));
    assertEquals(ref(clientDir, ClientRepo.CURRENT), ref(serverRepo, ClientRepo.CURRENT));

    try (var repo = ServerTestSupport.open(serverRepo)) {
      StoredConfig config = repo.getConfig();
      config.setInt("checkpointGuard", null, "threshold", 3);
      config.save();
    }
    GitCli.Result again = git.run(clientDir, push);
    assertEquals(0, again.exitCode(), again.toString());
    assertEquals(
        "*\t" + refs[2] + "\t[new reference]",
        again
            .refResult(ARCHIVE)
            .map(x -> x.flag() + "\t" + x.from() + ":" + x.to() + "\t" + x.summary())
            .orElse(null));
    assertEquals(ref(clientDir, ARCHIVE), ref(serverRepo, ARCHIVE));
  }

  @Test
  void pathsOutsideTheReposFolderAre404() throws Exception {
    Path secret = ServerTestSupport.bareRepo(tmp.resolve("secret.git"));
    Files.createSymbolicLink(repos.resolve("link.git"), secret);
    Files.createDirectories(repos.resolve("sub"));
    ServerTestSupport.bareRepo(repos.resolve("sub").resolve("nested.git"));
    ServerTestSupport.bareRepo(repos.resolve(".hidden.git"));
    GuardedServer s = start(c -> c.anonymousPush(true));
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
    assertEquals(
        404,
        raw(s.port(), "POST", "/../secret.git/git-receive-pack", "Content-Length: 0").status());
  }

  @Test
  void objectsAndPacksOverTheLimitsAreRefusedAndNothingLands() throws Exception {
    Path w = work("w");
    byte[] big = new byte[64 * 1024];
    new java.util.Random(1).nextBytes(big);
    Files.write(w.resolve("big.bin"), big);
    ok(git.run(w, "add", "big.bin"));
    ok(git.run(w, "commit", "-q", "-m", "big"));
    ObjectId blob =
        ObjectId.fromString(ok(git.run(w, "rev-parse", "HEAD:big.bin")).stdout().strip());
    List<String> objectsBefore = objectFiles();

    GuardedServer s = start(c -> c.anonymousPush(true).maxObjectSize(1024));
    GitCli.Result r =
        git.run(w, "push", "--porcelain", s.url().resolve("checkpoints.git").toString(), "main");
    assertNotEquals(0, r.exitCode());
    assertTrue(
        r.stdout()
            .contains(
                "!\trefs/heads/main:refs/heads/main\t[remote rejected] (n/a (unpacker error))"),
        r.stdout());
    assertTrue(
        r.stderr()
            .contains(
                "Object too large (65,536 bytes), rejecting the pack. Max object size limit is"
                    + " 1,024 bytes."),
        r.stderr());
    assertNull(ref(serverRepo, "refs/heads/main"));
    assertEquals(objectsBefore, objectFiles(), "no pack, index or loose object is left behind");
    try (var repo = ServerTestSupport.open(serverRepo)) {
      assertTrue(!repo.getObjectDatabase().has(blob));
    }

    GuardedServer small = start(c -> c.anonymousPush(true).maxPackSize(4096));
    GitCli.Result p =
        git.run(
            w, "push", "--porcelain", small.url().resolve("checkpoints.git").toString(), "main");
    assertNotEquals(0, p.exitCode());
    assertTrue(
        p.stdout()
            .contains(
                "!\trefs/heads/main:refs/heads/main\t[remote rejected] (n/a (unpacker error))"),
        p.stdout());
    assertTrue(
        p.stderr().contains("Pack exceeds the limit of 4,096 bytes, rejecting the pack"),
        p.stderr());
    assertNull(ref(serverRepo, "refs/heads/main"));
    assertEquals(objectsBefore, objectFiles());

    // The same push within the limits lands: the limits, not something else, refused it above.
    GuardedServer roomy =
        start(c -> c.anonymousPush(true).maxObjectSize(65_536).maxPackSize(1 << 20));
    ok(
        git.run(
            w,
            "push",
            "-q",
            roomy.url().resolve("checkpoints.git").toString(),
            "main:refs/heads/main"));
    assertEquals(ref(w.resolve(".git"), "refs/heads/main"), ref(serverRepo, "refs/heads/main"));
    try (var repo = ServerTestSupport.open(serverRepo)) {
      assertTrue(repo.getObjectDatabase().has(blob));
    }
  }

  /** Every file under the server repository's objects folder, relative, sorted. */
  private List<String> objectFiles() throws java.io.IOException {
    Path objects = serverRepo.resolve("objects");
    try (var files = Files.walk(objects)) {
      return files
          .filter(Files::isRegularFile)
          .map(f -> objects.relativize(f).toString())
          .sorted()
          .toList();
    }
  }

  @Test
  void aRepositoryCanSwitchPushOffInItsConfig() throws Exception {
    try (var repo = ServerTestSupport.open(serverRepo)) {
      repo.getConfig().setBoolean("http", null, "receivepack", false);
      repo.getConfig().save();
    }
    GuardedServer s = start(c -> c.anonymousPush(true));
    assertEquals(
        403, raw(s.port(), "GET", "/checkpoints.git/info/refs?service=git-receive-pack").status());
    assertEquals(
        200, raw(s.port(), "GET", "/checkpoints.git/info/refs?service=git-upload-pack").status());
  }

  @Test
  void aSilentClientIsCutOffAfterTheIdleTimeout() throws Exception {
    GuardedServer s = start(c -> c.anonymousPush(true).idleTimeout(Duration.ofMillis(300)));
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", s.port())) {
      // a generous bound for a loaded machine; the claim is that the server closes it, not how fast
      socket.setSoTimeout(120_000);
      // Half a request, then silence: the slow-loris pattern.
      socket
          .getOutputStream()
          .write("GET /checkpoints.git/info/refs HTTP/1.1\r\nHost: x\r\n".getBytes());
      socket.getOutputStream().flush();
      byte[] answer = socket.getInputStream().readAllBytes(); // returns once the server closes it
      String text = new String(answer, java.nio.charset.StandardCharsets.ISO_8859_1);
      assertTrue(text.isEmpty() || text.startsWith("HTTP/1.1 408 "), text);
    }
  }

  @Test
  void servesHttpsWithAKeystore() throws Exception {
    Path keystore = tmp.resolve("server.p12");
    Path cert = tmp.resolve("server.pem");
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    Process gen =
        new ProcessBuilder(
                keytool,
                "-genkeypair",
                "-alias",
                "guard",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=localhost",
                "-ext",
                "SAN=ip:127.0.0.1,dns:localhost",
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                keystore.toString(),
                "-storepass",
                "changeit",
                "-keypass",
                "changeit")
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("keytool.log").toFile())
            .start();
    assertTrue(
        gen.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) && gen.exitValue() == 0,
        Files.readString(tmp.resolve("keytool.log")));
    Process export =
        new ProcessBuilder(
                keytool,
                "-exportcert",
                "-rfc",
                "-alias",
                "guard",
                "-keystore",
                keystore.toString(),
                "-storepass",
                "changeit",
                "-file",
                cert.toString())
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("keytool.log").toFile())
            .start();
    assertTrue(
        export.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) && export.exitValue() == 0);

    GuardedServer s = start(c -> c.anonymousPush(true).tls(keystore, "changeit"));
    assertEquals(URI.create("https://127.0.0.1:" + s.port() + "/"), s.url());
    assertTrue(
        GuardedServer.Config.builder(repos)
            .tls(keystore, "changeit")
            .build()
            .toString()
            .contains("tlsKeystorePassword=***"));
    String remote = s.url().resolve("checkpoints.git").toString();
    Path w = work("w");
    GitCli.Result untrusted = git.run(w, "push", remote, "main");
    assertNotEquals(0, untrusted.exitCode(), "git must not trust an unknown certificate");
    ok(git.run(w, "-c", "http.sslCAInfo=" + cert, "push", "-q", remote, "main:refs/heads/main"));
    assertEquals(ref(w.resolve(".git"), "refs/heads/main"), ref(serverRepo, "refs/heads/main"));
    // Plain HTTP to the TLS port gets nothing useful.
    assertNotEquals(200, rawStatusOrMinusOne(s.port()));
  }

  private static int rawStatusOrMinusOne(int port) {
    try {
      return raw(port, "GET", "/checkpoints.git/info/refs?service=git-upload-pack").status();
    } catch (RuntimeException | java.io.IOException e) {
      return -1;
    }
  }

  @Test
  void configBuilderStartsFromTheDefaultsCopiesAConfigAndChecksOnBuild() {
    GuardedServer.Config d = GuardedServer.Config.defaults(repos);
    assertEquals(GuardedServer.Config.builder(repos).build(), d);
    assertEquals("127.0.0.1", d.bind());
    assertEquals(8080, d.port());
    assertEquals(1L << 30, d.maxPackSize());
    assertEquals(256L << 20, d.maxObjectSize());
    assertEquals(Duration.ofMillis(250), d.authBackoff());
    assertEquals(Duration.ofSeconds(8), d.authBackoffMax());
    assertEquals(64, d.maxThreads());
    assertNull(d.usersFile());

    GuardedServer.Config c = d.toBuilder().port(0).anonymousPush(true).maxObjectSize(5).build();
    assertEquals(d.toBuilder().build(), d, "toBuilder copies every setting");
    assertEquals(0, c.port());
    assertTrue(c.anonymousPush());
    assertEquals(5, c.maxObjectSize());
    assertEquals(d.maxPackSize(), c.maxPackSize());
    assertEquals(c, c.toBuilder().build());

    assertEquals(
        "port 70000 is outside 0..65535",
        assertThrows(IllegalArgumentException.class, () -> d.toBuilder().port(70000).build())
            .getMessage());
    assertEquals(
        "a TLS keystore needs its password",
        assertThrows(IllegalArgumentException.class, () -> d.toBuilder().tls(repos, null).build())
            .getMessage());
  }

  @Test
  void startRefusesAMissingFolderOrNobodyToPush() {
    IllegalArgumentException nobody =
        assertThrows(
            IllegalArgumentException.class,
            () -> GuardedServer.start(GuardedServer.Config.builder(repos).port(0).build()));
    assertEquals("pushing needs a users file, anonymous push or SSH keys", nobody.getMessage());
    IllegalArgumentException missing =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                GuardedServer.start(
                    GuardedServer.Config.builder(tmp.resolve("nope"))
                        .port(0)
                        .anonymousPush(true)
                        .build()));
    assertEquals(tmp.resolve("nope") + " is not a directory", missing.getMessage());
  }
}
