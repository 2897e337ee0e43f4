package dev.checkpointguard.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientRepo.SessionData;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.FastTempDir;
import dev.checkpointguard.fixtures.V1Client;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client pushes v1 while convert runs: the compare-and-set fails and convert writes again on the
 * new tip.
 */
class ConvertRaceTest {
  @TempDir(factory = FastTempDir.class)
  Path tmp;

  @Test
  void aV1PushInBetweenIsKeptAndTheConversionIsRedoneOnTop() throws Exception {
    Path dir = tmp.resolve("server.git");
    ObjectId pushed;
    String alsoPushed;
    try (ClientRepo c = ClientRepo.builder(ClientVersion.V0_6_1).buildOnDisk(dir)) {
      V1Client v1 = V1Client.of(c);
      v1.dualWrite(
          c, c.newCheckpointId(), List.of(SessionData.of("old", c.clock().tick(), "{}\n")));
      ObjectId before = v1.tip();
      c.checkpoints(4);
      // a client's v1 push that lands while convert runs: one checkpoint convert is converting too
      alsoPushed = c.newCheckpointId();
      v1.dualWrite(
          c, alsoPushed, List.of(SessionData.of("racer", c.clock().tick(), "{\"r\":1}\n")));
      pushed = v1.tip();
      c.updateRef(V1Client.BRANCH, pushed, before);
    }
    AtomicInteger attempts = new AtomicInteger();
    Converter.Listener push =
        new Converter.Listener() {
          @Override
          public void beforeRefs(int attempt) throws java.io.IOException {
            attempts.set(attempt);
            if (attempt == 1) {
              try (Repository r = ConvertHarness.open(dir)) {
                RefUpdate u = r.updateRef(RefNames.V1);
                u.setNewObjectId(pushed);
                assertEquals(RefUpdate.Result.FAST_FORWARD, u.update());
              } catch (Exception e) {
                throw new java.io.IOException(e);
              }
            }
          }
        };
    ConvertHarness.Run r =
        ConvertHarness.run(
            java.util.Map.of(), Converter.Hooks.NONE, push, "convert", "--repo", dir.toString());
    assertEquals(0, r.exit(), r.toString());
    assertEquals(2, attempts.get());
    assertTrue(
        r.err().contains("moved since it was read; writing again on its new tip (attempt 2 of 5)"),
        r.err());
    assertTrue(r.out().contains("converted: 4"), r.out());
    assertTrue(r.out().contains("already in v1: 2"), r.out());
    try (Repository repo = ConvertHarness.open(dir);
        RevWalk w = new RevWalk(repo)) {
      assertTrue(
          w.isMergedInto(w.parseCommit(pushed), w.parseCommit(repo.resolve(RefNames.V1))),
          "the client's push is an ancestor of the converted tip");
    }
    ConvertHarness.assertReadsBack(ConvertHarness.v2(dir), ConvertHarness.v1(dir));
  }
}
