package dev.checkpointguard.mirror;

import java.time.Duration;
import java.time.Instant;

/**
 * The outcome of one periodic sync of {@code serve --mirrors}, as told to a {@link Listener}
 * (metrics) and written as one log line.
 *
 * @param repository the repository's name under {@code --repos}
 * @param upstream the upstream as printed (no credentials)
 * @param result what happened
 * @param time when the sync started
 * @param duration how long it took
 * @param changed refs the sync moved
 * @param heldBack v2 refs that differ from upstream's afterwards
 * @param problem why it failed or was skipped, or ""
 * @param next when the next sync of this repository is due
 */
public record SyncOutcome(
    String repository,
    String upstream,
    Result result,
    Instant time,
    Duration duration,
    int changed,
    int heldBack,
    String problem,
    Duration next) {
  /** The results, with a stable lowercase label for metrics. */
  public enum Result {
    /** Nothing to do: the mirror equals upstream. */
    UP_TO_DATE("up_to_date"),
    /** Refs moved; the mirror equals upstream. */
    UPDATED("updated"),
    /** Synced; some v2 ref is held back (exit code 1 of {@code mirror}). */
    HELD_BACK("held_back"),
    /**
     * Nothing changed: upstream unreachable, a setup problem, or a stop (exit code 2 of {@code
     * mirror}).
     */
    FAILED("failed"),
    /**
     * Another sync of the repository was running (e.g. a {@code mirror} command): this one did
     * nothing.
     */
    BUSY("busy");

    private final String label;

    Result(String label) {
      this.label = label;
    }

    /** The metric label: one lowercase word. */
    public String label() {
      return label;
    }
  }

  /** Told about every periodic sync, on the thread that ran it. */
  @FunctionalInterface
  public interface Listener {
    void onSync(SyncOutcome outcome);

    /** Does nothing. */
    Listener NONE = o -> {};
  }
}
