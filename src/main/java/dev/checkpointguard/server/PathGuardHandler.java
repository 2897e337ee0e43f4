package dev.checkpointguard.server;

import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The first thing every request meets: any path that is not plain answers 404 before a servlet sees
 * it. Refused are ambiguous URIs (encoded {@code /}, {@code \}, {@code .} or {@code ..} segments,
 * empty segments, NUL, path parameters), dot segments even when unencoded, backslashes and control
 * characters. Repository names are checked again by {@link ReposResolver}; this is the outer wall.
 */
final class PathGuardHandler extends Handler.Wrapper {
  PathGuardHandler(Handler next) {
    super(next);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    if (!plain(request.getHttpURI())) {
      Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404);
      return true;
    }
    return super.handle(request, response, callback);
  }

  /** True for a path without anything that could be read as leaving the folder it names. */
  static boolean plain(HttpURI uri) {
    if (uri.hasViolations() || uri.isAmbiguous()) {
      return false;
    }
    String raw = uri.getPath();
    String decoded = uri.getDecodedPath();
    if (raw == null || decoded == null || uri.getCanonicalPath() == null) {
      return false;
    }
    if (!raw.startsWith("/") || raw.contains("//") || raw.contains(";")) {
      return false;
    }
    for (int i = 0; i < decoded.length(); i++) {
      char c = decoded.charAt(i);
      if (c == '\\' || c == '%' || Character.isISOControl(c)) {
        return false;
      }
    }
    for (String segment : (raw + "/" + decoded).split("/", -1)) {
      if (segment.equals(".") || segment.equals("..")) {
        return false;
      }
    }
    // A raw percent sign that decodes to '/' or '.' is ambiguous; anything encoded in a git path is
    // odd.
    String lower = raw.toLowerCase(java.util.Locale.ROOT);
    return !lower.contains("%2f")
        && !lower.contains("%2e")
        && !lower.contains("%5c")
        && !lower.contains("%00");
  }
}
