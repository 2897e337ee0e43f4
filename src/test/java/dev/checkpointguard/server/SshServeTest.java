package dev.checkpointguard.server;

import static dev.checkpointguard.server.ServerTestSupport.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.FastTempDir;
import dev.checkpointguard.fixtures.GitCli;
import dev.checkpointguard.fixtures.OpenSsh;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jgit.lib.Repository;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve}'s SSH transport with the real OpenSSH client and the real git CLI: one {@link
 * GuardedServer} on 127.0.0.1 (port 0) with anonymous HTTP push and SSH for the keys of an
 * authorized_keys file. Every ssh command is isolated from the account's {@code ~/.ssh} ({@link
 * OpenSsh}).
 */
class SshServeTest {
  static final String ARCHIVE = "refs/entire/checkpoints/v2/full/0000000000001";
  static final AtomicInteger REPOS = new AtomicInteger();
  static final java.util.regex.Pattern REFUSED_METRIC =
      java.util.regex.Pattern.compile(
          "(?m)^checkpoint_guard_auth_failures_total\\{reason=\"ssh_key_refused\"\\} [1-9]");

  @TempDir(factory = FastTempDir.class)
  static Path shared;

  static GuardedServer server;
  static Path repos;
  static Path authorizedKeys;
  static Path knownHosts;
  static OpenSsh.Key alice;
  static OpenSsh.Key bob;

  @TempDir(factory = FastTempDir.class)
  Path tmp;

  GitCli git;
  String name;
  Path serverRepo;

