package dev.checkpointguard.command;

import dev.checkpointguard.core.Messages;
import java.util.ArrayList;
import java.util.List;

/** One-line descriptions of failures, for command output that must never carry a stack trace. */
public final class Errors {
  private Errors() {}

  /** One line describing an unexpected failure: its message chain, without a stack trace. */
  public static String describe(Throwable e) {
    List<String> parts = new ArrayList<>();
    for (Throwable t = e; t != null && parts.size() < 4; t = t.getCause()) {
      String m = t.getMessage();
      parts.add(m == null || m.isBlank() ? t.getClass().getSimpleName() : printable(m));
      if (t.getCause() == t) {
        break;
      }
    }
    return String.join(": ", parts);
  }

  /** {@code s} with control characters escaped, cut to 300 characters. */
  public static String printable(String s) {
    return Messages.printable(s, 300);
  }
}
