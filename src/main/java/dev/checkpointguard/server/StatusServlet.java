package dev.checkpointguard.server;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.eclipse.jgit.errors.RepositoryNotFoundException;
import org.eclipse.jgit.lib.Repository;

/**
 * The read-only status pages, open to whoever may fetch: {@code GET /} lists the repositories with
 * their health, {@code GET /-/repos/<name>.git} shows one. Names are checked by the same {@link
 * ReposResolver} as git's own URLs (anything else is 404, as for git), so a page can never name a
 * folder git would not serve. Pages carry a Content-Security-Policy that allows no script at all,
 * on top of encoding every value.
 */
final class StatusServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;

  /** Where one repository's page lives: {@code /-/repos/<name>.git}. */
  static final String REPO_PATH = "/repos/";

  /** No script, no frames, no forms, no outside resources. */
  static final String CSP =
      "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'none';"
          + " frame-ancestors 'none'";

  private final transient Path reposDir;
  private final transient ReposResolver resolver;
  private final transient StatusCache cache;
  private final transient PushEvents events;
  private final transient Duration wait;

  /**
   * @param wait how long one page view waits for audits before answering with what is known
   */
  StatusServlet(
      Path reposDir, ReposResolver resolver, StatusCache cache, PushEvents events, Duration wait) {
    this.reposDir = reposDir;
    this.resolver = resolver;
    this.cache = cache;
    this.events = events;
    this.wait = wait;
  }

  @Override
  protected void doGet(HttpServletRequest req, HttpServletResponse rsp) throws IOException {
    String servletPath = req.getServletPath();
    String info = req.getPathInfo();
    if (servletPath.isEmpty() && (info == null || info.equals("/"))) {
      send(rsp, StatusHtml.index(rows(), base(req)));
      return;
    }
    if (servletPath.equals("/-") && info != null && info.startsWith(REPO_PATH)) {
      String name = info.substring(REPO_PATH.length());
      Path dir = servable(name);
      if (dir != null) {
        StatusCache.View view = cache.view(dir, wait);
        send(rsp, StatusHtml.repository(name, view, lastPush(name, view), base(req) + name));
        return;
      }
    }
    rsp.sendError(HttpServletResponse.SC_NOT_FOUND);
  }

  private List<StatusHtml.Row> rows() throws IOException {
    List<String> names = new ArrayList<>();
    try (Stream<Path> children = Files.list(reposDir)) {
      children
          .map(p -> p.getFileName().toString())
          .filter(n -> ReposResolver.NAME.matcher(n).matches())
          .sorted()
          .forEach(names::add);
    }
    List<StatusHtml.Row> rows = new ArrayList<>();
    long deadline = System.nanoTime() + wait.toNanos();
    for (String name : names) {
      Path dir = servable(name);
      if (dir == null) {
        continue;
      }
      // one budget for the whole page: a slow repository leaves the others their audits' last
      // results
      Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
      StatusCache.View view = cache.view(dir, left);
      rows.add(new StatusHtml.Row(name, view, lastPush(name, view)));
    }
    return rows;
  }

  /** The repository's folder when git serves {@code name}, else null. */
  private Path servable(String name) {
    try {
      Path dir = resolver.resolve(name);
      try (Repository r = resolver.open(null, name)) {
        return r == null ? null : dir; // open also refuses what git would not serve (SHA-256)
      }
    } catch (RepositoryNotFoundException e) {
      return null;
    }
  }

  private Instant lastPush(String name, StatusCache.View view) {
    Instant served = events.lastPush(name);
    Instant logged = view.snapshot() == null ? null : view.snapshot().reflogPush();
    if (served == null) {
      return logged;
    }
    return logged == null || served.isAfter(logged) ? served : logged;
  }

  /** {@code http://host:port/} as the client asked for it (encoded where it is shown). */
  private static String base(HttpServletRequest req) {
    StringBuffer url = req.getRequestURL();
    String u = url.toString();
    int path = u.indexOf('/', u.indexOf("//") + 2);
    return (path < 0 ? u : u.substring(0, path)) + "/";
  }

  private static void send(HttpServletResponse rsp, String html) throws IOException {
    byte[] body = html.getBytes(StandardCharsets.UTF_8);
    rsp.setStatus(HttpServletResponse.SC_OK);
    rsp.setContentType("text/html; charset=utf-8");
    rsp.setHeader("Content-Security-Policy", CSP);
    rsp.setHeader("X-Content-Type-Options", "nosniff");
    rsp.setHeader("Referrer-Policy", "no-referrer");
    rsp.setHeader("Cache-Control", "no-cache");
    rsp.setContentLength(body.length);
    rsp.getOutputStream().write(body);
  }
}
