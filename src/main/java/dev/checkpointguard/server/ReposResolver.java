package dev.checkpointguard.server;

import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.eclipse.jgit.errors.RepositoryNotFoundException;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.RepositoryCache;
import org.eclipse.jgit.transport.resolver.RepositoryResolver;
import org.eclipse.jgit.util.FS;

/**
 * Maps {@code /<name>.git} to the bare repository {@code DIR/<name>.git}, and nothing else.
 *
 * <p>A name is one path segment of {@code A-Z a-z 0-9 . _ -} ending in {@code .git} and not
 * starting with a dot, so {@code ..}, absolute paths, separators (encoded or not) and hidden
 * directories are refused before the file system is touched. The resolved directory must still lie
 * inside DIR after symbolic links are followed, and must be a bare repository. Every refusal is the
 * same {@link RepositoryNotFoundException}: GitServlet answers 404, telling a prober nothing.
 */
final class ReposResolver implements RepositoryResolver<HttpServletRequest> {
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,200}\\.git");

  private final Path root;

  /**
   * @param reposDir the repositories folder; must exist
   */
  ReposResolver(Path reposDir) throws IOException {
    this.root = reposDir.toRealPath();
  }

  @Override
  public Repository open(HttpServletRequest req, String name) throws RepositoryNotFoundException {
    Path dir = resolve(name);
    Repository r;
    try {
      r = RepositoryCache.open(RepositoryCache.FileKey.exact(dir.toFile(), FS.DETECTED), true);
    } catch (IOException e) {
      throw new RepositoryNotFoundException(name, e);
    }
    // JGit reads and writes SHA-1 objects only, and opens a SHA-256 repository without complaint: a
    // push
    // would write SHA-1 objects into it and break it for git. Such a repository is not served at
    // all.
    String format = r.getConfig().getString("extensions", null, "objectformat");
    if (format != null && !format.equalsIgnoreCase("sha1")) {
      r.close();
      throw new RepositoryNotFoundException(name);
    }
    return r;
  }

  /**
   * The repository directory for a request name.
   *
   * @throws RepositoryNotFoundException if the name is not allowed, escapes the folder or is not a
   *     bare repository
   */
  Path resolve(String name) throws RepositoryNotFoundException {
    if (name == null || !NAME.matcher(name).matches() || name.contains("..")) {
      throw new RepositoryNotFoundException(String.valueOf(name));
    }
    Path dir = root.resolve(name);
    Path real;
    try {
      real = dir.toRealPath();
    } catch (IOException e) {
      throw new RepositoryNotFoundException(name);
    }
    if (!real.getParent().equals(root) || !Files.isDirectory(real, LinkOption.NOFOLLOW_LINKS)) {
      throw new RepositoryNotFoundException(name);
    }
    if (!RepositoryCache.FileKey.isGitRepository(real.toFile(), FS.DETECTED)
        || Files.exists(real.resolve(".git"))) {
      throw new RepositoryNotFoundException(name);
    }
    return real;
  }
}