  @BeforeAll
  static void start() throws IOException {
    repos = Files.createDirectories(shared.resolve("repos"));
    alice = OpenSsh.keygen(shared.resolve("keys"), "alice", "alice@test");
    bob = OpenSsh.keygen(shared.resolve("keys"), "bob", "bob", "rsa");
    authorizedKeys = shared.resolve("authorized_keys");
    Files.writeString(authorizedKeys, "# test keys\n" + alice.publicLine() + "\n");
    server =
        GuardedServer.start(
            GuardedServer.Config.builder(repos)
                .port(0)
                .anonymousPush(true)
                .ssh(new GuardedServer.Config.Ssh(null, 0, authorizedKeys, null))
                .build());
    knownHosts =
        OpenSsh.knownHosts(
            shared.resolve("known_hosts"),
            "127.0.0.1",
            server.sshPort(),
            server.sshHostKey().publicKey());
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  @BeforeEach
  void newRepository() throws IOException {
    git = OpenSsh.git(new GitCli(tmp.resolve("home")), alice, knownHosts);
    name = "r" + REPOS.incrementAndGet() + ".git";
    serverRepo = ServerTestSupport.bareRepo(repos.resolve(name));
  }

  @AfterEach
  void restoreKeys() throws IOException {
    writeKeys(alice.publicLine());
  }

  String sshUrl(String repo) {
    return server.sshUrl().resolve(repo).toString();
  }

  /** Replaces the authorized_keys file in one step, as an administrator's tool should. */
  static void writeKeys(String... lines) throws IOException {
    Path next = Files.createTempFile(shared, "authorized_keys", ".tmp");
    Files.writeString(next, String.join("\n", lines) + "\n");
    Files.move(
        next, authorizedKeys, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Runs {@code ssh [options] git@127.0.0.1 [command]} with {@code key}. */
  GitCli.Result ssh(OpenSsh.Key key, List<String> options, String command) {
    List<String> cmd = new ArrayList<>(OpenSsh.ssh(key, knownHosts));
    cmd.addAll(List.of("-p", Integer.toString(server.sshPort())));
    cmd.addAll(options);
    cmd.add("git@127.0.0.1");
    if (command != null) {
      cmd.add(command);
    }
    return new GitCli(tmp.resolve("home")).exec(tmp, null, cmd);
  }

  @Test
  void pushAndFetchOverSshWithTheKeysNameInTheReflog() throws IOException {
    try (Repository r = ServerTestSupport.open(serverRepo)) {
      r.getConfig().setString("core", null, "logAllRefUpdates", "always");
      r.getConfig().save();
    }
    Path w = tmp.resolve("client.git");
    ClientRepo client = ServerTestSupport.client(w, 3, 2);
    GitCli.Result push =
        ok(
            git.run(
                w,
                "push",
                "--porcelain",
                sshUrl(name),
                ClientRepo.MAIN + ":" + ClientRepo.MAIN,
                ClientRepo.CURRENT + ":" + ClientRepo.CURRENT));
    assertEquals('*', push.refResult(ClientRepo.MAIN).orElseThrow().flag(), push.toString());
    assertEquals(client.ref(ClientRepo.MAIN), ServerTestSupport.ref(serverRepo, ClientRepo.MAIN));
    assertEquals(
        client.ref(ClientRepo.CURRENT), ServerTestSupport.ref(serverRepo, ClientRepo.CURRENT));
    try (Repository r = ServerTestSupport.open(serverRepo)) {
      var who = r.getRefDatabase().getReflogReader(ClientRepo.MAIN).getLastEntry().getWho();
      assertEquals("alice@test", who.getName());
      assertEquals("alice@test@127.0.0.1", who.getEmailAddress());
    }
    client.close();

    // fetch with protocol v2 (git's default, GIT_PROTOCOL over SendEnv) and v0, and scp-style
    // addressing,
    // which sends the path without the leading slash
    for (String version : List.of("2", "0")) {
      Path f = tmp.resolve("fetch-v" + version + ".git");
      ServerTestSupport.bareRepo(f);
      ok(
          git.run(
              f,
              "-c",
              "protocol.version=" + version,
              "fetch",
              "--no-tags",
              sshUrl(name),
              "+refs/entire/*:refs/entire/*"));
      assertEquals(
          ServerTestSupport.ref(serverRepo, ClientRepo.MAIN),
          ServerTestSupport.ref(f, ClientRepo.MAIN));
    }
    GitCli scp =
        new GitCli(tmp.resolve("home"))
            .with(
                "GIT_SSH_COMMAND", OpenSsh.command(alice, knownHosts) + " -p " + server.sshPort());
    GitCli.Result ls = ok(scp.run(tmp, "ls-remote", "git@127.0.0.1:" + name));
    assertTrue(
        ls.stdout()
            .contains(
                ServerTestSupport.ref(serverRepo, ClientRepo.CURRENT).name()
                    + "\t"
                    + ClientRepo.CURRENT),
        ls.toString());
  }

  @Test
  void theRejectionReadsTheSameOverSshAsOverHttp() throws IOException {
    Path http = ServerTestSupport.bareRepo(repos.resolve("http-" + name));
    Path w = tmp.resolve("client.git");
    ServerTestSupport.client(w, 3, 4)
        .close(); // an archive of 3 checkpoints: under the server's threshold 100
    String[] refs = {ClientRepo.MAIN + ":" + ClientRepo.MAIN, ARCHIVE + ":" + ARCHIVE};
    GitCli.Result overSsh = git.run(w, "push", "--porcelain", sshUrl(name), refs[0], refs[1]);
    GitCli.Result overHttp =
        git.run(
            w,
            "push",
            "--porcelain",
            server.url().resolve(http.getFileName().toString()).toString(),
            refs[0],
            refs[1]);
    assertEquals(1, overSsh.exitCode(), overSsh.toString());
    assertEquals(
        "[remote rejected] (checkpoint-guard: archived generation "
            + ARCHIVE
            + " holds 3 checkpoints, fewer than"
            + " the threshold 100 (rule archive-threshold); only the v2 migration of Entire CLI v0.6.0 makes them,"
            + " and your v1 branch still has their checkpoints: upgrade the Entire CLI (v0.6.2 and later stop"
            + " pushing it); the server's administrator can run checkpoint-guard repair)",
        overSsh.refResult(ARCHIVE).orElseThrow().summary());
    assertEquals(
        overHttp.porcelain(), overSsh.porcelain(), "the pusher reads the same per-ref results");
    assertEquals(overHttp.remoteLines(), overSsh.remoteLines());
    assertEquals(overHttp.exitCode(), overSsh.exitCode());
    assertNull(ServerTestSupport.ref(serverRepo, ARCHIVE));
    assertEquals(
        ServerTestSupport.ref(http, ClientRepo.MAIN),
        ServerTestSupport.ref(serverRepo, ClientRepo.MAIN));
    assertFalse(overSsh.stderr().contains(repos.toString()), "no server path: " + overSsh);
  }

  @Test
  void anUnknownKeyIsRefused() throws Exception {
    Path w = tmp.resolve("client.git");
    ServerTestSupport.client(w, 3, 1).close();
    GitCli.Result push =
        OpenSsh.git(new GitCli(tmp.resolve("home")), bob, knownHosts)
            .run(w, "push", sshUrl(name), ClientRepo.MAIN + ":" + ClientRepo.MAIN);
    assertNotEquals(0, push.exitCode());
    assertTrue(push.stderr().contains("Permission denied (publickey)"), push.toString());
    assertNull(ServerTestSupport.ref(serverRepo, ClientRepo.MAIN));
    // counted once the server has closed the session (right after the client gave up)
    String metrics = "";
    for (int i = 0; i < 100 && !REFUSED_METRIC.matcher(metrics).find(); i++) {
      metrics =
          java.net.http.HttpClient.newHttpClient()
              .send(
                  java.net.http.HttpRequest.newBuilder(server.url().resolve("metrics")).build(),
                  java.net.http.HttpResponse.BodyHandlers.ofString())
              .body();
      Thread.sleep(REFUSED_METRIC.matcher(metrics).find() ? 0 : 100);
    }
    assertTrue(REFUSED_METRIC.matcher(metrics).find(), metrics);
    // no password or keyboard-interactive login is even offered
    GitCli.Result password =
        ssh(
            bob,
            List.of("-o", "PreferredAuthentications=password,keyboard-interactive"),
            "git-upload-pack 'x.git'");
    assertEquals(255, password.exitCode(), password.toString());
    assertTrue(password.stderr().contains("Permission denied (publickey)"), password.toString());
  }

  @Test
  void repositoryNamesNeverLeaveTheFolder() throws IOException {
    Path outside = ServerTestSupport.bareRepo(shared.resolve("outside-" + name));
    Files.createSymbolicLink(repos.resolve("link-" + name), outside);
    ServerTestSupport.bareRepo(repos.resolve(".hidden-" + name));
    ServerTestSupport.bareRepo(repos.resolve("sub-" + name).resolve("nested.git"));
    Path pwned = tmp.resolve("pwned");
    List<String> refused =
        List.of(
            "git-receive-pack '/../" + outside.getFileName() + "'",
            "git-receive-pack '../" + outside.getFileName() + "'",
            "git-upload-pack '" + outside + "'",
            "git-upload-pack '" + serverRepo + "'", // absolute, even inside the folder: names only
            "git-upload-pack '//" + name + "'",
            "git-upload-pack '~/" + name + "'",
            "git-upload-pack '~root/" + name + "'",
            "git-upload-pack '/link-" + name + "'",
            "git-upload-pack '/.hidden-" + name + "'",
            "git-upload-pack '/sub-" + name + "/nested.git'",
            "git-upload-pack '/" + name + "/../" + name + "'",
            "git-upload-pack '/" + SshHostKey.DEFAULT_FILE + "'",
            "git-upload-pack '/" + name + "%2f..'",
            "git-upload-pack '/" + name + "'\\'' ; touch " + pwned + "'",
            "git-upload-pack '/" + name + "' ; touch " + pwned,
            "git-upload-pack \"/" + name + "\"",
            "git-upload-pack $(touch " + pwned + ")",
            "git-upload-pack `touch " + pwned + "`",
            "git-upload-pack '/" + name + "' '/" + name + "'",
            "git-upload-pack '/" + name + "\n'",
            "git-upload-pack '/" + name);
    for (String command : refused) {
      GitCli.Result r = ssh(alice, List.of(), command);
      assertEquals(1, r.exitCode(), r.toString());
      assertEquals("", r.stdout(), "nothing advertised: " + r);
      assertTrue(r.stderr().startsWith("checkpoint-guard: no repository '"), r.toString());
      assertEquals(1, r.stderr().lines().count(), "one line: " + r);
    }
    assertFalse(Files.exists(pwned));
    // git's own URL with .. is refused the same way, and the repository outside is untouched
    Path w = tmp.resolve("client.git");
    ServerTestSupport.client(w, 3, 1).close();
    GitCli.Result push =
        git.run(
            w,
            "push",
            "ssh://127.0.0.1:" + server.sshPort() + "/../" + outside.getFileName(),
            ClientRepo.MAIN + ":" + ClientRepo.MAIN);
    assertEquals(128, push.exitCode(), push.toString());
    assertTrue(
        push.stderr()
            .startsWith(
                "checkpoint-guard: no repository '/../" + outside.getFileName() + "' here\n"),
        push.toString());
    assertNull(ServerTestSupport.ref(outside, ClientRepo.MAIN));
    // the same name as over HTTP is served: the plain one
    assertTrue(ssh(alice, List.of(), "git-upload-pack '/" + name + "'").ok());
  }

  @Test
  void nothingButGitIsServed() {
    GitCli.Result ls = ssh(alice, List.of(), "ls -la /");
    assertEquals(1, ls.exitCode(), ls.toString());
    assertEquals(
        "checkpoint-guard: refused 'ls -la /': " + GitSshCommand.NO_SHELL + "\n", ls.stderr());
    assertEquals("", ls.stdout());

    GitCli.Result shell = ssh(alice, List.of("-T"), null);
    assertEquals(1, shell.exitCode(), shell.toString());
    assertEquals(
        "checkpoint-guard: hello alice@test; " + GitSshCommand.NO_SHELL + "\n", shell.stderr());

    GitCli.Result sftp = ssh(alice, List.of("-s"), "sftp");
    assertNotEquals(0, sftp.exitCode(), sftp.toString());
    assertEquals("", sftp.stdout());

    GitCli.Result stdio = ssh(alice, List.of("-W", "127.0.0.1:" + server.port()), null);
    assertEquals(255, stdio.exitCode(), stdio.toString());
    assertTrue(stdio.stderr().contains("stdio forwarding failed"), stdio.toString());

    GitCli.Result remote =
        ssh(
            alice,
            List.of("-o", "ExitOnForwardFailure=yes", "-R", "0:127.0.0.1:" + server.port()),
            "true");
    assertEquals(255, remote.exitCode(), remote.toString());
    assertTrue(remote.stderr().contains("remote port forwarding failed"), remote.toString());
  }

  @Test
  void authorizedKeysAreReadAgainWhenTheyChangeAndAnInvalidFileFailsClosed() throws IOException {
    String command = "git-upload-pack '/" + name + "'";
    assertEquals(255, ssh(bob, List.of(), command).exitCode(), "bob is not in the file yet");

    writeKeys(alice.publicLine(), bob.publicLine());
    assertTrue(ssh(bob, List.of(), command).ok(), "bob added");
    assertTrue(ssh(alice, List.of(), command).ok());

    writeKeys(alice.publicLine(), "ssh-ed25519 not-base64 broken", bob.publicLine());
    for (OpenSsh.Key k : List.of(alice, bob)) {
      GitCli.Result r = ssh(k, List.of(), command);
      assertEquals(255, r.exitCode(), "an invalid file lets nobody in: " + r);
      assertTrue(r.stderr().contains("Permission denied (publickey)"), r.toString());
    }

    writeKeys(bob.publicLine());
    assertTrue(ssh(bob, List.of(), command).ok(), "valid again");
    assertEquals(255, ssh(alice, List.of(), command).exitCode(), "alice revoked");
  }

  @Test
  void aKeyRevokedWhileItsConnectionStaysOpenCanRunNothingMore() throws Exception {
    Path socket = tmp.resolve("cm");
    List<String> master = new ArrayList<>(OpenSsh.ssh(alice, knownHosts));
    master.addAll(
        List.of(
            "-p",
            Integer.toString(server.sshPort()),
            "-o",
            "ControlMaster=yes",
            "-o",
            "ControlPath=" + socket,
            "-N",
            "git@127.0.0.1"));
    Process p =
        new ProcessBuilder(master)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("master.log").toFile())
            .start();
    try {
      for (int i = 0; i < 300 && !Files.exists(socket) && p.isAlive(); i++) {
        Thread.sleep(100);
      }
      assertTrue(
          Files.exists(socket),
          "no control master: " + Files.readString(tmp.resolve("master.log")));
      List<String> shared = List.of("-o", "ControlMaster=no", "-o", "ControlPath=" + socket);
      String command = "git-upload-pack '/" + name + "'";
      assertTrue(ssh(alice, shared, command).ok(), "through the open connection");

      // Pushes through the open connection end with git's exit code 0 every time: the server sends
      // each
      // command's exit status before its EOF (before that fix, about one push in ten lost its exit
      // status here
      // and git said "failed to push some refs" although every ref was updated).
      GitCli viaMaster =
          new GitCli(tmp.resolve("home"))
              .with(
                  "GIT_SSH_COMMAND",
                  OpenSsh.command(alice, knownHosts)
                      + " -o ControlMaster=no -o ControlPath='"
                      + socket
                      + "'");
      Path w = tmp.resolve("client.git");
      ClientRepo client = ServerTestSupport.client(w, 100, 0);
      for (int i = 0; i < 30; i++) {
        client.checkpoint();
        GitCli.Result push =
            viaMaster.run(
                w,
                "push",
                "--porcelain",
                sshUrl(name),
                ClientRepo.MAIN + ":" + ClientRepo.MAIN,
                ClientRepo.CURRENT + ":" + ClientRepo.CURRENT);
        assertEquals(0, push.exitCode(), "push " + i + ": " + push);
        assertTrue(push.stdout().endsWith("Done\n"), push.toString());
      }
      client.close();

      writeKeys(bob.publicLine());
      GitCli.Result r = ssh(alice, shared, command);
      assertEquals(1, r.exitCode(), r.toString());
      assertEquals(
          "checkpoint-guard: your key is no longer authorized on this server\n", r.stderr());
      assertEquals("", r.stdout());
    } finally {
      p.destroy();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  @Test
  void theLimitsAndTheIdleTimeoutOfHttpApplyToSsh() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("limited"));
    Path repo = ServerTestSupport.bareRepo(dir.resolve("x.git"));
    try (GuardedServer limited =
        GuardedServer.start(
            GuardedServer.Config.builder(dir)
                .port(0)
                .maxPackSize(4096)
                .idleTimeout(java.time.Duration.ofSeconds(1))
                .ssh(new GuardedServer.Config.Ssh(null, 0, authorizedKeys, tmp.resolve("host_key")))
                .build())) {
      Path hosts =
          OpenSsh.knownHosts(
              tmp.resolve("limited_known_hosts"),
              "127.0.0.1",
              limited.sshPort(),
              limited.sshHostKey().publicKey());
      Path w = tmp.resolve("big.git");
      ClientRepo client = ServerTestSupport.client(w, 3, 1);
      byte[] big = new byte[64 << 10];
      new java.util.Random(1).nextBytes(big);
      org.eclipse.jgit.lib.ObjectId blob;
      try (org.eclipse.jgit.lib.ObjectInserter ins = client.repository().newObjectInserter()) {
        blob = ins.insert(org.eclipse.jgit.lib.Constants.OBJ_BLOB, big);
        ins.flush();
      }
      {
        Repository r = client.repository(); // the client's own: closed with it
        org.eclipse.jgit.lib.RefUpdate u = r.updateRef("refs/heads/big");
        try (org.eclipse.jgit.lib.ObjectInserter ins = r.newObjectInserter()) {
          org.eclipse.jgit.lib.TreeFormatter t = new org.eclipse.jgit.lib.TreeFormatter();
          t.append("big", org.eclipse.jgit.lib.FileMode.REGULAR_FILE, blob);
          org.eclipse.jgit.lib.CommitBuilder c = new org.eclipse.jgit.lib.CommitBuilder();
          c.setTreeId(ins.insert(t));
          org.eclipse.jgit.lib.PersonIdent who =
              new org.eclipse.jgit.lib.PersonIdent("t", "t@example.com");
          c.setAuthor(who);
          c.setCommitter(who);
          c.setMessage("big\n");
          u.setNewObjectId(ins.insert(c));
          ins.flush();
        }
        u.forceUpdate();
      }
      GitCli.Result push =
          OpenSsh.git(new GitCli(tmp.resolve("home")), alice, hosts)
              .run(
                  w,
                  "push",
                  limited.sshUrl().resolve("x.git").toString(),
                  "refs/heads/big:refs/heads/big");
      assertNotEquals(0, push.exitCode(), push.toString());
      assertTrue(
          push.stderr().contains("Pack exceeds the limit of 4,096 bytes, rejecting the pack"),
          push.toString());
      assertNull(ServerTestSupport.ref(repo, "refs/heads/big"));
      client.close();

      // a connection that never logs in is closed after the idle timeout (bounded wait, no timing
      // asserted)
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", limited.sshPort())) {
        s.setSoTimeout(60_000);
        java.io.InputStream in = s.getInputStream();
        byte[] buf = new byte[4096];
        int n;
        long total = 0;
        while ((n = in.read(buf)) >= 0) {
          total += n;
        }
        assertTrue(total > 0, "the banner came first");
      }
    }
  }

  @Test
  void theHostKeyIsKeptInTheFolderAndMatchesWhatClientsSee() throws IOException {
    SshHostKey key = server.sshHostKey();
    assertEquals(repos.toRealPath().resolve(SshHostKey.DEFAULT_FILE), key.file());
    assertEquals("ssh-ed25519", key.type());
    assertTrue(key.generated());
    // ssh-keygen's fingerprint of the public half is the one serve prints
    GitCli.Result fp =
        new GitCli(tmp.resolve("home"))
            .exec(tmp, null, List.of("ssh-keygen", "-l", "-f", key.file() + ".pub"));
    assertTrue(fp.ok(), fp.toString());
    assertTrue(fp.stdout().startsWith("256 " + key.fingerprint() + " "), fp.stdout());
    assertEquals(
        "rw-------",
        java.nio.file.attribute.PosixFilePermissions.toString(
            Files.getPosixFilePermissions(key.file())));
    // a client that trusts another host key refuses to talk
    Path wrong =
        OpenSsh.knownHosts(
            tmp.resolve("wrong_known_hosts"),
            "127.0.0.1",
            server.sshPort(),
            alice.publicLine().substring(0, alice.publicLine().lastIndexOf(' ')));
    List<String> cmd = new ArrayList<>(OpenSsh.ssh(alice, wrong));
    cmd.addAll(
        List.of(
            "-p",
            Integer.toString(server.sshPort()),
            "git@127.0.0.1",
            "git-upload-pack '/" + name + "'"));
    GitCli.Result r = new GitCli(tmp.resolve("home")).exec(tmp, null, cmd);
    assertEquals(255, r.exitCode(), r.toString());
    assertTrue(r.stderr().contains("Host key verification failed"), r.toString());
  }
}
