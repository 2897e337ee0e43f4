package dev.checkpointguard.mirror;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * A {@link SyncScheduler} on virtual time: nothing runs until the test calls {@link #advance},
 * which runs every task that falls due, in order, on the test's thread. Records every delay asked
 * for, so that tests check jitter and backoff without waiting for them.
 */
public final class ManualScheduler implements SyncScheduler {
  private record Task(long at, long seq, Runnable run, boolean[] cancelled) {}

  private final PriorityQueue<Task> queue =
      new PriorityQueue<>(
          (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
  public final List<Duration> delays = new ArrayList<>();
  private long now;
  private long seq;
  private boolean shut;

  @Override
  public synchronized Scheduled schedule(Duration delay, Runnable task) {
    if (shut) {
      throw new IllegalStateException("shut down");
    }
    delays.add(delay);
    boolean[] c = {false};
    queue.add(new Task(now + delay.toMillis(), seq++, task, c));
    return () -> c[0] = true;
  }

  /** Moves virtual time forward by {@code d}, running each task that falls due. */
  public void advance(Duration d) {
    long until = now + d.toMillis();
    while (true) {
      Task t;
      synchronized (this) {
        t = queue.peek();
        if (t == null || t.at > until) {
          break;
        }
        queue.poll();
        now = t.at;
      }
      if (!t.cancelled[0]) {
        t.run.run();
      }
    }
    now = until;
  }

  /** Tasks waiting (cancelled ones included). */
  public synchronized int pending() {
    return (int) queue.stream().filter(t -> !t.cancelled[0]).count();
  }

  @Override
  public synchronized void shutdown() {
    shut = true;
    queue.clear();
  }

  @Override
  public boolean awaitTermination(Duration timeout) {
    return true;
  }
}
