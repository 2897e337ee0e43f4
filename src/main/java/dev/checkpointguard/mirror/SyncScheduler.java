package dev.checkpointguard.mirror;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs the periodic syncs of {@code serve --mirrors}: a task after a delay. The production
 * scheduler is a small thread pool ({@link #threads}); tests give one that runs on virtual time, so
 * that no test waits for an interval, a jitter or a backoff to pass.
 */
public interface SyncScheduler {
  /** A scheduled task. */
  interface Scheduled {
    /** Cancels it if it has not started. */
    void cancel();
  }

  /** Runs {@code task} once, after {@code delay}. */
  Scheduled schedule(Duration delay, Runnable task);

  /** Accepts no more tasks and drops the ones not started; running ones go on. */
  void shutdown();

  /** Waits up to {@code timeout} for the running tasks to end; true when they did. */
  boolean awaitTermination(Duration timeout) throws InterruptedException;

  /** {@code n} daemon threads named {@code checkpoint-guard-mirror-<i>}. */
  static SyncScheduler threads(int n) {
    AtomicInteger count = new AtomicInteger();
    ThreadFactory f =
        r -> {
          Thread t = new Thread(r, "checkpoint-guard-mirror-" + count.incrementAndGet());
          t.setDaemon(true);
          return t;
        };
    ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(n, f);
    pool.setRemoveOnCancelPolicy(true);
    pool.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    return new SyncScheduler() {
      @Override
      public Scheduled schedule(Duration delay, Runnable task) {
        ScheduledFuture<?> fut = pool.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
        return () -> fut.cancel(false);
      }

      @Override
      public void shutdown() {
        pool.shutdown();
      }

      @Override
      public boolean awaitTermination(Duration timeout) throws InterruptedException {
        return pool.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
      }
    };
  }
}
