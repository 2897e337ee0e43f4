package dev.checkpointguard.server;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * An {@link AuthTimer} whose time moves only when the test says so: delayed answers wait for {@link
 * #advance}, and {@link #delays} tells what was asked for. No test waits for wall-clock time.
 */
final class ManualTimer implements AuthTimer {
  /**
   * How long a test waits for a request to reach the server before it gives up (not a timing
   * claim).
   */
  private static final long PATIENCE_MILLIS = 120_000;

  private record Task(long due, Runnable run) {}

  private long now = 1_000_000_000L;
  private final List<Task> pending = new ArrayList<>();
  private final List<Duration> delays = new ArrayList<>();

  @Override
  public synchronized long nanoTime() {
    return now;
  }

  @Override
  public synchronized void schedule(Runnable task, Duration delay) {
    pending.add(new Task(now + delay.toNanos(), task));
    delays.add(delay);
    notifyAll();
  }

  /** Every delay asked for so far, in order. */
  synchronized List<Duration> delays() {
    return List.copyOf(delays);
  }

  /**
   * Waits until {@code n} delays have been asked for in all (a request in flight reached the
   * server).
   */
  synchronized Duration awaitDelay(int n) throws InterruptedException {
    long end = System.nanoTime() + PATIENCE_MILLIS * 1_000_000;
    while (delays.size() < n) {
      long left = (end - System.nanoTime()) / 1_000_000;
      if (left <= 0) {
        throw new AssertionError(
            "no delayed answer number " + n + " was scheduled; delays so far: " + delays);
      }
      wait(left);
    }
    return delays.get(n - 1);
  }

  /** Moves time on and runs, in this thread, every task that is now due. */
  void advance(Duration d) {
    List<Runnable> due = new ArrayList<>();
    synchronized (this) {
      now += d.toNanos();
      pending.removeIf(
          t -> {
            if (t.due() - now <= 0) {
              due.add(t.run());
              return true;
            }
            return false;
          });
    }
    due.forEach(Runnable::run);
  }
}
