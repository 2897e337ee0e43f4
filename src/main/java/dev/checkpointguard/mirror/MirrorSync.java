package dev.checkpointguard.mirror;

import dev.checkpointguard.command.ProcessLock;
import dev.checkpointguard.core.CheckpointSetCache;
import dev.checkpointguard.jgit.RepositoryGuard;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import org.eclipse.jgit.lib.BatchRefUpdate;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.ProgressMonitor;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.ReceiveCommand;

/**
 * One guarded sync of a bare repository from its upstream (docs/mirror.md):
 *
 * <ol>
 *   <li>take the repository's mirror lock (one sync at a time; a running one makes this one {@link
 *       BusyException busy});
 *   <li>list upstream's refs and fetch the objects the mirror lacks, moving no ref (objects land
 *       first);
 *   <li>read every ref of the mirror and plan ({@link MirrorPlanner});
 *   <li>apply the whole plan as one atomic batch of compare-and-set commands against the values
 *       read in step 3. If a push moved a ref meanwhile, nothing is applied and the sync plans
 *       again from the new values, up to {@link Options#maxAttempts} times; a push is never
 *       overwritten unseen.
 * </ol>
 *
 * A sync killed at any moment leaves the refs either as they were or fully synced (JGit's
 * packed-refs transaction: one rename), possibly with objects that a rerun reuses.
 */
public final class MirrorSync {
  /** Attempts before giving up when pushes keep moving the mirror's refs. */
  public static final int MAX_ATTEMPTS = 5;

  /** Network timeout for one upstream read or write, in seconds. */
  public static final int DEFAULT_TIMEOUT_SECONDS = 300;

  /** Told about the steps of a sync (tests stop or kill a sync at a step; serve counts). */
  public interface Listener {
    /**
     * After {@code step}: {@code locked}, {@code fetched}, {@code planned <attempt>}, {@code
     * applied}.
     */
    default void afterStep(String step) {}

    /** Just before the batch of {@code attempt} (1-based) is applied. */
    default void beforeApply(int attempt) {}

    Listener NONE = new Listener() {};
  }

  /**
   * How to sync.
   *
   * @param dryRun plan and report, move no ref (objects are still fetched: they are what is judged)
   * @param timeoutSeconds network timeout
   * @param maxAttempts plans before giving up under concurrent pushes
   * @param env the process environment, for git's credential helpers and {@code ~/.netrc}
   * @param monitor fetch progress
   * @param clock time of merges, kept refs and the report
   * @param listener step callbacks
   * @param cancelled asked before the batch: a stopping server leaves the repository as it was
   */
  public record Options(
      boolean dryRun,
      int timeoutSeconds,
      int maxAttempts,
      Map<String, String> env,
      ProgressMonitor monitor,
      Clock clock,
      Listener listener,
      BooleanSupplier cancelled) {
    public Options {
      Objects.requireNonNull(env, "env");
      Objects.requireNonNull(monitor, "monitor");
      Objects.requireNonNull(clock, "clock");
      Objects.requireNonNull(listener, "listener");
      Objects.requireNonNull(cancelled, "cancelled");
    }

    /** Defaults for a one-off sync: not a dry run, no progress, the system clock. */
    public static Options defaults(Map<String, String> env) {
      return new Options(
          false,
          DEFAULT_TIMEOUT_SECONDS,
          MAX_ATTEMPTS,
          env,
          NullProgressMonitor.INSTANCE,
          Clock.systemUTC(),
          Listener.NONE,
          () -> false);
    }

    public Options withDryRun(boolean d) {
      return new Options(d, timeoutSeconds, maxAttempts, env, monitor, clock, listener, cancelled);
    }

    public Options withMonitor(ProgressMonitor m) {
      return new Options(dryRun, timeoutSeconds, maxAttempts, env, m, clock, listener, cancelled);
    }

    public Options withClock(Clock c) {
      return new Options(dryRun, timeoutSeconds, maxAttempts, env, monitor, c, listener, cancelled);
    }

    public Options withListener(Listener l) {
      return new Options(dryRun, timeoutSeconds, maxAttempts, env, monitor, clock, l, cancelled);
    }

    public Options withCancelled(BooleanSupplier c) {
      return new Options(dryRun, timeoutSeconds, maxAttempts, env, monitor, clock, listener, c);
    }

    public Options withTimeout(int seconds) {
      return new Options(dryRun, seconds, maxAttempts, env, monitor, clock, listener, cancelled);
    }
  }

