package dev.checkpointguard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PasswordHashTest {
  @Test
  void hashesCarryTheirSchemeCostAndSaltAndMatchOnlyTheirPassword() {
    String h = PasswordHash.hash("s3cret".toCharArray(), 20_000);
    assertTrue(h.matches("pbkdf2-sha256\\$20000\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}"), h);
    PasswordHash parsed = PasswordHash.parse(h);
    assertEquals(20_000, parsed.iterations());
    assertTrue(parsed.matches("s3cret".toCharArray()));
    assertFalse(parsed.matches("s3creT".toCharArray()));
    assertFalse(parsed.matches("".toCharArray()));
    assertNotEquals(
        h, PasswordHash.hash("s3cret".toCharArray(), 20_000), "each hash has its own salt");
    assertEquals("pbkdf2-sha256(20000 iterations)", parsed.toString());
  }

  @Test
  void theDefaultCostIsOwasps() {
    assertEquals(600_000, PasswordHash.DEFAULT_ITERATIONS);
    assertTrue(PasswordHash.hash("x".toCharArray()).startsWith("pbkdf2-sha256$600000$"));
  }

  @Test
  void malformedOrTooCheapHashesAreRefusedWithoutEchoingThem() {
    String good = PasswordHash.hash("pw".toCharArray(), 10_000);
    String[] bad = {
      "",
      "plain",
      "bcrypt$10$abc$def",
      good.replace("pbkdf2-sha256", "pbkdf2-sha1"),
      good.replace("$10000$", "$999$"),
      good.replace("$10000$", "$x$"),
      good + "$extra",
      "pbkdf2-sha256$10000$!!!!$abcd",
      "pbkdf2-sha256$10000$AAAA$AAAA",
    };
    for (String b : bad) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> PasswordHash.parse(b), b);
      if (b.length() > 20) {
        assertFalse(e.getMessage().contains(b.substring(b.length() - 10)), e.getMessage());
      }
    }
    assertThrows(
        IllegalArgumentException.class, () -> PasswordHash.hash("pw".toCharArray(), 9_999));
    assertThrows(IllegalArgumentException.class, () -> PasswordHash.hash(new char[0], 10_000));
  }

  @Test
  void throttleDoublesThePenaltyUpToTheMaximumAndForgetsOnSuccessOrAfterAWhile() {
    AtomicLong now = new AtomicLong(1_000_000_000L);
    AuthThrottle t = new AuthThrottle(Duration.ofMillis(100), Duration.ofMillis(500), now::get);
    assertEquals(Duration.ZERO, t.waitFor("k"));
    assertEquals(Duration.ofMillis(100), t.fail("k"));
    assertEquals(Duration.ofMillis(100), t.waitFor("k"));
    assertEquals(Duration.ofMillis(200), t.fail("k"));
    assertEquals(Duration.ofMillis(400), t.fail("k"));
    assertEquals(Duration.ofMillis(500), t.fail("k"));
    assertEquals(Duration.ofMillis(500), t.fail("k"));
    assertEquals(5, t.failures("k"));
    assertEquals(Duration.ZERO, t.waitFor("other"));
    now.addAndGet(Duration.ofMillis(300).toNanos());
    assertEquals(Duration.ofMillis(200), t.waitFor("k"));
    now.addAndGet(Duration.ofMillis(200).toNanos());
    assertEquals(Duration.ZERO, t.waitFor("k"));

    t.succeed("k");
    assertEquals(0, t.failures("k"));
    assertEquals(Duration.ofMillis(100), t.fail("k"));
    now.addAndGet(AuthThrottle.FORGET_AFTER.plusSeconds(1).toNanos());
    assertEquals(Duration.ofMillis(100), t.fail("k"), "an old failure is forgotten");
  }

  @Test
  void aFullThrottleForgetsTheOldestKeyNotTheRecentPenalties() {
    AtomicLong now = new AtomicLong(1_000_000_000L);
    AuthThrottle t = new AuthThrottle(Duration.ofMillis(100), Duration.ofMillis(500), now::get, 3);
    t.fail("a");
    now.addAndGet(1_000);
    t.fail("b");
    t.fail("b");
    now.addAndGet(1_000);
    t.fail("c");
    now.addAndGet(1_000);
    t.fail("a"); // a failed again: now b is the oldest
    t.fail("d");
    assertEquals(3, t.size());
    assertEquals(0, t.failures("b"), "the key with the oldest failure is forgotten");
    assertEquals(2, t.failures("a"));
    assertEquals(1, t.failures("c"));
    assertEquals(1, t.failures("d"));
    assertEquals(Duration.ofMillis(200), t.waitFor("a"));

    // A flood of new keys costs only the oldest ones: the newest penalties always survive.
    AuthThrottle big =
        new AuthThrottle(Duration.ofMillis(100), Duration.ofMillis(500), now::get, 1_000);
    big.fail("victim-guesser");
    big.fail("victim-guesser");
    for (int i = 0; i < 999; i++) {
      big.fail("flood-" + i);
    }
    assertEquals(
        Duration.ofMillis(200), big.waitFor("victim-guesser"), "999 new keys fit beside it");
    big.fail("flood-999");
    assertEquals(Duration.ZERO, big.waitFor("victim-guesser"));
    assertEquals(1_000, big.size());
    assertEquals(Duration.ofMillis(100), big.waitFor("flood-999"));
    assertEquals(Duration.ofMillis(100), big.waitFor("flood-0"));
  }
}
