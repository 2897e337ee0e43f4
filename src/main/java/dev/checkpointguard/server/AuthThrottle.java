package dev.checkpointguard.server;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Slows down password guessing. Each failed login of a key doubles that key's penalty, from {@code
 * base} up to {@code max}; what the penalty means is up to the caller ({@link PushAuthFilter}
 * delays the answer to a failure by it, and refuses some keys' attempts outright while it runs). A
 * success clears the key; a key without failures for {@link #FORGET_AFTER} starts over.
 *
 * <p>Memory is bounded: at most {@code maxKeys} keys are tracked. When a new key would exceed that,
 * the key whose last failure is the oldest is forgotten, so that a flood of new keys (rotating
 * addresses) costs only the oldest penalties, never the recent ones, and never all of them at once.
 */
final class AuthThrottle {
  static final Duration FORGET_AFTER = Duration.ofMinutes(15);
  static final int MAX_KEYS = 10_000;

  private final long baseNanos;
  private final long maxNanos;
  private final LongSupplier clock;

  /**
   * Ordered by last failure, oldest first: each failure moves its key to the end. Guarded by
   * itself.
   */
  private final LinkedHashMap<String, State> states;

  private record State(int failures, long lastFailure, long blockedUntil) {}

  AuthThrottle(Duration base, Duration max) {
    this(base, max, System::nanoTime, MAX_KEYS);
  }

  AuthThrottle(Duration base, Duration max, LongSupplier clock) {
    this(base, max, clock, MAX_KEYS);
  }

  AuthThrottle(Duration base, Duration max, LongSupplier clock, int maxKeys) {
    if (maxKeys < 1) {
      throw new IllegalArgumentException("maxKeys must be positive");
    }
    this.baseNanos = base.toNanos();
    this.maxNanos = Math.max(max.toNanos(), baseNanos);
    this.clock = clock;
    this.states =
        new LinkedHashMap<>(16, 0.75f, false) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, State> eldest) {
            return size() > maxKeys;
          }
        };
  }

  /** How long the key's current penalty still runs; zero when it has none. */
  Duration waitFor(String key) {
    State s;
    synchronized (states) {
      s = states.get(key);
    }
    if (s == null) {
      return Duration.ZERO;
    }
    long left = s.blockedUntil() - clock.getAsLong();
    return left > 0 ? Duration.ofNanos(left) : Duration.ZERO;
  }

  /**
   * Records a failure of the key.
   *
   * @return the key's new penalty
   */
  Duration fail(String key) {
    long now = clock.getAsLong();
    int failures;
    synchronized (states) {
      // remove + put moves the key to the end of the eviction order.
      State old = states.remove(key);
      failures =
          old == null || now - old.lastFailure() > FORGET_AFTER.toNanos() ? 1 : old.failures() + 1;
      states.put(key, new State(failures, now, now + penalty(failures)));
    }
    return Duration.ofNanos(penalty(failures));
  }

  /** Records a success: the key starts over. */
  void succeed(String key) {
    synchronized (states) {
      states.remove(key);
    }
  }

  /** The number of failures the key has made since its last success (0 when forgotten). */
  int failures(String key) {
    synchronized (states) {
      State s = states.get(key);
      return s == null ? 0 : s.failures();
    }
  }

  /** How many keys are tracked. */
  int size() {
    synchronized (states) {
      return states.size();
    }
  }

  private long penalty(int failures) {
    long p = baseNanos;
    for (int i = 1; i < failures && p < maxNanos; i++) {
      p *= 2;
    }
    return Math.min(p, maxNanos);
  }
}
