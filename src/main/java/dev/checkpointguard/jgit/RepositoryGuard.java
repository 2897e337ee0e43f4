package dev.checkpointguard.jgit;

import dev.checkpointguard.core.ArchiveIndex;
import dev.checkpointguard.core.CheckpointPolicy;
import dev.checkpointguard.core.CheckpointSetCache;
import dev.checkpointguard.core.GuardSettings;
import dev.checkpointguard.core.RefChange;
import dev.checkpointguard.core.Verdict;
import java.util.List;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Repository;

/**
 * The one entry point every adapter (the JGit hook of {@code serve}, the stock git hooks) uses to judge a
 * push into a repository: read the settings, refuse guarded refs when they are invalid, otherwise
 * evaluate the {@link CheckpointPolicy}; any failure around that becomes a per-ref internal-error verdict.
 * It never throws and never logs: adapters log the {@link Verdict#cause() causes} where their server
 * keeps its log.
 */
public final class RepositoryGuard {
  private RepositoryGuard() {}

  /**
   * One verdict per change, in order.
   *
   * @param repo the repository pushed into (its objects include the push's)
   * @param changes the commands to judge
   * @param fixedSettings settings to use, or null to read the repository's git config
   * @param cache memo of tree reads; null for none
   * @param index what the repository's archives hold, remembered between pushes; null for none
   * @return guarded refs refused with {@code invalid-settings} when the settings are invalid, with
   *     {@code internal-error} (cause set) when the config or the refs cannot be read; otherwise the
   *     policy's verdicts
   */
  public static List<Verdict> judge(
      Repository repo,
      List<RefChange> changes,
      GuardSettings fixedSettings,
      CheckpointSetCache cache,
      ArchiveIndex index) {
    try {
      GuardSettings settings = fixedSettings;
      if (settings == null) {
        try {
          settings = GuardSettings.from(repo.getConfig());
        } catch (GuardSettings.InvalidSettingsException e) {
          return CheckpointPolicy.refuseGuarded(changes, e.getMessage());
        }
      }
      try (ObjectReader reader = repo.newObjectReader()) {
        return new CheckpointPolicy(settings, cache)
            .evaluate(
                changes,
                RepositoryRefs.archives(repo, index == null ? ArchiveIndex.NONE : index),
                reader);
      }
    } catch (RuntimeException e) {
      // e.g. an unparsable config file: JGit's FileRepository.getConfig() throws IllegalArgumentException
      return CheckpointPolicy.internalErrors(changes, e);
    }
  }
}
