package dev.checkpointguard.server;

import java.io.PrintStream;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Where the results of pushes go, shared by every push of one server: the push log (text through
 * SLF4J, or JSON lines), the metrics, and the time of each repository's last push for the status
 * pages.
 *
 * @param format how the push log is written
 * @param jsonOut where JSON lines go ({@link LogFormat#JSON}); one {@code println} per line
 * @param clock wall time for log records and the last-push times
 * @param ticker monotonic nanoseconds for durations ({@code System::nanoTime} outside tests)
 * @param metrics counts verdicts and push durations
 */
record PushEvents(
    LogFormat format,
    PrintStream jsonOut,
    Clock clock,
    LongSupplier ticker,
    ServerMetrics metrics,
    Map<String, Instant> lastPush,
    String pushIdPrefix,
    AtomicLong pushSequence) {

  PushEvents {
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(ticker, "ticker");
    Objects.requireNonNull(metrics, "metrics");
    if (format == LogFormat.JSON) {
      Objects.requireNonNull(jsonOut, "jsonOut");
    }
  }

  static PushEvents of(
      LogFormat format,
      PrintStream jsonOut,
      Clock clock,
      LongSupplier ticker,
      ServerMetrics metrics) {
    // A short random prefix keeps push ids of different server runs apart in one log.
    String prefix =
        Long.toString(
            Math.floorMod(new java.security.SecureRandom().nextLong(), 36L * 36 * 36 * 36), 36);
    return new PushEvents(
        format,
        jsonOut,
        clock,
        ticker,
        metrics,
        new ConcurrentHashMap<>(),
        prefix,
        new AtomicLong());
  }

  /**
   * Text log, system clock, a fresh registry: for tests and library users that want nothing else.
   */
  static PushEvents defaults() {
    return of(LogFormat.TEXT, null, Clock.systemUTC(), System::nanoTime, new ServerMetrics());
  }

  /** A new id for one push, unique within this server's log. */
  String nextPushId() {
    return pushIdPrefix + "-" + pushSequence.incrementAndGet();
  }

  /** Remembers that a push to the repository {@code name} updated refs now. */
  void pushed(String name) {
    lastPush.put(name, clock.instant());
  }

  /** The last push this server applied to the repository {@code name}, or null. */
  Instant lastPush(String name) {
    return lastPush.get(name);
  }
}
