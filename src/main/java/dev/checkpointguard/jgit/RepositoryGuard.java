package dev.checkpointguard.jgit;

import dev.checkpointguard.core.ArchiveIndex;
import dev.checkpointguard.core.CheckpointPolicy;
import dev.checkpointguard.core.CheckpointSetCache;
import dev.checkpointguard.core.GuardSettings;
import dev.checkpointguard.core.RefChange;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.core.Verdict;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Repository;

/**
 * The one entry point every adapter (the JGit hook of {@code serve}, the stock git hooks,
 * mirroring) uses to judge a push into a repository: resolve the pushed names (a push to a symbolic
 * ref updates its target, so it is judged as its target), read the settings, refuse guarded refs
 * when they are invalid, otherwise evaluate the {@link CheckpointPolicy}; any failure around that
 * becomes a per-ref internal-error verdict. It never throws and never logs: adapters log the {@link
 * Verdict#cause() causes} where their server keeps its log.
 */
public final class RepositoryGuard {
  private RepositoryGuard() {}

  /**
   * How to judge.
   *
   * @param fixedSettings settings to use, or null to read the repository's git config
   * @param cache memo of tree reads; null for none
   * @param index what the repository's archives hold, remembered between pushes; null for none
   * @param clock tells the age of an archive a push deletes
   * @param namespacePrefix storage prefix of the push's git namespace ({@link
   *     RepositoryRefs#namespacePrefix}), "" for none
   * @param samePushCover which archives of the push may cover a {@code /full/current} reset in it
   *     (only those the adapter makes sure the reset never lands without)
   */
  public record Options(
      GuardSettings fixedSettings,
      CheckpointSetCache cache,
      ArchiveIndex index,
      Clock clock,
      String namespacePrefix,
      CheckpointPolicy.SamePushCover samePushCover) {
    /** Settings from git config, no memo, the system clock, root namespace, any same-push cover. */
    public static Options defaults() {
      return new Options(
          null, null, null, Clock.systemUTC(), "", CheckpointPolicy.SamePushCover.ANY);
    }

    public Options withSettings(GuardSettings s) {
      return new Options(s, cache, index, clock, namespacePrefix, samePushCover);
    }

    public Options withCache(CheckpointSetCache c) {
      return new Options(fixedSettings, c, index, clock, namespacePrefix, samePushCover);
    }

    public Options withIndex(ArchiveIndex i) {
      return new Options(fixedSettings, cache, i, clock, namespacePrefix, samePushCover);
    }

    public Options withClock(Clock c) {
      return new Options(fixedSettings, cache, index, c, namespacePrefix, samePushCover);
    }

    public Options withNamespacePrefix(String p) {
      return new Options(fixedSettings, cache, index, clock, p, samePushCover);
    }

    public Options withSamePushCover(CheckpointPolicy.SamePushCover cover) {
      return new Options(fixedSettings, cache, index, clock, namespacePrefix, cover);
    }
  }

  /** As {@link #judge(Repository, List, Options)} with the given settings, cache and index. */
  public static List<Verdict> judge(
      Repository repo,
      List<RefChange> changes,
      GuardSettings fixedSettings,
      CheckpointSetCache cache,
      ArchiveIndex index) {
    return judge(
        repo,
        changes,
        Options.defaults().withSettings(fixedSettings).withCache(cache).withIndex(index));
  }

  /**
   * One verdict per change, in order. A change to a symbolic ref is judged as a change of its
   * target: its verdict's {@link Verdict#change()} is the change as pushed, its message names the
   * target.
   *
   * @param repo the repository pushed into (its objects include the push's)
   * @param changes the commands to judge, by the names the pusher used
   * @return guarded refs refused with {@code invalid-settings} when the settings are invalid, with
   *     {@code internal-error} (cause set) when the config or the refs cannot be read; otherwise
   *     the policy's verdicts
   */
  public static List<Verdict> judge(Repository repo, List<RefChange> changes, Options options) {
    List<RefChange> resolved;
    try {
      resolved = resolve(repo, options.namespacePrefix(), changes);
    } catch (IOException | RuntimeException e) {
      return CheckpointPolicy.internalErrors(changes, e);
    }
    return asPushed(changes, resolved, judgeResolved(repo, resolved, options));
  }

  private static List<Verdict> judgeResolved(
      Repository repo, List<RefChange> resolved, Options options) {
    try {
      GuardSettings settings = options.fixedSettings();
      if (settings == null) {
        try {
          settings = GuardSettings.from(repo.getConfig());
        } catch (GuardSettings.InvalidSettingsException e) {
          return CheckpointPolicy.refuseGuarded(resolved, e.getMessage());
        }
      }
      CheckpointPolicy policy =
          new CheckpointPolicy(settings, options.cache(), options.clock())
              .withSamePushCover(options.samePushCover());
      try (ObjectReader reader = repo.newObjectReader()) {
        return policy.evaluate(
            resolved,
            RepositoryRefs.of(repo, options.namespacePrefix()),
            reader,
            options.index() == null ? ArchiveIndex.NONE : options.index());
      }
    } catch (RuntimeException e) {
      // e.g. an unparsable config file: JGit's FileRepository.getConfig() throws
      // IllegalArgumentException
      return CheckpointPolicy.internalErrors(resolved, e);
    }
  }

  /** The verdicts on {@code resolved}, each carrying the change as it was pushed. */
  private static List<Verdict> asPushed(
      List<RefChange> changes, List<RefChange> resolved, List<Verdict> verdicts) {
    List<Verdict> out = new ArrayList<>(verdicts.size());
    for (int i = 0; i < verdicts.size(); i++) {
      Verdict v = verdicts.get(i);
      out.add(
          changes.get(i) == resolved.get(i)
              ? v
              : new Verdict(
                  changes.get(i), v.outcome(), v.rule(), v.message(), v.cause(), v.requires()));
    }
    return out;
  }

  /**
   * The changes as the repository will apply them: a name that is a symbolic ref becomes its
   * target. A chain that leaves the namespace for a guarded ref becomes an unknown name under v2,
   * so it is refused.
   */
  static List<RefChange> resolve(Repository repo, String prefix, List<RefChange> changes)
      throws IOException {
    List<RefChange> out = new ArrayList<>(changes.size());
    for (RefChange c : changes) {
      String target = RepositoryRefs.target(repo, prefix, c.ref());
      if (target == null) {
        target = RefNames.V2_PREFIX + "outside-namespace/" + c.ref();
      }
      out.add(target.equals(c.ref()) ? c : new RefChange(target, c.oldId(), c.newId()));
    }
    return out;
  }
}
