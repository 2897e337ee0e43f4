package dev.checkpointguard.admin;

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
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.RepositoryCache;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.util.FS;

/**
 * The repositories of a whole server, for commands that work on every one of them ({@code check --repos
 * DIR}; {@code convert --repos DIR} follows the same shape): finding them under a folder, and running a task
 * on each with a bounded pool, progress on standard error, and one repository's failure reported without
 * stopping the others.
 *
 * <p>What {@link #discover} finds, recursively, without following symbolic links:
 *
 * <ul>
 *   <li>every bare repository, whatever its name: plain {@code DIR/x.git}, GitLab's hashed storage {@code
 *       @hashed/ab/cd/<sha256>.git} (with its {@code .wiki.git} and {@code .design.git} siblings and the
 *       object pools under {@code @pools/}), Gitea/Forgejo's {@code <owner>/<name>.git};
 *   <li>a work tree's repository, named after the work tree ({@code project} for {@code project/.git}).
 * </ul>
 *
 * It does not look inside a repository it found, skips Gitaly's internal state folder {@code +gitaly}
 * (temporary copies, caches), and reports folders it cannot list instead of failing.
 *
 * <pre>{@code
 * Fleet.Discovery found = Fleet.discover(root);
 * List<Fleet.Outcome<MyResult>> results =
 *     Fleet.run(found.repositories(), 4, (repo, git) -> doSomething(git), System.err);
 * }</pre>
 */
public final class Fleet {
  private Fleet() {}

  /** Gitaly keeps temporary repositories and caches here, inside each storage. */
  static final String GITALY_STATE = "+gitaly";

  /**
   * A repository found under the root.
   *
   * @param gitDir its git directory
   * @param name its path relative to the root, with {@code /} separators (the work tree's for a
   *     {@code .git})
   */
  public record Repo(Path gitDir, String name) {}

  /** A folder that could not be listed, so repositories below it may be missing. */
  public record Unlisted(String name, String problem) {}

  /** What {@link #discover} found: repositories sorted by name, and folders it could not list. */
  public record Discovery(List<Repo> repositories, List<Unlisted> unlisted) {}

  /**
   * The result of a task on one repository: {@code result} when it ran, else {@code problem} (one
   * line).
   */
  public record Outcome<R>(Repo repo, R result, String problem) {
    public boolean ok() {
      return problem == null;
    }
  }

  /** Work on one repository, opened for it and closed afterwards. */
  @FunctionalInterface
  public interface Task<R> {
    R run(Repo repo, Repository repository) throws Exception;
  }

  /** Every repository under {@code root} (see the class comment). */
  public static Discovery discover(Path root) throws IOException {
    Path top = root.toRealPath();
    List<Repo> found = new ArrayList<>();
    List<Unlisted> unlisted = new ArrayList<>();
    Files.walkFileTree(
        top,
        new SimpleFileVisitor<>() {
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
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) {
            if (Files.isDirectory(file)) {
              unlisted.add(new Unlisted(name(top, file), "cannot be listed: " + reason(e)));
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

  private static String reason(IOException e) {
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    }
    String m = e.getMessage();
    return m == null ? e.getClass().getSimpleName() : m;
  }

  /**
   * Runs {@code task} on every repository with at most {@code jobs} at a time, and returns the
   * outcomes in the order of {@code repos}. A task that throws (or a repository that cannot be
   * opened) gives an outcome with a problem; the others go on. Prints {@code [i/n] name:
   * done|problem} to {@code progress} as each finishes (null for silence).
   */
  public static <R> List<Outcome<R>> run(
      List<Repo> repos, int jobs, Task<R> task, PrintStream progress) throws InterruptedException {
    if (jobs < 1) {
      throw new IllegalArgumentException("jobs must be at least 1");
    }
    Objects.requireNonNull(task, "task");
    int n = repos.size();
    AtomicInteger finished = new AtomicInteger();
    ExecutorService pool =
        Executors.newFixedThreadPool(
            Math.max(1, Math.min(jobs, n)),
            r -> {
              Thread t = new Thread(r, "checkpoint-guard-fleet");
              t.setDaemon(true);
              return t;
            });
    try {
      List<Future<Outcome<R>>> futures = new ArrayList<>(n);
      for (Repo repo : repos) {
        futures.add(
            pool.submit(
                () -> {
                  Outcome<R> o = runOne(repo, task);
                  if (progress != null) {
                    int i = finished.incrementAndGet();
                    synchronized (progress) {
                      progress.println(
                          "["
                              + i
                              + "/"
                              + n
                              + "] "
                              + repo.name()
                              + (o.ok() ? "" : ": " + o.problem()));
                      progress.flush();
                    }
                  }
                  return o;
                }));
      }
      List<Outcome<R>> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        try {
          out.add(futures.get(i).get());
        } catch (java.util.concurrent.ExecutionException e) {
          out.add(new Outcome<>(repos.get(i), null, describe(e.getCause())));
        }
      }
      return out;
    } finally {
      pool.shutdownNow();
      pool.awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  private static <R> Outcome<R> runOne(Repo repo, Task<R> task) {
    try (Repository r =
        new FileRepositoryBuilder().setGitDir(repo.gitDir().toFile()).setMustExist(true).build()) {
      return new Outcome<>(repo, task.run(repo, r), null);
    } catch (Exception | StackOverflowError | OutOfMemoryError e) {
      return new Outcome<>(repo, null, describe(e));
    }
  }

  /** One line for people: the message of the failure (and of its cause), never a stack trace. */
  static String describe(Throwable e) {
    if (e instanceof org.eclipse.jgit.errors.MissingObjectException missing) {
      return "object "
          + missing.getObjectId().name()
          + " is missing (the repository is damaged or incomplete)";
    }
    String m = e.getMessage();
    if (m == null || m.isBlank()) {
      m =
          e instanceof OutOfMemoryError
              ? "out of memory"
              : e instanceof StackOverflowError
                  ? "too deeply nested"
                  : e.getClass().getSimpleName();
    }
    Throwable c = e.getCause();
    if (c != null && c != e && c.getMessage() != null && !m.contains(c.getMessage())) {
      m = m + ": " + c.getMessage();
    }
    return m.replaceAll("[\\r\\n\\t]+", " ");
  }
}
