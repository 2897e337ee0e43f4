package dev.checkpointguard.admin;

import java.io.PrintStream;
import java.time.Duration;
import org.eclipse.jgit.lib.BatchingProgressMonitor;

/**
 * Progress on standard error with an estimate of the time left, in JGit's batching style: nothing
 * is printed for tasks that finish within their first second, and at most two lines per second
 * after that.
 */
final class EtaProgressMonitor extends BatchingProgressMonitor {
  private final PrintStream err;

  private long started;
  private long lastPrint;
  private boolean printed;

  EtaProgressMonitor(PrintStream err) {
    this.err = err;
  }

  @Override
  public void beginTask(String title, int totalWork) {
    started = System.nanoTime();
    lastPrint = started;
    printed = false;
    super.beginTask(title, totalWork);
  }

  /**
   * Nothing in a task's first second (short tasks print nothing), then one line every half second.
   */
  private boolean due() {
    long now = System.nanoTime();
    if (now - started < 1_000_000_000L || now - lastPrint < 500_000_000L) {
      return false;
    }
    lastPrint = now;
    printed = true;
    return true;
  }

  @Override
  protected void onUpdate(String task, int done, Duration elapsed) {
    if (!due()) {
      return;
    }
    err.print("\r" + task + ": " + done);
  }

  @Override
  protected void onEndTask(String task, int done, Duration elapsed) {
    if (!printed) {
      return;
    }
    err.println("\r" + task + ": " + done + ", done in " + seconds(elapsed));
  }

  @Override
  protected void onUpdate(String task, int done, int total, int percent, Duration elapsed) {
    if (!due()) {
      return;
    }
    err.print("\r" + line(task, done, total, percent) + eta(done, total, elapsed) + "   ");
  }

  @Override
  protected void onEndTask(String task, int done, int total, int percent, Duration elapsed) {
    if (!printed) {
      return;
    }
    err.println("\r" + line(task, done, total, percent) + ", done in " + seconds(elapsed) + "   ");
  }

  private static String line(String task, int done, int total, int percent) {
    return task + ": " + percent + "% (" + done + "/" + total + ")";
  }

  /** Time left if the rest goes as fast as what is done. */
  static String eta(int done, int total, Duration elapsed) {
    if (done <= 0 || total <= done) {
      return "";
    }
    long leftMillis = elapsed.toMillis() * (total - done) / done;
    return ", ETA " + seconds(Duration.ofMillis(leftMillis));
  }

  private static String seconds(Duration d) {
    long s = d.toSeconds();
    return s >= 60 ? (s / 60) + "m" + String.format("%02d", s % 60) + "s" : s + "s";
  }
}
