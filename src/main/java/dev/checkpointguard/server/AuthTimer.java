package dev.checkpointguard.server;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Time as the login throttle sees it: a monotonic clock for penalties, and a way to answer a failed
 * login later without holding a request thread. Injected so that tests drive time instead of
 * waiting for it.
 */
interface AuthTimer {
  /** A monotonic time in nanoseconds (only differences mean anything). */
  long nanoTime();

  /** Runs {@code task} once {@code delay} has passed. */
  void schedule(Runnable task, Duration delay);

  /** {@link System#nanoTime()} and a scheduled executor. */
  static AuthTimer of(ScheduledExecutorService scheduler) {
    return new AuthTimer() {
      @Override
      public long nanoTime() {
        return System.nanoTime();
      }

      @Override
      public void schedule(Runnable task, Duration delay) {
        scheduler.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
      }
    };
  }
}
