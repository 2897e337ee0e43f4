package dev.checkpointguard.admin;

import dev.checkpointguard.command.Invocation;
import org.eclipse.jgit.lib.ObjectId;

/** {@code check}'s report for people: one line per generation and per finding, then the backups. */
public final class TextReport {
  /** Sample checkpoint IDs shown per finding. */
  public static final int SAMPLE = 5;

  private TextReport() {}

  /**
   * The report of one audit.
   *
   * @param repoPath the repository as the administrator named it (printed, and used in the restore
   *     hints)
   * @param invocation how to run checkpoint-guard again, for the hints
   */
  public static String render(Audit a, String repoPath, Invocation invocation) {
    StringBuilder b = new StringBuilder();
    b.append("checkpoint-guard check: ")
        .append(repoPath)
        .append(" (threshold ")
        .append(a.threshold())
        .append(")\n");
    b.append(
        a.mainTip() == null
            ? "main: missing\n"
            : "main: " + abbrev(a.mainTip()) + ", " + a.mainCheckpoints() + " checkpoints\n");
    b.append("generations:\n");
    if (a.generations().isEmpty()) {
      b.append("  (none)\n");
    }
    for (Audit.Generation g : a.generations()) {
      b.append(
          String.format(
              "  %-18s %5d  %-16s %s  generation.json: %s%n",
              g.shortName(), g.checkpoints(), g.kind(), abbrev(g.tip()), fileText(g)));
    }
    b.append("findings:\n");
    if (a.findings().isEmpty()) {
      b.append("  (none)\n");
    }
    for (Audit.Finding f : a.findings()) {
      b.append("  ")
          .append(f.severity().id())
          .append(' ')
          .append(f.code())
          .append(": ")
          .append(f.message());
      if (!f.checkpoints().isEmpty()) {
        b.append(" [")
            .append(
                String.join(
                    " ", f.checkpoints().subList(0, Math.min(SAMPLE, f.checkpoints().size()))));
        if (f.checkpoints().size() > SAMPLE) {
          b.append(" +").append(f.checkpoints().size() - SAMPLE);
        }
        b.append(']');
      }
      b.append('\n');
    }
    b.append("backups:\n");
    if (a.backups().isEmpty()) {
      b.append("  (none)\n");
    }
    String repo = Invocation.absolute(repoPath);
    a.backups()
        .forEach(
            (ts, refs) ->
                b.append("  ")
                    .append(ts)
                    .append("  ")
                    .append(refs.size())
                    .append(refs.size() == 1 ? " ref" : " refs")
                    .append("  undo with: ")
                    .append(invocation.command("restore", "--repo", repo, "--backup", ts))
                    .append('\n'));
    b.append(a.healthy() ? "result: healthy" : "result: problems found")
        .append(" (")
        .append(a.tally())
        .append(")\n");
    return b.toString();
  }

  private static String fileText(Audit.Generation g) {
    return switch (g.file()) {
      case MISSING -> g.isCurrent() ? "none" : "missing";
      case INVALID -> "invalid";
      case VALID -> "valid" + (g.matches() == null ? "" : g.matches() ? ", matches" : ", differs");
    };
  }

  private static String abbrev(ObjectId id) {
    return id.abbreviate(10).name();
  }
}
