package dev.checkpointguard.jgit;

import static dev.checkpointguard.fixtures.ClientVersion.V0_6_0;
import static dev.checkpointguard.fixtures.ClientVersion.V0_6_2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.core.RefChange;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.core.Rule;
import dev.checkpointguard.core.Verdict;
import dev.checkpointguard.fixtures.ClientProtocol;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.FastTempDir;
import dev.checkpointguard.fixtures.FixtureClock;
import dev.checkpointguard.fixtures.GitCli;
import dev.checkpointguard.fixtures.ServerRepo;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.transport.Daemon;
import org.eclipse.jgit.transport.PreReceiveHook;
import org.eclipse.jgit.transport.PreReceiveHookChain;
import org.eclipse.jgit.transport.PushResult;
import org.eclipse.jgit.transport.ReceiveCommand;
import org.eclipse.jgit.transport.ReceivePack;
import org.eclipse.jgit.transport.RemoteRefUpdate;
import org.eclipse.jgit.transport.Transport;
import org.eclipse.jgit.transport.URIish;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link CheckpointGuardHook} on a real {@link ReceivePack}, reached over the git protocol through
 * JGit's {@link Daemon} on 127.0.0.1: JGit's transport for the per-command statuses and messages,
 * and the real {@code git} binary for the text a pusher sees.
 */
class CheckpointGuardHookTest {
  static final String M = ClientRepo.MAIN;
  static final String C = ClientRepo.CURRENT;
  static final String A1 = RefNames.archive(1);
  static final String A3 = RefNames.archive(3);

  private final FixtureClock clock = new FixtureClock();
  private final ServerRepo server = new ServerRepo();
  private final List<ClientRepo> clients = new ArrayList<>();
  private final List<Verdict> heard = new CopyOnWriteArrayList<>();
  private PreReceiveHook hook = new CheckpointGuardHook(null, null, (rp, v) -> heard.addAll(v));
  private Daemon daemon;

  @AfterEach
  void stop() {
    if (daemon != null) {
      daemon.stop();
    }
    clients.forEach(ClientRepo::close);
    server.close();
  }

  private String start() throws Exception {
    return start(server.repository());
  }

  private String start(org.eclipse.jgit.lib.Repository repo) throws Exception {
    daemon = new Daemon(new InetSocketAddress("127.0.0.1", 0));
    daemon.getService("git-receive-pack").setEnabled(true);
    daemon.setRepositoryResolver(
        (req, name) -> {
          repo.incrementOpen(); // the daemon closes what it resolved
          return repo;
        });
    daemon.setReceivePackFactory(
        (req, db) -> {
          ReceivePack rp = new ReceivePack(db);
          rp.setPreReceiveHook(hook);
          return rp;
        });
    daemon.start();
    return "git://127.0.0.1:" + daemon.getAddress().getPort() + "/server.git";
  }

  private ClientRepo client(ClientRepo.Builder b) {
    ClientRepo c = b.clock(clock).seed(clients.size() + 1).buildInMemory();
    clients.add(c);
    return c;
  }

  /** Pushes {@code ref → id} pairs in one push (forced, so that non-ff commands reach the hook). */
  private PushResult push(String url, ClientRepo c, Map<String, ObjectId> updates)
      throws Exception {
    List<RemoteRefUpdate> list = new ArrayList<>();
    for (Map.Entry<String, ObjectId> e : updates.entrySet()) {
      list.add(
          e.getValue() == null
              ? new RemoteRefUpdate(c.repository(), (String) null, e.getKey(), true, null, null)
              : new RemoteRefUpdate(
                  c.repository(), e.getValue().name(), e.getKey(), true, null, null));
    }
    try (Transport t = Transport.open(c.repository(), new URIish(url))) {
      return t.push(NullProgressMonitor.INSTANCE, list);
    }
  }

  private static Map<String, ObjectId> refs(ClientRepo c, String... names) {
    Map<String, ObjectId> out = new java.util.LinkedHashMap<>();
    for (String n : names) {
      out.put(n, c.ref(n));
    }
    return out;
  }

