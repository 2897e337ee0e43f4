package dev.checkpointguard.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class HookInputTest {
  private static final String Z40 = "0".repeat(40);
  private static final String Z64 = "0".repeat(64);
  private static final String A40 = "a".repeat(40);
  private static final String B64 = "b".repeat(64);

  @Test
  void parsesCreatesAndDeletesWithZeroIdsOfBothLengths() throws Exception {
    String in =
        Z40
            + " "
            + A40
            + " refs/entire/checkpoints/v2/main\n"
            + A40
            + " "
            + Z40
            + " refs/heads/x\n"
            + Z64
            + " "
            + B64
            + " refs/entire/checkpoints/v2/full/current\n"
            + B64
            + " "
            + Z64
            + " refs/tags/t"; // no final LF
    List<HookInput.Line> lines =
        HookInput.read(new ByteArrayInputStream(in.getBytes(StandardCharsets.UTF_8)));
    assertEquals(4, lines.size());
    assertTrue(lines.stream().allMatch(HookInput.Line::wellFormed));
    assertTrue(lines.get(0).guarded());
    assertFalse(lines.get(0).sha256());
    assertFalse(lines.get(1).guarded());
    assertTrue(lines.get(2).guarded());
    assertTrue(lines.get(2).sha256());
    assertEquals(B64 + " " + Z64 + " refs/tags/t", lines.get(3).toString());
    assertTrue(HookInput.isZero(Z64));
  }

  @Test
  void describesMalformedLines() {
    assertEquals(
        "expected '<old-id> <new-id> <ref>', got 'garbage'",
        HookInput.parse(1, "garbage").problem());
    assertEquals(
        "old id 'abc' is not 40 or 64 hex digits",
        HookInput.parse(1, "abc " + A40 + " refs/x").problem());
    assertEquals(
        "new id '" + "A".repeat(40) + "' is not lowercase hex",
        HookInput.parse(1, A40 + " " + "A".repeat(40) + " refs/x").problem());
    assertEquals(
        "old and new ids have different lengths",
        HookInput.parse(1, Z40 + " " + B64 + " refs/x").problem());
    assertEquals(
        "'main' is not a full ref name", HookInput.parse(1, Z40 + " " + A40 + " main").problem());
    assertEquals(
        "old and new ids are both zero", HookInput.parse(1, Z40 + " " + Z40 + " refs/x").problem());
    assertEquals(
        "expected '<old-id> <new-id> <ref>', got '" + Z40 + " " + A40 + " refs/a b'",
        HookInput.parse(1, Z40 + " " + A40 + " refs/a b").problem());
  }
}
