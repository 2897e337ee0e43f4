package dev.checkpointguard.server;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Slows down password guessing. Each failed login of a key (a client address, a user name) doubles that
 * key's penalty, from {@code base} up to {@code max}: the failure is answered only after the penalty, and
 * further attempts of the key that arrive before it has passed are refused at once, without checking a
 * password (so that parallel connections gain nothing). A success clears the key; a key forgotten for
 * {@link #FORGET_AFTER} starts over.
 *
 * <p>Memory is bounded: when more than {@link #MAX_KEYS} keys are tracked, the expired ones are dropped,
 * and if that is not enough, all of them (an attacker with that many addresses could do as much by
 * waiting).
 */
final class AuthThrottle {
  static final Duration FORGET_AFTER = Duration.ofMinutes(15);
  static final int MAX_KEYS = 10_000;

  private final long baseNanos;
  private final long maxNanos;
  private final LongSupplier clock;
  private final ConcurrentHashMap<String, State> states = new ConcurrentHashMap<>();

  private record State(int failures, long lastFailure, long blockedUntil) {}

  AuthThrottle(Duration base, Duration max) {
    this(base, max, System::nanoTime);
  }

  AuthThrottle(Duration base, Duration max, LongSupplier clock) {
    this.baseNanos = base.toNanos();
    this.maxNanos = Math.max(max.toNanos(), baseNanos);
    this.clock = clock;
  }

  /** How long the key must still wait before its next attempt is checked; zero when it may try now. */
  Duration waitFor(String key) {
    State s = states.get(key);
    if (s == null) {
      return Duration.ZERO;
    }
    long left = s.blockedUntil() - clock.getAsLong();
    return left > 0 ? Duration.ofNanos(left) : Duration.ZERO;
  }

  /**
   * Records a failure of the key.
   *
   * @return the penalty: how long to wait before answering, and before the key may try again
   */
  Duration fail(String key) {
    long now = clock.getAsLong();
    if (states.size() > MAX_KEYS) {
      prune(now);
    }
    State s =
        states.compute(
            key,
            (k, old) -> {
              int failures =
                  old == null || now - old.lastFailure() > FORGET_AFTER.toNanos() ? 1 : old.failures() + 1;
              long penalty = penalty(failures);
              return new State(failures, now, now + penalty);
            });
    return Duration.ofNanos(penalty(s.failures()));
  }

  /** Records a success: the key starts over. */
  void succeed(String key) {
    states.remove(key);
  }

  /** The number of failures the key has made since its last success (0 when forgotten). */
  int failures(String key) {
    State s = states.get(key);
    return s == null ? 0 : s.failures();
  }

  private long penalty(int failures) {
    long p = baseNanos;
    for (int i = 1; i < failures && p < maxNanos; i++) {
      p *= 2;
    }
    return Math.min(p, maxNanos);
  }

  private void prune(long now) {
    states.values().removeIf(s -> now - s.lastFailure() > FORGET_AFTER.toNanos());
    if (states.size() > MAX_KEYS) {
      states.clear();
    }
  }
}