  @Test
  void rejectsEachCommandWithItsOwnMessageAndAppliesTheRest() throws Exception {
    String url = start();
    ClientRepo c = client(ClientRepo.builder(V0_6_2));
    c.checkpoints(30);
    server.mirror(c, M, C);
    ObjectId oldCurrent = server.ref(C);
    ClientRepo bug = client(ClientRepo.builder(V0_6_0));
    bug.migrate(20);
    c.checkpoints(70); // rotation: A1 covers the server's current, but it is not pushed
    c.checkpoint();
    ServerRepo.copyObjects(bug.repository(), c.repository(), bug.ref(RefNames.archive(1)));
    Map<String, ObjectId> updates = refs(c, M, C);
    updates.put(A3, bug.ref(RefNames.archive(1)));
    PushResult r = push(url, c, updates);

    assertEquals(RemoteRefUpdate.Status.OK, r.getRemoteUpdate(M).getStatus());
    RemoteRefUpdate current = r.getRemoteUpdate(C);
    assertEquals(RemoteRefUpdate.Status.REJECTED_OTHER_REASON, current.getStatus());
    assertTrue(
        current
            .getMessage()
            .startsWith(
                "checkpoint-guard: non-fast-forward: resetting refs/entire/checkpoints/v2/full/current would lose"
                    + " 30 raw transcripts of 30 checkpoints that no archived generation holds ("),
        current.getMessage());
    RemoteRefUpdate a3 = r.getRemoteUpdate(A3);
    assertEquals(RemoteRefUpdate.Status.REJECTED_OTHER_REASON, a3.getStatus());
    assertEquals(
        "checkpoint-guard: archived generation refs/entire/checkpoints/v2/full/0000000000003 holds 20"
            + " checkpoints, fewer than the threshold 100 (rule archive-threshold); only the v2 migration of"
            + " Entire CLI v0.6.0 makes them, and your v1 branch still has their checkpoints: upgrade the"
            + " Entire CLI (v0.6.2 and later stop pushing it); the server's administrator can run"
            + " checkpoint-guard repair",
        a3.getMessage());
    assertEquals(c.ref(M), server.ref(M));
    assertEquals(oldCurrent, server.ref(C));
    assertNull(server.ref(A3));
    assertEquals(3, heard.size());
  }

  /**
   * A reset accepted on the cover of an archive in the same push is applied together with it, in
   * one atomic transaction, by the guard itself (the reset named first, as git sends it).
   */
  @Test
  void appliesAResetAndTheArchiveItNeedsTogether() throws Exception {
    String url = start();
    ClientRepo c = client(ClientRepo.builder(V0_6_2));
    c.checkpoints(60);
    server.mirror(c, M, C);
    c.checkpoints(40); // rotation: archive 1, /full/current reset
    PushResult r = push(url, c, refs(c, C, A1));
    assertEquals(RemoteRefUpdate.Status.OK, r.getRemoteUpdate(C).getStatus());
    assertEquals(RemoteRefUpdate.Status.OK, r.getRemoteUpdate(A1).getStatus());
    assertEquals(c.ref(C), server.ref(C));
    assertEquals(c.ref(A1), server.ref(A1));
    Verdict reset = heard.stream().filter(v -> v.ref().equals(C)).findFirst().orElseThrow();
    assertEquals(List.of(A1), reset.requires().stream().map(RefChange::ref).toList());
  }

  /**
   * Another push takes the archive's name after the guard judged and before the commands are
   * applied: the atomic transaction fails, and the reset does not land without its archive.
   */
  @Test
  void aResetNeverLandsWithoutTheSamePushArchiveItNeeds() throws Exception {
    ClientRepo other = client(ClientRepo.builder(V0_6_2));
    other.checkpoints(100);
    server.receiveObjects(other, other.ref(A1));
    hook =
        new CheckpointGuardHook(
            null,
            null,
            (rp, verdicts) -> server.setRef(A1, other.ref(A1))); // the other push lands just now
    String url = start();
    ClientRepo c = client(ClientRepo.builder(V0_6_2));
    c.checkpoints(60);
    server.mirror(c, M, C);
    ObjectId before = server.ref(C);
    c.checkpoints(40);
    PushResult r = push(url, c, refs(c, C, A1));
    RemoteRefUpdate current = r.getRemoteUpdate(C);
    assertEquals(RemoteRefUpdate.Status.REJECTED_OTHER_REASON, current.getStatus());
    assertEquals(
        "checkpoint-guard: non-fast-forward: refs/entire/checkpoints/v2/full/current was not updated: the"
            + " archived generations of this push that hold the transcripts it drops (full/0000000000001)"
            + " could not be stored with it (rule current-loss); fetch, merge and push again",
        current.getMessage());
    assertEquals(before, server.ref(C));
    assertEquals(other.ref(A1), server.ref(A1));
  }

