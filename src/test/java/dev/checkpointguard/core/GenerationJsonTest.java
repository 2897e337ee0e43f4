package dev.checkpointguard.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class GenerationJsonTest {
  @Test
  void encodesExactlyAsTheClient() {
    GenerationJson g =
        new GenerationJson(Instant.parse("2026-04-02T09:15:27.123456Z"), Instant.parse("2026-04-20T17:03:11Z"));
    assertEquals(
        "{\n  \"oldest_checkpoint_at\": \"2026-04-02T09:15:27.123456Z\",\n"
            + "  \"newest_checkpoint_at\": \"2026-04-20T17:03:11Z\"\n}\n",
        g.encode());
  }

  @Test
  void formatsGoTimesWithTrimmedFractions() {
    assertEquals("2026-01-01T00:00:00.1Z", GenerationJson.formatTime(Instant.parse("2026-01-01T00:00:00.100Z")));
    assertEquals("2026-01-01T00:00:00.000000001Z",
        GenerationJson.formatTime(Instant.parse("2026-01-01T00:00:00.000000001Z")));
    assertEquals("0001-01-01T00:00:00Z", GenerationJson.formatTime(GenerationJson.GO_ZERO));
  }

  @Test
  void decodesOffsetsToUtcAndIgnoresLegacyFields() {
    GenerationJson g = GenerationJson.decode(bytes(
        "{\"checkpoints\": [\"0123456789ab\"], \"oldest_checkpoint_at\": \"2026-04-02T11:00:00+02:00\","
            + " \"newest_checkpoint_at\": \"2026-04-02T10:00:00Z\"}"));
    assertEquals(Instant.parse("2026-04-02T09:00:00Z"), g.oldest());
    assertEquals(g, GenerationJson.decode(g.bytes()));
  }

  @Test
  void rejectsWhatTheClientCannotUse() {
    assertEquals("oldest_checkpoint_at is missing",
        assertThrows(IllegalArgumentException.class,
            () -> GenerationJson.decode(bytes("{\"newest_checkpoint_at\": \"2026-04-02T10:00:00Z\"}"))).getMessage());
    assertEquals("oldest_checkpoint_at is the zero time",
        assertThrows(IllegalArgumentException.class, () -> GenerationJson.decode(bytes(
            "{\"oldest_checkpoint_at\": \"0001-01-01T00:00:00Z\", \"newest_checkpoint_at\": \"2026-04-02T10:00:00Z\"}")))
            .getMessage());
    assertEquals("newest_checkpoint_at is before oldest_checkpoint_at",
        assertThrows(IllegalArgumentException.class, () -> GenerationJson.decode(bytes(
            "{\"oldest_checkpoint_at\": \"2026-05-01T00:00:00Z\", \"newest_checkpoint_at\": \"2026-04-02T10:00:00Z\"}")))
            .getMessage());
    assertEquals("invalid JSON at offset 1: expected a string key",
        assertThrows(IllegalArgumentException.class, () -> GenerationJson.decode(bytes("{,}"))).getMessage());
    assertEquals("not a JSON object",
        assertThrows(IllegalArgumentException.class, () -> GenerationJson.decode(bytes("[]"))).getMessage());
    assertNull(GenerationJson.parseTime("yesterday"));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
