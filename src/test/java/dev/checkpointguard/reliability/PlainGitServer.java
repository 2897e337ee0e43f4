package dev.checkpointguard.reliability;

import java.net.URI;
import java.nio.file.Path;
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
 * The baseline of the load figures: the same Jetty and JGit {@link GitServlet} as {@code serve},
 * with anonymous push and no guard, no authentication filter and no push log, on 127.0.0.1 and a
 * free port.
 */
final class PlainGitServer implements AutoCloseable {
  private final Server jetty;
  private final ServerConnector connector;

  PlainGitServer(Path reposDir) throws Exception {
    QueuedThreadPool pool = new QueuedThreadPool(64, 2);
    jetty = new Server(pool);
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
          // opened through the cache, as serve's resolver does, so the baseline pays the same
          try {
            return RepositoryCache.open(
                RepositoryCache.FileKey.exact(dir.toFile(), FS.DETECTED), true);
          } catch (java.io.IOException e) {
            throw new org.eclipse.jgit.errors.RepositoryNotFoundException(name, e);
          }
        });
    git.setReceivePackFactory((req, db) -> new ReceivePack(db));
    ServletContextHandler context = new ServletContextHandler(ServletContextHandler.NO_SESSIONS);
    context.setContextPath("/");
    context.addServlet(new ServletHolder("git", git), "/*");
    jetty.setHandler(context);
    jetty.start();
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + connector.getLocalPort() + "/");
  }

  @Override
  public void close() throws Exception {
    jetty.stop();
  }
}