  /** A push to a symbolic ref updates its target, so it is judged as that target. */
  @Test
  void judgesAPushToASymbolicRefAsItsTarget() throws Exception {
    String url = start();
    ClientRepo c = client(ClientRepo.builder(V0_6_2));
    c.checkpoints(3);
    server.mirror(c, M, C);
    ObjectId stale = c.commit(c.ref(C)).getParent(0);
    org.eclipse.jgit.lib.RefUpdate link = server.repository().updateRef("refs/heads/x");
    assertEquals(org.eclipse.jgit.lib.RefUpdate.Result.NEW, link.link(C));
    PushResult r = push(url, c, Map.of("refs/heads/x", stale));
    RemoteRefUpdate x = r.getRemoteUpdate("refs/heads/x");
    assertEquals(RemoteRefUpdate.Status.REJECTED_OTHER_REASON, x.getStatus(), x.toString());
    assertTrue(x.getMessage().contains("(rule current-loss)"), x.getMessage());
    assertEquals(c.ref(C), server.ref(C));
    // the verdict carries the command as pushed (for the push log), its message the target
    Verdict v =
        heard.stream().filter(h -> h.ref().equals("refs/heads/x")).findFirst().orElseThrow();
    assertEquals(Rule.CURRENT_LOSS, v.rule());
    assertTrue(v.message().contains(C), v.message());
  }

  @Test
  void leavesCommandsAnEarlierHookRejectedAlone() throws Exception {
    List<String> seenByGuard = new CopyOnWriteArrayList<>();
    PreReceiveHook first =
        (rp, cmds) -> {
          for (ReceiveCommand cmd : cmds) {
            if (cmd.getRefName().equals(M)) {
              cmd.setResult(ReceiveCommand.Result.REJECTED_OTHER_REASON, "first hook says no");
            }
          }
        };
    PreReceiveHook guard =
        new CheckpointGuardHook(
            null, null, (rp, verdicts) -> verdicts.forEach(v -> seenByGuard.add(v.ref())));
    hook = PreReceiveHookChain.newChain(List.of(first, PreReceiveHook.NULL, guard));
    String url = start();
    ClientRepo c = client(ClientRepo.builder(V0_6_2));
    c.checkpoint();
    PushResult r = push(url, c, refs(c, M, C));
    assertEquals("first hook says no", r.getRemoteUpdate(M).getMessage());
    assertEquals(RemoteRefUpdate.Status.OK, r.getRemoteUpdate(C).getStatus());
    assertEquals(List.of(C), seenByGuard);
    assertNull(server.ref(M));
  }

