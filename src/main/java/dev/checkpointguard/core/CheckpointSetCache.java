package dev.checkpointguard.core;

import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.jgit.lib.ObjectId;

/**
 * Memo of tree id → checkpoints. A tree id fixes the tree's content, so entries never go stale and
 * one cache may serve every repository of a server process. It holds no I/O: it only remembers
 * results.
 */
public interface CheckpointSetCache {
  /** A cache that remembers nothing. */
  CheckpointSetCache NONE =
      new CheckpointSetCache() {
        @Override
        public CheckpointSet get(ObjectId tree) {
          return null;
        }

        @Override
        public void put(ObjectId tree, CheckpointSet set) {}
      };

  /** The remembered set, or null. */
  CheckpointSet get(ObjectId tree);

  void put(ObjectId tree, CheckpointSet set);

  /**
   * A thread-safe least-recently-used cache bounded by the total number of checkpoints it holds (8
   * bytes each, plus a small per-entry overhead).
   */
  static CheckpointSetCache lru(long maxCheckpoints) {
    return new Lru(maxCheckpoints);
  }

  /** See {@link #lru(long)}. */
  final class Lru implements CheckpointSetCache {
    private final long max;
    private long held;
    private final LinkedHashMap<ObjectId, CheckpointSet> map =
        new LinkedHashMap<>(256, 0.75f, true);

    Lru(long maxCheckpoints) {
      this.max = maxCheckpoints;
    }

    @Override
    public synchronized CheckpointSet get(ObjectId tree) {
      return map.get(tree);
    }

    @Override
    public synchronized void put(ObjectId tree, CheckpointSet set) {
      long weight = set.size() + 1L;
      if (weight > max) {
        return;
      }
      CheckpointSet old = map.put(tree.copy(), set);
      if (old != null) {
        held -= old.size() + 1L;
      }
      held += weight;
      var it = map.entrySet().iterator();
      while (held > max && it.hasNext()) {
        Map.Entry<ObjectId, CheckpointSet> e = it.next();
        held -= e.getValue().size() + 1L;
        it.remove();
      }
    }
  }
}
