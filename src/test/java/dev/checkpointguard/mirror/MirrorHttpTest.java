package dev.checkpointguard.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.FastTempDir;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.eclipse.jgit.lib.ObjectId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Syncs from an unguarded upstream over HTTP (a plain JGit {@code GitServlet} on a loopback
 * ephemeral port), public and private: credentials only from git's own mechanisms, never printed.
 */
class MirrorHttpTest {
  private static final String USER = "alice";
  private static final String SECRET = "s3cret-Xyz";

  @TempDir(factory = FastTempDir.class)
  Path tmp;

  @Test
  void aPublicUpstreamOverHttpIsMirroredAndAStaleResetHeldBack() throws Exception {
    MirrorWorld w = new MirrorWorld(tmp, 5);
    try (UpstreamHttpServer http = new UpstreamHttpServer(tmp, null)) {
      w.from = http.url().resolve("upstream.git").toString();
      ClientRepo a = w.client(ClientVersion.V0_6_2);
      a.checkpoints(2);
      w.push(a);
      ClientRepo b = w.client(ClientVersion.V0_6_2);
      MirrorSyncTest.fetchAll(w, b);
      a.checkpoints(4); // rotates at 5
      w.push(a);
      // the first sync takes upstream's HEAD, as git clone --mirror does
      w.inUpstream("symbolic-ref", "HEAD", "refs/heads/trunk");
      w.gitPush(a, a.ref(RefNames.MAIN).name() + ":refs/heads/trunk");
      MirrorWorld.Cli first = w.mirrorCli();
      assertEquals(0, first.exit(), first.toString());
      w.assertEqualsUpstream();
      w.assertNothingLost();
      try (var m = MirrorWorld.open(w.mirror)) {
        assertEquals("refs/heads/trunk", m.getFullBranch());
      }
      b.checkpoint(); // stale: still on the old generation
      w.gitPush(b, "+" + RefNames.CURRENT + ":" + RefNames.CURRENT);
      MirrorWorld.Cli held = w.mirrorCli();
      assertEquals(1, held.exit(), held.toString());
      assertTrue(
          held.out().contains("  ! " + RefNames.CURRENT + ": held back (rule current-loss)"),
          held.out());
      w.assertNothingLost();
      w.assertOtherRefsEqualUpstream();
    }
  }

  @Test
  void aPrivateUpstreamTakesCredentialsFromAHelperOrNetrcAndNeverPrintsThem() throws Exception {
    MirrorWorld w = new MirrorWorld(tmp, 5);
    try (UpstreamHttpServer http = new UpstreamHttpServer(tmp, USER + ":" + SECRET)) {
      w.from = http.url().resolve("upstream.git").toString();
      ClientRepo a = w.client(ClientVersion.V0_6_2);
      a.checkpoints(2);
      w.push(a);
      // no credentials anywhere: refused, nothing changed, no prompt (a sync never waits for a
      // person)
      MirrorWorld.Cli none = w.mirrorCli();
      assertEquals(2, none.exit(), none.toString());
      assertTrue(
          none.err().startsWith("checkpoint-guard mirror: cannot fetch from " + w.from + ": "),
          none.err());
      assertEquals(Map.of(), MirrorWorld.refs(w.mirror));

      // git's credential helper (store), configured in the user's git config
      Path store = w.git.home().resolve("credentials");
      Files.writeString(
          store, "http://" + USER + ":" + SECRET + "@127.0.0.1:" + http.port() + "\n");
      Files.writeString(
          w.git.home().resolve(".gitconfig"),
          "[credential]\n\thelper = store --file=" + store + "\n");
      MirrorWorld.Cli helper = w.mirrorCli("--json");
      assertEquals(0, helper.exit(), helper.toString());
      assertFalse((helper.out() + helper.err()).contains(SECRET), helper.toString());
      w.assertEqualsUpstream();

      // a wrong password from the helper: refused, and git's helper is told to forget it (as git
      // does)
      a.checkpoint();
      w.push(a);
      Files.writeString(store, "http://" + USER + ":wrong@127.0.0.1:" + http.port() + "\n");
      Map<String, ObjectId> before = MirrorWorld.refs(w.mirror);
      MirrorWorld.Cli wrong = w.mirrorCli();
      assertEquals(2, wrong.exit(), wrong.toString());
      assertFalse((wrong.out() + wrong.err()).contains("wrong"), wrong.toString());
      assertEquals(before, MirrorWorld.refs(w.mirror));
      assertEquals(
          "", Files.readString(store).trim(), "git credential reject erased the refused entry");

      // ~/.netrc, with no helper
      Files.writeString(w.git.home().resolve(".gitconfig"), "");
      Files.writeString(
          w.git.home().resolve(".netrc"),
          "machine 127.0.0.1 login " + USER + " password " + SECRET + "\n");
      MirrorWorld.Cli netrc = w.mirrorCli();
      assertEquals(0, netrc.exit(), netrc.toString());
      assertFalse((netrc.out() + netrc.err()).contains(SECRET), netrc.toString());
      w.assertEqualsUpstream();
      w.assertNothingLost();
    }
  }

  @Test
  void anUpstreamThatDoesNotAnswerLeavesTheMirrorUnchanged() throws Exception {
    MirrorWorld w = new MirrorWorld(tmp, 5);
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    w.from = "http://127.0.0.1:" + port + "/upstream.git";
    MirrorWorld.Cli r = w.mirrorCli("--timeout", "5");
    assertEquals(2, r.exit(), r.toString());
    assertTrue(
        r.err().startsWith("checkpoint-guard mirror: cannot fetch from " + w.from + ": "), r.err());
    assertTrue(r.err().endsWith("; the mirror is unchanged\n"), r.err());
    assertEquals(Map.of(), MirrorWorld.refs(w.mirror));
  }
}
