package dev.checkpointguard.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.command.Invocation;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.FastTempDir;
import java.nio.file.Path;
import java.util.Map;
import org.eclipse.jgit.lib.ObjectId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConvertBasicsTest {
  @TempDir(factory = FastTempDir.class)
  Path tmp;

  @Test
  void convertsV2OnlyCheckpointsAndARerunWritesNothing() throws Exception {
    Path dir = tmp.resolve("server.git");
    try (ClientRepo c = ClientRepo.builder(ClientVersion.V0_6_2).threshold(3).buildOnDisk(dir)) {
      c.checkpoints(7);
      String multi = c.checkpoint(2);
      c.addSession(multi);
    }
    ConvertHarness.Run r = ConvertHarness.run("convert", "--repo", dir.toString());
    assertEquals(0, r.exit(), r.toString());
    ConvertHarness.assertReadsBack(ConvertHarness.v2(dir), ConvertHarness.v1(dir));
    Map<String, ObjectId> refs = ConvertHarness.allRefs(dir);
    ConvertHarness.Run again = ConvertHarness.run("convert", "--repo", dir.toString());
    assertEquals(0, again.exit(), again.toString());
    assertEquals(refs, ConvertHarness.allRefs(dir), "a rerun writes nothing");
    assertTrue(again.out().contains("already in v1: 8"), again.out());
  }

  @Test
  void verifyThenRetireThenRestore() throws Exception {
    Path dir = tmp.resolve("server.git");
    try (ClientRepo c = ClientRepo.builder(ClientVersion.V0_6_2).threshold(3).buildOnDisk(dir)) {
      c.checkpoints(5);
    }
    ConvertHarness.Run before = ConvertHarness.run("convert", "--repo", dir.toString(), "--verify");
    assertEquals(1, before.exit(), before.toString());
    assertTrue(before.out().contains("not in v1; run convert"), before.out());
    ConvertHarness.Run refused =
        ConvertHarness.run("convert", "--repo", dir.toString(), "--retire");
    assertEquals(1, refused.exit(), refused.toString());
    Map<String, ObjectId> v2 = new java.util.TreeMap<>();
    ConvertHarness.allRefs(dir)
        .forEach(
            (k, v) -> {
              if (RefNames.isV2(k)) {
                v2.put(k, v);
              }
            });
    assertEquals(0, ConvertHarness.run("convert", "--repo", dir.toString()).exit());
    ConvertHarness.Run ok = ConvertHarness.run("convert", "--repo", dir.toString(), "--verify");
    assertEquals(0, ok.exit(), ok.toString());
    ConvertHarness.Run retire = ConvertHarness.run("convert", "--repo", dir.toString(), "--retire");
    assertEquals(0, retire.exit(), retire.toString());
    for (String ref : ConvertHarness.allRefs(dir).keySet()) {
      assertTrue(!RefNames.isV2(ref), ref + " left");
    }
    try (var repo = ConvertHarness.open(dir)) {
      assertEquals("retired", repo.getConfig().getString("checkpointGuard", null, "v2"));
    }
    String ts = retire.out().replaceAll("(?s).*backup: (\\S+) .*", "$1");
    ConvertHarness.Run restore =
        ConvertHarness.run("restore", "--repo", dir.toString(), "--backup", ts);
    assertEquals(0, restore.exit(), restore.toString());
    Map<String, ObjectId> back = new java.util.TreeMap<>();
    ConvertHarness.allRefs(dir)
        .forEach(
            (k, v) -> {
              if (RefNames.isV2(k)) {
                back.put(k, v);
              }
            });
    assertEquals(v2, back);
    try (var repo = ConvertHarness.open(dir)) {
      assertEquals("frozen", repo.getConfig().getString("checkpointGuard", null, "v2"));
    }
  }

  @Test
  void theUndoHintsRunAsPrinted() throws Exception {
    Path dir = tmp.resolve("server repo.git");
    try (ClientRepo c = ClientRepo.builder(ClientVersion.V0_6_2).threshold(3).buildOnDisk(dir)) {
      c.checkpoints(4);
    }
    Map<String, String> launcher = Map.of(Invocation.LAUNCHER_ENV, "checkpoint-guard");
    Map<String, ObjectId> before = ConvertHarness.allRefs(dir);
    ConvertHarness.Run convert =
        ConvertHarness.run(
            launcher,
            Converter.Hooks.NONE,
            Converter.Listener.NONE,
            "convert",
            "--repo",
            dir.toString());
    assertEquals(0, convert.exit(), convert.toString());
    String ts = convert.out().replaceAll("(?s).*\nbackup: (\\S+) .*", "$1");
    String undo =
        "checkpoint-guard restore --repo "
            + Invocation.quote(dir.toAbsolutePath().normalize().toString())
            + " --backup "
            + ts;
    assertTrue(convert.out().contains("(undo with: " + undo + ")"), convert.out());
    ConvertHarness.Run restore =
        ConvertHarness.run("restore", "--repo", dir.toString(), "--backup", ts);
    assertEquals(0, restore.exit(), restore.toString());
    assertTrue(
        ConvertHarness.allRefs(dir).get(RefNames.V1) == null,
        "the undo removes the v1 branch it made");
    Map<String, ObjectId> after = ConvertHarness.allRefs(dir);
    before.forEach((ref, id) -> assertEquals(id, after.get(ref), ref));

    assertEquals(0, ConvertHarness.run("convert", "--repo", dir.toString()).exit());
    ConvertHarness.Run retire =
        ConvertHarness.run(
            launcher,
            Converter.Hooks.NONE,
            Converter.Listener.NONE,
            "convert",
            "--repo",
            dir.toString(),
            "--retire");
    assertEquals(0, retire.exit(), retire.toString());
    String rts = retire.out().replaceAll("(?s).*\nbackup: (\\S+) .*", "$1");
    assertTrue(
        retire
            .out()
            .contains(
                "(undo with: checkpoint-guard restore --repo "
                    + Invocation.quote(dir.toAbsolutePath().normalize().toString())
                    + " --backup "
                    + rts
                    + ")"),
        retire.out());
  }
}
