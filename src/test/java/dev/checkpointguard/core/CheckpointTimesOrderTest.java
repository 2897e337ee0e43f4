package dev.checkpointguard.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.internal.storage.file.ObjectDirectory;
import org.eclipse.jgit.internal.storage.file.PackInserter;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.TreeFormatter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link CheckpointTimes#fromMain} in pack order reads the same times as in ID order, for every shape of
 * {@code /main} checkpoint the rules distinguish: summaries with and without a session count, session
 * names that {@code strconv.Atoi} reads alike ({@code 1}, {@code 01}, {@code +1}), sessions without
 * metadata, unparsable metadata and Go's zero time. The objects are written in random order into one pack,
 * so that pack order and ID order differ.
 */
class CheckpointTimesOrderTest {
  @TempDir Path tmp;

  @Test
  void packOrderReadsWhatIdOrderReads() throws IOException {
    try (FileRepository repo = new FileRepository(tmp.resolve("r.git").toFile())) {
      repo.create(true);
      SplittableRandom rnd = new SplittableRandom(7);
      ObjectId mainTree;
      try (PackInserter ins = ((ObjectDirectory) repo.getObjectDatabase()).newPackInserter()) {
        ins.checkExisting(false);
        Map<String, TreeMap<String, ObjectId>> shards = new TreeMap<>();
        for (int i = 0; i < 400; i++) {
          String id = String.format("%012x", rnd.nextLong(1L << 48));
          shards.computeIfAbsent(id.substring(0, 2), k -> new TreeMap<>())
              .put(id.substring(2), checkpoint(ins, rnd, i));
        }
        TreeFormatter root = new TreeFormatter();
        for (Map.Entry<String, TreeMap<String, ObjectId>> s : shards.entrySet()) {
          TreeFormatter shard = new TreeFormatter();
          s.getValue().forEach((name, tree) -> shard.append(name, FileMode.TREE, tree));
          root.append(s.getKey(), FileMode.TREE, ins.insert(shard));
        }
        mainTree = ins.insert(root);
        ins.flush();
      }
      try (ObjectReader reader = repo.newObjectReader()) {
        CheckpointSet.Builder b = new CheckpointSet.Builder();
        new CheckpointTrees(reader, null).directories(mainTree).keySet().forEach(b::add);
        CheckpointSet all = b.build();
        Map<Long, CheckpointTimes.Times> byId =
            new CheckpointTimes(reader).fromMain(mainTree, all, NullProgressMonitor.INSTANCE);
        Map<Long, CheckpointTimes.Times> byPack =
            new CheckpointTimes(reader, new HashMap<>(), PackOrder.of(repo.getObjectDatabase()))
                .fromMain(mainTree, all, NullProgressMonitor.INSTANCE);
        assertEquals(all.size(), byId.size());
        assertEquals(byId, byPack);
        long withTime = byId.values().stream().filter(t -> t.created() != null).count();
        long withRange = byId.values().stream().filter(t -> t.range() != null).count();
        assertTrue(withTime > 50 && withTime < all.size(), "mixed shapes: " + withTime);
        assertTrue(withRange > withTime, "a range without a last-session time exists: " + withRange);
        assertNotNull(byPack.values().iterator().next());
      }
    }
  }

  private static final String[] SESSION_NAMES = {"0", "1", "2", "01", "+1", "x", "10"};

  /** A checkpoint directory of a random shape; the objects land in the pack in creation order. */
  private static ObjectId checkpoint(PackInserter ins, SplittableRandom rnd, int i) throws IOException {
    TreeMap<String, ObjectId> entries = new TreeMap<>();
    int sessions = rnd.nextInt(4);
    for (int s = 0; s < sessions; s++) {
      String name = SESSION_NAMES[rnd.nextInt(SESSION_NAMES.length)];
      TreeFormatter session = new TreeFormatter();
      int shape = rnd.nextInt(6);
      if (shape > 0) {
        String meta =
            switch (shape) {
              case 1 -> "{\"created_at\":\"0001-01-01T00:00:00Z\"}";
              case 2 -> "not json";
              default -> "{\"created_at\":\"2026-0" + (1 + rnd.nextInt(9)) + "-1" + rnd.nextInt(10)
                  + "T0" + rnd.nextInt(10) + ":00:00Z\",\"x\":" + i + "}";
            };
        session.append("metadata.json", FileMode.REGULAR_FILE, blob(ins, meta));
      }
      session.append("prompt.txt", FileMode.REGULAR_FILE, blob(ins, "p" + i + "/" + s));
      entries.put(name, ins.insert(session));
    }
    TreeFormatter dir = new TreeFormatter();
    int summary = rnd.nextInt(5);
    String summaryJson =
        switch (summary) {
          case 0 -> null;
          case 1 -> "{\"sessions\":[{},{}]}";
          case 2 -> "{\"sessions\":[]}";
          case 3 -> "{\"sessions\":[{}]}";
          default -> "{\"sessions\":[{}],\"sessions\":[{},{},{}]}";
        };
    // entries of a tree are in name order: "metadata.json" sorts after the digit and '+' names
    for (Map.Entry<String, ObjectId> e : entries.entrySet()) {
      if (summaryJson != null && e.getKey().compareTo("metadata.json") > 0) {
        dir.append("metadata.json", FileMode.REGULAR_FILE, blob(ins, summaryJson));
        summaryJson = null;
      }
      dir.append(e.getKey(), FileMode.TREE, e.getValue());
    }
    if (summaryJson != null) {
      dir.append("metadata.json", FileMode.REGULAR_FILE, blob(ins, summaryJson));
    }
    return ins.insert(dir);
  }

  private static ObjectId blob(PackInserter ins, String text) throws IOException {
    return ins.insert(Constants.OBJ_BLOB, text.getBytes(StandardCharsets.UTF_8));
  }
}
