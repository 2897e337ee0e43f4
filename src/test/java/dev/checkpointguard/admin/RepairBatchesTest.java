package dev.checkpointguard.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.checkpointguard.core.RefNames;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.lib.ObjectId;
import org.junit.jupiter.api.Test;

/** Ref updates are applied in atomic batches that keep the plan's order and never mix kinds. */
class RepairBatchesTest {
  private static final ObjectId A = ObjectId.fromString("1111111111111111111111111111111111111111");
  private static final ObjectId B = ObjectId.fromString("2222222222222222222222222222222222222222");

  @Test
  void batchesFollowThePlanOrderByKindAndSize() {
    List<RepairPlan.Update> plan = new ArrayList<>();
    for (int i = 1; i <= Repair.BATCH + 3; i++) {
      plan.add(new RepairPlan.Update(RefNames.archive(i), ObjectId.zeroId(), A, "create " + i));
    }
    plan.add(new RepairPlan.Update(RefNames.CURRENT, A, B, "update current"));
    plan.add(new RepairPlan.Update(RefNames.archive(9000), A, ObjectId.zeroId(), "delete 9000"));
    plan.add(new RepairPlan.Update(RefNames.archive(9001), A, ObjectId.zeroId(), "delete 9001"));
    List<List<RepairPlan.Update>> batches = Repair.batches(plan);
    assertEquals(List.of(Repair.BATCH, 3, 1, 2), batches.stream().map(List::size).toList());
    List<RepairPlan.Update> flat = new ArrayList<>();
    batches.forEach(flat::addAll);
    assertEquals(plan, flat);
    assertEquals("update current", batches.get(2).get(0).what());
  }

  /**
   * A batch that drops content verifies the generation refs the plan keeps (not /main, not unknown
   * names, not the archives it deletes later, not its own refs).
   */
  @Test
  void verifyOnlyCommandsCoverTheRefsThePlanKeeps() {
    java.util.Map<String, ObjectId> refs = new java.util.TreeMap<>();
    refs.put(RefNames.MAIN, A);
    refs.put(RefNames.V2_PREFIX + "odd", A);
    refs.put(RefNames.CURRENT, A);
    refs.put(RefNames.archive(1), A);
    refs.put(RefNames.archive(2), B);
    refs.put(RefNames.archive(3), B);
    java.util.Map<String, ObjectId> relied = Repair.relied(refs);
    assertEquals(
        List.of(RefNames.archive(1), RefNames.archive(2), RefNames.archive(3), RefNames.CURRENT),
        List.copyOf(relied.keySet()));
    List<RepairPlan.Update> batch =
        List.of(new RepairPlan.Update(RefNames.CURRENT, A, B, "update current"));
    assertEquals(
        List.of(
            new RepairPlan.Update(RefNames.archive(1), A, A, "verify " + RefNames.archive(1)),
            new RepairPlan.Update(RefNames.archive(3), B, B, "verify " + RefNames.archive(3))),
        Repair.verifyOnly(relied, batch, java.util.Set.of(RefNames.archive(2))));
  }
}
