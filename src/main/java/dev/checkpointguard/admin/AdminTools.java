package dev.checkpointguard.admin;

import dev.checkpointguard.command.Io;
import dev.checkpointguard.command.UsageException;
import dev.checkpointguard.core.GuardSettings;
import dev.checkpointguard.core.RefChange;
import dev.checkpointguard.core.RefNames;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ProgressMonitor;
import org.eclipse.jgit.lib.Repository;

/**
 * What the admin commands share, for commands outside this package ({@code convert}): opening
 * {@code --repo}, the push-quarantine refusal, the repository lock, compare-and-set ref writes,
 * durable writes, leftover ref locks and progress with an ETA. A thin door onto the package-private
 * helpers, so that there is one implementation of each.
 */
public final class AdminTools {
  private AdminTools() {}

  /** {@code --repo DIR}, required. */
  public static Option repoOption() {
    return AdminRepos.repoOption();
  }

  /** Opens {@code --repo}; a path that is not a git repository is a usage error. */
  public static Repository open(CommandLine cl) throws UsageException, IOException {
    return AdminRepos.open(cl);
  }

  /** Refuses to run inside a push quarantine (usage error). */
  public static void refuseQuarantine(Io io, Repository repo) throws UsageException, IOException {
    AdminRepos.refuseQuarantine(io, repo);
  }

  /**
   * The exclusive admin lock of {@code repo}, taken at once or a usage error naming its holder's
   * file.
   */
  public static AutoCloseable lock(Repository repo) throws IOException, UsageException {
    return RepoLock.acquire(repo);
  }

  /**
   * Makes JGit fsync the objects and refs this process writes to {@code repo} (in-memory config
   * only).
   */
  public static void durable(Repository repo) {
    Repair.durable(repo);
  }

  /**
   * Ref lock files left in {@code repo} by a git process that is writing or was killed while it
   * did.
   */
  public static List<String> leftLocks(Repository repo) throws IOException {
    return Repair.leftLocks(repo);
  }

  /**
   * Applies {@code changes} as one atomic compare-and-set transaction (old = new: verify only).
   *
   * @return false when some ref did not hold its expected value (or another writer held its lock);
   *     then nothing changed
   * @throws IOException when the write failed for another reason (an error, not a race)
   */
  public static boolean compareAndSetAll(Repository repo, List<RefChange> changes, String log)
      throws IOException {
    List<RepairPlan.Update> updates = new ArrayList<>();
    for (RefChange c : changes) {
      updates.add(new RepairPlan.Update(c.ref(), c.oldId(), c.newId(), log));
    }
    return RefWriter.compareAndSetAll(repo, updates, log) == RefWriter.Result.DONE;
  }

  /** The ref's value, or the zero id when it does not exist. */
  public static ObjectId read(Repository repo, String ref) throws IOException {
    return RefWriter.read(repo, ref);
  }

  private static final java.time.format.DateTimeFormatter TS =
      java.time.format.DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'")
          .withZone(java.time.ZoneOffset.UTC);

  /**
   * A backup name for {@code now} in the form {@code repair} uses ({@code 20260601T120000Z}, then
   * {@code -2}, {@code -3} …), not used by any backup or result ref yet: what {@code restore
   * --backup} takes.
   */
  public static String backupName(Repository repo, java.time.Instant now) throws IOException {
    String base = TS.format(now);
    String ts = base;
    for (int i = 2; used(repo, ts); i++) {
      ts = base + "-" + i;
    }
    return ts;
  }

  private static boolean used(Repository repo, String ts) throws IOException {
    return !repo.getRefDatabase().getRefsByPrefix(RefNames.BACKUP_PREFIX + ts + "/").isEmpty()
        || !repo.getRefDatabase().getRefsByPrefix(RefNames.RESULT_PREFIX + ts + "/").isEmpty();
  }

  /**
   * Sets {@code checkpointGuard.v2} in the repository's config file (see {@link
   * ConvertUndo#setV2}).
   */
  public static void setV2(Repository repo, GuardSettings.V2State state) throws IOException {
    ConvertUndo.setV2(repo, state);
  }

  /** {@code checkpointGuard.v2} as the repository's config file says now; null when unset. */
  public static String v2Setting(Repository repo) throws IOException {
    return ConvertUndo.config(repo).getString(GuardSettings.SECTION, null, GuardSettings.V2_KEY);
  }

  /** Progress on {@code io}'s standard error with an estimate of the time left. */
  public static ProgressMonitor progress(Io io) {
    return new EtaProgressMonitor(io.err());
  }
}
