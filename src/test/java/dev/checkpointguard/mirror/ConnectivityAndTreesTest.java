package dev.checkpointguard.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.core.CheckpointIds;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.FlatTree;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.revwalk.RevWalk;
import org.junit.jupiter.api.Test;

/**
 * The two tree-level pieces of a sync: the completeness check of what a fetch brought (it must find
 * a missing object below new commits and trees, and accept a complete graph), and the loss check
 * with the merge that puts lost files back (git's tree order, upstream's entry where both have a
 * path).
 */
class ConnectivityAndTreesTest {
  @Test
  void aMissingBlobBelowANewCommitIsFoundAndACompleteGraphPasses() throws Exception {
    try (ClientRepo c = ClientRepo.inMemory(ClientVersion.V0_6_2)) {
      c.checkpoints(3);
      ObjectId old = c.ref(RefNames.CURRENT);
      c.checkpoint();
      ObjectId complete = c.ref(RefNames.CURRENT);
      FlatTree t = c.flatTree(RefNames.CURRENT);
      ObjectId ghost = ObjectId.fromString("0123456789012345678901234567890123456789");
      t.put("ab/cdef012345/0/raw_transcript", FileMode.REGULAR_FILE, ghost);
      ObjectId broken = c.insertCommit(t, "Checkpoint: abcdef012345\n", complete);
      try (ObjectReader r = c.repository().newObjectReader()) {
        Connectivity.check(r, List.of(complete), List.of(old));
        MissingObjectException e =
            assertThrows(
                MissingObjectException.class,
                () -> Connectivity.check(r, List.of(broken), List.of(old)));
        assertEquals(ghost, e.getObjectId());
        // a tree on a ref is checked as a whole
        assertThrows(
            MissingObjectException.class,
            () -> Connectivity.check(r, List.of(c.insertTree(t)), List.of(old)));
        // a missing parent commit
        ObjectId orphanParent = c.insertCommit(new FlatTree(), "x", ghost);
        assertThrows(
            MissingObjectException.class,
            () -> Connectivity.check(r, List.of(orphanParent), List.of(old)));
      }
    }
  }

  @Test
  void lostFilesAreFoundBlobByBlobAndMergedBackInGitOrder() throws Exception {
    try (ClientRepo c = ClientRepo.inMemory(ClientVersion.V0_6_2)) {
      List<String> ids = c.checkpoints(3);
      c.addSession(ids.get(0)); // checkpoint 0 now has sessions 0 and 1
      ObjectId mine = c.ref(RefNames.CURRENT);
      // upstream: checkpoint 1 gone, checkpoint 0's session 1 gone, checkpoint 2's transcript
      // replaced
      FlatTree up = c.flatTree(RefNames.CURRENT);
      String d0 = dir(ids.get(0));
      String d1 = dir(ids.get(1));
      String d2 = dir(ids.get(2));
      for (String p : up.pathsUnder(d1)) {
        up.remove(p);
      }
      for (String p : up.pathsUnder(d0 + "/1")) {
        up.remove(p);
      }
      up.put(d2 + "/0/raw_transcript", FileMode.REGULAR_FILE, c.insertBlob("replaced\n"));
      ObjectId upTree = c.insertTree(up);
      try (ObjectReader r = c.repository().newObjectReader();
          RevWalk w = new RevWalk(r);
          ObjectInserter ins = c.repository().newObjectInserter()) {
        CheckpointFiles files = new CheckpointFiles(r);
        CheckpointFiles.Lost lost = files.lost(MirrorPlanner.treeOf(w, mine), List.of(upTree));
        assertEquals(3, lost.checkpoints(), lost.toString());
        Map<Long, List<CheckpointFiles.Entry>> byId = lost.files();
        assertEquals(
            List.of("0/raw_transcript"),
            byId.get(CheckpointIds.parse(ids.get(2))).stream()
                .map(CheckpointFiles.Entry::path)
                .toList());
        assertTrue(
            byId.get(CheckpointIds.parse(ids.get(0))).stream()
                .allMatch(e -> e.path().startsWith("1/")));
        CheckpointFiles.Merged m = files.insert(ins, upTree, lost);
        ins.flush();
        // checkpoint 2's replaced transcript stays upstream's; the rest comes back
        assertEquals(2, m.added().checkpoints(), m.added().toString());
        FlatTree merged = c.flatTreeOf(m.tree());
        assertEquals(
            c.flatTree(RefNames.CURRENT).get(d1 + "/0/raw_transcript"),
            merged.get(d1 + "/0/raw_transcript"));
        assertEquals(up.get(d2 + "/0/raw_transcript"), merged.get(d2 + "/0/raw_transcript"));
        assertTrue(merged.get(d0 + "/1/raw_transcript") != null);
        // the written tree is canonical: JGit reads it back, and writing the same files gives the
        // same id
        assertEquals(m.tree(), c.insertTree(merged));
        // nothing is lost against the merge
        assertTrue(files.lost(MirrorPlanner.treeOf(w, mine), List.of(m.tree())).fileCount() == 1);
      }
    }
  }

  private static String dir(String id) {
    return id.substring(0, 2) + "/" + id.substring(2);
  }
}
