package dev.checkpointguard.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class GenerationJsonTest {
  @Test
  void encodesExactlyAsTheClient() {
    GenerationJson g =
        new GenerationJson(
            Instant.parse("2026-04-02T09:15:27.123456Z"), Instant.parse("2026-04-20T17:03:11Z"));
    assertEquals(
        "{\n  \"oldest_checkpoint_at\": \"2026-04-02T09:15:27.123456Z\",\n"
            + "  \"newest_checkpoint_at\": \"2026-04-20T17:03:11Z\"\n}\n",
        g.encode());
  }

  @Test
  void formatsGoTimesWithTrimmedFractions() {
    assertEquals(
        "2026-01-01T00:00:00.1Z",
        GenerationJson.formatTime(Instant.parse("2026-01-01T00:00:00.100Z")));
    assertEquals(
        "2026-01-01T00:00:00.000000001Z",
        GenerationJson.formatTime(Instant.parse("2026-01-01T00:00:00.000000001Z")));
    assertEquals("0001-01-01T00:00:00Z", GenerationJson.formatTime(GenerationJson.GO_ZERO));
  }

  @Test
  void decodesOffsetsToUtcAndIgnoresLegacyFields() {
    GenerationJson g =
        GenerationJson.decode(
            bytes(
                "{\"checkpoints\": [\"0123456789ab\"], \"oldest_checkpoint_at\": \"2026-04-02T11:00:00+02:00\","
                    + " \"newest_checkpoint_at\": \"2026-04-02T10:00:00Z\"}"));
    assertEquals(Instant.parse("2026-04-02T09:00:00Z"), g.oldest());
    assertEquals(g, GenerationJson.decode(g.bytes()));
  }

  @Test
  void rejectsWhatTheClientCannotUse() {
    assertEquals(
        "oldest_checkpoint_at is missing",
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    GenerationJson.decode(
                        bytes("{\"newest_checkpoint_at\": \"2026-04-02T10:00:00Z\"}")))
            .getMessage());
    assertEquals(
        "oldest_checkpoint_at is the zero time",
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    GenerationJson.decode(
                        bytes(
                            "{\"oldest_checkpoint_at\": \"0001-01-01T00:00:00Z\", \"newest_checkpoint_at\": \"2026-04-02T10:00:00Z\"}")))
            .getMessage());
    assertEquals(
        "newest_checkpoint_at is before oldest_checkpoint_at",
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    GenerationJson.decode(
                        bytes(
                            "{\"oldest_checkpoint_at\": \"2026-05-01T00:00:00Z\", \"newest_checkpoint_at\": \"2026-04-02T10:00:00Z\"}")))
            .getMessage());
    assertEquals(
        "invalid JSON at offset 1: Unexpected character (',' (code 44)): was expecting double-quote"
            + " to start field name",
        assertThrows(IllegalArgumentException.class, () -> GenerationJson.decode(bytes("{,}")))
            .getMessage());
    assertEquals(
        "not a JSON object",
        assertThrows(IllegalArgumentException.class, () -> GenerationJson.decode(bytes("[]")))
            .getMessage());
    assertNull(GenerationJson.parseTime("yesterday"));
  }

  @Test
  void decodesAsGoDoesFieldByField() {
    String newest = "\"newest_checkpoint_at\": \"2026-04-02T10:00:00Z\"";
    // a repeated field: the last one wins, as Go's decoder
    assertEquals(
        Instant.parse("2026-04-01T00:00:00Z"),
        GenerationJson.decode(
                bytes(
                    "{\"oldest_checkpoint_at\": 7, \"oldest_checkpoint_at\": \"2026-04-01T00:00:00Z\", "
                        + newest
                        + "}"))
            .oldest());
    assertEquals(
        "oldest_checkpoint_at is not a string",
        message(
            "{\"oldest_checkpoint_at\": \"2026-04-01T00:00:00Z\", \"oldest_checkpoint_at\": {\"a\": [1]}, "
                + newest
                + "}"));
    assertEquals(
        "oldest_checkpoint_at is missing",
        message("{\"oldest_checkpoint_at\": null, " + newest + "}"));
    assertEquals(
        "oldest_checkpoint_at is not a string",
        message("{\"oldest_checkpoint_at\": [], " + newest + "}"));
    // names are exact; escapes in names and values decode first
    assertEquals(
        "oldest_checkpoint_at is missing",
        message("{\"Oldest_checkpoint_at\": \"2026-04-01T00:00:00Z\", " + newest + "}"));
    assertEquals(
        Instant.parse("2026-04-01T00:00:00Z"),
        GenerationJson.decode(
                bytes(
                    "{\"oldest_checkpoint_\\u0061t\": \"2026-04-01T00:00:00\\u005a\", "
                        + newest
                        + "}"))
            .oldest());
    // invalid UTF-8 inside a string becomes U+FFFD (as Go), so the time is wrong rather than the
    // JSON
    byte[] badUtf8 = bytes("{\"oldest_checkpoint_at\": \"2026-04-01T00:00:00Z?\", " + newest + "}");
    badUtf8[new String(badUtf8, StandardCharsets.US_ASCII).indexOf('?')] = (byte) 0xff;
    assertEquals(
        "oldest_checkpoint_at is not an RFC 3339 time: 2026-04-01T00:00:00Z\ufffd",
        assertThrows(IllegalArgumentException.class, () -> GenerationJson.decode(badUtf8))
            .getMessage());
  }

  @Test
  void refusesWhatGoRefusesWithTheOffset() {
    String ok =
        "{\"oldest_checkpoint_at\": \"2026-04-01T00:00:00Z\", \"newest_checkpoint_at\": \"2026-04-02T10:00:00Z\"}";
    assertEquals(
        GenerationJson.decode(bytes(ok)), GenerationJson.decode(bytes(" \n" + ok + "\n\t")));
    assertEquals(96, ok.length());
    assertEquals("invalid JSON at offset 97: expected end of input", message(ok + " {}"));
    assertTrue(
        message(ok.replace("}", ",}"))
            .startsWith("invalid JSON at offset 96: Unexpected character ('}'"));
    assertTrue(
        message("// note\n" + ok)
            .startsWith("invalid JSON at offset 0: Unexpected character ('/'"));
    assertTrue(message("\ufeff" + ok).startsWith("invalid JSON at offset 0: Unexpected character"));
    assertTrue(
        message(ok.replace("2026-04-01", "2026\t04-01"))
            .startsWith(
                "invalid JSON at offset 30: Illegal"
                    + " unquoted character ((CTRL-CHAR, code 9))"));
    assertTrue(
        message(ok.replace("}", ", \"x\": 01}"))
            .startsWith(
                "invalid JSON at offset 103: Invalid"
                    + " numeric value: Leading zeroes not allowed"));
    assertEquals("invalid JSON at offset 0: expected a value, found end of input", message(""));
    assertTrue(
        message(ok.substring(0, 50))
            .startsWith("invalid JSON at offset 50: Unexpected end-of-input"));
    String deep = "[".repeat(JsonFiles.MAX_DEPTH + 1) + "]".repeat(JsonFiles.MAX_DEPTH + 1);
    assertEquals(
        "invalid JSON at offset 65: Document nesting depth (65) exceeds the maximum allowed (64, from"
            + " `StreamReadConstraints.getMaxNestingDepth()`)",
        message(deep));
  }

  private static String message(String json) {
    return assertThrows(IllegalArgumentException.class, () -> GenerationJson.decode(bytes(json)))
        .getMessage();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
