package dev.checkpointguard.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.eclipse.jgit.lib.ObjectId;
import org.junit.jupiter.api.Test;

class ArchiveIndexTest {
  private static final ObjectId T1 =
      ObjectId.fromString("1111111111111111111111111111111111111111");
  private static final ObjectId T2 =
      ObjectId.fromString("2222222222222222222222222222222222222222");
  private static final String A1 = RefNames.archive(1);
  private static final String A2 = RefNames.archive(2);

  @Test
  void findsEveryArchiveHoldingACheckpoint() {
    ArchiveIndex idx = new ArchiveIndex(new ArchiveIndex.Budget(100));
    idx.put(A1, T1, CheckpointSet.of(1, 2, 3));
    idx.put(A2, T2, CheckpointSet.of(3, 4));
    List<ArchiveIndex.Holder> h = idx.holders(CheckpointSet.of(3, 4, 9));
    assertEquals(3, h.size());
    assertEquals(Set.of(A1, A2), Set.of(h.get(0).ref(), h.get(1).ref()));
    assertEquals(new ArchiveIndex.Holder(4, A2, T2), h.get(2));
    assertTrue(idx.has(A1, T1));
    assertFalse(idx.has(A1, T2));
  }

  @Test
  void putReplacesAndRemoveForgets() {
    ArchiveIndex.Budget budget = new ArchiveIndex.Budget(100);
    ArchiveIndex idx = new ArchiveIndex(budget);
    idx.put(A1, T1, CheckpointSet.of(1, 2, 3));
    idx.put(A1, T2, CheckpointSet.of(3));
    assertEquals(
        List.of(new ArchiveIndex.Holder(3, A1, T2)), idx.holders(CheckpointSet.of(1, 2, 3)));
    assertEquals(1, budget.taken());
    idx.put(A2, T1, CheckpointSet.of(5));
    idx.retainOnly(Set.of(A2));
    assertTrue(idx.holders(CheckpointSet.of(3)).isEmpty());
    assertEquals(1, idx.archives());
    idx.clear();
    assertEquals(0, budget.taken());
  }

  @Test
  void dropsWhatTheBudgetCannotHold() {
    ArchiveIndex.Budget budget = new ArchiveIndex.Budget(3);
    ArchiveIndex a = new ArchiveIndex(budget);
    ArchiveIndex b = new ArchiveIndex(budget);
    a.put(A1, T1, CheckpointSet.of(1, 2));
    b.put(A1, T1, CheckpointSet.of(7, 8));
    assertFalse(b.has(A1, T1));
    assertTrue(b.holders(CheckpointSet.of(7)).isEmpty());
    b.put(A1, T1, CheckpointSet.of(7));
    assertTrue(b.has(A1, T1));
    assertEquals(3, budget.taken());
  }

  @Test
  void staysExactThroughGrowthAndChurn() {
    ArchiveIndex idx = new ArchiveIndex(new ArchiveIndex.Budget(1_000_000));
    Map<String, long[]> truth = new HashMap<>();
    SplittableRandom rnd = new SplittableRandom(3);
    for (int step = 0; step < 3000; step++) {
      String ref = RefNames.archive(1 + rnd.nextInt(300));
      if (rnd.nextInt(5) == 0) {
        idx.remove(ref);
        truth.remove(ref);
      } else {
        long[] ids = new long[1 + rnd.nextInt(40)];
        for (int i = 0; i < ids.length; i++) {
          ids[i] = rnd.nextInt(5000);
        }
        CheckpointSet set = CheckpointSet.of(ids);
        idx.put(ref, T1, set);
        truth.put(ref, ids);
      }
    }
    for (long id = 0; id < 5000; id++) {
      List<String> expected = new ArrayList<>();
      for (Map.Entry<String, long[]> e : truth.entrySet()) {
        for (long v : e.getValue()) {
          if (v == id) {
            expected.add(e.getKey());
            break;
          }
        }
      }
      List<String> got = new ArrayList<>();
      idx.holders(CheckpointSet.of(id)).forEach(h -> got.add(h.ref()));
      expected.sort(null);
      got.sort(null);
      assertEquals(expected, got, "checkpoint " + id);
    }
  }

  @Test
  void registryDropsTheLeastRecentlyUsedRepositoryAndItsBudget() {
    ArchiveIndex.Registry reg = new ArchiveIndex.Registry(2, 100);
    ArchiveIndex one = reg.forRepository("/srv/one.git");
    one.put(A1, T1, CheckpointSet.of(1, 2));
    reg.forRepository("/srv/two.git");
    reg.forRepository("/srv/three.git");
    assertEquals(0, reg.budget().taken());
    one.put(A2, T2, CheckpointSet.of(3));
    assertEquals(0, reg.budget().taken()); // a dropped index remembers nothing more
    assertTrue(reg.forRepository("/srv/one.git") != one);
  }

  @Test
  void noneRemembersNothing() {
    ArchiveIndex.NONE.put(A1, T1, CheckpointSet.of(1));
    ArchiveIndex.NONE.put(A2, T1, CheckpointSet.empty());
    assertFalse(ArchiveIndex.NONE.has(A1, T1));
    assertFalse(ArchiveIndex.NONE.has(A2, T1));
    assertEquals(0, ArchiveIndex.NONE.archives());
  }
}
