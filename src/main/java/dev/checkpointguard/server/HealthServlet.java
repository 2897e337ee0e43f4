package dev.checkpointguard.server;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code GET /healthz}: {@code 200 ok} while the server serves and its repositories folder is
 * there, {@code 503} when the folder has gone (unmounted, deleted). Cheap enough for a load
 * balancer to ask every second: it reads no repository.
 */
final class HealthServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;

  private final transient Path reposDir;

  HealthServlet(Path reposDir) {
    this.reposDir = reposDir;
  }

  @Override
  protected void doGet(HttpServletRequest req, HttpServletResponse rsp) throws IOException {
    boolean ok = Files.isDirectory(reposDir) && Files.isReadable(reposDir);
    rsp.setStatus(ok ? HttpServletResponse.SC_OK : HttpServletResponse.SC_SERVICE_UNAVAILABLE);
    rsp.setContentType("text/plain; charset=utf-8");
    rsp.setHeader("Cache-Control", "no-store");
    rsp.getOutputStream()
        .write(
            (ok ? "ok\n" : "repositories folder unavailable\n").getBytes(StandardCharsets.UTF_8));
  }
}
