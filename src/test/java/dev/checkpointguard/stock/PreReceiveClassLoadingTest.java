package dev.checkpointguard.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.FlatTree;
import dev.checkpointguard.fixtures.GitCli;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.eclipse.jgit.lib.ObjectId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stock {@code pre-receive} command never loads the JSON library (jackson-core, pom.xml):
 * judging a push reads no JSON, and every hook run is a fresh JVM, so each class it loads costs
 * start-up time. Runs the command as the hook does, in its own JVM with class-load logging, on a
 * rotation push and on a refused one.
 */
class PreReceiveClassLoadingTest {
  private static final String CURRENT = "refs/entire/checkpoints/v2/full/current";
  private static final String ARCHIVE1 = "refs/entire/checkpoints/v2/full/0000000000001";
  private static final String ARCHIVE2 = "refs/entire/checkpoints/v2/full/0000000000002";
  private static final String ZERO = ObjectId.zeroId().name();

  @TempDir Path tmp;

  @Test
  void judgingRotationAndRefusalLoadsNoJsonClass() throws Exception {
    Path gitDir = tmp.resolve("server.git");
    ObjectId current;
    ObjectId archive;
    ObjectId reset;
    ObjectId small;
    // the client's own rotation (threshold 3), then its refs put back as the server has them before
    // the push
    try (ClientRepo c = ClientRepo.builder(ClientVersion.V0_6_2).threshold(3).buildOnDisk(gitDir)) {
      List<String> ids = c.checkpoints(3);
      archive = c.ref(ARCHIVE1);
      current = c.commit(archive).getParent(0);
      reset = c.ref(CURRENT);
      FlatTree one = c.flatTreeOf(c.commit(current).getTree().getId());
      for (String id : ids.subList(1, 3)) {
        one.removeDirectory(id.substring(0, 2) + "/" + id.substring(2));
      }
      small = c.insertCommit(one, "Archive migrated generation");
      c.updateRef(ARCHIVE1, archive, ObjectId.zeroId());
      c.updateRef(CURRENT, reset, current);
    }
    GitCli cli = new GitCli(tmp.resolve("home")).with("GIT_DIR", gitDir.toString());
    cli.run(gitDir, "config", "checkpointGuard.threshold", "3").expectOk();

    // a rotation as v0.6.2 publishes it: the archive alone, then the reset it covers
    Path rotationLog = tmp.resolve("rotation.log");
    GitCli.Result archived =
        preReceive(
            cli, tmp.resolve("archive.log"), ZERO + " " + archive.name() + " " + ARCHIVE1 + "\n");
    assertEquals(0, archived.exitCode(), archived.toString());
    cli.run(gitDir, "update-ref", ARCHIVE1, archive.name()).expectOk();
    GitCli.Result rotation =
        preReceive(cli, rotationLog, current.name() + " " + reset.name() + " " + CURRENT + "\n");
    assertEquals(0, rotation.exitCode(), rotation.toString());
    assertEquals("", rotation.stderr());

    Path refusalLog = tmp.resolve("refusal.log");
    GitCli.Result refusal =
        preReceive(cli, refusalLog, ZERO + " " + small.name() + " " + ARCHIVE2 + "\n");
    assertEquals(1, refusal.exitCode(), refusal.toString());
    assertTrue(
        refusal
            .stderr()
            .contains("holds 1 checkpoint, fewer than the threshold 3 (rule archive-threshold)"),
        refusal.toString());

    for (Path log : List.of(tmp.resolve("archive.log"), rotationLog, refusalLog)) {
      String classes = Files.readString(log, StandardCharsets.UTF_8);
      assertTrue(
          classes.contains("dev.checkpointguard.core.CheckpointPolicy "), "the log records loads");
      assertFalse(classes.contains("com.fasterxml.jackson"), log + " loads jackson");
      assertFalse(classes.contains("dev.checkpointguard.core.JsonFiles"), log + " loads JsonFiles");
    }
  }

  /**
   * The command in its own JVM, started as the hook wrapper starts it, in the fixtures'
   * environment.
   */
  private GitCli.Result preReceive(GitCli cli, Path classLog, String stdin, String... options) {
    List<String> cmd =
        new java.util.ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-Xlog:class+load=info:file=" + classLog,
                "-cp",
                System.getProperty("java.class.path"),
                "dev.checkpointguard.cli.Main",
                "pre-receive"));
    cmd.addAll(List.of(options));
    return cli.exec(tmp, stdin, cmd);
  }
}
