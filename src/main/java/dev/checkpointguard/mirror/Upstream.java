package dev.checkpointguard.mirror;

import dev.checkpointguard.command.UsageException;
import java.io.IOException;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.errors.TransportException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ProgressMonitor;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.transport.FetchConnection;
import org.eclipse.jgit.transport.PackLock;
import org.eclipse.jgit.transport.Transport;
import org.eclipse.jgit.transport.URIish;

/**
 * The repository a mirror follows: its URL, checked once, and the one network step of a sync
 * ({@link #fetch}): list the upstream's refs and download the objects the mirror lacks, moving no
 * ref.
 */
public final class Upstream {
  private final String given;
  private final URIish uri;
  private final UpstreamTransport transport;

  private Upstream(String given, URIish uri, UpstreamTransport transport) {
    this.given = given;
    this.uri = uri;
    this.transport = transport;
  }

  /** {@link #parse(String, String, List)} of {@code --from}, with the built-in transports. */
  public static Upstream parse(String url) throws UsageException {
    return parse(url, "--from", UpstreamTransport.BUILT_IN);
  }

  /**
   * Checks {@code url}: a transport must handle it, and it must carry no password (other users of
   * the machine can read command lines and config files; git's credential helpers and {@code
   * ~/.netrc} are the place for secrets).
   */
  public static Upstream parse(String url, String label, List<UpstreamTransport> transports)
      throws UsageException {
    if (url == null || url.isBlank()) {
      throw new UsageException(label + " needs an upstream URL or path");
    }
    URIish uri;
    try {
      uri = new URIish(url);
    } catch (URISyntaxException e) {
      throw new UsageException(label + " " + safe(url) + ": not a git URL or path");
    }
    if (uri.getPass() != null) {
      throw new UsageException(
          label
              + ": the URL carries a password; remove it and let git's credential helper"
              + " or ~/.netrc provide it (docs/mirror.md, \"Credentials\")");
    }
    for (UpstreamTransport t : transports) {
      if (t.handles(uri)) {
        return new Upstream(url, uri, t);
      }
    }
    String scheme = uri.getScheme() == null ? "scp-like ssh" : uri.getScheme() + "://";
    throw new UsageException(
        label
            + " "
            + safe(url)
            + ": "
            + scheme
            + " upstreams are not supported;"
            + " use a path, file://, http://, https:// or ssh://");
  }

  /**
   * A URL as printed: user info removed (the URL may have a user name; it never has a password).
   */
  private static String safe(String url) {
    return url.replaceAll("//[^/@]*@", "//");
  }

  /** True when this upstream is reached through {@code t}. */
  boolean isOver(UpstreamTransport t) {
    return transport == t;
  }

  /** The upstream as given, safe to print and log. */
  public String display() {
    return safe(given);
  }

  /** What one fetch saw and brought. */
  record Fetched(Map<String, ObjectId> refs, String head, int wanted, List<PackLock> locks) {
    /** Releases the {@code .keep} files that protect the new packs until the refs point at them. */
    void unlock() {
      for (PackLock l : locks) {
        try {
          l.unlock();
        } catch (IOException e) {
          // a left .keep file only keeps a pack from being repacked; nothing is lost
        }
      }
    }
  }

  /** The upstream could not be read; the mirror is unchanged. The message is safe to print. */
  static final class UnreachableException extends Exception {
    UnreachableException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Lists the upstream's refs and downloads every object the mirror needs for them, moving no ref.
   * Refs under {@code refs/checkpoint-guard/} (the upstream's own guard refs) are neither listed
   * nor fetched; {@code HEAD} is reported as its symbolic target when the upstream says. The
   * fetched packs stay locked ({@code .keep}) until {@link Fetched#unlock}, so no {@code gc}
   * removes them before refs point at them.
   */
  Fetched fetch(
      Repository repo, Map<String, String> env, ProgressMonitor monitor, int timeoutSeconds)
      throws UnreachableException {
    try (Transport t = transport.open(repo, uri, env)) {
      t.setTimeout(timeoutSeconds);
      Map<String, ObjectId> refs = new TreeMap<>();
      String head = null;
      List<Ref> want = new ArrayList<>();
      List<PackLock> locks = new ArrayList<>();
      try (FetchConnection c = t.openFetch()) {
        for (Ref r : c.getRefs()) {
          String name = r.getName();
          if (name.equals(Constants.HEAD)) {
            if (r.isSymbolic()) {
              head = r.getTarget().getName();
            }
            continue;
          }
          if (!MirrorRefs.isMirrored(name) || r.getObjectId() == null) {
            continue;
          }
          refs.put(name, r.getObjectId());
          if (!repo.getObjectDatabase().has(r.getObjectId())) {
            want.add(r);
          }
        }
        if (!want.isEmpty()) {
          c.setPackLockMessage("checkpoint-guard mirror");
          c.fetch(monitor, want, Collections.emptySet());
          locks.addAll(c.getPackLocks());
        }
      }
      if (!want.isEmpty()) {
        checkConnected(repo, want);
      }
      if (t.getCredentialsProvider() instanceof GitCredentials g) {
        g.approve();
      }
      return new Fetched(Collections.unmodifiableMap(refs), head, want.size(), locks);
    } catch (TransportException e) {
      throw new UnreachableException(describe(e), e);
    } catch (IOException e) {
      throw new UnreachableException("reading the fetched objects failed: " + e.getMessage(), e);
    }
  }

  /**
   * Refuses an incomplete object graph, as git's fetch does: every fetched tip must be complete.
   */
  private static void checkConnected(Repository repo, List<Ref> want)
      throws IOException, UnreachableException {
    List<ObjectId> tips = new ArrayList<>();
    want.forEach(r -> tips.add(r.getObjectId()));
    List<ObjectId> complete = new ArrayList<>();
    for (Ref r : repo.getRefDatabase().getRefs()) {
      if (r.getObjectId() != null) {
        complete.add(r.getObjectId());
      }
    }
    try (org.eclipse.jgit.lib.ObjectReader reader = repo.newObjectReader()) {
      Connectivity.check(reader, tips, complete);
    } catch (MissingObjectException e) {
      throw new UnreachableException(
          "the upstream sent an incomplete object graph (missing "
              + e.getObjectId().name()
              + "); nothing was changed",
          e);
    }
  }

  private String describe(TransportException e) {
    String m = e.getMessage() == null ? "" : e.getMessage();
    // JGit prefixes the URI (without password); show the URL the way the administrator gave it
    String u = uri.setPass(null).toPrivateString();
    if (m.startsWith(u + ": ")) {
      m = m.substring(u.length() + 2);
    }
    m = transport.describe(uri, m);
    return "cannot fetch from " + display() + ": " + safe(m);
  }
}
