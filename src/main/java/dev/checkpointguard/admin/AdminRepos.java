package dev.checkpointguard.admin;

import dev.checkpointguard.command.Io;
import dev.checkpointguard.command.UsageException;
import dev.checkpointguard.core.GuardSettings;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.RepositoryCache;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.util.FS;

/**
 * What the admin commands share: opening {@code --repo}, the threshold, the push-quarantine check.
 */
final class AdminRepos {
  private AdminRepos() {}

  static Option repoOption() {
    return Option.builder()
        .longOpt("repo")
        .hasArg()
        .argName("DIR")
        .required()
        .desc("the repository (bare, or a work tree's top directory)")
        .get();
  }

  static Option thresholdOption() {
    return Option.builder()
        .longOpt("threshold")
        .hasArg()
        .argName("N")
        .desc(
            "checkpoints an archive needs (default: git config checkpointGuard.threshold, else 100)")
        .get();
  }

  /** Opens {@code --repo}; a path that is not a git repository is a usage error. */
  static Repository open(CommandLine cl) throws UsageException, IOException {
    String dir = cl.getOptionValue("repo");
    Path p = Path.of(dir);
    if (!Files.isDirectory(p)) {
      throw new UsageException("--repo " + dir + ": not a directory");
    }
    File gitDir = RepositoryCache.FileKey.resolve(p.toFile(), FS.DETECTED);
    if (gitDir == null) {
      throw new UsageException("--repo " + dir + ": not a git repository");
    }
    return new FileRepositoryBuilder().setGitDir(gitDir).setMustExist(true).build();
  }

  /** {@code --threshold}, else the repository's {@code checkpointGuard.threshold}, else 100. */
  static int threshold(CommandLine cl, Repository repo) throws UsageException {
    String t = cl.getOptionValue("threshold");
    if (t != null) {
      OptionalInt n = GuardSettings.thresholdValue(t);
      if (n.isEmpty()) {
        throw new UsageException(
            "--threshold " + t + ": expected " + GuardSettings.THRESHOLD_EXPECTED);
      }
      return n.getAsInt();
    }
    try {
      return GuardSettings.from(repo.getConfig()).threshold();
    } catch (GuardSettings.InvalidSettingsException e) {
      throw new UsageException(e.getMessage());
    }
  }

  /**
   * Refuses to run inside a push quarantine: objects written there vanish when the push is refused,
   * and refs must not point at them (git-receive-pack(1), "QUARANTINE ENVIRONMENT").
   */
  static void refuseQuarantine(Io io, Repository repo) throws UsageException, IOException {
    String q = io.env().get("GIT_QUARANTINE_PATH");
    if (q != null && !q.isEmpty()) {
      throw new UsageException(
          "refusing to run inside a push quarantine (GIT_QUARANTINE_PATH is set); run it outside git hooks");
    }
    String od = io.env().get("GIT_OBJECT_DIRECTORY");
    if (od != null && !od.isEmpty()) {
      File own =
          repo.getObjectDatabase()
                  instanceof org.eclipse.jgit.internal.storage.file.ObjectDirectory d
              ? d.getDirectory()
              : new File(repo.getDirectory(), "objects");
      if (!new File(od).getCanonicalFile().equals(own.getCanonicalFile())) {
        throw new UsageException(
            "refusing to run: GIT_OBJECT_DIRECTORY ("
                + od
                + ") is not the repository's own object directory (a push quarantine?)");
      }
    }
  }
}
