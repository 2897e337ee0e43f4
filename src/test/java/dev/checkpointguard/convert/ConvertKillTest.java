package dev.checkpointguard.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientRepo.SessionData;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.V1Client;
import dev.checkpointguard.fixtures.V1Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.eclipse.jgit.lib.ObjectId;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code convert} as its own process, killed with SIGKILL after each of its steps and at arbitrary
 * moments while it writes: v2 is never touched, v1 is either as it was or fully converted (never in
 * between), and a rerun finishes the conversion.
 */
class ConvertKillTest {
  @TempDir Path tmp;

  private Path origin;
  private Map<String, ObjectId> v2Before;
  private ObjectId v1Before;
  private Map<String, V1Reader.Checkpoint> v1Old;
  private int converted;
  private int untouched;

  @BeforeEach
  void scenario() throws Exception {
    origin = tmp.resolve("origin.git");
    try (ClientRepo c = ClientRepo.builder(ClientVersion.V0_6_2).threshold(5).buildOnDisk(origin)) {
      V1Client v1 = V1Client.of(c);
      for (int i = 0; i < 3; i++) {
        v1.dualWrite(
            c,
            c.newCheckpointId(),
            List.of(SessionData.of("d" + i, c.clock().tick(), "{\"n\":" + i + "}\n")));
      }
      c.checkpoints(24);
      c.checkpoint(3);
    }
    v2Before = v2(origin);
    v1Before = ConvertHarness.allRefs(origin).get(RefNames.V1);
    v1Old = ConvertHarness.v1(origin);
  }

  private static Map<String, ObjectId> v2(Path dir) throws Exception {
    Map<String, ObjectId> out = new TreeMap<>();
    ConvertHarness.allRefs(dir)
        .forEach(
            (k, v) -> {
              if (RefNames.isV2(k)) {
                out.put(k, v);
              }
            });
    return out;
  }

  @Test
  void sigkillAfterEachStepThenARerunFinishes() throws Exception {
    for (int step = 1; step <= 2; step++) {
      Path dir = copy("step-" + step);
      Process p = start(dir, new Converter.Hooks(step, Converter.CrashMode.PAUSE));
      Path err = dir.resolveSibling(dir.getFileName() + ".err");
      try {
        assertTrue(
            waitFor(p, err, "checkpoint-guard convert: crash point " + step + " reached ("),
            "step " + step + " never reached:\n" + Files.readString(err));
      } finally {
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
      }
      assertEquals(137, p.exitValue());
      ObjectId v1 = ConvertHarness.allRefs(dir).get(RefNames.V1);
      if (step == 1) {
        assertEquals(v1Before, v1, "objects written, no ref moved yet");
      }
      checkAfterKill(dir, "step " + step);
    }
  }

  @Test
  void sigkillAtArbitraryMomentsThenARerunFinishes() throws Exception {
    for (int delay : new int[] {0, 100, 400, 1200}) {
      Path dir = copy("timed-" + delay);
      Process p = start(dir, new Converter.Hooks(-1, Converter.CrashMode.THROW, true));
      Path err = dir.resolveSibling(dir.getFileName() + ".err");
      try {
        assertTrue(
            waitFor(p, err, "checkpoint-guard convert: writing objects"), Files.readString(err));
        Thread.sleep(delay);
      } finally {
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
      }
      checkAfterKill(dir, delay + " ms into the writes");
    }
    System.out.println(
        "[reliability] convert killed with SIGKILL 4 times while it wrote: v1 left as it was "
            + untouched
            + " times, fully converted "
            + converted
            + " times, never in between; every rerun finished");
  }

  /**
   * v2 untouched; v1 old or complete; a rerun (after removing a lock left inside a ref transaction)
   * finishes.
   */
  private void checkAfterKill(Path dir, String label) throws Exception {
    assertEquals(v2Before, v2(dir), "v2 after " + label);
    Map<String, V1Reader.Checkpoint> now = ConvertHarness.v1(dir);
    ObjectId v1 = ConvertHarness.allRefs(dir).get(RefNames.V1);
    if (!v1Before.equals(v1)) {
      ConvertHarness.assertReadsBack(ConvertHarness.v2(dir), now); // complete, never half
      converted++;
    } else {
      untouched++;
    }
    for (Map.Entry<String, V1Reader.Checkpoint> e : v1Old.entrySet()) {
      assertEquals(e.getValue().files(), now.get(e.getKey()).files(), "pre-existing " + e.getKey());
    }
    ConvertHarness.Run rerun = ConvertHarness.run("convert", "--repo", dir.toString());
    if (rerun.exit() == 1 && rerun.out().contains("ref lock files exist")
        || rerun.out().contains(".lock exists")) {
      try (Stream<Path> s = Files.walk(dir)) {
        for (Path lock :
            s.filter(x -> x.toString().endsWith(".lock") && !x.endsWith("checkpoint-guard.lock"))
                .toList()) {
          Files.delete(lock); // what the message tells the administrator to do
        }
      }
      rerun = ConvertHarness.run("convert", "--repo", dir.toString());
    }
    assertEquals(0, rerun.exit(), "rerun after " + label + ": " + rerun);
    ConvertHarness.assertReadsBack(ConvertHarness.v2(dir), ConvertHarness.v1(dir));
    assertEquals(v2Before, v2(dir));
    ConvertHarness.Run again = ConvertHarness.run("convert", "--repo", dir.toString());
    assertEquals(0, again.exit());
    assertTrue(again.out().contains("v1: unchanged, nothing written"), again.out());
  }

  private Path copy(String name) throws Exception {
    Path dir = tmp.resolve(name + ".git");
    try (Stream<Path> s = Files.walk(origin)) {
      for (Path p : s.toList()) {
        Path to = dir.resolve(origin.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(to);
        } else {
          Files.copy(p, to);
        }
      }
    }
    return dir;
  }

  private Process start(Path dir, Converter.Hooks hooks) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(ConvertHookedMain.command(hooks, "convert", "--repo", dir.toString()));
    pb.redirectOutput(dir.resolveSibling(dir.getFileName() + ".out").toFile());
    pb.redirectError(dir.resolveSibling(dir.getFileName() + ".err").toFile());
    Process p = pb.start();
    p.getOutputStream().close();
    return p;
  }

  private static boolean waitFor(Process p, Path file, String text) throws Exception {
    for (int i = 0; i < 1200; i++) {
      if (Files.exists(file) && Files.readString(file).contains(text)) {
        return true;
      }
      if (!p.isAlive()) {
        return Files.exists(file) && Files.readString(file).contains(text);
      }
      Thread.sleep(50);
    }
    return false;
  }
}
