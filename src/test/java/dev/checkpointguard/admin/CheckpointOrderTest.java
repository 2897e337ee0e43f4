package dev.checkpointguard.admin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.checkpointguard.core.CheckpointIds;
import dev.checkpointguard.core.CheckpointSet;
import dev.checkpointguard.core.GenerationJson;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CheckpointOrderTest {
  @Test
  void ordersByCreatedAtThenIdWithMissingAndZeroLast() {
    long a = CheckpointIds.parse("aaaaaaaaaaaa");
    long b = CheckpointIds.parse("bbbbbbbbbbbb");
    long c = CheckpointIds.parse("cccccccccccc");
    long d = CheckpointIds.parse("dddddddddddd");
    long e = CheckpointIds.parse("000000000001");
    Instant t1 = Instant.parse("2026-01-01T00:00:00Z");
    Instant t2 = Instant.parse("2026-01-02T00:00:00Z");
    Map<Long, Instant> created = Map.of(a, t2, b, t1, c, t2, d, GenerationJson.GO_ZERO);
    long[] sorted = CheckpointOrder.sort(CheckpointSet.of(a, b, c, d, e), created::get);
    // b (t1), then a and c tied at t2 by ID, then the missing e and the zero d by ID
    assertArrayEquals(new long[] {b, a, c, e, d}, sorted);
  }
}