  /** Another sync of this repository is running; nothing was done. */
  public static final class BusyException extends Exception {
    BusyException(String message) {
      super(message);
    }
  }

  /**
   * The sync could not be done and the mirror's refs are unchanged: upstream unreachable, invalid
   * settings, a stale lock file, refs that kept moving, a stop. The message is one line, safe to
   * print.
   */
  public static final class FailedException extends Exception {
    FailedException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private MirrorSync() {}

  /** One sync of {@code repo} from {@code upstream}. */
  public static MirrorReport run(Repository repo, Upstream upstream, Options o)
      throws BusyException, FailedException, IOException {
    Instant started = o.clock().instant();
    long t0 = System.nanoTime();
    Path gitDir = repo.getDirectory().toPath();
    String quarantine = o.env().get("GIT_QUARANTINE_PATH");
    if (quarantine != null && !quarantine.isEmpty()) {
      throw new FailedException(
          "refusing to sync inside a push quarantine (GIT_QUARANTINE_PATH is set)", null);
    }
    try (ProcessLock lock = MirrorLock.tryAcquire(gitDir)) {
      if (lock == null) {
        throw new BusyException("another sync of " + repo.getDirectory() + " is running");
      }
      o.listener().afterStep("locked");
      boolean firstSync = repo.getRefDatabase().getRefs().isEmpty();
      Upstream.Fetched fetched;
      try {
        fetched = upstream.fetch(repo, o.env(), o.monitor(), o.timeoutSeconds());
      } catch (Upstream.UnreachableException e) {
        throw new FailedException(e.getMessage() + "; the mirror is unchanged", e);
      }
      try {
        o.listener().afterStep("fetched");
        MirrorReport r = planAndApply(repo, fetched, o);
        if (!o.dryRun()
            && firstSync
            && fetched.head() != null
            && fetched.refs().containsKey(fetched.head())) {
          RefUpdate u = repo.updateRef(Constants.HEAD, true);
          u.link(fetched.head());
        }
        r =
            r.finished(
                upstream.display(),
                gitDir.toString(),
                started,
                Duration.ofNanos(System.nanoTime() - t0),
                fetched.wanted());
        if (!o.dryRun()) {
          MirrorStatus.write(gitDir, r);
        }
        return r;
      } finally {
        fetched.unlock();
      }
    }
  }

  private static MirrorReport planAndApply(Repository repo, Upstream.Fetched fetched, Options o)
      throws IOException, FailedException {
    MirrorPlanner.Judge judge =
        changes -> RepositoryGuard.judge(repo, changes, null, CheckpointSetCache.NONE, null);
    String lockProblem = null;
    for (int attempt = 1; attempt <= o.maxAttempts(); attempt++) {
      Map<String, Ref> snapshot = snapshot(repo);
      MirrorPlanner.Plan plan;
      try (ObjectReader reader = repo.newObjectReader();
          RevWalk walk = new RevWalk(reader);
          ObjectInserter ins =
              o.dryRun() ? new ObjectInserter.Formatter() : repo.newObjectInserter()) {
        MirrorPlanner planner =
            new MirrorPlanner(walk, new CheckpointFiles(reader), ins, judge, o.clock().instant());
        plan = planner.plan(snapshot, fetched.refs());
        ins.flush();
      } catch (MirrorPlanner.InvalidSettingsException e) {
        throw new FailedException(e.getMessage() + "; nothing was changed", e);
      }
      o.listener().afterStep("planned " + attempt);
      if (o.dryRun() || plan.commands().isEmpty()) {
        return MirrorReport.of(plan, o.dryRun(), attempt);
      }
      if (o.cancelled().getAsBoolean()) {
        throw new FailedException("stopped before applying; the mirror is unchanged", null);
      }
      o.listener().beforeApply(attempt);
      if (apply(repo, plan.commands())) {
        o.listener().afterStep("applied");
        return MirrorReport.of(plan, false, attempt);
      }
      if (!sameValues(snapshot(repo), snapshot)) {
        lockProblem = null; // a push moved a ref: plan again from what it left
        continue;
      }
      lockProblem = lockProblem(repo, plan.commands());
      if (lockProblem == null) {
        throw new FailedException(clash(plan.commands()), null);
      }
      try {
        Thread.sleep(100L * attempt); // a push holding the lock finishes; a stale lock stays
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new FailedException("interrupted; the mirror is unchanged", e);
      }
    }
    throw new FailedException(
        lockProblem != null
            ? lockProblem
            : "the mirror's refs kept changing during "
                + o.maxAttempts()
                + " attempts (pushes to the mirror?); nothing was changed by this sync, run it again",
        null);
  }

