package dev.checkpointguard.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.FastTempDir;
import dev.checkpointguard.fixtures.OpenSsh;
import dev.checkpointguard.server.GuardedServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mirror --from ssh://…}: the upstream is served over SSH by {@code serve} itself (the
 * folder that holds both the upstream and the mirror), reached with JGit's SSH transport, the
 * administrator's key in {@code ~/.ssh} and host keys that must be known.
 */
class MirrorSshTest {
  @TempDir(factory = FastTempDir.class)
  Path tmp;

  @Test
  void aMirrorPullsFromAnSshUpstreamOfTheSameServerAndNeverTrustsAnUnknownHostKey()
      throws Exception {
    MirrorWorld w = new MirrorWorld(tmp, 5);
    Path ssh = Files.createDirectories(w.git.home().resolve(".ssh"));
    OpenSsh.Key admin = OpenSsh.keygen(ssh, "id_ed25519", "mirror@test");
    Path keys = Files.writeString(tmp.resolve("authorized_keys"), admin.publicLine() + "\n");
    try (GuardedServer server =
        GuardedServer.start(
            GuardedServer.Config.builder(tmp)
                .port(0)
                .ssh(new GuardedServer.Config.Ssh(null, 0, keys, tmp.resolve("host_key")))
                .build())) {
      w.from = server.sshUrl().resolve("upstream.git").toString();
      ClientRepo a = w.client(ClientVersion.V0_6_2);
      a.checkpoints(2);
      w.push(a);

      // no known_hosts yet: refused, nothing changed, and the sync added no key on its own
      MirrorWorld.Cli unknown = w.mirrorCli();
      assertEquals(2, unknown.exit(), unknown.toString());
      String host = "[127.0.0.1]:" + server.sshPort();
      String key = "ssh-ed25519 " + server.sshHostKey().fingerprint();
      String hint =
          "ssh-keyscan -p "
              + server.sshPort()
              + " 127.0.0.1 >> '"
              + ssh.resolve("known_hosts")
              + "'";
      assertEquals(
          "checkpoint-guard mirror: cannot fetch from "
              + w.from
              + ": the host key of "
              + host
              + " ("
              + key
              + ") is not in "
              + ssh.resolve("known_hosts")
              + " (a sync never trusts a new host key on its own). Check"
              + " that fingerprint with the server's administrator, then add it: "
              + hint
              + "; the mirror is"
              + " unchanged\n",
          unknown.err());
      assertEquals(Map.of(), MirrorWorld.refs(w.mirror));
      assertTrue(!Files.exists(ssh.resolve("known_hosts")), "no host key written by the sync");
      // ssh's own "StrictHostKeyChecking no" does not loosen it either
      Files.writeString(ssh.resolve("config"), "Host *\n  StrictHostKeyChecking no\n");
      MirrorWorld.Cli configNo = w.mirrorCli();
      assertEquals(2, configNo.exit(), configNo.toString());
      assertEquals(Map.of(), MirrorWorld.refs(w.mirror));
      assertTrue(!Files.exists(ssh.resolve("known_hosts")), "no host key written by the sync");

      // a known_hosts entry for another key: refused
      OpenSsh.knownHosts(
          ssh.resolve("known_hosts"),
          "127.0.0.1",
          server.sshPort(),
          admin.publicLine().substring(0, admin.publicLine().lastIndexOf(' ')));
      MirrorWorld.Cli changed = w.mirrorCli();
      assertEquals(2, changed.exit(), changed.toString());
      assertTrue(
          changed
              .err()
              .contains(
                  ": the host key of "
                      + host
                      + " ("
                      + key
                      + ") differs from the one in "
                      + ssh.resolve("known_hosts")
                      + ": the server's key changed, or something is in between; nothing was"
                      + " trusted."),
          changed.err());
      assertEquals(Map.of(), MirrorWorld.refs(w.mirror));

      // the server's key in ~/.ssh/known_hosts, added by the hint as printed: the mirror follows
      // upstream
      Files.delete(ssh.resolve("known_hosts"));
      assertTrue(w.git.exec(tmp, null, java.util.List.of("sh", "-c", hint)).ok());
      MirrorWorld.Cli first = w.mirrorCli();
      assertEquals(0, first.exit(), first.toString());
      w.assertEqualsUpstream();

      // a stale reset upstream is held back, exactly as from any other upstream
      ClientRepo b = w.client(ClientVersion.V0_6_2);
      MirrorSyncTest.fetchAll(w, b);
      a.checkpoints(4); // rotates at 5
      w.push(a);
      assertEquals(0, w.mirrorCli().exit());
      b.checkpoint();
      w.gitPush(b, "+" + RefNames.CURRENT + ":" + RefNames.CURRENT);
      MirrorWorld.Cli held = w.mirrorCli();
      assertEquals(1, held.exit(), held.toString());
      assertTrue(
          held.out().contains("  ! " + RefNames.CURRENT + ": held back (rule current-loss)"),
          held.out());
      w.assertNothingLost();
      w.assertOtherRefsEqualUpstream();
      Files.delete(ssh.resolve("config"));

      // --ssh-known-hosts: only that file counts, ~/.ssh/known_hosts is not read
      Path own =
          OpenSsh.knownHosts(
              tmp.resolve("mirror_known_hosts"),
              "127.0.0.1",
              server.sshPort(),
              server.sshHostKey().publicKey());
      Files.writeString(ssh.resolve("known_hosts"), "");
      assertEquals(2, w.mirrorCli().exit(), "the user's known_hosts is empty now");
      MirrorWorld.Cli withFile = w.mirrorCli("--ssh-known-hosts", own.toString());
      assertEquals(
          1, withFile.exit(), withFile.toString()); // the held-back reset is still held back
      w.assertNothingLost();

      // a key the server does not know: refused, nothing changed
      Files.writeString(
          keys, OpenSsh.keygen(tmp.resolve("other"), "other", "other").publicLine() + "\n");
      Map<String, org.eclipse.jgit.lib.ObjectId> before = MirrorWorld.refs(w.mirror);
      MirrorWorld.Cli refused = w.mirrorCli("--ssh-known-hosts", own.toString());
      assertEquals(2, refused.exit(), refused.toString());
      assertTrue(
          refused
              .err()
              .startsWith(
                  "checkpoint-guard mirror: cannot fetch from " + w.from + ": Cannot log in"),
          refused.err());
      assertTrue(refused.err().endsWith("; the mirror is unchanged\n"), refused.err());
      assertEquals(before, MirrorWorld.refs(w.mirror));

      MirrorWorld.Cli misuse =
          w.cli(
              "mirror",
              "--repo",
              w.mirror.toString(),
              "--from",
              w.upstream.toString(),
              "--ssh-known-hosts",
              own.toString());
      assertEquals(2, misuse.exit(), misuse.toString());
      assertEquals(
          "checkpoint-guard mirror: --ssh-known-hosts is for ssh:// upstreams only\n",
          misuse.err());
    }
  }
}
