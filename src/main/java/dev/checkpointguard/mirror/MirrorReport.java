package dev.checkpointguard.mirror;

import dev.checkpointguard.core.JsonFiles;
import dev.checkpointguard.core.Messages;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.eclipse.jgit.lib.ObjectId;

/**
 * What one sync did: one entry per ref whose mirror value differed from upstream's, the tips it
 * kept, and the result. Rendered for people ({@link #text}, one line per ref) and machines ({@link
 * #json}, schema {@value #SCHEMA}, docs/mirror.md); the last report of a repository is also its
 * status file ({@link MirrorStatus}), which {@code check} reads.
 *
 * @param repository the mirror's path as given
 * @param upstream the upstream as printed (no credentials)
 * @param time when the sync started
 * @param duration how long it took
 * @param fetchedTips upstream tips whose objects were fetched
 * @param dryRun nothing was applied
 * @param attempts plans made (more than one when pushes moved the mirror's refs)
 * @param actions one per differing ref, by name
 * @param kept tips kept by this sync
 */
public record MirrorReport(
    String repository,
    String upstream,
    Instant time,
    Duration duration,
    int fetchedTips,
    boolean dryRun,
    int attempts,
    List<RefAction> actions,
    List<MirrorPlanner.Kept> kept) {
  /** JSON schema id; bumped only on an incompatible change. */
  public static final String SCHEMA = "checkpoint-guard.mirror/1";

  static MirrorReport of(MirrorPlanner.Plan plan, boolean dryRun, int attempts) {
    return new MirrorReport(
        "", "", Instant.EPOCH, Duration.ZERO, 0, dryRun, attempts, plan.actions(), plan.kept());
  }

  MirrorReport finished(
      String upstream, String repository, Instant time, Duration duration, int fetched) {
    return new MirrorReport(
        repository, upstream, time, duration, fetched, dryRun, attempts, actions, kept);
  }

  /** The same report for another display path of the repository. */
  public MirrorReport withRepository(String path) {
    return new MirrorReport(
        path, upstream, time, duration, fetchedTips, dryRun, attempts, actions, kept);
  }

  /** True when some v2 ref of the mirror differs from upstream's after the sync. */
  public boolean heldBack() {
    return actions.stream().anyMatch(RefAction::heldBack);
  }

  /** 0: the mirror equals upstream; 1: something is held back (each listed). */
  public int exitCode() {
    return heldBack() ? 1 : 0;
  }

  /** Refs this sync moved (created, updated, deleted), held-back merges included. */
  public int changed() {
    return (int) actions.stream().filter(RefAction::changes).count();
  }

  /** Held-back refs. */
  public int heldBackCount() {
    return (int) actions.stream().filter(RefAction::heldBack).count();
  }

  /** The result word of {@code --json} and of the status file. */
  public String result() {
    if (heldBack()) {
      return "held-back";
    }
    return changed() == 0 ? "up-to-date" : "updated";
  }

  // ------------------------------------------------------------------------------------------ text

  /** The report for people: a header, one line per ref, a result line. */
  public String text() {
    StringBuilder b = new StringBuilder();
    b.append("checkpoint-guard mirror: ").append(repository).append(" from ").append(upstream);
    if (dryRun) {
      b.append(" (dry run: nothing is changed)");
    }
    b.append('\n');
    for (RefAction a : actions) {
      b.append(line(a)).append('\n');
    }
    for (MirrorPlanner.Kept k : kept) {
      if (actions.stream().noneMatch(a -> k.keptRef().equals(a.keptRef()))) {
        b.append("  = ")
            .append(k.ref())
            .append(": upstream's earlier value ")
            .append(abbrev(k.id()))
            .append(" is kept in ")
            .append(k.keptRef())
            .append(" (")
            .append(count(k.checkpoints(), k.files()))
            .append(" no other ref holds)\n");
      }
    }
    b.append("result: ");
    if (heldBack()) {
      int n = heldBackCount();
      b.append(dryRun ? "would hold back " : "synced; held back ")
          .append(n)
          .append(n == 1 ? " ref" : " refs")
          .append(" (exit 1)");
    } else if (changed() == 0) {
      b.append("the mirror equals upstream, nothing to do (exit 0)");
    } else {
      b.append(dryRun ? "would update " : "synced; updated ")
          .append(changed())
          .append(changed() == 1 ? " ref" : " refs")
          .append(", the mirror equals upstream (exit 0)");
    }
    b.append('\n');
    return b.toString();
  }

  private String line(RefAction a) {
    String ref = a.ref();
    return switch (a.kind()) {
      case MIRRORED -> mirrored(a);
      case MIRRORED_KEPT ->
          "  = "
              + ref
              + ": "
              + movement(a)
              + " as upstream did; "
              + count(a.checkpoints(), a.files())
              + " no other ref holds "
              + (a.checkpoints() == 1 ? "is" : "are")
              + " kept in "
              + a.keptRef()
              + refused(a, "; a push would be refused");
      case MERGED ->
          "  ! "
              + ref
              + ": held back (rule "
              + a.rule()
              + "): upstream's "
              + abbrev(a.upstream())
              + " drops "
              + count(a.checkpoints(), a.files())
              + " no other ref holds; the mirror keeps them on top"
              + " of upstream's value in "
              + abbrev(a.target())
              + " ("
              + reason(a.detail())
              + ")"
              + resolve(a);
      case HELD ->
          "  ! "
              + ref
              + ": held back (rule "
              + a.rule()
              + "): "
              + (a.upstream() == null
                  ? "upstream deleted it; the mirror keeps "
                      + abbrev(a.mirror())
                      + " ("
                      + plural(a.checkpoints(), "checkpoint")
                      + (a.files() > 0
                          ? ", " + plural(a.files(), "file") + " no other ref holds"
                          : "")
                      + ")"
                  : "upstream's "
                      + abbrev(a.upstream())
                      + " cannot be taken ("
                      + reason(a.detail())
                      + "); "
                      + (a.mirror() == null
                          ? "the mirror leaves it out"
                          : "the mirror keeps " + abbrev(a.mirror()))
                      + "; upstream's value is kept in "
                      + MirrorRefs.upstreamRef(ref))
              + resolve(a);
      case AHEAD ->
          "  ! "
              + ref
              + ": held back: the mirror's "
              + abbrev(a.mirror())
              + " already contains"
              + " upstream's "
              + abbrev(a.upstream())
              + (a.checkpoints() > 0 ? " and " + count(a.checkpoints(), a.files()) + " more" : "")
              + resolve(a);
    };
  }

  private String mirrored(RefAction a) {
    String ref = a.ref();
    String base;
    if (a.mirror() == null) {
      base = "  * " + ref + ": created at " + abbrev(a.target());
    } else if (a.target() == null) {
      base = "  - " + ref + ": deleted (was " + abbrev(a.mirror()) + ")";
    } else if (a.fastForward()) {
      base = "    " + ref + ": " + abbrev(a.mirror()) + ".." + abbrev(a.target());
    } else {
      base =
          "  + "
              + ref
              + ": "
              + abbrev(a.mirror())
              + "..."
              + abbrev(a.target())
              + " (forced update)";
    }
    if (a.rule() == null) {
      return base;
    }
    return "  ~"
        + base.substring(3)
        + "; as upstream has it, although a push would be refused (rule "
        + a.rule()
        + ": "
        + reason(a.detail())
        + "); no checkpoint file is lost";
  }

  private static String movement(RefAction a) {
    return a.target() == null
        ? "deleted (was " + abbrev(a.mirror()) + ")"
        : abbrev(a.mirror()) + "..." + abbrev(a.target()) + " (forced update)";
  }

  private static String refused(RefAction a, String prefix) {
    return a.rule() == null ? "" : prefix + " (rule " + a.rule() + ": " + reason(a.detail()) + ")";
  }

  /**
   * The command that makes upstream hold what the mirror holds (a fast-forward or a create
   * upstream).
   */
  private String resolve(RefAction a) {
    if (a.kind() == RefAction.Kind.HELD && a.upstream() != null) {
      return ""; // upstream's value is not a commit the mirror can follow: see docs/mirror.md
    }
    if (dryRun || a.target() == null) {
      return "";
    }
    return "; to make upstream hold it too: git -C "
        + quote(repository)
        + " push "
        + quote(upstream)
        + " "
        + a.ref();
  }

  /** The guard's message without its prefix and its advice to pushers: the rule's numbers. */
  static String reason(String guardMessage) {
    String m = guardMessage == null ? "" : guardMessage;
    if (m.startsWith(Messages.PREFIX)) {
      m = m.substring(Messages.PREFIX.length());
    }
    int rule = m.indexOf(" (rule ");
    if (rule > 0) {
      m = m.substring(0, rule);
    }
    return m;
  }

  private static String count(int checkpoints, int files) {
    return plural(checkpoints, "checkpoint") + " (" + plural(files, "file") + ")";
  }

  private static String plural(int n, String word) {
    return n + " " + word + (n == 1 ? "" : "s");
  }

  static String abbrev(ObjectId id) {
    return id == null ? "(none)" : id.abbreviate(10).name();
  }

  /** Single-quotes {@code s} for a POSIX shell when it needs it. */
  static String quote(String s) {
    if (s.matches("[A-Za-z0-9_@%+=:,./-]+")) {
      return s;
    }
    return "'" + s.replace("'", "'\\''") + "'";
  }

  // ------------------------------------------------------------------------------------------ json

  /** The machine form (docs/mirror.md, "JSON"), one object, ending in a newline. */
  public String json() {
    return JsonFiles.document(
        g -> {
          g.writeStartObject();
          g.writeStringField("schema", SCHEMA);
          g.writeStringField("repository", repository);
          g.writeStringField("upstream", upstream);
          g.writeStringField("time", time.toString());
          g.writeNumberField("duration_ms", duration.toMillis());
          g.writeBooleanField("dry_run", dryRun);
          g.writeNumberField("attempts", attempts);
          g.writeNumberField("fetched_tips", fetchedTips);
          g.writeStringField("result", result());
          g.writeNumberField("exit", exitCode());
          g.writeArrayFieldStart("refs");
          for (RefAction a : actions) {
            g.writeStartObject();
            g.writeStringField("ref", a.ref());
            g.writeStringField("kind", a.kind().id());
            g.writeBooleanField("held_back", a.heldBack());
            g.writeStringField("mirror_before", name(a.mirror()));
            g.writeStringField("upstream", name(a.upstream()));
            g.writeStringField("mirror_after", name(a.target()));
            g.writeBooleanField("fast_forward", a.fastForward());
            g.writeStringField("rule", a.rule());
            g.writeNumberField("checkpoints", a.checkpoints());
            g.writeNumberField("files", a.files());
            g.writeStringField("kept_ref", a.keptRef());
            g.writeStringField("guard_message", a.detail().isEmpty() ? null : a.detail());
            g.writeEndObject();
          }
          g.writeEndArray();
          g.writeArrayFieldStart("kept");
          for (MirrorPlanner.Kept k : kept) {
            g.writeStartObject();
            g.writeStringField("ref", k.keptRef());
            g.writeStringField("id", k.id().name());
            g.writeStringField("of", k.ref());
            g.writeNumberField("checkpoints", k.checkpoints());
            g.writeNumberField("files", k.files());
            g.writeEndObject();
          }
          g.writeEndArray();
          g.writeEndObject();
        });
  }

  /** The JSON of a sync that failed (exit 2): nothing was changed. */
  public static String failureJson(String repository, String upstream, Instant time, String error) {
    return JsonFiles.document(
        g -> {
          g.writeStartObject();
          g.writeStringField("schema", SCHEMA);
          g.writeStringField("repository", repository);
          g.writeStringField("upstream", upstream);
          g.writeStringField("time", time.toString());
          g.writeStringField("result", "failed");
          g.writeNumberField("exit", 2);
          g.writeStringField("error", error);
          g.writeEndObject();
        });
  }

  private static String name(ObjectId id) {
    return id == null ? null : id.name();
  }
}
