package dev.checkpointguard.admin;

import dev.checkpointguard.core.CheckpointSet;
import dev.checkpointguard.core.GenerationJson;
import java.time.Instant;
import java.util.Arrays;
import java.util.function.LongFunction;

/**
 * The chronological order of checkpoints as the fixed migration defines it (spec §8.1): ascending
 * by the creation time of the checkpoint's last session; checkpoints without one (missing or Go's
 * zero time) after all others; equal instants, or both missing, by checkpoint ID ascending.
 *
 * <p>Packed IDs compare like their fixed-width lowercase hex strings, so the tie-break is a plain
 * {@code long} comparison.
 */
final class CheckpointOrder {
  private CheckpointOrder() {}

  /** Compares two checkpoints by (created, id) as §8.1. */
  public static int compare(long idA, Instant createdA, long idB, Instant createdB) {
    boolean missingA = isMissing(createdA);
    boolean missingB = isMissing(createdB);
    if (missingA != missingB) {
      return missingA ? 1 : -1;
    }
    if (!missingA) {
      int c = createdA.compareTo(createdB);
      if (c != 0) {
        return c;
      }
    }
    return Long.compare(idA, idB);
  }

  /** The IDs of {@code set} in chronological order. */
  public static long[] sort(CheckpointSet set, LongFunction<Instant> createdAt) {
    // Look each time up once, not once per comparison: a sort of n IDs compares about n log n
    // times.
    Keyed[] keyed = new Keyed[set.size()];
    for (int i = 0; i < keyed.length; i++) {
      long id = set.get(i);
      keyed[i] = new Keyed(id, createdAt.apply(id));
    }
    Arrays.sort(keyed, (a, b) -> compare(a.id, a.created, b.id, b.created));
    long[] out = new long[keyed.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = keyed[i].id;
    }
    return out;
  }

  private record Keyed(long id, Instant created) {}

  private static boolean isMissing(Instant t) {
    return t == null || t.equals(GenerationJson.GO_ZERO);
  }
}
