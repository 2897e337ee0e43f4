package dev.checkpointguard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.GitCli;
import dev.checkpointguard.fixtures.OpenSsh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SSH in the shipped (shaded) jar, run by failsafe after {@code package}: Apache MINA SSHD, Bouncy
 * Castle (Ed25519) and JGit's SSH client survive shading. {@code java -jar} serves over SSH, a push
 * is judged, and {@code java -jar … mirror} pulls from that server over {@code ssh://}.
 */
class SshShippedJarIT {
  @TempDir Path tmp;

  @Test
  void theShippedJarServesSshAndMirrorsFromIt() throws Exception {
    String jar = System.getProperty("checkpointGuard.shippedJar");
    assumeTrue(
        jar != null, "checkpointGuard.shippedJar is set by the failsafe plugin: run mvn verify");
    Path repos = Files.createDirectories(tmp.resolve("repos"));
    Path serverRepo = ServerTestSupport.bareRepo(repos.resolve("checkpoints.git"));
    GitCli git = new GitCli(tmp.resolve("home"));
    OpenSsh.Key admin = OpenSsh.keygen(git.home().resolve(".ssh"), "id_ed25519", "admin@test");
    Path keys = Files.writeString(tmp.resolve("authorized_keys"), admin.publicLine() + "\n");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(
            java,
            "-Duser.home=" + git.home(),
            "-jar",
            jar,
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
    pb.environment().putAll(git.environment());
    Path out = tmp.resolve("serve.out");
    Process serve =
        pb.redirectOutput(out.toFile()).redirectError(tmp.resolve("serve.err").toFile()).start();
    try {
      serve.getOutputStream().close();
      Matcher m = null;
      for (int i = 0; i < 600 && serve.isAlive(); i++) {
        m =
            Pattern.compile("at http://127\\.0\\.0\\.1:\\d+/ and (ssh://127\\.0\\.0\\.1:(\\d+)/)\n")
                .matcher(Files.readString(out));
        if (m.find()) {
          break;
        }
        m = null;
        Thread.sleep(100);
      }
      assertTrue(m != null, "serve did not start: " + Files.readString(tmp.resolve("serve.err")));
      String url = m.group(1) + "checkpoints.git";
      Path knownHosts =
          OpenSsh.knownHosts(
              tmp.resolve("known_hosts"),
              "127.0.0.1",
              Integer.parseInt(m.group(2)),
              Files.readString(repos.resolve(".ssh_host_ed25519_key.pub")).strip());

      Path w = tmp.resolve("client.git");
      ServerTestSupport.client(w, 3, 4)
          .close(); // an archive of 3 checkpoints: refused, /main accepted
      String archive = "refs/entire/checkpoints/v2/full/0000000000001";
      GitCli.Result push =
          OpenSsh.git(git, admin, knownHosts)
              .run(
                  w,
                  "push",
                  "--porcelain",
                  url,
                  ClientRepo.MAIN + ":" + ClientRepo.MAIN,
                  archive + ":" + archive);
      assertEquals(1, push.exitCode(), push.toString());
      assertTrue(
          push.stdout()
              .contains("\t[remote rejected] (checkpoint-guard: archived generation " + archive),
          push.stdout());

      List<String> mirror =
          new ArrayList<>(
              List.of(
                  java,
                  "-Duser.home=" + git.home(),
                  "-jar",
                  jar,
                  "mirror",
                  "--repo",
                  tmp.resolve("mirror.git").toString(),
                  "--from",
                  url,
                  "--ssh-known-hosts",
                  knownHosts.toString()));
      GitCli.Result synced = git.exec(tmp, null, mirror);
      assertEquals(0, synced.exitCode(), synced.toString());
      assertEquals(
          ServerTestSupport.ref(serverRepo, ClientRepo.MAIN),
          ServerTestSupport.ref(tmp.resolve("mirror.git"), ClientRepo.MAIN));
    } finally {
      serve.destroy();
      assertTrue(serve.waitFor(30, TimeUnit.SECONDS));
      assertEquals(0, serve.exitValue(), Files.readString(tmp.resolve("serve.err")));
    }
  }
}
