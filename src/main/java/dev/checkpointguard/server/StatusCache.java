package dev.checkpointguard.server;

import dev.checkpointguard.admin.RepositoryAudit;
import dev.checkpointguard.core.GuardSettings;
import dev.checkpointguard.core.RefNames;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.ReflogEntry;
import org.eclipse.jgit.lib.ReflogReader;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.RepositoryCache;
import org.eclipse.jgit.util.FS;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audits behind the status pages, keyed by the state of each repository's refs. A page view
 * costs one listing of the repository's {@code refs/entire/checkpoints/v2/} and {@code
 * refs/checkpoint-guard/} refs (plus its guard settings) to compute a fingerprint; only when the
 * fingerprint differs from the last audit's does a new audit run. Audits run on a small fixed pool,
 * one at a time per repository however many people look (single flight), so page views can never
 * make the server audit more often than the refs change. A view waits a bounded time for a running
 * audit and otherwise answers with the last result, marked stale.
 */
final class StatusCache implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StatusCache.class);

  /**
   * An audit result.
   *
   * @param fingerprint the ref state it was computed for
   * @param audit the audit, or null when the repository could not be audited
   * @param problem why not, for people; never a server path or exception class
   * @param reflogPush the newest reflog entry of {@code /main} or {@code /full/current}, or null
   * @param at when the audit finished
   */
  record Snapshot(
      String fingerprint,
      RepositoryAudit audit,
      String problem,
      Instant reflogPush,
      Instant at,
      AtomicReference<String> rendered) {
    Snapshot(
        String fingerprint, RepositoryAudit audit, String problem, Instant reflogPush, Instant at) {
      this(fingerprint, audit, problem, reflogPush, at, new AtomicReference<>());
    }

    /**
     * The page sections of this audit, rendered by {@code render} on first use and kept with it.
     */
    String details(Supplier<String> render) {
      String html = rendered.get();
      if (html == null) {
        html = render.get();
        rendered.compareAndSet(null, html);
      }
      return html;
    }
  }

  /**
   * What a page shows for one repository.
   *
   * @param snapshot the newest finished audit, or null when none has finished yet
   * @param fresh true when the snapshot is of the refs as they are now
   */
  record View(Snapshot snapshot, boolean fresh) {}

  private static final class Slot {
    volatile Snapshot done;
    String runningFingerprint; // guarded by this
    CompletableFuture<Snapshot> running; // guarded by this
  }

  /**
   * Page views that may wait for an audit at the same time. Waiting holds a request thread, so past
   * this many the next views answer at once with what is known (their pages reload by themselves)
   * instead of taking threads that git requests need.
   */
  static final int MAX_WAITING = 4;

  private final Map<Path, Slot> slots = new ConcurrentHashMap<>();
  private final Semaphore waiting = new Semaphore(MAX_WAITING);
  private final ExecutorService auditors;
  private final Clock clock;
  private final ServerMetrics metrics;

  /**
   * @param threads audits that may run at once across all repositories
   */
  StatusCache(int threads, Clock clock, ServerMetrics metrics) {
    this.auditors =
        Executors.newFixedThreadPool(
            threads,
            r -> {
              Thread t = new Thread(r, "checkpoint-guard-status-audit");
              t.setDaemon(true);
              t.setPriority(Thread.MIN_PRIORITY);
              return t;
            });
    this.clock = clock;
    this.metrics = metrics;
  }

  /**
   * The repository's status, auditing it (or joining the running audit) when its refs changed since
   * the last audit, waiting at most {@code wait} for that.
   *
   * @param dir the repository, a path {@link ReposResolver} accepted
   */
  View view(Path dir, Duration wait) {
    Slot slot = slots.computeIfAbsent(dir, d -> new Slot());
    String fp;
    try {
      fp = fingerprint(dir);
    } catch (IOException | RuntimeException e) {
      LOG.warn("status: cannot read the refs of {}: {}", dir, OneLineLog.chain(e));
      return new View(
          new Snapshot("", null, "its refs cannot be read", null, clock.instant()), true);
    }
    Snapshot done = slot.done;
    if (done != null && done.fingerprint().equals(fp)) {
      return new View(done, true);
    }
    CompletableFuture<Snapshot> job;
    synchronized (slot) {
      if (slot.running == null || !slot.runningFingerprint.equals(fp)) {
        CompletableFuture<Snapshot> next = new CompletableFuture<>();
        slot.running = next;
        slot.runningFingerprint = fp;
        auditors.execute(() -> run(dir, fp, slot, next));
      }
      job = slot.running;
    }
    boolean mayWait = !wait.isZero() && waiting.tryAcquire();
    try {
      Snapshot s = mayWait ? job.get(wait.toMillis(), TimeUnit.MILLISECONDS) : job.getNow(null);
      if (s != null) {
        return new View(s, s.fingerprint().equals(fp));
      }
    } catch (TimeoutException e) {
      // answered below with what is known
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      // run() completes normally; nothing to add
    } finally {
      if (mayWait) {
        waiting.release();
      }
    }
    return new View(slot.done, false);
  }

  private void run(Path dir, String fp, Slot slot, CompletableFuture<Snapshot> job) {
    Snapshot s;
    try (Repository repo = open(dir)) {
      int threshold;
      try {
        threshold = RepositoryAudit.threshold(repo);
      } catch (GuardSettings.InvalidSettingsException e) {
        threshold = -1;
      }
      if (threshold < 0) {
        s =
            new Snapshot(
                fp, null, "its checkpoint-guard settings are invalid", null, clock.instant());
      } else {
        RepositoryAudit audit = RepositoryAudit.of(repo, threshold, NullProgressMonitor.INSTANCE);
        s = new Snapshot(fp, audit, null, reflogPush(repo), clock.instant());
      }
      metrics.onAudit(true);
    } catch (IOException | RuntimeException | StackOverflowError e) {
      LOG.warn("status: cannot audit {}: {}", dir, OneLineLog.chain(e));
      metrics.onAudit(false);
      s =
          new Snapshot(
              fp,
              null,
              "it could not be audited (details in the server log)",
              null,
              clock.instant());
    }
    slot.done = s;
    synchronized (slot) {
      if (slot.running == job) {
        slot.running = null;
        slot.runningFingerprint = null;
      }
    }
    job.complete(s);
  }

  /**
   * The state an audit depends on: every ref under {@code refs/entire/checkpoints/v2/} and {@code
   * refs/checkpoint-guard/} with its value, and the guard's threshold setting.
   */
  static String fingerprint(Path dir) throws IOException {
    try (Repository repo = open(dir)) {
      MessageDigest md;
      try {
        md = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
      List<Ref> refs = new ArrayList<>(repo.getRefDatabase().getRefsByPrefix(RefNames.V2_PREFIX));
      refs.addAll(repo.getRefDatabase().getRefsByPrefix(RefNames.GUARD_PREFIX));
      for (Ref r : refs) {
        md.update(r.getName().getBytes(StandardCharsets.UTF_8));
        md.update((byte) 0);
        md.update(
            String.valueOf(
                    r.getObjectId() == null ? r.getTarget().getName() : r.getObjectId().name())
                .getBytes(StandardCharsets.UTF_8));
        md.update((byte) '\n');
      }
      String threshold = repo.getConfig().getString("checkpointGuard", null, "threshold");
      md.update(("threshold=" + threshold).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(md.digest(), 0, 16);
    }
  }

  private static Repository open(Path dir) throws IOException {
    return RepositoryCache.open(RepositoryCache.FileKey.exact(dir.toFile(), FS.DETECTED), true);
  }

  /**
   * The newest reflog time of {@code /main} or {@code /full/current} (reflogs exist only when
   * enabled).
   */
  private static Instant reflogPush(Repository repo) {
    Instant newest = null;
    for (String ref : List.of(RefNames.MAIN, RefNames.CURRENT)) {
      try {
        ReflogReader reader = repo.getRefDatabase().getReflogReader(ref);
        ReflogEntry last = reader == null ? null : reader.getLastEntry();
        if (last != null) {
          Instant t = last.getWho().getWhenAsInstant();
          newest = newest == null || t.isAfter(newest) ? t : newest;
        }
      } catch (IOException | RuntimeException e) {
        // a reflog that cannot be read only means the page shows no time from it
      }
    }
    return newest;
  }

  @Override
  public void close() {
    auditors.shutdownNow();
  }
}
