package dev.checkpointguard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.cli.Main;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.GitCli;
import dev.checkpointguard.fixtures.OpenSsh;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve --ssh-port} as its own process, as an administrator runs it: the ready line with
 * both URLs, the host key's fingerprint on standard error, a push over SSH in the push log under
 * the key's name, SIGTERM stopping both transports, and the host key kept for the next start.
 */
class SshServeProcessTest {
  private static final String ARCHIVE = "refs/entire/checkpoints/v2/full/0000000000001";
  private static final Pattern READY =
      Pattern.compile(
          "checkpoint-guard serving (.+) at http://127\\.0\\.0\\.1:(\\d+)/ and ssh://127\\.0\\.0\\.1:(\\d+)/");

  @TempDir Path tmp;

  private record Serve(
      Process process, String ready, int httpPort, int sshPort, Path out, Path err) {}

  private Serve start(Path repos, Path keys, String name) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path home = tmp.resolve("home");
    ProcessBuilder pb =
        new ProcessBuilder(
            java,
            "-Duser.home=" + home,
            "-cp",
            System.getProperty("java.class.path"),
            Main.class.getName(),
            "serve",
            "--repos",
            repos.toString(),
            "--port",
            "0",
            "--ssh-port",
            "0",
            "--authorized-keys",
            keys.toString());
    pb.environment().clear();
    pb.environment().putAll(new GitCli(home).environment());
    Path out = tmp.resolve(name + ".out");
    Path err = tmp.resolve(name + ".err");
    Process p =
        pb.directory(tmp.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    p.getOutputStream().close();
    for (int i = 0; i < 600; i++) {
      String text = Files.readString(out);
      if (text.endsWith("\n")) {
        Matcher m = READY.matcher(text.strip());
        assertTrue(m.matches(), text + Files.readString(err));
        assertEquals(repos.toRealPath().toString(), m.group(1));
        return new Serve(
            p, text.strip(), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)), out, err);
      }
      if (!p.isAlive()) {
        break;
      }
      Thread.sleep(100);
    }
    p.destroyForcibly();
    throw new AssertionError("serve did not start: " + Files.readString(err));
  }

  private static void stop(Serve s) throws Exception {
    s.process().destroy(); // SIGTERM
    assertTrue(s.process().waitFor(30, TimeUnit.SECONDS), "serve did not stop on SIGTERM");
    assertEquals(0, s.process().exitValue());
    assertEquals(
        s.ready() + "\n", Files.readString(s.out()), "exactly one line on standard output");
    String log = Files.readString(s.err());
    assertTrue(log.endsWith("checkpoint-guard: stopping\ncheckpoint-guard: stopped\n"), log);
    assertFalse(
        log.contains("\tat ") || log.contains("Exception"), "no stack trace in the log:\n" + log);
    for (int port : new int[] {s.httpPort(), s.sshPort()}) {
      assertThrows(
          ConnectException.class,
          () -> new Socket(InetAddress.getLoopbackAddress(), port).close(),
          "port " + port + " still open after SIGTERM");
    }
  }

  @Test
  void sshPushesAreLoggedUnderTheKeysNameSigtermStopsBothAndTheHostKeyIsKept() throws Exception {
    Path repos = Files.createDirectories(tmp.resolve("repos"));
    Path serverRepo = ServerTestSupport.bareRepo(repos.resolve("checkpoints.git"));
    OpenSsh.Key alice = OpenSsh.keygen(tmp.resolve("keys"), "alice", "alice@test");
    Path keys = Files.writeString(tmp.resolve("authorized_keys"), alice.publicLine() + "\n");
    Path hostKey = repos.toRealPath().resolve(".ssh_host_ed25519_key");

    Serve first = start(repos, keys, "first");
    String fingerprint;
    try {
      GitCli.Result keygen =
          new GitCli(tmp.resolve("home"))
              .exec(tmp, null, List.of("ssh-keygen", "-l", "-f", hostKey + ".pub"));
      fingerprint = keygen.stdout().split(" ")[1];
      assertTrue(
          Files.readString(first.err())
              .contains(
                  "checkpoint-guard: SSH host key ssh-ed25519 "
                      + fingerprint
                      + " (generated into "
                      + hostKey
                      + ")\n"),
          Files.readString(first.err()));
      Path knownHosts =
          OpenSsh.knownHosts(
              tmp.resolve("known_hosts"),
              "127.0.0.1",
              first.sshPort(),
              Files.readString(Path.of(hostKey + ".pub")).strip());
      GitCli git = OpenSsh.git(new GitCli(tmp.resolve("home")), alice, knownHosts);
      Path w = tmp.resolve("client.git");
      ServerTestSupport.client(w, 3, 4).close();
      GitCli.Result push =
          git.run(
              w,
              "push",
              "--porcelain",
              "ssh://127.0.0.1:" + first.sshPort() + "/checkpoints.git",
              ClientRepo.MAIN + ":" + ClientRepo.MAIN,
              ARCHIVE + ":" + ARCHIVE);
      assertEquals(1, push.exitCode(), push.toString());
      assertTrue(
          push.stdout()
              .contains(
                  "!\t" + ARCHIVE + ":" + ARCHIVE + "\t[remote rejected] (checkpoint-guard: "),
          push.stdout());
      assertNull(ServerTestSupport.ref(serverRepo, ARCHIVE));
      stop(first);
      List<String> pushLines =
          Files.readString(first.err()).lines().filter(l -> l.contains(" INFO push - ")).toList();
      assertEquals(1, pushLines.size(), Files.readString(first.err()));
      assertTrue(
          pushLines
              .get(0)
              .endsWith(
                  "INFO push - push checkpoints.git user=alice@test from=127.0.0.1: "
                      + ClientRepo.MAIN
                      + " CREATE OK verdict=accept; "
                      + ARCHIVE
                      + " CREATE REJECTED_OTHER_REASON verdict=reject "
                      + "rule=archive-threshold \"checkpoint-guard: archived generation "
                      + ARCHIVE
                      + " holds 3 checkpoints, "
                      + "fewer than the threshold 100 (rule archive-threshold); only the v2 migration of Entire CLI v0.6.0 "
                      + "makes them, and your v1 branch still has their checkpoints: upgrade the Entire CLI (v0.6.2 and later "
                      + "stop pushing it); the server's administrator can run checkpoint-guard repair\""),
          pushLines.get(0));
    } finally {
      first.process().destroyForcibly();
    }

    // the next start reads the same key: clients' known_hosts stay valid
    Serve second = start(repos, keys, "second");
    try {
      assertTrue(
          Files.readString(second.err())
              .contains(
                  "checkpoint-guard: SSH host key ssh-ed25519 "
                      + fingerprint
                      + " ("
                      + hostKey
                      + ")\n"),
          Files.readString(second.err()));
      Path knownHosts =
          OpenSsh.knownHosts(
              tmp.resolve("known_hosts"),
              "127.0.0.1",
              second.sshPort(),
              Files.readString(Path.of(hostKey + ".pub")).strip());
      GitCli.Result ls =
          OpenSsh.git(new GitCli(tmp.resolve("home")), alice, knownHosts)
              .run(tmp, "ls-remote", "ssh://127.0.0.1:" + second.sshPort() + "/checkpoints.git");
      assertTrue(ls.ok() && ls.stdout().contains(ClientRepo.MAIN), ls.toString());
      stop(second);
    } finally {
      second.process().destroyForcibly();
    }
  }
}
