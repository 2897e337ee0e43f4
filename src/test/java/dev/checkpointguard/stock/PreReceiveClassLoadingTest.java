package dev.checkpointguard.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stock {@code pre-receive} command never loads the JSON library (jackson-core, pom.xml): judging a
 * push reads no JSON, and every hook run is a fresh JVM, so each class it loads costs start-up time. Runs
 * the command as the hook does, in its own JVM with class-load logging, on a rotation push and on a
 * refused one.
 */
class PreReceiveClassLoadingTest {
  private static final String CURRENT = "refs/entire/checkpoints/v2/full/current";
  private static final String ARCHIVE1 = "refs/entire/checkpoints/v2/full/0000000000001";
  private static final String ARCHIVE2 = "refs/entire/checkpoints/v2/full/0000000000002";
  private static final String ZERO = ObjectId.zeroId().name();

  @TempDir Path tmp;

  @Test
  void judgingRotationAndRefusalLoadsNoJsonClass() throws Exception {
    File gitDir = tmp.resolve("server.git").toFile();
    try (Repository r = new FileRepositoryBuilder().setGitDir(gitDir).setBare().build()) {
      r.create(true);
      StoredConfig c = r.getConfig();
      c.setInt("checkpointGuard", null, "threshold", 3);
      c.save();
    }
    ObjectId current;
    ObjectId archive;
    ObjectId reset;
    ObjectId small;
    try (V2Content v2 = new V2Content(gitDir)) {
      ObjectId init = v2.commit("Initialize v2 ref", List.of(), false);
      current = v2.commit("Checkpoint: 0a0000000002\n", V2Content.ids(0, 3), false, init);
      archive = v2.commit("Archive generation", V2Content.ids(0, 3), true, current);
      reset = v2.commit("Start generation", List.of(), false);
      small = v2.commit("Archive migrated generation", V2Content.ids(10, 1), true);
      v2.setRef(CURRENT, current);
    }

    Path rotationLog = tmp.resolve("rotation.log");
    Run rotation = preReceive(gitDir, rotationLog,
        current.name() + " " + reset.name() + " " + CURRENT + "\n" + ZERO + " " + archive.name() + " " + ARCHIVE1 + "\n");
    assertEquals(0, rotation.exit, rotation.err);
    assertEquals("", rotation.err);

    Path refusalLog = tmp.resolve("refusal.log");
    Run refusal = preReceive(gitDir, refusalLog, ZERO + " " + small.name() + " " + ARCHIVE2 + "\n");
    assertEquals(1, refusal.exit, refusal.err);
    assertTrue(refusal.err.contains("(rule archive-threshold)"), refusal.err);

    for (Path log : List.of(rotationLog, refusalLog)) {
      String classes = Files.readString(log, StandardCharsets.UTF_8);
      assertTrue(classes.contains("dev.checkpointguard.core.CheckpointPolicy "), "the log records loads");
      assertFalse(classes.contains("com.fasterxml.jackson"), log + " loads jackson");
      assertFalse(classes.contains("dev.checkpointguard.core.JsonFiles"), log + " loads JsonFiles");
    }
  }

  private record Run(int exit, String err) {}

  private Run preReceive(File gitDir, Path classLog, String stdin) throws Exception {
    Path err = tmp.resolve(classLog.getFileName() + ".err");
    ProcessBuilder pb = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xlog:class+load=info:file=" + classLog,
        "-cp", System.getProperty("java.class.path"), "dev.checkpointguard.cli.Main", "pre-receive");
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("GIT_"));
    env.put("GIT_DIR", gitDir.getPath());
    env.put("HOME", tmp.toString());
    env.put("GIT_CONFIG_NOSYSTEM", "1");
    env.put("GIT_CONFIG_GLOBAL", "/dev/null");
    pb.redirectError(err.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Process p = pb.start();
    try {
      p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
      p.getOutputStream().close();
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "pre-receive did not finish");
      return new Run(p.exitValue(), Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      p.destroyForcibly();
    }
  }
}
