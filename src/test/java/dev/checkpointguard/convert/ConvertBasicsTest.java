package dev.checkpointguard.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.FastTempDir;
import java.nio.file.Path;
import java.util.List;
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
    System.out.println(r);
    assertEquals(0, r.exit(), r.toString());
    ConvertHarness.assertReadsBack(ConvertHarness.v2(dir), ConvertHarness.v1(dir));
    Map<String, ObjectId> refs = ConvertHarness.allRefs(dir);
    ConvertHarness.Run again = ConvertHarness.run("convert", "--repo", dir.toString());
    assertEquals(0, again.exit(), again.toString());
    assertEquals(refs, ConvertHarness.allRefs(dir), "a rerun writes nothing");
    assertTrue(again.out().contains("already in v1: 8"), again.out());
  }
}
