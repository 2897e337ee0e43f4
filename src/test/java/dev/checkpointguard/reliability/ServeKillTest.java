package dev.checkpointguard.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.cli.Main;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientProtocol;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.FlatTree;
import dev.checkpointguard.fixtures.GitCli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve} as its own process, killed with SIGKILL in the middle of a push: while the pack
 * streams in, and the moment the received pack is complete (before or while the refs move). After
 * each kill the repository is consistent ({@code git fsck} reports nothing but dangling objects, no
 * ref lock file is left), and after a restart the client's retry is accepted and no lock file is
 * left in {@code refs/} or {@code objects/pack/} (a {@code pack-<id>.keep.lock} of a killed receive
 * is removed when the retry meets it; StaleReceiveLeftoversTest makes that leftover on purpose).
 */
class ServeKillTest {
  @TempDir Path tmp;

  @Test
  void sigkillDuringAPushLeavesAConsistentRepositoryThatAcceptsTheRetry() throws Exception {
    Path repos = Files.createDirectories(tmp.resolve("repos"));
    Path server = LoadTest.serverRepo(repos, 5);
    GitCli git = new GitCli(tmp.resolve("home"));
    ClientRepo client = ServeKillTest.bigFinalize(tmp.resolve("client.git"));

    Path objects =
        server.resolve("objects"); // JGit streams into objects/incoming_*.pack, then moves it

    String[] kills = {"while the pack streams in", "once the received pack is complete"};
    List<Predicate<Path>> when =
        List.of(
            p -> p.getFileName().toString().startsWith("incoming_"),
            p -> p.getFileName().toString().endsWith(".idx"));
    for (int i = 0; i < kills.length; i++) {
      Process serve = serve(repos, "serve-" + i);
      try {
        String url = readyUrl(serve, tmp.resolve("serve-" + i + ".out")) + "checkpoints.git";
        CompletableFuture<ClientProtocol.Run> push =
            CompletableFuture.supplyAsync(() -> new ClientProtocol(client, git, url).prePush());
        boolean seen = false;
        for (int n = 0; n < 6000 && !seen && !push.isDone(); n++) {
          try (Stream<Path> s = Files.walk(objects, 2)) {
            seen = s.anyMatch(when.get(i));
          }
          if (!seen) {
            Thread.sleep(2);
          }
        }
        assertTrue(
            seen,
            "never saw the moment: " + kills[i] + (push.isDone() ? push.get().transcript() : ""));
        serve.destroyForcibly(); // SIGKILL
        assertTrue(serve.waitFor(30, TimeUnit.SECONDS));
        assertEquals(137, serve.exitValue());
        ClientProtocol.Run run = push.get(60, TimeUnit.SECONDS);
        assertFalse(run.ok(), "the push cannot have succeeded: " + run.transcript());
        LoadTest.assertNoStackTrace(new GitCli.Result(List.of("git"), 0, run.transcript(), ""));
      } finally {
        serve.destroyForcibly();
        serve.waitFor(30, TimeUnit.SECONDS);
      }
      GitCli.Result fsck = git.run(server, "fsck", "--no-progress");
      assertEquals(0, fsck.exitCode(), "after SIGKILL " + kills[i] + ": " + fsck);
      for (String line : (fsck.stdout() + fsck.stderr()).split("\n")) {
        // "notice:" lines describe an empty bare repository (HEAD unborn), not damage
        assertTrue(
            line.isBlank() || line.startsWith("dangling ") || line.startsWith("notice: "),
            "fsck after SIGKILL " + kills[i] + ": " + line);
      }
      ServerState killed = new ServerState(server);
      assertEquals(List.of(), killed.locks, "ref lock files after SIGKILL " + kills[i]);
      System.out.println(
          "[reliability] serve SIGKILLed "
              + kills[i]
              + ": git fsck clean ("
              + (fsck.stdout() + fsck.stderr())
                  .lines()
                  .filter(l -> l.startsWith("dangling "))
                  .count()
              + " dangling objects), no ref lock files, "
              + killed.packLocks.size()
              + " pack lock files and "
              + leftovers(objects)
              + " temporary incoming_* files left");
    }

    // restart and retry: accepted, the server holds exactly what the client pushed
    Process serve = serve(repos, "serve-retry");
    try {
      String url = readyUrl(serve, tmp.resolve("serve-retry.out")) + "checkpoints.git";
      ClientProtocol.Run retry = new ClientProtocol(client, git, url).prePush();
      assertTrue(retry.ok(), retry.transcript());
      ServerState st = new ServerState(server);
      assertEquals(client.ref(RefNames.MAIN), st.v2Refs.get(RefNames.MAIN));
      assertEquals(client.ref(RefNames.CURRENT), st.v2Refs.get(RefNames.CURRENT));
      // what the killed receives left in objects/pack/ did not block the retry and is gone
      assertEquals(List.of(), st.locks, "ref lock files after the retry");
      assertEquals(List.of(), st.packLocks, "pack lock files after the retry");
      GitCli.Result fsck = git.run(server, "fsck", "--no-progress");
      assertEquals(0, fsck.exitCode(), fsck.toString());
    } finally {
      serve.destroy();
      serve.waitFor(30, TimeUnit.SECONDS);
    }
    client.close();
  }

  /**
   * Temporary pack files of killed pushes: garbage to git count-objects, ignored by every reader.
   */
  private static long leftovers(Path objects) throws Exception {
    try (Stream<Path> s = Files.walk(objects, 2)) {
      return s.filter(p -> p.getFileName().toString().startsWith("incoming_")).count();
    }
  }

  private Process serve(Path repos, String name) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-Duser.home=" + System.getProperty("user.home"), // not the account's
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "serve",
                "--repos",
                repos.toString(),
                "--anonymous-push",
                "--port",
                "0")
            .redirectOutput(tmp.resolve(name + ".out").toFile())
            .redirectError(tmp.resolve(name + ".err").toFile())
            .start();
    p.getOutputStream().close();
    return p;
  }

  private static String readyUrl(Process p, Path out) throws Exception {
    Pattern ready =
        Pattern.compile("checkpoint-guard serving .+ at (http://127\\.0\\.0\\.1:\\d+/)");
    for (int i = 0; i < 600; i++) {
      Matcher m = ready.matcher(Files.readString(out));
      if (m.find()) {
        return m.group(1);
      }
      if (!p.isAlive()) {
        break;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("serve did not start: " + Files.readString(out));
  }

  /**
   * A v0.6.2 client (threshold 5) whose /full/current was finalized with a 24 MiB incompressible
   * transcript: its pack takes long enough to be caught mid-stream.
   */
  static ClientRepo bigFinalize(Path dir) throws Exception {
    ClientRepo client =
        ClientRepo.builder(ClientVersion.V0_6_2).threshold(5).seed(3).buildOnDisk(dir);
    client.checkpoints(3);
    byte[] big = new byte[24 << 20];
    new Random(7).nextBytes(big);
    FlatTree t = client.flatTree(RefNames.CURRENT);
    ObjectId blob;
    try (ObjectInserter ins = client.repository().newObjectInserter()) {
      blob = ins.insert(Constants.OBJ_BLOB, big);
      ins.flush();
    }
    String dir0 = t.checkpointIds().first();
    t.put(
        dir0.substring(0, 2) + "/" + dir0.substring(2) + "/1/raw_transcript",
        FileMode.REGULAR_FILE,
        blob);
    client.commitTree(RefNames.CURRENT, t, "Finalize checkpoint: " + dir0 + "\n");
    return client;
  }
}
