package dev.checkpointguard.core;

/**
 * The guard's decision on one {@link RefChange}.
 *
 * @param change the command judged
 * @param outcome what happens to it
 * @param rule the rule that refused it ({@link Rule#NONE} when accepted)
 * @param message one line for the pusher, starting with {@code checkpoint-guard:}; empty when accepted
 * @param cause for {@link Rule#INTERNAL_ERROR}, the failure to log on the server; otherwise null
 */
public record Verdict(RefChange change, Outcome outcome, Rule rule, String message, Throwable cause) {
  /** What happens to a command. */
  public enum Outcome {
    /** A ref the guard does not judge. */
    NOT_GUARDED,
    /** Accepted. */
    ACCEPT,
    /** Would be rejected, but the repository is in warn mode: accepted, and the pusher is told. */
    WARN,
    /** Rejected. */
    REJECT
  }

  public Verdict {
    if (message.indexOf('\n') >= 0 || message.indexOf('\r') >= 0) {
      throw new IllegalArgumentException("verdict messages are one line: " + message);
    }
  }

  static Verdict notGuarded(RefChange c) {
    return new Verdict(c, Outcome.NOT_GUARDED, Rule.NONE, "", null);
  }

  static Verdict accept(RefChange c) {
    return new Verdict(c, Outcome.ACCEPT, Rule.NONE, "", null);
  }

  /** True unless the command is rejected. */
  public boolean accepted() {
    return outcome != Outcome.REJECT;
  }

  public String ref() {
    return change.ref();
  }
}
