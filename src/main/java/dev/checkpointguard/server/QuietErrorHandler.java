package dev.checkpointguard.server;

import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Error pages without stack traces, causes or server details. Jetty refuses a path that climbs
 * above the root ({@code /../x}, {@code /%2e%2e/x}) or holds an encoded NUL with 400 before any
 * handler runs; this turns that answer into the same 404 that {@link PathGuardHandler} gives every
 * other path that is not plain, so all traversal attempts look alike.
 */
final class QuietErrorHandler extends ErrorHandler {
  QuietErrorHandler() {
    setShowStacks(false);
    setShowCauses(false);
    setShowMessageInTitle(false);
    setShowOrigin(false);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    if (response.getStatus() == HttpStatus.BAD_REQUEST_400
        && (!PathGuardHandler.plain(request.getHttpURI())
            || isBadUri(request.getAttribute(ERROR_EXCEPTION)))) {
      response.setStatus(HttpStatus.NOT_FOUND_404);
      request.setAttribute(ERROR_STATUS, HttpStatus.NOT_FOUND_404);
      request.setAttribute(ERROR_MESSAGE, "Not Found");
      request.removeAttribute(ERROR_EXCEPTION);
    }
    return super.handle(request, response, callback);
  }

  /**
   * True when Jetty's URI parser refused the request target itself (a path that climbs above the
   * root, an encoded NUL, …): an {@link IllegalArgumentException} thrown by {@code HttpURI}.
   */
  private static boolean isBadUri(Object error) {
    for (Throwable t = error instanceof Throwable e ? e : null; t != null; t = t.getCause()) {
      StackTraceElement[] where = t.getStackTrace();
      if (t instanceof IllegalArgumentException
          && where.length > 0
          && where[0].getClassName().startsWith("org.eclipse.jetty.http.HttpURI")) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }
}
