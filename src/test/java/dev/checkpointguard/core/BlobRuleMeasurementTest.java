package dev.checkpointguard.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.Arguments;

/**
 * Measures, does not decide (issue 15): would a blob-level loss rule (every dropped transcript must
 * exist with the same blob in a post-push archive, and a transcript whose blob changes counts as
 * dropped) refuse any sequence the client fixtures produce that the path rule accepts? Every row of
 * the policy table is judged again with the blob rule and compared with the row's expected verdicts
 * (the path rule's, which the table itself checks); the rows where they differ are pinned here, so
 * that the finding is reported from the fixtures rather than asserted from memory.
 */
class BlobRuleMeasurementTest {
  @Test
  void rowsWhereTheBlobRuleDiffersFromThePathRule() {
    List<String> differ = new ArrayList<>();
    int rows = 0;
    for (Arguments a :
        Stream.of(
                CheckpointPolicyTableTest.spec10_1(),
                CheckpointPolicyTableTest.spec10_4(),
                CheckpointPolicyTableTest.units())
            .flatMap(s -> s)
            .toList()) {
      Object[] row = a.get();
      @SuppressWarnings("unchecked")
      Function<PolicyBench, List<Verdict>> scenario = (Function<PolicyBench, List<Verdict>>) row[1];
      String path = (String) row[2];
      String blob = verdicts(scenario, CheckpointTrees.Matching.BLOB);
      rows++;
      if (!path.equals(blob)) {
        differ.add(row[0] + ": path rule " + path + "; blob rule " + blob);
      }
    }
    System.out.println(
        "[blob rule] " + rows + " rows judged both ways; they differ in " + differ.size() + ":");
    differ.forEach(d -> System.out.println("[blob rule]   " + d));
    assertEquals(EXPECTED, differ, String.join("\n", differ));
  }

  /**
   * The finding (see the closing note of issue 15): every difference is a stop-time finalize, which
   * replaces a transcript's blob at the same path, in /full/current or in an archive, before or
   * after the archive is published. The blob rule would refuse all of them.
   */
  static final List<String> EXPECTED =
      List.of(
          "C ff Finalize checkpoint: path rule full/current ACCEPT; blob rule full/current REJECT"
              + " current-loss",
          "A ff Finalize checkpoint by v0.5.6: path rule full/0000000000001 ACCEPT; blob rule"
              + " full/0000000000001 REJECT archive-loss",
          "a finalize replaces a transcript's blob at the same path: nothing lost: path rule full/current"
              + " ACCEPT, main ACCEPT; blob rule full/current REJECT current-loss, main ACCEPT",
          "v0.6.2 rotation whose archive was finalized locally before it was published: path rule"
              + " full/0000000000001 ACCEPT, full/current ACCEPT, main ACCEPT; blob rule full/0000000000001"
              + " ACCEPT, full/current REJECT current-loss, main ACCEPT");

  private static String verdicts(
      Function<PolicyBench, List<Verdict>> scenario, CheckpointTrees.Matching m) {
    try (PolicyBench b = new PolicyBench()) {
      b.matching = m;
      try {
        return String.join(", ", PolicyBench.render(scenario.apply(b)));
      } catch (AssertionError e) {
        return "(the row's own assertion failed: "
            + e.getMessage().lines().findFirst().orElse("")
            + ")";
      }
    }
  }
}
