package dev.checkpointguard.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.FastTempDir;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.revwalk.RevWalk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainReaderTest {
  @TempDir(factory = FastTempDir.class)
  Path tmp;

  @Test
  void readsCheckpointAndSessionDirectoriesThenTextsInPackOrder() throws Exception {
    try (ClientRepo c =
        ClientRepo.builder(ClientVersion.V0_6_2).buildOnDisk(tmp.resolve("r.git"))) {
      List<String> ids = c.checkpoints(3);
      String two = c.checkpoint(2);
      var repo = c.repository();
      try (ObjectReader reader = repo.newObjectReader();
          RevWalk w = new RevWalk(reader)) {
        ObjectId tree = w.parseCommit(repo.resolve(RefNames.MAIN)).getTree();
        SortedMap<Long, ObjectId> dirs = new CheckpointTrees(reader, null).directories(tree);
        dirs.put(
            CheckpointIds.parse("ffffffffffff"),
            ObjectId.fromString("0123456789012345678901234567890123456789"));
        MainReader r = new MainReader(reader, PackOrder.of(repo.getObjectDatabase()));
        List<MainReader.Checkpoint> cps = r.directories(dirs);
        assertEquals(
            new ArrayList<>(dirs.keySet()), cps.stream().map(MainReader.Checkpoint::id).toList());
        Map<String, MainReader.Checkpoint> byId = new TreeMap<>();
        cps.forEach(x -> byId.put(CheckpointIds.format(x.id()), x));
        assertEquals(2, byId.get(two).sessions().size());
        assertEquals(
            List.of("metadata.json", "prompt.txt", "transcript.jsonl", "transcript_hash.txt"),
            new ArrayList<>(byId.get(ids.get(0)).sessions().get(0).files().keySet()));
        MainReader.Checkpoint missing = byId.get("ffffffffffff");
        assertFalse(missing.readable());
        assertNull(missing.summary());
        List<MainReader.Session> sessions = new ArrayList<>();
        cps.forEach(x -> sessions.addAll(x.sessions()));
        Map<Integer, String> got = new TreeMap<>();
        r.texts(
            sessions,
            MainReader.Session::metadata,
            1 << 20,
            (s, text) ->
                got.merge(s.index(), text.contains("\"session_id\"") ? "1" : "0", String::concat));
        assertEquals(Map.of(0, "1111", 1, "1"), got);
        List<String> tooBig = new ArrayList<>();
        r.texts(
            sessions.subList(0, 1),
            MainReader.Session::metadata,
            10,
            (s, text) -> tooBig.add(text));
        assertEquals(java.util.Collections.singletonList(null), tooBig);
      }
    }
  }

  @Test
  void sessionIndexTakesPlainDecimalOnly() {
    assertEquals(0, MainReader.sessionIndex("0"));
    assertEquals(12, MainReader.sessionIndex("12"));
    for (String n : List.of("", "01", "+1", "-1", "1a", "tasks", "1234567890")) {
      assertEquals(MainReader.NO_SESSION, MainReader.sessionIndex(n), n);
    }
    assertTrue(MainReader.sessionIndex("999999999") > 0);
  }
}