  @Test
  void laterHooksInAChainSeeTheGuardsRejections() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    PreReceiveHook recorder =
        (rp, cmds) -> cmds.forEach(cmd -> seen.add(cmd.getRefName() + " " + cmd.getResult()));
    hook = PreReceiveHookChain.newChain(List.of(new CheckpointGuardHook(), recorder));
    String url = start();
    ClientRepo c = client(ClientRepo.builder(V0_6_2));
    c.checkpoint();
    server.mirror(c, M);
    Map<String, ObjectId> updates = refs(c, C);
    updates.put(M, null); // delete main
    updates.put("refs/heads/work", c.ref(M));
    PushResult r = push(url, c, updates);
    assertEquals(
        List.of(
            C + " NOT_ATTEMPTED", M + " REJECTED_OTHER_REASON", "refs/heads/work NOT_ATTEMPTED"),
        seen);
    assertEquals(RemoteRefUpdate.Status.OK, r.getRemoteUpdate("refs/heads/work").getStatus());
  }

  @Test
  void warnModeAcceptsAndTellsThePusher() throws Exception {
    server.repository().getConfig().setString("checkpointGuard", null, "mode", "warn");
    String url = start();
    ClientRepo bug = client(ClientRepo.builder(V0_6_0));
    bug.migrate(20);
    PushResult r = push(url, bug, refs(bug, RefNames.archive(1)));
    assertEquals(RemoteRefUpdate.Status.OK, r.getRemoteUpdate(RefNames.archive(1)).getStatus());
    assertTrue(
        r.getMessages()
            .contains(
                "checkpoint-guard: warning: accepted because checkpointGuard.mode is warn; enforce mode would"
                    + " refuse: archived generation refs/entire/checkpoints/v2/full/0000000000001 holds 20"
                    + " checkpoints, fewer than the threshold 100 (rule archive-threshold)"),
        r.getMessages());
    assertEquals(bug.ref(RefNames.archive(1)), server.ref(RefNames.archive(1)));
  }

  @Test
  void invalidSettingsRefuseEveryGuardedRefAndNothingElse() throws Exception {
    server.repository().getConfig().setString("checkpointGuard", null, "threshold", "lots");
    String url = start();
    ClientRepo c = client(ClientRepo.builder(V0_6_2));
    c.checkpoint();
    Map<String, ObjectId> updates = refs(c, M, C);
    updates.put("refs/heads/work", c.ref(M));
    PushResult r = push(url, c, updates);
    String expected =
        "checkpoint-guard: refs/entire/checkpoints/v2/main refused: invalid git config"
            + " checkpointGuard.threshold = 'lots': expected a whole number from 1 to 100 (clients archive a generation at 100 checkpoints) (rule"
            + " invalid-settings); ask the server administrator to fix the repository's git config";
    assertEquals(expected, r.getRemoteUpdate(M).getMessage());
    assertEquals(RemoteRefUpdate.Status.REJECTED_OTHER_REASON, r.getRemoteUpdate(C).getStatus());
    assertEquals(RemoteRefUpdate.Status.OK, r.getRemoteUpdate("refs/heads/work").getStatus());
    assertNull(server.ref(M));
  }

  /**
   * A config file that cannot be parsed makes JGit's {@code getConfig()} throw a RuntimeException;
   * the guard refuses each guarded ref as an internal error (with the cause for the server log)
   * instead of failing the whole push.
   */
  @Test
  void anUnparsableConfigRefusesGuardedRefsAsInternalErrors(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("server.git");
    try (org.eclipse.jgit.lib.Repository disk =
        new org.eclipse.jgit.storage.file.FileRepositoryBuilder().setGitDir(dir.toFile()).build()) {
      disk.create(true);
      PreReceiveHook breakConfig =
          (rp, cmds) -> {
            try { // after ReceivePack has read the config: an administrator's bad edit mid-push
              java.nio.file.Files.writeString(dir.resolve("config"), "[core\n\tbare = true\n");
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          };
      hook =
          PreReceiveHookChain.newChain(
              List.of(
                  breakConfig, new CheckpointGuardHook(null, null, (rp, v) -> heard.addAll(v))));
      String url = start(disk);
      ClientRepo c = client(ClientRepo.builder(V0_6_2));
      c.checkpoint();
      PushResult r = push(url, c, refs(c, M, C));
      for (String ref : List.of(M, C)) {
        assertEquals(
            RemoteRefUpdate.Status.REJECTED_OTHER_REASON, r.getRemoteUpdate(ref).getStatus());
        assertEquals(
            "checkpoint-guard: could not check "
                + ref
                + " (rule internal-error); the update was refused, the server log has the details",
            r.getRemoteUpdate(ref).getMessage());
      }
      assertEquals(2, heard.size());
      heard.forEach(
          v -> assertTrue(v.cause() instanceof RuntimeException, String.valueOf(v.cause())));
      assertNull(disk.getRefDatabase().exactRef(M));
    }
  }

  /**
   * The real git client over git://: the text the Entire client parses, and its reaction (§7.4).
   */
  @Test
  void gitSeesTheRejectionAsRemoteRejectedWithTheGuardsText(
      @TempDir(factory = FastTempDir.class) Path tmp) throws Exception {
    String url = start();
    GitCli git = new GitCli(tmp.resolve("home"));
    try (ClientRepo c =
        ClientRepo.builder(V0_6_0).clock(clock).buildOnDisk(tmp.resolve("client.git"))) {
      c.migrate(130);
      ClientProtocol.Run run = new ClientProtocol(c, git, url).prePush();
      GitCli.Result push = run.pushes().get(0);
      assertEquals(
          List.of(
              "git",
              "push",
              "--no-verify",
              "--porcelain",
              url,
              M + ":" + M,
              C + ":" + C,
              RefNames.archive(2) + ":" + RefNames.archive(2)),
          push.command());
      assertEquals(
          "[remote rejected] (checkpoint-guard: archived generation"
              + " refs/entire/checkpoints/v2/full/0000000000002 holds 30 checkpoints, fewer than the threshold"
              + " 100 (rule archive-threshold); "
              + "only the v2 migration of Entire CLI v0.6.0 makes them, and your v1 branch still has "
              + "their checkpoints: upgrade the Entire CLI (v0.6.2 and later stop pushing it); "
              + "the server's administrator can run checkpoint-guard repair)",
          push.refResult(RefNames.archive(2)).orElseThrow().summary());
      assertEquals('*', push.refResult(M).orElseThrow().flag());
      assertEquals('*', push.refResult(C).orElseThrow().flag());
      assertEquals(1, run.pushes().size(), "no retry: the text has no non-fast-forward");
      assertEquals(1, run.errors().size(), run.transcript());
    }
  }
}