  /**
   * Applies every command atomically, compare-and-set against each one's old value; true when done.
   */
  private static boolean apply(Repository repo, List<ReceiveCommand> commands) throws IOException {
    BatchRefUpdate batch = repo.getRefDatabase().newBatchUpdate();
    batch.setAtomic(true);
    batch.setAllowNonFastForwards(
        true); // forced updates and deletes are intended; the old ids guard them
    batch.setRefLogMessage("checkpoint-guard mirror", false);
    batch.addCommand(commands);
    try (RevWalk rw = new RevWalk(repo)) {
      batch.execute(rw, NullProgressMonitor.INSTANCE);
    }
    for (ReceiveCommand c : batch.getCommands()) {
      if (c.getResult() != ReceiveCommand.Result.OK) {
        return false;
      }
    }
    return true;
  }

  /** Every ref, by name, as one snapshot (symbolic refs included, unresolved). */
  private static Map<String, Ref> snapshot(Repository repo) throws IOException {
    Map<String, Ref> out = new TreeMap<>();
    for (Ref r : repo.getRefDatabase().getRefsByPrefix(Constants.R_REFS)) {
      out.put(r.getName(), r);
    }
    return out;
  }

  private static boolean sameValues(Map<String, Ref> a, Map<String, Ref> b) {
    if (!a.keySet().equals(b.keySet())) {
      return false;
    }
    for (Map.Entry<String, Ref> e : a.entrySet()) {
      if (!Objects.equals(e.getValue().getObjectId(), b.get(e.getKey()).getObjectId())) {
        return false;
      }
    }
    return true;
  }

  /** A lock file in the way of the batch, as a message naming it; null when there is none. */
  private static String lockProblem(Repository repo, List<ReceiveCommand> commands) {
    File dir = repo.getDirectory();
    List<String> locks = new ArrayList<>();
    File packed = new File(dir, "packed-refs.lock");
    if (packed.exists()) {
      locks.add(packed.getPath());
    }
    for (ReceiveCommand c : commands) {
      File l = new File(dir, c.getRefName() + ".lock");
      if (l.exists()) {
        locks.add(l.getPath());
      }
    }
    if (locks.isEmpty()) {
      return null;
    }
    return locks.get(0)
        + " exists: a git process is writing refs, or one was killed while it did;"
        + " nothing was changed by this sync. If no git process is running on this repository, remove that"
        + " file and sync again";
  }

  /** Why a batch failed although no ref moved and no lock is in the way. */
  private static String clash(List<ReceiveCommand> commands) {
    for (ReceiveCommand c : commands) {
      ReceiveCommand.Result r = c.getResult();
      if (r != ReceiveCommand.Result.OK && r != ReceiveCommand.Result.NOT_ATTEMPTED) {
        String why =
            c.getMessage() != null ? c.getMessage() : r.name().toLowerCase(java.util.Locale.ROOT);
        return "cannot update "
            + c.getRefName()
            + " ("
            + why
            + "; a ref name that clashes with another?);"
            + " nothing was changed by this sync";
      }
    }
    return "the ref update failed; nothing was changed by this sync";
  }
}
