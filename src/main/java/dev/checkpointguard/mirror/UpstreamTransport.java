package dev.checkpointguard.mirror;

import java.util.List;
import org.eclipse.jgit.errors.TransportException;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.transport.Transport;
import org.eclipse.jgit.transport.URIish;

/**
 * How the mirror reaches one kind of upstream URL. {@link #BUILT_IN} knows local paths, {@code
 * file://}, {@code http://} and {@code https://}; an SSH transport plugs in as one more
 * implementation (it opens a JGit {@code SshTransport} with its session factory and key/known-hosts
 * policy) added to the list given to {@link Upstream#parse(String, String, List)}.
 */
public interface UpstreamTransport {
  /** True when this transport serves {@code uri}. */
  boolean handles(URIish uri);

  /**
   * Opens a JGit transport from {@code local} to {@code uri}, with this transport's authentication
   * set up ({@code env} is the process environment, e.g. {@code HOME} for {@code ~/.netrc}). The
   * caller sets the timeout and closes it.
   */
  Transport open(Repository local, URIish uri, java.util.Map<String, String> env)
      throws TransportException;

  /**
   * The reason a fetch from {@code uri} failed, as the administrator reads it: {@code message} is
   * the transport's own; a transport that knows better (SSH: which host key, which file, what to
   * run) says so.
   */
  default String describe(URIish uri, String message) {
    return message;
  }

  /** Local paths and {@code file://}: JGit's in-process upload-pack on the other repository. */
  UpstreamTransport LOCAL =
      new UpstreamTransport() {
        @Override
        public boolean handles(URIish uri) {
          String s = uri.getScheme();
          return (s == null && uri.getHost() == null) || "file".equals(s);
        }

        @Override
        public Transport open(Repository local, URIish uri, java.util.Map<String, String> env)
            throws TransportException {
          try {
            Transport t = Transport.open(local, uri);
            if (GIT_ON_PATH) {
              // as git's own fetch from a path: C git's upload-pack makes the pack (JGit's
              // in-process one
              // walks every tree of the mirror's tips to find what it has: seconds on a big
              // repository)
              t.setOptionUploadPack("git upload-pack --strict");
            }
            return t;
          } catch (org.eclipse.jgit.errors.NotSupportedException e) {
            throw new TransportException(uri, "not a git repository", e);
          }
        }
      };

  /** Whether a {@code git} executable is on this process's PATH. */
  boolean GIT_ON_PATH = GitPath.onPath();

  /**
   * {@code http://} and {@code https://}: JGit's smart HTTP client, credentials from git's own
   * mechanisms ({@link GitCredentials}: {@code ~/.netrc}, then {@code git credential fill}).
   */
  UpstreamTransport HTTP =
      new UpstreamTransport() {
        @Override
        public boolean handles(URIish uri) {
          return "http".equals(uri.getScheme()) || "https".equals(uri.getScheme());
        }

        @Override
        public Transport open(Repository local, URIish uri, java.util.Map<String, String> env)
            throws TransportException {
          try {
            Transport t = Transport.open(local, uri);
            t.setCredentialsProvider(new GitCredentials(env));
            return t;
          } catch (org.eclipse.jgit.errors.NotSupportedException e) {
            throw new TransportException(uri, "not supported", e);
          }
        }
      };

  /** Finds {@code git} on the PATH once. */
  final class GitPath {
    private GitPath() {}

    static boolean onPath() {
      String path = System.getenv("PATH");
      if (path == null) {
        return false;
      }
      for (String dir : path.split(java.io.File.pathSeparator)) {
        if (!dir.isEmpty() && java.nio.file.Files.isExecutable(java.nio.file.Path.of(dir, "git"))) {
          return true;
        }
      }
      return false;
    }
  }

  /**
   * {@code ssh://} and scp-like {@code host:path}: JGit's SSH transport, the user's keys and known
   * hosts, host keys always checked ({@link SshUpstreamTransport}). Made here, not read from a
   * constant of that class: initialising it first (for {@code --ssh-known-hosts}) initialises this
   * interface, whose default method makes it a superinterface that is initialised with it, and such
   * a constant would still be null here.
   */
  UpstreamTransport SSH = new SshUpstreamTransport(null);

  /** The transports this build ships, tried in order. */
  List<UpstreamTransport> BUILT_IN = List.of(LOCAL, HTTP, SSH);
}
