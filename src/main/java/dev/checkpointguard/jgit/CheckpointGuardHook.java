package dev.checkpointguard.jgit;

import dev.checkpointguard.core.ArchiveIndex;
import dev.checkpointguard.core.CheckpointPolicy;
import dev.checkpointguard.core.CheckpointSetCache;
import dev.checkpointguard.core.GuardSettings;
import dev.checkpointguard.core.RefChange;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.core.Rule;
import dev.checkpointguard.core.Verdict;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.transport.PreReceiveHook;
import org.eclipse.jgit.transport.ReceiveCommand;
import org.eclipse.jgit.transport.ReceivePack;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JGit adapter: a {@link PreReceiveHook} that applies the {@link CheckpointPolicy} to the commands of
 * a push and records each rejection on its command ({@code REJECTED_OTHER_REASON} with the guard's
 * message, which reaches the pusher as {@code [remote rejected] (…)}). Warnings of warn mode go to the
 * pusher as {@code remote:} lines.
 *
 * <p>Install it on a {@link ReceivePack} directly, or as the <em>last</em> hook of a
 * {@code PreReceiveHookChain}: commands that an earlier hook already rejected are left alone and count as
 * not applied. It must run last because its verdicts depend on each other: a {@code /full/current} reset
 * is accepted when an archive of the same push covers the checkpoints it drops. A hook after it that
 * rejects that archive (or an update that then fails on its own, in a non-atomic push) lets the reset
 * land without its cover, and the checkpoints are lost. The same holds for stock git: no other
 * {@code pre-receive} or {@code update} hook should be able to refuse a ref after the guard accepted it.
 * Settings are read from the repository's config on every push unless fixed settings are given; what is
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

  /** Receives the verdicts of each push, e.g. for an audit log. */
  @FunctionalInterface
  public interface VerdictListener {
    void onVerdicts(ReceivePack rp, List<Verdict> verdicts);
  }

  /** Settings from each repository's git config; a small shared cache of tree reads. */
  public CheckpointGuardHook() {
    this(null, SHARED_CACHE, null);
  }

  /**
   * @param fixedSettings settings for every repository, or null to read each repository's git config
   * @param cache memo of tree reads, may be shared by all hooks of a process; null for none
   * @param listener told about every push's verdicts, or null
   */
  public CheckpointGuardHook(
      GuardSettings fixedSettings, CheckpointSetCache cache, VerdictListener listener) {
    this(fixedSettings, cache, listener, SHARED_INDEXES);
  }

  /**
   * @param indexes per-repository archive indexes (what each archive holds, remembered between pushes so
   *     that a reset covered by content costs what it drops, not what the server holds); null for none
   */
  public CheckpointGuardHook(
      GuardSettings fixedSettings,
      CheckpointSetCache cache,
      VerdictListener listener,
      ArchiveIndex.Registry indexes) {
    this.fixedSettings = fixedSettings;
    this.cache = cache == null ? CheckpointSetCache.NONE : cache;
    this.listener = listener;
    this.indexes = indexes;
  }

  /** One cache for the hooks made with the no-argument constructor: about 8 MiB of checkpoint ids. */
  private static final CheckpointSetCache SHARED_CACHE = CheckpointSetCache.lru(1_000_000);

  /**
   * One set of archive indexes for the hooks of a process: up to 64 repositories and 2 million archived
   * checkpoints in all (17 to 34 bytes each: a table of 12-byte slots kept 35% to 70% full; at most
   * about 68 MiB).
   */
  private static final ArchiveIndex.Registry SHARED_INDEXES = new ArchiveIndex.Registry(64, 2_000_000);

  @Override
  public void onPreReceive(ReceivePack rp, Collection<ReceiveCommand> commands) {
    List<ReceiveCommand> guarded = new ArrayList<>();
    List<RefChange> changes = new ArrayList<>();
    for (ReceiveCommand cmd : commands) {
      if (cmd.getResult() == ReceiveCommand.Result.NOT_ATTEMPTED
          && RefNames.isGuarded(cmd.getRefName())) {
        guarded.add(cmd);
        changes.add(new RefChange(cmd.getRefName(), cmd.getOldId(), cmd.getNewId()));
      }
    }
    if (guarded.isEmpty()) {
      return;
    }
    Repository repo = rp.getRepository();
    List<Verdict> verdicts = evaluate(repo, changes);
    for (int i = 0; i < guarded.size(); i++) {
      Verdict v = verdicts.get(i);
      ReceiveCommand cmd = guarded.get(i);
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
  }

  private List<Verdict> evaluate(Repository repo, List<RefChange> changes) {
    List<Verdict> verdicts =
        RepositoryGuard.judge(
            repo,
            changes,
            fixedSettings,
            cache,
            indexes == null ? null : indexes.forRepository(RepositoryRefs.key(repo)));
    for (Verdict v : verdicts) {
      if (v.rule() == Rule.INVALID_SETTINGS) {
        LOG.error("{}: {}", repo, v.message());
        break;
      }
    }
    return verdicts;
  }
}
