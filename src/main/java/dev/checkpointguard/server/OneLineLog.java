package dev.checkpointguard.server;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/**
 * The servlet context's log: GitServlet reports every refused pack (size limits, corrupt or hostile
 * data) through it with the exception attached. This logger writes such a report as one line, with
 * the exception's message chain instead of its stack trace, so that a flood of bad pushes does not
 * bury the log. With debug logging on for {@code dev.checkpointguard.server.servlet}, the stack
 * trace is kept.
 */
final class OneLineLog extends LegacyAbstractLogger {
  private static final long serialVersionUID = 1L;

  private final transient Logger delegate =
      LoggerFactory.getLogger("dev.checkpointguard.server.servlet");

  OneLineLog() {
    this.name = "dev.checkpointguard.server.servlet";
  }

  @Override
  public boolean isTraceEnabled() {
    return delegate.isTraceEnabled();
  }

  @Override
  public boolean isDebugEnabled() {
    return delegate.isDebugEnabled();
  }

  @Override
  public boolean isInfoEnabled() {
    return delegate.isInfoEnabled();
  }

  @Override
  public boolean isWarnEnabled() {
    return delegate.isWarnEnabled();
  }

  @Override
  public boolean isErrorEnabled() {
    return delegate.isErrorEnabled();
  }

  @Override
  protected String getFullyQualifiedCallerName() {
    return null;
  }

  @Override
  protected void handleNormalizedLoggingCall(
      Level level, Marker marker, String pattern, Object[] args, Throwable t) {
    String message = MessageFormatter.basicArrayFormat(pattern, args);
    if (t != null && !delegate.isDebugEnabled()) {
      message = message + ": " + chain(t);
      t = null;
    }
    delegate.atLevel(level).setCause(t).log(message);
  }

  /** The messages of a throwable and its causes, joined on one line. */
  static String chain(Throwable t) {
    List<String> parts = new ArrayList<>();
    for (Throwable c = t; c != null && parts.size() < 4; c = c.getCause()) {
      String m = c.getMessage();
      parts.add(
          c.getClass().getSimpleName() + (m == null ? "" : ": " + m.replaceAll("[\\r\\n]+", " ")));
      if (c.getCause() == c) {
        break;
      }
    }
    return String.join("; caused by ", parts);
  }
}
