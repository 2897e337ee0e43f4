package dev.checkpointguard.convert;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.RepositoryCache;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.util.FS;

/**
 * The repositories below a folder, for {@code convert --repos DIR}: every bare repository (plain
 * {@code x.git}, GitLab's {@code @hashed/ab/cd/<sha256>.git}, Gitea's {@code <owner>/<name>.git}) and every
 * work tree's {@code .git}, found without following symbolic links, without looking inside a repository,
 * skipping Gitaly's {@code +gitaly} state folder; folders that cannot be listed are reported.
 *
 * <p>The same shape as the fleet walker of {@code check --repos} ({@code admin/Fleet}, on its way to main
 * while this was written): when it lands, this class is replaced by it. Repositories are converted one at a
 * time: each conversion already uses every processor and up to its heap.
 */
final class Repos {
  static final String GITALY_STATE = "+gitaly";

  record Repo(Path gitDir, String name) {}

  record Unlisted(String name, String problem) {}

  record Discovery(List<Repo> repositories, List<Unlisted> unlisted) {}

  /** What a task did with one repository: its result, or one line saying why it failed. */
  record Outcome<R>(Repo repo, R result, String problem) {
    boolean ok() {
      return problem == null;
    }
  }

  @FunctionalInterface
  interface Task<R> {
    R run(Repo repo, Repository repository) throws Exception;
  }

  private Repos() {}

  static Discovery discover(Path root) throws IOException {
    Path top = root.toRealPath();
    List<Repo> found = new ArrayList<>();
    List<Unlisted> unlisted = new ArrayList<>();
    Files.walkFileTree(top, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
        if (!dir.equals(top) && dir.getFileName().toString().equals(GITALY_STATE)) {
          return FileVisitResult.SKIP_SUBTREE;
        }
        if (isRepository(dir.toFile())) {
          found.add(new Repo(dir, name(top, dir)));
          return FileVisitResult.SKIP_SUBTREE;
        }
        Path dotGit = dir.resolve(".git");
        if (Files.isDirectory(dotGit) && isRepository(dotGit.toFile())) {
          found.add(new Repo(dotGit, name(top, dir)));
          return FileVisitResult.SKIP_SUBTREE;
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) {
        if (Files.isDirectory(file)) {
          unlisted.add(new Unlisted(name(top, file), "cannot be listed: "
              + (e instanceof java.nio.file.AccessDeniedException ? "permission denied" : e.getMessage())));
        }
        return FileVisitResult.CONTINUE;
      }
    });
    found.sort(Comparator.comparing(Repo::name));
    unlisted.sort(Comparator.comparing(Unlisted::name));
    return new Discovery(List.copyOf(found), List.copyOf(unlisted));
  }

  private static boolean isRepository(File dir) {
    return RepositoryCache.FileKey.isGitRepository(dir, FS.DETECTED);
  }

  private static String name(Path top, Path dir) {
    String rel = top.relativize(dir).toString().replace(File.separatorChar, '/');
    return rel.isEmpty() ? "." : rel;
  }

  /**
   * Runs {@code task} on each repository in turn; a failure (an exception, a repository that cannot be
   * opened) becomes that repository's outcome and the next one runs. Prints {@code [i/n] name} (and the
   * failure) to {@code progress} as each finishes.
   */
  static <R> List<Outcome<R>> run(List<Repo> repos, Task<R> task, PrintStream progress) {
    List<Outcome<R>> out = new ArrayList<>();
    int i = 0;
    for (Repo repo : repos) {
      Outcome<R> o;
      try (Repository r = new FileRepositoryBuilder().setGitDir(repo.gitDir().toFile()).setMustExist(true).build()) {
        o = new Outcome<>(repo, task.run(repo, r), null);
      } catch (Exception | OutOfMemoryError | StackOverflowError e) {
        o = new Outcome<>(repo, null, describe(e));
      }
      out.add(o);
      progress.println("[" + (++i) + "/" + repos.size() + "] " + repo.name() + (o.ok() ? "" : ": " + o.problem()));
      progress.flush();
    }
    return out;
  }

  /** One line: the failure's message and its cause's, never a stack trace. */
  static String describe(Throwable e) {
    String m = e.getMessage();
    if (m == null || m.isBlank()) {
      m = e instanceof OutOfMemoryError ? "out of memory" : e.getClass().getSimpleName();
    }
    Throwable c = e.getCause();
    if (c != null && c != e && c.getMessage() != null && !m.contains(c.getMessage())) {
      m = m + ": " + c.getMessage();
    }
    return m.replaceAll("[\\r\\n\\t]+", " ");
  }
}
