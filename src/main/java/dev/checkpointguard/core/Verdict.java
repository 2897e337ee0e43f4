package dev.checkpointguard.core;

import java.util.List;

/**
 * The guard's decision on one {@link RefChange}.
 *
 * @param change the command judged
 * @param outcome what happens to it
 * @param rule the rule that refused it ({@link Rule#NONE} when accepted)
 * @param message one line for the pusher, starting with {@code checkpoint-guard:}; empty when
 *     accepted
 * @param cause for {@link Rule#INTERNAL_ERROR}, the failure to log on the server; otherwise null
 * @param requires other commands of the same push that this command was accepted on: a {@code
 *     /full/current} update whose dropped transcripts only this push's archives hold. It must never
 *     land without them; the adapter applies them together (JGit) or checks at commit time (stock
 *     git). Empty for every other verdict.
 */
public record Verdict(
    RefChange change,
    Outcome outcome,
    Rule rule,
    String message,
    Throwable cause,
    List<RefChange> requires) {
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
    requires = List.copyOf(requires);
    if (!requires.isEmpty() && outcome == Outcome.REJECT) {
      throw new IllegalArgumentException("a rejection requires nothing");
    }
  }

  /** A verdict that requires no other command. */
  public Verdict(RefChange change, Outcome outcome, Rule rule, String message, Throwable cause) {
    this(change, outcome, rule, message, cause, List.of());
  }

  static Verdict notGuarded(RefChange c) {
    return new Verdict(c, Outcome.NOT_GUARDED, Rule.NONE, "", null);
  }

  static Verdict accept(RefChange c) {
    return new Verdict(c, Outcome.ACCEPT, Rule.NONE, "", null);
  }

  static Verdict accept(RefChange c, List<RefChange> requires) {
    return new Verdict(c, Outcome.ACCEPT, Rule.NONE, "", null, requires);
  }

  /** True unless the command is rejected. */
  public boolean accepted() {
    return outcome != Outcome.REJECT;
  }

  public String ref() {
    return change.ref();
  }
}
