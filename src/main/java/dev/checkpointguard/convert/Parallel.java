package dev.checkpointguard.convert;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Splits a list that is already in pack order into contiguous slices and works on them in parallel,
 * one thread per slice (each with its own object reader and, when it writes, its own pack): reading
 * and writing tens of thousands of small objects is CPU-bound, and a conversion has the machine to
 * itself.
 */
final class Parallel {
  /**
   * Below this many items per thread, one thread does it all (tests lower it to cover the slicing).
   */
  static volatile int minPerThread = 256;

  /** Work on one slice; {@code index} is the slice's number, 0 for the first. */
  @FunctionalInterface
  interface Slice<T> {
    void run(int index, List<T> items) throws IOException;
  }

  private Parallel() {}

  /** Threads for a job: the processors available, at most 4. */
  static int threads() {
    return Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
  }

  /** The number of slices {@code items} are cut into. */
  static int slices(int items) {
    return Math.max(1, Math.min(threads(), items / minPerThread));
  }

  /**
   * Runs {@code work} on {@link #slices} contiguous slices of {@code items}; the first in this
   * thread.
   */
  static <T> void run(List<T> items, Slice<T> work) throws IOException {
    int n = slices(items.size());
    if (n == 1) {
      work.run(0, items);
      return;
    }
    ExecutorService pool =
        Executors.newFixedThreadPool(
            n - 1,
            r -> {
              Thread t = new Thread(r, "checkpoint-guard convert");
              t.setDaemon(true);
              return t;
            });
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 1; i < n; i++) {
        int index = i;
        List<T> slice = items.subList(items.size() * i / n, items.size() * (i + 1) / n);
        futures.add(
            pool.submit(
                () -> {
                  work.run(index, slice);
                  return null;
                }));
      }
      work.run(0, items.subList(0, items.size() / n));
      for (Future<?> f : futures) {
        try {
          f.get();
        } catch (ExecutionException e) {
          Throwable c = e.getCause();
          if (c instanceof IOException io) {
            throw io;
          }
          if (c instanceof UncheckedIOException u) {
            throw u.getCause();
          }
          if (c instanceof RuntimeException r) {
            throw r;
          }
          if (c instanceof Error err) {
            throw err;
          }
          throw new IOException(c);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
