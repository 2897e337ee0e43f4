package dev.checkpointguard.mirror;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.EnumSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jgit.http.server.GitServlet;
import org.eclipse.jgit.lib.RepositoryCache;
import org.eclipse.jgit.transport.ReceivePack;
import org.eclipse.jgit.util.FS;

/**
 * An unguarded upstream over HTTP: a plain JGit {@link GitServlet} (no checkpoint guard) on
 * 127.0.0.1 and a free port, serving {@code DIR/<name>.git}, optionally behind HTTP basic
 * authentication for every request (a private upstream).
 */
final class UpstreamHttpServer implements AutoCloseable {
  private final Server jetty;
  private final ServerConnector connector;
  final AtomicInteger refused = new AtomicInteger();

  /**
   * @param credentials {@code user:password} every request must carry, or null for an open server
   */
  UpstreamHttpServer(Path reposDir, String credentials) throws Exception {
    jetty = new Server(new QueuedThreadPool(16, 2));
    connector = new ServerConnector(jetty);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    jetty.addConnector(connector);
    GitServlet git = new GitServlet();
    git.setRepositoryResolver(
        (req, name) -> {
          Path dir = reposDir.resolve(name).normalize();
          if (!dir.getParent().equals(reposDir.normalize())) {
            throw new org.eclipse.jgit.errors.RepositoryNotFoundException(name);
          }
          try {
            return RepositoryCache.open(
                RepositoryCache.FileKey.exact(dir.toFile(), FS.DETECTED), true);
          } catch (IOException e) {
            throw new org.eclipse.jgit.errors.RepositoryNotFoundException(name, e);
          }
        });
    git.setReceivePackFactory((req, db) -> new ReceivePack(db));
    ServletContextHandler context = new ServletContextHandler(ServletContextHandler.NO_SESSIONS);
    context.setContextPath("/");
    if (credentials != null) {
      String expected =
          "Basic "
              + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
      Filter auth =
          new Filter() {
            @Override
            public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
                throws IOException, ServletException {
              if (!expected.equals(((HttpServletRequest) req).getHeader("Authorization"))) {
                refused.incrementAndGet();
                HttpServletResponse r = (HttpServletResponse) res;
                r.setHeader("WWW-Authenticate", "Basic realm=\"upstream\"");
                r.sendError(401);
                return;
              }
              chain.doFilter(req, res);
            }
          };
      context.addFilter(new FilterHolder(auth), "/*", EnumSet.of(DispatcherType.REQUEST));
    }
    context.addServlet(new ServletHolder("git", git), "/*");
    jetty.setHandler(context);
    jetty.start();
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + connector.getLocalPort() + "/");
  }

  int port() {
    return connector.getLocalPort();
  }

  @Override
  public void close() throws Exception {
    jetty.stop();
  }
}
