package dev.checkpointguard.server;

import dev.checkpointguard.core.Verdict;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * What {@code serve} counts, exposed at {@code GET /metrics} in the Prometheus text format
 * (docs/serve.md, "Metrics"). Each server has its own registry, so servers in one process (tests)
 * never share counts.
 *
 * <ul>
 *   <li>{@code checkpoint_guard_verdicts_total{outcome,rule}}: one per guarded ref command the
 *       guard judged; {@code outcome} is {@code accept}, {@code reject} or {@code warn}, {@code
 *       rule} the rule id ({@code none} for an acceptance).
 *   <li>{@code checkpoint_guard_push_duration_seconds{result}}: from the start of the push
 *       request's receive to its final ref results; {@code result} is {@code ok} (every command
 *       applied), {@code rejected} (at least one refused) or {@code failed} (nothing attempted: the
 *       pack was refused).
 *   <li>{@code checkpoint_guard_auth_failures_total{reason}}: failed push logins: {@code
 *       wrong_credentials}, {@code throttled} (429 while penalised), {@code users_file_invalid};
 *       over SSH, {@code ssh_key_refused} and {@code authorized_keys_invalid} (a connection that
 *       offered keys and logged in with none).
 *   <li>{@code checkpoint_guard_mirror_syncs_total{outcome}}: mirror syncs, counted through {@link
 *       #syncListener()}.
 *   <li>{@code checkpoint_guard_status_audits_total{result}}: audits the status pages ran (a page
 *       view that finds the repository's refs unchanged runs none).
 *   <li>JVM basics ({@code jvm_*}, {@code process_*}) from the Prometheus client's JVM
 *       instrumentation.
 * </ul>
 *
 * Labels come from fixed vocabularies (rule ids, outcomes), never from ref names, users or
 * repositories, so the number of series stays small whatever pushers send.
 */
public final class ServerMetrics {
  /** Push results, the {@code result} label of the duration histogram. */
  public enum PushResult {
    OK("ok"),
    REJECTED("rejected"),
    FAILED("failed");

    final String label;

    PushResult(String label) {
      this.label = label;
    }
  }

  /** Why a push login failed, the {@code reason} label. */
  public enum AuthFailure {
    WRONG_CREDENTIALS("wrong_credentials"),
    THROTTLED("throttled"),
    USERS_FILE_INVALID("users_file_invalid"),
    SSH_KEY_REFUSED("ssh_key_refused"),
    AUTHORIZED_KEYS_INVALID("authorized_keys_invalid");

    final String label;

    AuthFailure(String label) {
      this.label = label;
    }
  }

  /**
   * Receives the outcome of each mirror sync (the {@code serve --mirrors} feature reports through
   * it). An outcome is a short lowercase word such as {@code updated}, {@code up_to_date}, {@code
   * refused} or {@code failed}; anything else is counted as {@code other}.
   */
  @FunctionalInterface
  public interface SyncListener {
    void onSync(String outcome);

    /** Counts nothing. */
    SyncListener NONE = outcome -> {};
  }

  private static final Pattern LABEL_WORD = Pattern.compile("[a-z][a-z0-9_]{0,31}");

  /**
   * Push duration buckets, seconds: a small push takes tens of milliseconds, a big pack minutes.
   */
  static final double[] PUSH_BUCKETS = {
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300
  };

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Counter verdicts;
  private final Histogram pushDuration;
  private final Counter authFailures;
  private final Counter syncs;
  private final Counter audits;

  public ServerMetrics() {
    verdicts =
        Counter.builder()
            .name("checkpoint_guard_verdicts_total")
            .help("Guarded ref commands judged by the checkpoint guard, by outcome and rule")
            .labelNames("outcome", "rule")
            .register(registry);
    pushDuration =
        Histogram.builder()
            .name("checkpoint_guard_push_duration_seconds")
            .help("Time from receiving a push to its final ref results")
            .unit(Unit.SECONDS)
            .classicOnly()
            .classicUpperBounds(PUSH_BUCKETS)
            .labelNames("result")
            .register(registry);
    authFailures =
        Counter.builder()
            .name("checkpoint_guard_auth_failures_total")
            .help("Failed push logins, by reason")
            .labelNames("reason")
            .register(registry);
    syncs =
        Counter.builder()
            .name("checkpoint_guard_mirror_syncs_total")
            .help("Mirror syncs, by outcome")
            .labelNames("outcome")
            .register(registry);
    audits =
        Counter.builder()
            .name("checkpoint_guard_status_audits_total")
            .help("Repository audits run for the status pages, by result")
            .labelNames("result")
            .register(registry);
    // Series that alerts divide by exist from the start, at 0.
    for (PushResult r : PushResult.values()) {
      pushDuration.initLabelValues(r.label);
    }
    for (AuthFailure f : AuthFailure.values()) {
      authFailures.initLabelValues(f.label);
    }
    Info.builder()
        .name("checkpoint_guard_build_info")
        .help("The checkpoint-guard version serving")
        .labelNames("version")
        .register(registry)
        .addLabelValues(version());
    JvmMetrics.builder().register(registry);
  }

  /** The registry {@code GET /metrics} scrapes. */
  public PrometheusRegistry registry() {
    return registry;
  }

  /** Counts the verdicts of one push (commands the guard does not judge are not counted). */
  void onVerdicts(List<Verdict> judged) {
    for (Verdict v : judged) {
      if (v.outcome() == Verdict.Outcome.NOT_GUARDED) {
        continue;
      }
      verdicts.labelValues(v.outcome().name().toLowerCase(Locale.ROOT), v.rule().id()).inc();
    }
  }

  void onPush(PushResult result, long nanos) {
    pushDuration.labelValues(result.label).observe(nanos / 1e9);
  }

  void onAuthFailure(AuthFailure reason) {
    authFailures.labelValues(reason.label).inc();
  }

  void onAudit(boolean ok) {
    audits.labelValues(ok ? "ok" : "error").inc();
  }

  /** Where mirror syncs are counted. */
  public SyncListener syncListener() {
    return outcome -> {
      String o = outcome == null ? "" : outcome.toLowerCase(Locale.ROOT);
      syncs.labelValues(LABEL_WORD.matcher(o).matches() ? o : "other").inc();
    };
  }

  private static String version() {
    String v = ServerMetrics.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
