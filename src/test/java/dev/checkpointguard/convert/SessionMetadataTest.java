package dev.checkpointguard.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class SessionMetadataTest {
  @Test
  void goUtcReadsOnlyGosOwnUtcForm() {
    assertEquals(
        Instant.parse("2026-05-01T10:00:00Z"), SessionMetadata.goUtc("2026-05-01T10:00:00Z"));
    assertEquals(
        Instant.parse("2026-05-01T10:00:00.123456789Z"),
        SessionMetadata.goUtc("2026-05-01T10:00:00.123456789Z"));
    assertEquals(
        Instant.parse("2026-05-01T10:00:00.5Z"), SessionMetadata.goUtc("2026-05-01T10:00:00.5Z"));
    for (String s :
        List.of(
            "2026-05-01T10:00:00.50Z",
            "2026-05-01T12:00:00+02:00",
            "2026-05-01 10:00:00Z",
            "2026-02-30T10:00:00Z",
            "2026-05-01T10:00:00.Z",
            "2026-05-01T10:00:00.1234567891Z",
            "x",
            "")) {
      assertNull(SessionMetadata.goUtc(s), s);
    }
  }

  @Test
  void createdAtIsRewrittenUnlessItIsGosUtcForm() {
    assertFalse(
        SessionMetadata.parse("{\"created_at\": \"2026-05-01T10:00:00Z\"}").needsCreatedAt());
    assertTrue(
        SessionMetadata.parse("{\"created_at\": \"2026-05-01T12:00:00+02:00\"}").needsCreatedAt());
    assertTrue(
        SessionMetadata.parse("{\"created_at\": \"0001-01-01T00:00:00Z\"}").needsCreatedAt());
    assertTrue(SessionMetadata.parse("{\"created_at\": 12}").needsCreatedAt());
    assertTrue(SessionMetadata.parse("{}").needsCreatedAt());
    assertEquals(
        Instant.parse("2026-05-01T10:00:00Z"),
        SessionMetadata.parse("{\"created_at\": \"2026-05-01T12:00:00+02:00\"}").createdAt);
  }

  /**
   * v2 offsets are raw up to v0.5.4 and the first v0.5.5 nightly, compact from commit 66ffad0de on.
   */
  @Test
  void whichClientsWroteCompactOffsets() {
    for (String raw :
        List.of(
            "0.5.2",
            "0.5.3",
            "0.5.4",
            "0.5.4-nightly.202604100645.7b0903ab",
            "0.5.5-nightly.202604101410.746a74cd0",
            "0.4.9",
            "v0.5.4")) {
      assertFalse(SessionMetadata.compactOffsets(raw), raw);
    }
    for (String compact :
        List.of(
            "0.5.5",
            "0.5.5-nightly.202604110629.ceb09882",
            "0.5.6",
            "0.6.0",
            "0.6.2",
            "0.6.3-nightly.202605220724.6d616b16",
            "1.0.0",
            "dev",
            "",
            "unknown")) {
      assertTrue(SessionMetadata.compactOffsets(compact), compact);
    }
    assertTrue(SessionMetadata.compactOffsets(null));
  }

  @Test
  void rewriteKeepsEveryOtherMemberInOrder() {
    String in =
        "{\n  \"cli_version\": \"0.6.2\",\n  \"session_id\": \"s\",\n  \"strategy\": \"manual-commit\",\n"
            + "  \"created_at\": \"2026-05-01T12:00:00+02:00\",\n  \"checkpoint_transcript_start\": 7,\n"
            + "  \"token_usage\": {\"input_tokens\": 1.50e3, \"output_tokens\": 2},\n  \"summary\": null,\n"
            + "  \"files_touched\": [\"a<b>&c\", \"é\"]\n}\n";
    String out = SessionMetadata.rewrite(in, Instant.parse("2026-05-01T10:00:00Z"), true);
    assertEquals(
        "{\n  \"cli_version\": \"0.6.2\",\n  \"session_id\": \"s\",\n  \"strategy\": \"manual-commit\",\n"
            + "  \"created_at\": \"2026-05-01T10:00:00Z\",\n  \"token_usage\": {\n    \"input_tokens\": 1.50e3,\n"
            + "    \"output_tokens\": 2\n  },\n  \"summary\": null,\n  \"files_touched\": [\n    \"a<b>&c\",\n"
            + "    \"é\"\n  ]\n}\n",
        out);
    String missing =
        SessionMetadata.rewrite(
            "{\"session_id\": \"s\", \"strategy\": \"x\", \"agent\": \"a\"}",
            Instant.parse("2026-05-01T10:00:00.25Z"),
            false);
    assertEquals(
        "{\n  \"session_id\": \"s\",\n  \"strategy\": \"x\",\n  \"created_at\": \"2026-05-01T10:00:00.25Z\",\n"
            + "  \"agent\": \"a\"\n}\n",
        missing);
  }
}
