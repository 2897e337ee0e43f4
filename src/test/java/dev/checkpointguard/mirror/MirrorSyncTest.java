package dev.checkpointguard.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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

/** Guarded syncs from an unguarded upstream over a local path: the scenarios of docs/mirror.md. */
class MirrorSyncTest {
  @TempDir(factory = FastTempDir.class)
  Path tmp;

  @Test
  void appendsAndRotationsAreMirroredAsTheyAre() throws Exception {
    MirrorWorld w = new MirrorWorld(tmp, 5);
    ClientRepo c = w.client(ClientVersion.V0_6_2);
    c.checkpoints(3);
    w.push(c);
    MirrorReport first = w.sync();
    assertEquals(0, first.exitCode(), first.text());
    w.assertEqualsUpstream();
    c.checkpoints(4); // rotates at 5
    w.push(c);
    MirrorReport second = w.sync();
    assertEquals(0, second.exitCode(), second.text());
    w.assertEqualsUpstream();
    w.assertNothingLost();
    System.out.println(second.text());
  }

  @Test
  void aStaleForcedResetUpstreamIsMergedBackAndHeldBack() throws Exception {
    MirrorWorld w = new MirrorWorld(tmp, 5);
    ClientRepo a = w.client(ClientVersion.V0_6_2);
    a.checkpoints(2);
    w.push(a);
    ClientRepo b = w.client(ClientVersion.V0_6_2);
    w.git.run(b.directory(), "fetch", "-q", w.upstream.toString(), "+refs/entire/*:refs/entire/*").expectOk();
    a.checkpoints(2);
    w.push(a);
    MirrorReport before = w.sync();
    assertEquals(0, before.exitCode(), before.text());
    String stale = b.checkpoint();
    w.gitPush(b, "+" + RefNames.CURRENT + ":" + RefNames.CURRENT);
    MirrorReport r = w.sync();
    System.out.println(r.text());
    assertEquals(1, r.exitCode(), r.text());
    w.assertNothingLost();
    w.assertOtherRefsEqualUpstream();
    Map<String, ObjectId> m = MirrorWorld.refs(w.mirror);
    assertNotEquals(MirrorWorld.refs(w.upstream).get(RefNames.CURRENT), m.get(RefNames.CURRENT));
    assertEquals(MirrorWorld.refs(w.upstream).get(RefNames.CURRENT),
        m.get(MirrorRefs.upstreamRef(RefNames.CURRENT)));
    // the mirror's /full/current holds the stale client's new checkpoint and the two the reset dropped
    try (var repo = MirrorWorld.open(w.mirror)) {
      assertTrue(MirrorWorld.files(w.mirror, List.of(m.get(RefNames.CURRENT))).stream()
          .anyMatch(s -> dev.checkpointguard.core.CheckpointIds.format(s.id()).equals(stale)));
    }
    // a second sync with nothing new changes nothing and still says what is held back
    MirrorReport again = w.sync();
    assertEquals(1, again.exitCode(), again.text());
    assertEquals(0, again.changed(), again.text());
    assertEquals(m, MirrorWorld.refs(w.mirror));
  }
}
