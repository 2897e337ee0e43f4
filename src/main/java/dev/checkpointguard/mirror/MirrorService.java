package dev.checkpointguard.mirror;

import dev.checkpointguard.command.Errors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The periodic guarded syncs of {@code serve --mirrors FILE}. Each repository syncs on its own
 * schedule:
 *
 * <ul>
 *   <li>the first sync starts at a random moment within {@link Options#firstWithin} (or the
 *       interval, when shorter), so that many mirrors do not all hit their upstreams at once;
 *   <li>the next one is scheduled only when a sync has ended, one interval later, give or take
 *       {@link Options#jitter}: two syncs of one repository never run at once (and one that finds
 *       another process syncing it, e.g. a {@code mirror} command, does nothing and reports {@code
 *       busy});
 *   <li>while upstream fails, the delay doubles with each failure, up to {@link Options#maxBackoff}
 *       (never less than the interval), and falls back to the interval after the next success;
 *   <li>every sync writes one log line ({@code dev.checkpointguard.mirror.sync}) and tells the
 *       listener;
 *   <li>{@link #close} (SIGTERM) schedules nothing more and lets a running sync end: it stops
 *       before its batch (leaving the repository as it was) or finishes it, never half of it.
 * </ul>
 */
public final class MirrorService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger("dev.checkpointguard.mirror.sync");

  /**
   * Scheduling knobs.
   *
   * @param firstWithin the first sync of each repository starts at a random moment before this
   * @param jitter the fraction by which an interval varies, e.g. 0.1 for ±10 %
   * @param maxBackoff the longest delay while upstream fails (the interval if that is longer)
   * @param stopWait how long {@link #close} waits for running syncs
   * @param timeoutSeconds network timeout of a sync
   */
  public record Options(
      Duration firstWithin,
      double jitter,
      Duration maxBackoff,
      Duration stopWait,
      int timeoutSeconds) {
    public static final Options DEFAULTS =
        new Options(
            Duration.ofSeconds(30),
            0.1,
            Duration.ofHours(1),
            Duration.ofSeconds(60),
            MirrorSync.DEFAULT_TIMEOUT_SECONDS);
  }

  /** How {@code serve} starts the service (tests give one on virtual time). */
  @FunctionalInterface
  public interface Starter {
    MirrorService start(
        Path reposDir,
        List<MirrorsFile.Entry> entries,
        Map<String, String> env,
        SyncOutcome.Listener listener)
        throws IOException;
  }

  /** One mirrored repository and its schedule state. */
  private final class Mirror {
    final MirrorsFile.Entry entry;
    final Path dir;
    int failures;
    SyncScheduler.Scheduled next;

    Mirror(MirrorsFile.Entry entry, Path dir) {
      this.entry = entry;
      this.dir = dir;
    }
  }

  private final List<Mirror> mirrors = new ArrayList<>();
  private final SyncScheduler scheduler;
  private final Random random;
  private final Clock clock;
  private final SyncOutcome.Listener listener;
  private final Consumer<String> log;
  private final Map<String, String> env;
  private final Options options;
  private final MirrorSync.Listener steps;
  private final AtomicBoolean stopping = new AtomicBoolean();

  private MirrorService(
      SyncScheduler scheduler,
      Random random,
      Clock clock,
      SyncOutcome.Listener listener,
      Consumer<String> log,
      Map<String, String> env,
      Options options,
      MirrorSync.Listener steps) {
    this.scheduler = scheduler;
    this.random = random;
    this.clock = clock;
    this.listener = listener;
    this.log = log;
    this.env = env;
    this.options = options;
    this.steps = steps;
  }

  /** Starts the syncs of {@code entries} with the production scheduler (two threads) and logger. */
  public static MirrorService start(
      Path reposDir,
      List<MirrorsFile.Entry> entries,
      Map<String, String> env,
      SyncOutcome.Listener listener)
      throws IOException {
    return start(
        reposDir,
        entries,
        env,
        listener,
        SyncScheduler.threads(2),
        new Random(),
        Clock.systemUTC(),
        LOG::info,
        Options.DEFAULTS,
        MirrorSync.Listener.NONE);
  }

  /**
   * Starts the syncs of {@code entries}: each repository {@code reposDir/<name>} is created as an
   * empty bare repository when missing, then its first sync is scheduled.
   *
   * @param log where the one line per sync goes
   * @param steps told about the steps of every sync (tests)
   */
  public static MirrorService start(
      Path reposDir,
      List<MirrorsFile.Entry> entries,
      Map<String, String> env,
      SyncOutcome.Listener listener,
      SyncScheduler scheduler,
      Random random,
      Clock clock,
      Consumer<String> log,
      Options options,
      MirrorSync.Listener steps)
      throws IOException {
    MirrorService s =
        new MirrorService(
            scheduler, random, clock, Objects.requireNonNull(listener), log, env, options, steps);
    for (MirrorsFile.Entry e : entries) {
      Path dir = reposDir.resolve(e.repository());
      if (!Files.exists(dir)) {
        try (Repository r = new FileRepositoryBuilder().setGitDir(dir.toFile()).setBare().build()) {
          r.create(true);
        }
        log.accept("mirror " + e.repository() + ": created the empty bare repository " + dir);
      }
      s.mirrors.add(s.new Mirror(e, dir));
    }
    for (Mirror m : s.mirrors) {
      Duration within =
          m.entry.interval().compareTo(options.firstWithin()) < 0
              ? m.entry.interval()
              : options.firstWithin();
      s.schedule(m, Duration.ofMillis((long) (random.nextDouble() * within.toMillis())));
    }
    return s;
  }

  private synchronized void schedule(Mirror m, Duration delay) {
    if (!stopping.get()) {
      m.next = scheduler.schedule(delay, () -> run(m));
    }
  }

  private void run(Mirror m) {
    if (stopping.get()) {
      return;
    }
    Instant started = clock.instant();
    long t0 = System.nanoTime();
    SyncOutcome.Result result;
    int changed = 0;
    int held = 0;
    String problem = "";
    List<String> heldRefs = new ArrayList<>();
    try (Repository repo =
        new FileRepositoryBuilder().setGitDir(m.dir.toFile()).setMustExist(true).build()) {
      MirrorSync.Options o =
          new MirrorSync.Options(
              false,
              options.timeoutSeconds(),
              MirrorSync.MAX_ATTEMPTS,
              env,
              new StopMonitor(),
              clock,
              steps,
              stopping::get);
      MirrorReport r = MirrorSync.run(repo, m.entry.upstream(), o);
      changed = r.changed();
      held = r.heldBackCount();
      for (RefAction a : r.actions()) {
        if (a.heldBack()) {
          heldRefs.add(a.ref() + ": " + a.rule());
        }
      }
      result =
          r.heldBack()
              ? SyncOutcome.Result.HELD_BACK
              : changed == 0 ? SyncOutcome.Result.UP_TO_DATE : SyncOutcome.Result.UPDATED;
    } catch (MirrorSync.BusyException e) {
      result = SyncOutcome.Result.BUSY;
      problem = e.getMessage();
    } catch (MirrorSync.FailedException e) {
      result = SyncOutcome.Result.FAILED;
      problem = e.getMessage();
    } catch (IOException | RuntimeException e) {
      result = SyncOutcome.Result.FAILED;
      problem = "error: " + Errors.describe(e) + "; nothing was changed by this sync";
    }
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    m.failures = result == SyncOutcome.Result.FAILED ? m.failures + 1 : 0;
    Duration next = nextDelay(m);
    SyncOutcome out =
        new SyncOutcome(
            m.entry.repository(),
            m.entry.upstream().display(),
            result,
            started,
            took,
            changed,
            held,
            problem,
            next);
    log.accept(line(out, heldRefs, m.failures));
    try {
      listener.onSync(out);
    } finally {
      schedule(m, next);
    }
  }

  /** No progress output; cancels a fetch when the service stops. */
  private final class StopMonitor implements org.eclipse.jgit.lib.ProgressMonitor {
    @Override
    public void start(int totalTasks) {}

    @Override
    public void beginTask(String title, int totalWork) {}

    @Override
    public void update(int completed) {}

    @Override
    public void endTask() {}

    @Override
    public boolean isCancelled() {
      return stopping.get();
    }

    @Override
    public void showDuration(boolean enabled) {}
  }

  /** The interval, or the backoff after failures, varied by the jitter. */
  private Duration nextDelay(Mirror m) {
    long base = m.entry.interval().toMillis();
    if (m.failures > 0) {
      long cap = Math.max(base, options.maxBackoff().toMillis());
      long d = base;
      for (int i = 0; i < m.failures && d < cap; i++) {
        d = Math.min(cap, d * 2);
      }
      base = d;
    }
    double factor = 1 + options.jitter() * (2 * random.nextDouble() - 1);
    return Duration.ofMillis(Math.max(1, (long) (base * factor)));
  }

  /** The one log line of a sync. */
  static String line(SyncOutcome o, List<String> heldRefs, int failures) {
    StringBuilder b =
        new StringBuilder("mirror ")
            .append(o.repository())
            .append(" from ")
            .append(o.upstream())
            .append(": ");
    switch (o.result()) {
      case UP_TO_DATE -> b.append("up to date");
      case UPDATED ->
          b.append("updated ").append(o.changed()).append(o.changed() == 1 ? " ref" : " refs");
      case HELD_BACK ->
          b.append("held back ")
              .append(o.heldBack())
              .append(o.heldBack() == 1 ? " ref" : " refs")
              .append(" (")
              .append(String.join(", ", heldRefs))
              .append(")")
              .append(
                  o.changed() > 0
                      ? ", updated " + o.changed() + (o.changed() == 1 ? " ref" : " refs")
                      : "");
      case FAILED -> b.append("failed: ").append(o.problem());
      case BUSY -> b.append("skipped: ").append(o.problem());
    }
    b.append("; ")
        .append(o.duration().toMillis())
        .append(" ms; next sync in ")
        .append(human(o.next()));
    if (failures > 0) {
      b.append(" (")
          .append(failures)
          .append(failures == 1 ? " failure" : " failures in a row")
          .append(")");
    }
    return b.toString();
  }

  private static String human(Duration d) {
    long s = Math.max(1, Math.round(d.toMillis() / 1000.0));
    if (s < 120) {
      return s + "s";
    }
    if (s < 7200) {
      return Math.round(s / 60.0) + "m";
    }
    return Math.round(s / 3600.0) + "h";
  }

  /**
   * Stops: no sync is started or scheduled any more; a running sync stops before its batch, or
   * finishes it if it was already applying. Waits up to {@link Options#stopWait} for running syncs.
   */
  @Override
  public void close() {
    if (!stopping.compareAndSet(false, true)) {
      return;
    }
    synchronized (this) {
      for (Mirror m : mirrors) {
        if (m.next != null) {
          m.next.cancel();
        }
      }
    }
    scheduler.shutdown();
    try {
      if (!scheduler.awaitTermination(options.stopWait())) {
        log.accept(
            "mirror: a sync was still running after "
                + options.stopWait().toSeconds()
                + " s; stopping anyway"
                + " (its refs are applied in one atomic batch or not at all)");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
