package dev.checkpointguard.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientProtocol;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.GitCli;
import dev.checkpointguard.fixtures.OpenSsh;
import dev.checkpointguard.server.GuardedServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A push over SSH whose connection dies in the middle: the pusher's {@code ssh} is killed with
 * SIGKILL while the pack streams in. The server notices, applies nothing, leaves no lock and no
 * temporary pack behind, and accepts the client's retry.
 */
class SshKillTest {
  @TempDir Path tmp;

  @Test
  void aConnectionKilledMidPushLeavesNothingLockedAndTheRetryIsAccepted() throws Exception {
    Path repos = Files.createDirectories(tmp.resolve("repos"));
    Path server = LoadTest.serverRepo(repos, 5);
    OpenSsh.Key alice = OpenSsh.keygen(tmp.resolve("keys"), "alice", "alice@test");
    Path keys = Files.writeString(tmp.resolve("authorized_keys"), alice.publicLine() + "\n");
    ClientRepo client = ServeKillTest.bigFinalize(tmp.resolve("client.git"));

    try (GuardedServer s =
        GuardedServer.start(
            GuardedServer.Config.builder(repos)
                .port(0)
                .ssh(new GuardedServer.Config.Ssh(null, 0, keys, null))
                .build())) {
      Path knownHosts =
          OpenSsh.knownHosts(
              tmp.resolve("known_hosts"), "127.0.0.1", s.sshPort(), s.sshHostKey().publicKey());
      // the pusher's ssh writes its pid, then becomes ssh: that process is what dies
      Path pid = tmp.resolve("ssh.pid");
      Path wrapper = tmp.resolve("ssh-wrapper");
      Files.writeString(
          wrapper,
          "#!/bin/sh\necho $$ > '"
              + pid
              + "'\nexec "
              + OpenSsh.command(alice, knownHosts)
              + " \"$@\"\n");
      Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwx------"));
      GitCli git = new GitCli(tmp.resolve("home")).with("GIT_SSH_COMMAND", "'" + wrapper + "'");
      String url = s.sshUrl().resolve("checkpoints.git").toString();
      Path objects = server.resolve("objects"); // JGit streams into objects/incoming_*.pack

      CompletableFuture<ClientProtocol.Run> push =
          CompletableFuture.supplyAsync(() -> new ClientProtocol(client, git, url).prePush());
      boolean streaming = false;
      for (int n = 0; n < 6000 && !streaming && !push.isDone(); n++) {
        streaming = incoming(objects) > 0;
        if (!streaming) {
          Thread.sleep(2);
        }
      }
      assertTrue(
          streaming,
          "never saw the pack streaming in" + (push.isDone() ? push.get().transcript() : ""));
      long sshPid = Long.parseLong(Files.readString(pid).strip());
      assertTrue(
          ProcessHandle.of(sshPid).orElseThrow().destroyForcibly(), "SIGKILL to ssh " + sshPid);
      ClientProtocol.Run run = push.get(60, TimeUnit.SECONDS);
      assertFalse(run.ok(), "the push cannot have succeeded: " + run.transcript());
      LoadTest.assertNoStackTrace(new GitCli.Result(List.of("git"), 0, run.transcript(), ""));

      // the server side ends by itself once it sees the connection gone; wait for it (bounded)
      for (int n = 0; n < 300 && (incoming(objects) > 0 || !leftovers(server).isEmpty()); n++) {
        Thread.sleep(100);
      }
      assertEquals(0, incoming(objects), "temporary pack files left");
      assertEquals(List.of(), leftovers(server), "lock or keep files left");
      ServerState st = new ServerState(server);
      assertEquals(List.of(), st.locks);
      assertTrue(st.v2Refs.isEmpty(), "nothing applied: " + st.v2Refs);
      GitCli.Result fsck = git.run(server, "fsck", "--no-progress");
      assertEquals(0, fsck.exitCode(), fsck.toString());

      // the retry, over the same server
      ClientProtocol.Run retry = new ClientProtocol(client, git, url).prePush();
      assertTrue(retry.ok(), retry.transcript());
      ServerState after = new ServerState(server);
      assertEquals(client.ref(RefNames.MAIN), after.v2Refs.get(RefNames.MAIN));
      assertEquals(client.ref(RefNames.CURRENT), after.v2Refs.get(RefNames.CURRENT));
      assertEquals(List.of(), leftovers(server));
    } finally {
      client.close();
    }
  }

  private static long incoming(Path objects) throws Exception {
    try (Stream<Path> s = Files.walk(objects, 2)) {
      return s.filter(p -> p.getFileName().toString().startsWith("incoming_")).count();
    }
  }

  /** Every {@code *.lock} and {@code *.keep} file in the repository. */
  private static List<Path> leftovers(Path repo) throws Exception {
    try (Stream<Path> s = Files.walk(repo)) {
      return s.filter(
              p ->
                  p.getFileName().toString().endsWith(".lock")
                      || p.getFileName().toString().endsWith(".keep"))
          .toList();
    }
  }
}
