package dev.checkpointguard.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.cli.Main;
import dev.checkpointguard.command.Io;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.FlatTree;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code pre-receive} and {@code update} commands driven in-process, as the wrappers call them.
 */
class PreReceiveCommandTest {
  private static final String MAIN = "refs/entire/checkpoints/v2/main";
  private static final String CURRENT = "refs/entire/checkpoints/v2/full/current";
  private static final String ZERO = ObjectId.zeroId().name();

  @TempDir Path tmp;
  private File gitDir;
  private ObjectId init;
  private ObjectId other;
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeEach
  void repository() throws Exception {
    gitDir = tmp.resolve("server.git").toFile();
    try (ClientRepo c = ClientRepo.builder(ClientVersion.V0_6_2).buildOnDisk(gitDir.toPath())) {
      c.checkpoint();
      init = c.ref(MAIN);
      other = c.insertCommit(new FlatTree(), "Initialize v2 ref"); // unrelated: not a fast-forward
      c.updateRef(CURRENT, null, ObjectId.zeroId()); // only main is on this "server"
    }
  }

  private int run(String stdin, Map<String, String> extraEnv, String... args) {
    Map<String, String> env = new HashMap<>(extraEnv);
    env.put("GIT_DIR", gitDir.getPath());
    Io io =
        new Io(
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
            env);
    return new Main(io).run(args);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void rejectsANonFastForwardAndRepeatsItForGitLab() {
    String line = init.name() + " " + other.name() + " " + MAIN + "\n";
    String rejection =
        "checkpoint-guard: non-fast-forward: refs/entire/checkpoints/v2/main can only be fast-forwarded"
            + " (rule main-history); fetch, merge and push again\n";
    assertEquals(1, run(line, Map.of(), "pre-receive"));
    assertEquals(rejection, err());
    err.reset();
    assertEquals(1, run(line, Map.of("GL_ID", "user-7"), "pre-receive"));
    assertEquals(rejection + "GL-HOOK-ERR: " + rejection, err());
  }

  @Test
  void aMalformedLineRefusesThePush() {
    String in = ZERO + " " + other.name() + " refs/heads/ok\nnot a hook line\n";
    assertEquals(1, run(in, Map.of(), "pre-receive"));
    assertEquals(
        "checkpoint-guard: push refused: line 2 of the hook input is malformed: expected '<old-id> <new-id>"
            + " <ref>', got 'not a hook line'; the hook must be run by git receive-pack\n",
        err());
  }

  @Test
  void ignoresUnguardedRefsAndNeedsGitDir() {
    assertEquals(
        0, run(init.name() + " " + other.name() + " refs/heads/x\n", Map.of(), "pre-receive"));
    assertEquals("", err());
    Io io =
        new Io(
            new PrintStream(new ByteArrayOutputStream()),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            new ByteArrayInputStream(new byte[0]),
            Map.of());
    assertEquals(2, new Main(io).run("pre-receive"));
    assertEquals(
        "checkpoint-guard pre-receive: GIT_DIR is not set: run this as a git pre-receive hook\n",
        err());
  }

  @Test
  void anInvalidUnreadableRepositorySettingFailsClosed() throws Exception {
    try (Repository r = new FileRepositoryBuilder().setGitDir(gitDir).build()) {
      StoredConfig c = r.getConfig();
      c.setString("checkpointGuard", null, "unreadableRepository", "maybe");
      c.save();
    }
    String z64 = "0".repeat(64);
    assertEquals(1, run(z64 + " " + "c".repeat(64) + " " + MAIN + "\n", Map.of(), "pre-receive"));
    assertEquals(
        "checkpoint-guard: refs/entire/checkpoints/v2/main refused: the server cannot read this repository"
            + " (it uses SHA-256 object ids, which JGit cannot read; invalid git config"
            + " checkpointGuard.unreadableRepository = 'maybe': expected reject or accept) (rule"
            + " unreadable-repository); ask the server administrator (git config"
            + " checkpointGuard.unreadableRepository is reject)\n",
        err());
  }

  @Test
  void verdictsModeWritesEveryGuardedVerdictAndExitsZero() throws Exception {
    Path file = tmp.resolve("verdicts dir/123");
    String in =
        init.name()
            + " "
            + other.name()
            + " "
            + MAIN
            + "\n"
            + ZERO
            + " "
            + other.name()
            + " refs/heads/x\n"
            + ZERO
            + " "
            + other.name()
            + " refs/entire/checkpoints/v2/full/current\n";
    assertEquals(0, run(in, Map.of(), "pre-receive", "--verdicts", file.toString()));
    assertEquals("", err(), "rejections are printed by the update hook");
    assertEquals(
        "reject "
            + init.name()
            + " "
            + other.name()
            + " "
            + MAIN
            + " checkpoint-guard: non-fast-forward: refs/entire/checkpoints/v2/main can only be"
            + " fast-forwarded (rule main-history); fetch, merge and push again\n"
            + "accept "
            + ZERO
            + " "
            + other.name()
            + " refs/entire/checkpoints/v2/full/current\n",
        Files.readString(file));
  }

  @Test
  void anUnexpectedFailureShowsOneLineAndLogsTheDetails() throws Exception {
    // the verdicts folder cannot be created because a regular file is in the way: an I/O error
    // whose
    // message names a server path, which must reach hook.log but not the pusher
    Path blocker = Files.writeString(tmp.resolve("secret server path"), "");
    String file = blocker.resolve("verdicts/123").toString();
    String in = init.name() + " " + other.name() + " " + MAIN + "\n";
    String refused =
        "checkpoint-guard: push refused: internal error in the server's hook (rule internal-error); the"
            + " server log has the details\n";
    assertEquals(1, run(in, Map.of(), "pre-receive", "--verdicts", file));
    assertEquals(refused, err());
    err.reset();
    assertEquals(1, run(in, Map.of("GL_PROTOCOL", "ssh"), "pre-receive", "--verdicts", file));
    assertEquals(refused + "GL-HOOK-ERR: " + refused, err());
    String log = Files.readString(gitDir.toPath().resolve("checkpoint-guard/hook.log"));
    assertEquals(2, log.split(" pre-receive failed: ", -1).length - 1, log);
    assertTrue(log.contains(blocker.toString()), log);
    assertTrue(
        log.contains("\tat dev.checkpointguard.stock.PreReceiveCommand"),
        "with the stack trace: " + log);
  }

  @Test
  void updateJudgesOneRef() {
    assertEquals(1, run("", Map.of(), "update", MAIN, init.name(), other.name()));
    assertEquals(
        "checkpoint-guard: non-fast-forward: refs/entire/checkpoints/v2/main can only be fast-forwarded"
            + " (rule main-history); fetch, merge and push again\n",
        err());
    err.reset();
    assertEquals(0, run("", Map.of(), "update", "refs/heads/x", init.name(), other.name()));
    assertEquals(2, run("", Map.of(), "update", MAIN));
    assertEquals(
        "checkpoint-guard update: expected <ref> <old-id> <new-id>, got 1 arguments\n", err());
  }
}
