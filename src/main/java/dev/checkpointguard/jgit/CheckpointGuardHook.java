package dev.checkpointguard.jgit;

import dev.checkpointguard.core.ArchiveIndex;
import dev.checkpointguard.core.CheckpointPolicy;
import dev.checkpointguard.core.CheckpointSetCache;
import dev.checkpointguard.core.GuardSettings;
import dev.checkpointguard.core.Messages;
import dev.checkpointguard.core.RefChange;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.core.Rule;
import dev.checkpointguard.core.Verdict;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.eclipse.jgit.lib.BatchRefUpdate;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefDatabase;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.transport.PreReceiveHook;
import org.eclipse.jgit.transport.ReceiveCommand;
import org.eclipse.jgit.transport.ReceivePack;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JGit adapter: a {@link PreReceiveHook} that applies the {@link CheckpointPolicy} to the
 * commands of a push and records each rejection on its command ({@code REJECTED_OTHER_REASON} with
 * the guard's message, which reaches the pusher as {@code [remote rejected] (…)}). Warnings of warn
 * mode go to the pusher as {@code remote:} lines.
 *
 * <p>Install it on a {@link ReceivePack} directly, or as the <em>last</em> hook of a {@code
 * PreReceiveHookChain}: commands that an earlier hook already rejected are left alone and count as
 * not applied. It must run last because its verdicts depend on each other: a {@code /full/current}
 * reset may be accepted because an archive of the same push holds the transcripts it drops. Such a
 * reset and its archives are applied by this hook itself, as one atomic ref transaction (unless the
 * whole push is atomic already), so the reset can never land without them, even when another push
 * takes the archive's name meanwhile; JGit then applies only the commands still pending. A hook
 * after it would see those commands already applied. Every pending command is looked at, not only
 * guarded names: a push to a symbolic ref updates its target and is judged as that target. Settings
 * are read from the repository's config on every push unless fixed settings are given; what is
 * judged and how failures are reported is {@link RepositoryGuard#judge}.
 *
 * <pre>{@code
 * ReceivePack rp = new ReceivePack(repository);
 * rp.setPreReceiveHook(new CheckpointGuardHook());
 * }</pre>
 */
public final class CheckpointGuardHook implements PreReceiveHook {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointGuardHook.class);

  private final GuardSettings fixedSettings;
  private final CheckpointSetCache cache;
  private final VerdictListener listener;
  private final ArchiveIndex.Registry indexes;
  private final Clock clock;

  /**
   * Receives the verdicts of each push, e.g. for an audit log: after the rejections are set on
   * their commands, before the guard applies any command itself (see the class comment).
   */
  @FunctionalInterface
  public interface VerdictListener {
    void onVerdicts(ReceivePack rp, List<Verdict> verdicts);
  }

  /** Settings from each repository's git config; a small shared cache of tree reads. */
  public CheckpointGuardHook() {
    this(null, SHARED_CACHE, null);
  }

  /**
   * @param fixedSettings settings for every repository, or null to read each repository's git
   *     config
   * @param cache memo of tree reads, may be shared by all hooks of a process; null for none
   * @param listener told about every push's verdicts, or null
   */
  public CheckpointGuardHook(
      GuardSettings fixedSettings, CheckpointSetCache cache, VerdictListener listener) {
    this(fixedSettings, cache, listener, SHARED_INDEXES);
  }

  /**
   * @param indexes per-repository archive indexes (what each archive holds, remembered between
   *     pushes so that a reset covered by content costs what it drops, not what the server holds);
   *     null for none
   */
  public CheckpointGuardHook(
      GuardSettings fixedSettings,
      CheckpointSetCache cache,
      VerdictListener listener,
      ArchiveIndex.Registry indexes) {
    this(fixedSettings, cache, listener, indexes, Clock.systemUTC());
  }

  /**
   * @param clock tells the age of an archived generation a push deletes (tests inject one)
   */
  public CheckpointGuardHook(
      GuardSettings fixedSettings,
      CheckpointSetCache cache,
      VerdictListener listener,
      ArchiveIndex.Registry indexes,
      Clock clock) {
    this.fixedSettings = fixedSettings;
    this.cache = cache == null ? CheckpointSetCache.NONE : cache;
    this.listener = listener;
    this.indexes = indexes;
    this.clock = clock;
  }

  /**
   * One cache for the hooks made with the no-argument constructor: about 8 MiB of checkpoint ids.
   */
  private static final CheckpointSetCache SHARED_CACHE = CheckpointSetCache.lru(1_000_000);

  /**
   * One set of archive indexes for the hooks of a process: up to 64 repositories and 2 million
   * archived checkpoints in all (17 to 34 bytes each: a table of 12-byte slots kept 35% to 70%
   * full; at most about 68 MiB).
   */
  private static final ArchiveIndex.Registry SHARED_INDEXES =
      new ArchiveIndex.Registry(64, 2_000_000);

  @Override
  public void onPreReceive(ReceivePack rp, Collection<ReceiveCommand> commands) {
    // Every pending command, guarded or not: a name that is a symbolic ref may update a guarded
    // ref.
    List<ReceiveCommand> pending = new ArrayList<>();
    List<RefChange> changes = new ArrayList<>();
    boolean guarded = false;
    for (ReceiveCommand cmd : commands) {
      if (cmd.getResult() == ReceiveCommand.Result.NOT_ATTEMPTED) {
        pending.add(cmd);
        changes.add(new RefChange(cmd.getRefName(), cmd.getOldId(), cmd.getNewId()));
        guarded |= RefNames.isGuarded(cmd.getRefName());
      }
    }
    Repository repo = rp.getRepository();
    if (pending.isEmpty() || (!guarded && !anySymbolic(repo, pending))) {
      return;
    }
    List<Verdict> verdicts = evaluate(repo, changes);
    for (int i = 0; i < pending.size(); i++) {
      Verdict v = verdicts.get(i);
      ReceiveCommand cmd = pending.get(i);
      switch (v.outcome()) {
        case REJECT:
          cmd.setResult(ReceiveCommand.Result.REJECTED_OTHER_REASON, v.message());
          break;
        case WARN:
          rp.sendMessage(v.message());
          break;
        default:
          break;
      }
      if (v.cause() != null) {
        LOG.error("checkpoint-guard could not check {} in {}", v.ref(), repo, v.cause());
      }
    }
    if (listener != null) {
      listener.onVerdicts(rp, verdicts);
    }
    for (int i = 0; i < pending.size(); i++) {
      Verdict v = verdicts.get(i);
      if (v.accepted() && !v.requires().isEmpty() && !rp.isAtomic()) {
        applyTogether(rp, pending.get(i), required(pending, changes, v.requires()));
      }
    }
  }

  /** True when a pending command names a symbolic ref (whose target may be guarded). */
  private static boolean anySymbolic(Repository repo, List<ReceiveCommand> pending) {
    try {
      for (ReceiveCommand cmd : pending) {
        Ref r = repo.getRefDatabase().exactRef(cmd.getRefName());
        if (r != null && r.isSymbolic()) {
          return true;
        }
      }
      return false;
    } catch (IOException e) {
      return true; // let the guard judge, and refuse what it cannot read
    }
  }

  /** The pending commands behind {@code requires} (matched by ref and ids). */
  private static List<ReceiveCommand> required(
      List<ReceiveCommand> pending, List<RefChange> changes, List<RefChange> requires) {
    List<ReceiveCommand> out = new ArrayList<>();
    for (RefChange r : requires) {
      for (int j = 0; j < changes.size(); j++) {
        if (changes.get(j).equals(r)) {
          out.add(pending.get(j));
          break;
        }
      }
    }
    return out;
  }

  /**
   * Applies a {@code /full/current} update together with the archives of the same push that hold
   * what it drops, as one atomic ref transaction, so that it can never land without them (another
   * push may take an archive's name between this hook and the update). JGit then leaves these
   * commands alone: it applies only those still {@code NOT_ATTEMPTED}. Not needed for an atomic
   * push, whose whole batch is one transaction already.
   */
  private static void applyTogether(
      ReceivePack rp, ReceiveCommand reset, List<ReceiveCommand> required) {
    List<ReceiveCommand> group = new ArrayList<>(required);
    group.add(reset);
    List<String> names = new ArrayList<>();
    for (ReceiveCommand cmd : required) {
      names.add(cmd.getRefName());
    }
    for (ReceiveCommand cmd : group) {
      if (cmd.getResult() != ReceiveCommand.Result.NOT_ATTEMPTED) {
        reset.setResult(
            ReceiveCommand.Result.REJECTED_OTHER_REASON,
            Messages.requiredNotApplied(reset.getRefName(), names));
        return;
      }
    }
    Repository repo = rp.getRepository();
    RefDatabase db = repo.getRefDatabase();
    if (!db.performsAtomicTransactions()) {
      reset.setResult(
          ReceiveCommand.Result.REJECTED_OTHER_REASON,
          Messages.requiredNotApplied(reset.getRefName(), names));
      return;
    }
    BatchRefUpdate batch = db.newBatchUpdate();
    batch.setAtomic(true);
    batch.setAllowNonFastForwards(rp.isAllowNonFastForwards());
    batch.setRefLogIdent(rp.getRefLogIdent());
    batch.setRefLogMessage("push", true);
    batch.addCommand(group);
    try {
      batch.execute(rp.getRevWalk(), NullProgressMonitor.INSTANCE);
    } catch (IOException e) {
      LOG.error(
          "checkpoint-guard could not apply {} with {} in {}", reset.getRefName(), names, repo, e);
      for (ReceiveCommand cmd : group) {
        if (cmd.getResult() == ReceiveCommand.Result.NOT_ATTEMPTED) {
          cmd.setResult(ReceiveCommand.Result.LOCK_FAILURE);
        }
      }
    }
    if (reset.getResult() != ReceiveCommand.Result.OK) {
      reset.setResult(
          ReceiveCommand.Result.REJECTED_OTHER_REASON,
          Messages.requiredNotApplied(reset.getRefName(), names));
    }
  }

  private List<Verdict> evaluate(Repository repo, List<RefChange> changes) {
    List<Verdict> verdicts =
        RepositoryGuard.judge(
            repo,
            changes,
            RepositoryGuard.Options.defaults()
                .withSettings(fixedSettings)
                .withCache(cache)
                .withClock(clock)
                .withIndex(
                    indexes == null ? null : indexes.forRepository(RepositoryRefs.key(repo))));
    for (Verdict v : verdicts) {
      if (v.rule() == Rule.INVALID_SETTINGS) {
        LOG.error("{}: {}", repo, v.message());
        break;
      }
    }
    return verdicts;
  }
}
