package dev.checkpointguard.server;

import dev.checkpointguard.core.Messages;
import java.nio.file.FileSystemException;
import java.util.regex.Pattern;
import org.eclipse.jgit.errors.LockFailedException;

/**
 * What a pusher reads after {@code error: remote unpack failed:} when receive-pack could not take
 * the pack. JGit's own text is kept when it is about what was pushed (a pack or object over a
 * limit, a missing or corrupt object): those name objects and limits. A failure of the server's
 * storage (a lock, a move, a folder) gets one fixed sentence instead, because JGit's text for it
 * names absolute paths of the server (issue 9, defect 2). The full error always goes to the
 * server's log (GitServlet logs it).
 */
final class UnpackErrors {
  /** Told to the pusher when the server could not store the pack. */
  static final String STORE_FAILED =
      "the server could not store the pushed objects; try again, and tell the server's administrator if"
          + " it keeps failing (the details are in the server's log)";

  /**
   * An absolute path: a slash at the start or after a space, quote, bracket, colon or equals sign.
   */
  private static final Pattern PATH = Pattern.compile("(^|[\\s'\"(\\[=:])/[^\\s/]");

  private UnpackErrors() {}

  /** The text for the pusher: never a server path, an exception class or a stack trace. */
  static String forPusher(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof LockFailedException || t instanceof FileSystemException) {
        return STORE_FAILED;
      }
    }
    String m = error.getMessage();
    if (m == null || m.isBlank() || PATH.matcher(m).find()) {
      return STORE_FAILED;
    }
    return Messages.printable(m, 300);
  }
}
