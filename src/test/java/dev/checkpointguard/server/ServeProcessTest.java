package dev.checkpointguard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.cli.Main;
import dev.checkpointguard.command.Io;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.GitCli;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve} as its own process, as an administrator runs it: a users file made by {@code
 * hash-password}, pushes with the real git CLI, the push log on standard error, and SIGTERM.
 */
class ServeProcessTest {
  private static final String PASSWORD = "correct horse battery";
  private static final String WRONG = "Tr0ub4dor&3";
  private static final String ARCHIVE = "refs/entire/checkpoints/v2/full/0000000000001";

  @TempDir Path tmp;

  @Test
  void hashPasswordThenServeLogsEachPushWithoutSecretsAndStopsOnSigterm() throws Exception {
    Path users = tmp.resolve("users");
    ByteArrayOutputStream hashErr = new ByteArrayOutputStream();
    int hashed =
        new Main(
                new Io(
                    System.out,
                    new PrintStream(hashErr, true, StandardCharsets.UTF_8),
                    new ByteArrayInputStream((PASSWORD + "\n").getBytes(StandardCharsets.UTF_8)),
                    Map.of()))
            .run("hash-password", "alice", "--users", users.toString());
    assertEquals(0, hashed, hashErr.toString(StandardCharsets.UTF_8));
    Path repos = Files.createDirectories(tmp.resolve("repos"));
    Path serverRepo = ServerTestSupport.bareRepo(repos.resolve("checkpoints.git"));

    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path home = tmp.resolve("home");
    ProcessBuilder serve =
        new ProcessBuilder(
            java,
            "-Duser.home=" + home,
            "-cp",
            System.getProperty("java.class.path"),
            Main.class.getName(),
            "serve",
            "--repos",
            repos.toString(),
            "--users",
            users.toString(),
            "--port",
            "0");
    // The child's environment is built, not inherited: no developer git config reaches the server.
    serve.environment().clear();
    serve.environment().putAll(new GitCli(home).environment());
    Process p =
        serve
            .directory(tmp.toFile())
            // Files, not pipes: the JDK may drop what is left in a pipe when the process exits
            // mid-read.
            .redirectOutput(tmp.resolve("serve.out").toFile())
            .redirectError(tmp.resolve("serve.err").toFile())
            .start();
    try {
      p.getOutputStream().close();
      String ready = readyLine(p, tmp.resolve("serve.out"));
      Matcher m =
          Pattern.compile("checkpoint-guard serving (.+) at http://127\\.0\\.0\\.1:(\\d+)/")
              .matcher(String.valueOf(ready));
      assertTrue(
          m.matches(),
          ready + "\n" + (ready == null ? Files.readString(tmp.resolve("serve.err")) : ""));
      assertEquals(repos.toRealPath().toString(), m.group(1));
      String base = "http://127.0.0.1:" + m.group(2) + "/checkpoints.git";

      GitCli git = new GitCli(tmp.resolve("home"));
      Path w = tmp.resolve("client.git");
      ServerTestSupport.client(w, 3, 4).close();
      GitCli.Result wrong =
          git.run(
              w,
              "push",
              base.replace("://", "://alice:" + WRONG.replace("&", "%26") + "@"),
              ClientRepo.MAIN);
      assertNotEquals(0, wrong.exitCode());
      assertTrue(wrong.stderr().contains("Authentication failed"), wrong.stderr());
      Thread.sleep(300); // the first failure's penalty

      String good = base.replace("://", "://alice:" + PASSWORD.replace(" ", "%20") + "@");
      GitCli.Result push =
          git.run(
              w,
              "push",
              "--porcelain",
              good,
              ClientRepo.MAIN + ":" + ClientRepo.MAIN,
              ARCHIVE + ":" + ARCHIVE);
      assertEquals(1, push.exitCode(), push.stdout() + push.stderr());
      assertTrue(
          push.stdout()
              .contains(
                  "!\t" + ARCHIVE + ":" + ARCHIVE + "\t[remote rejected] (checkpoint-guard: "),
          push.stdout());
      assertNull(ServerTestSupport.ref(serverRepo, ARCHIVE));

      p.destroy(); // SIGTERM
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "serve did not stop on SIGTERM");
      assertEquals(0, p.exitValue());
      assertEquals(
          ready + "\n",
          Files.readString(tmp.resolve("serve.out")),
          "exactly one line on standard output");
      String log = Files.readString(tmp.resolve("serve.err"));
      assertTrue(
          log.contains("WARN PushAuthFilter - push login failed for user 'alice' from 127.0.0.1"),
          log);
      List<String> pushLines = log.lines().filter(l -> l.contains(" INFO push - ")).toList();
      assertEquals(1, pushLines.size(), log);
      assertTrue(
          pushLines
              .get(0)
              .endsWith(
                  "INFO push - push checkpoints.git user=alice from=127.0.0.1: "
                      + ClientRepo.MAIN
                      + " CREATE OK verdict=accept; "
                      + ARCHIVE
                      + " CREATE REJECTED_OTHER_REASON verdict=reject rule=archive-threshold \"checkpoint-guard: "
                      + "archived generation "
                      + ARCHIVE
                      + " holds 3 checkpoints, fewer than the threshold 100 (rule "
                      + "archive-threshold); "
                      + "only the v2 migration of Entire CLI v0.6.0 makes them, and your v1 branch still has "
                      + "their checkpoints: upgrade the Entire CLI (v0.6.2 and later stop pushing it); "
                      + "the server's administrator can run checkpoint-guard repair\""),
          pushLines.get(0));
      assertTrue(log.endsWith("checkpoint-guard: stopping\ncheckpoint-guard: stopped\n"), log);
      for (String secret :
          List.of(PASSWORD, WRONG, "correct%20horse", "Tr0ub4dor%263", "Authorization")) {
        assertFalse(log.contains(secret), "log contains " + secret + ":\n" + log);
      }
      assertFalse(log.contains("\tat "), "no stack trace in the log:\n" + log);
    } finally {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /**
   * The first line the process writes to {@code out}; null if it exits or stays silent for 30 s.
   */
  private static String readyLine(Process p, Path out) throws IOException, InterruptedException {
    for (int i = 0; i < 300; i++) {
      String text = Files.readString(out);
      int nl = text.indexOf('\n');
      if (nl >= 0) {
        return text.substring(0, nl);
      }
      if (!p.isAlive()) {
        return null;
      }
      Thread.sleep(100);
    }
    return null;
  }
}
