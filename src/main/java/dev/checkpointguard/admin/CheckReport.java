package dev.checkpointguard.admin;

import dev.checkpointguard.core.CheckpointIds;
import dev.checkpointguard.core.CheckpointOrder;
import dev.checkpointguard.core.GenerationJson;
import dev.checkpointguard.core.Json;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeSet;
import org.eclipse.jgit.lib.ObjectId;

/**
 * The result of {@code check}: every generation with its facts, and the findings of spec §9. Built by
 * {@link #of}; rendered as text for people ({@link #text}) or as the stable JSON schema of docs/admin.md
 * ({@link #json}).
 */
final class CheckReport {
  /** JSON schema id; bumped only on incompatible change. */
  static final String SCHEMA = "checkpoint-guard.check/1";
  /** Sample IDs shown per finding. */
  static final int SAMPLE = 10;

  enum Severity {
    /** Damage {@code repair} fixes; makes {@code check} exit 1. */
    ERROR("error"),
    /** Worth knowing; {@code repair --mode full} fixes it; exit code unaffected. */
    WARNING("warning"),
    /** Legitimate state, reported for completeness. */
    INFO("info");

    final String id;

    Severity(String id) {
      this.id = id;
    }
  }

  /**
   * One finding.
   *
   * @param code stable id (docs/admin.md lists them)
   * @param refs the refs concerned
   * @param checkpoints affected checkpoint IDs (all of them; output shows a sample)
   */
  record Finding(String code, Severity severity, List<String> refs, List<String> checkpoints, String message) {}

  /** Facts of one generation. */
  record GenInfo(Inventory.Generation gen, GenerationJson expected) {
    Boolean matches() {
      if (gen.fileValue() == null || expected == null) {
        return null;
      }
      return gen.fileValue().equals(expected);
    }
  }

  final int threshold;
  final Inventory inv;
  final int mainCheckpoints;
  private int distinct;
  final List<GenInfo> gens = new ArrayList<>();
  final List<Finding> findings = new ArrayList<>();

  private CheckReport(int threshold, Inventory inv, int mainCheckpoints) {
    this.threshold = threshold;
    this.inv = inv;
    this.mainCheckpoints = mainCheckpoints;
  }

  boolean healthy() {
    return count(Severity.ERROR) == 0;
  }

  long count(Severity s) {
    return findings.stream().filter(f -> f.severity() == s).count();
  }

  /** Audits an analysed inventory. */
  static CheckReport of(Analysis a, int threshold) throws IOException {
    Inventory inv = a.inv;
    int onMain =
        inv.mainTree == null
            ? 0
            : new dev.checkpointguard.core.CheckpointTrees(a.reader(), null).count(inv.mainTree);
    CheckReport r = new CheckReport(threshold, inv, onMain);
    r.distinct = a.where.size();
    for (Inventory.Generation g : inv.generations()) {
      r.gens.add(new GenInfo(g, g.isCurrent() ? null : a.envelope(g.dirs())));
    }
    for (Inventory.Odd o : inv.odd) {
      r.add("unknown-ref", Severity.ERROR, List.of(o.ref()), List.of(),
          o.ref() + ": " + o.why() + "; repair leaves it alone, remove it by hand once understood");
    }
    for (GenInfo gi : r.gens) {
      Inventory.Generation g = gi.gen();
      if (g.isCurrent()) {
        if (g.count() >= threshold) {
          r.add("current-at-threshold", Severity.ERROR, List.of(g.ref()), List.of(),
              g.shortName() + " holds " + g.count() + " checkpoints, at or above the threshold of "
                  + threshold + "; it should have been rotated");
        }
        if (g.file() != Inventory.FileState.MISSING) {
          r.add("current-generation-json", Severity.WARNING, List.of(g.ref()), List.of(),
              g.shortName() + " has a root generation.json (legacy v0.5.2/v0.5.3 layout)");
        }
        continue;
      }
      if (g.count() < threshold) {
        r.add("under-threshold-archive", Severity.ERROR, List.of(g.ref()), ids(g.dirs().keySet()),
            g.shortName() + " holds " + g.count() + " checkpoints, fewer than the threshold of "
                + threshold + " (tip: " + g.kind().id() + ")");
      }
      switch (g.file()) {
        case MISSING -> r.add("missing-generation-json", Severity.ERROR, List.of(g.ref()), List.of(),
            g.shortName() + " has no generation.json");
        case INVALID -> r.add("invalid-generation-json", Severity.ERROR, List.of(g.ref()), List.of(),
            g.shortName() + " has an invalid generation.json: " + g.fileProblem());
        case VALID -> {
          if (Boolean.FALSE.equals(gi.matches())) {
            r.add("generation-json-mismatch", Severity.WARNING, List.of(g.ref()), List.of(),
                g.shortName() + " generation.json says " + range(g.fileValue())
                    + ", recomputed from /main " + range(gi.expected()));
          }
        }
      }
    }
    r.overlaps(a);
    r.order(a);
    return r;
  }

  private void overlaps(Analysis a) throws IOException {
    Map<String, List<Long>> byKey = new LinkedHashMap<>();
    Map<String, Object[]> meta = new LinkedHashMap<>();
    for (long id : a.shared()) {
      List<Inventory.Generation> gs = a.where.get(id);
      for (int i = 0; i < gs.size(); i++) {
        for (int j = i + 1; j < gs.size(); j++) {
          Inventory.Generation x = gs.get(i);
          Inventory.Generation y = gs.get(j);
          Analysis.Overlap o = a.overlap(x.dirs().get(id), y.dirs().get(id));
          String key = o + " " + x.ref() + " " + y.ref();
          byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(id);
          meta.putIfAbsent(key, new Object[] {o, x, y});
        }
      }
    }
    for (Map.Entry<String, List<Long>> e : byKey.entrySet()) {
      Object[] m = meta.get(e.getKey());
      Analysis.Overlap o = (Analysis.Overlap) m[0];
      Inventory.Generation x = (Inventory.Generation) m[1];
      Inventory.Generation y = (Inventory.Generation) m[2];
      int n = e.getValue().size();
      String both = x.shortName() + " and " + y.shortName();
      List<String> refs = List.of(x.ref(), y.ref());
      List<String> sample = ids(e.getValue());
      switch (o) {
        case SPLIT -> add("split-checkpoints", Severity.INFO, refs, sample,
            plural(n) + " with sessions split between " + both + " (legitimate, spec §10.4.6)");
        case DIVERGED -> add("diverged-checkpoints", Severity.WARNING, refs, sample,
            plural(n) + " in " + both + " with the same file holding different content");
        case DUPLICATE -> {
          if (y.isCurrent()) {
            add("current-archived-duplicates", Severity.ERROR, refs, sample,
                y.shortName() + " holds copies of " + plural(n) + " archived in " + x.shortName()
                    + " (rehydration)");
          } else {
            add("duplicate-checkpoints", Severity.WARNING, refs, sample,
                plural(n) + " copied in both " + both);
          }
        }
      }
    }
  }

  /** Archive numbers must ascend with the §8.1 order of their (unshared) checkpoints. */
  private void order(Analysis a) {
    long[] prevMax = null;
    Inventory.Generation prev = null;
    for (Inventory.Generation g : inv.archives) {
      long[] minMax = null;
      for (Long id : g.dirs().keySet()) {
        if (a.where.get(id).size() > 1) {
          continue;
        }
        if (minMax == null) {
          minMax = new long[] {id, id};
        } else {
          if (cmp(a, id, minMax[0]) < 0) {
            minMax[0] = id;
          }
          if (cmp(a, id, minMax[1]) > 0) {
            minMax[1] = id;
          }
        }
      }
      if (minMax == null) {
        continue;
      }
      if (prevMax != null && cmp(a, prevMax[1], minMax[0]) > 0) {
        add("archive-order", Severity.WARNING, List.of(prev.ref(), g.ref()),
            List.of(CheckpointIds.format(prevMax[1]), CheckpointIds.format(minMax[0])),
            prev.shortName() + " holds checkpoint " + CheckpointIds.format(prevMax[1])
                + " newer than " + CheckpointIds.format(minMax[0]) + " in " + g.shortName()
                + ": archive numbers are not in chronological order");
      }
      prevMax = minMax;
      prev = g;
    }
  }

  private static int cmp(Analysis a, long x, long y) {
    return CheckpointOrder.compare(x, a.createdAt(x), y, a.createdAt(y));
  }

  private void add(String code, Severity s, List<String> refs, List<String> cps, String message) {
    findings.add(new Finding(code, s, refs, cps, message));
  }

  private static List<String> ids(Collection<Long> c) {
    List<String> out = new ArrayList<>();
    new TreeSet<>(c).forEach(id -> out.add(CheckpointIds.format(id)));
    return out;
  }

  private static String plural(int n) {
    return n + (n == 1 ? " checkpoint" : " checkpoints");
  }

  private static String range(GenerationJson g) {
    return g == null
        ? "(unknown)"
        : GenerationJson.formatTime(g.oldest()) + " .. " + GenerationJson.formatTime(g.newest());
  }

  /** "2 errors, 1 warning". */
  String tally() {
    long e = count(Severity.ERROR);
    long w = count(Severity.WARNING);
    return e + (e == 1 ? " error, " : " errors, ") + w + (w == 1 ? " warning" : " warnings");
  }

  /** The report for people. */
  String text(String repoPath) {
    StringBuilder b = new StringBuilder();
    b.append("checkpoint-guard check: ").append(repoPath).append(" (threshold ").append(threshold)
        .append(")\n");
    b.append(inv.mainTip == null ? "main: missing\n"
        : "main: " + abbrev(inv.mainTip) + ", " + mainCheckpoints + " checkpoints\n");
    b.append("generations:\n");
    if (gens.isEmpty()) {
      b.append("  (none)\n");
    }
    for (GenInfo gi : gens) {
      Inventory.Generation g = gi.gen();
      b.append(String.format("  %-18s %5d  %-16s %s  generation.json: %s%n",
          g.shortName(), g.count(), g.kind().id(), abbrev(g.tip()), fileText(gi)));
    }
    b.append("findings:\n");
    if (findings.isEmpty()) {
      b.append("  (none)\n");
    }
    for (Finding f : findings) {
      b.append("  ").append(f.severity().id).append(' ').append(f.code()).append(": ")
          .append(f.message());
      if (!f.checkpoints().isEmpty()) {
        b.append(" [").append(String.join(" ", f.checkpoints().subList(0,
            Math.min(5, f.checkpoints().size()))));
        if (f.checkpoints().size() > 5) {
          b.append(" +").append(f.checkpoints().size() - 5);
        }
        b.append(']');
      }
      b.append('\n');
    }
    b.append("backups:\n");
    if (inv.backups.isEmpty()) {
      b.append("  (none)\n");
    }
    inv.backups.forEach((ts, refs) -> b.append("  ").append(ts).append("  ").append(refs.size())
        .append(refs.size() == 1 ? " ref" : " refs").append(" (restore --backup ").append(ts)
        .append(")\n"));
    b.append(healthy() ? "result: healthy" : "result: problems found").append(" (").append(tally())
        .append(")\n");
    return b.toString();
  }

  private static String fileText(GenInfo gi) {
    Inventory.Generation g = gi.gen();
    return switch (g.file()) {
      case MISSING -> g.isCurrent() ? "none" : "missing";
      case INVALID -> "invalid";
      case VALID -> "valid" + (gi.matches() == null ? "" : gi.matches() ? ", matches" : ", differs");
    };
  }

  private static String abbrev(ObjectId id) {
    return id.abbreviate(10).name();
  }

  /** The stable JSON form (docs/admin.md). */
  String json(String repoPath) {
    StringBuilder b = new StringBuilder();
    b.append("{\n");
    field(b, 1, "schema", Json.quote(SCHEMA), true);
    field(b, 1, "repository", Json.quote(repoPath), true);
    field(b, 1, "threshold", Integer.toString(threshold), true);
    field(b, 1, "healthy", Boolean.toString(healthy()), true);
    int total = distinct;
    b.append("  \"summary\": {\"generations\": ").append(gens.size()).append(", \"archives\": ")
        .append(inv.archives.size()).append(", \"checkpoints\": ").append(total)
        .append(", \"errors\": ").append(count(Severity.ERROR)).append(", \"warnings\": ")
        .append(count(Severity.WARNING)).append(", \"infos\": ").append(count(Severity.INFO))
        .append("},\n");
    b.append("  \"main\": ").append(inv.mainTip == null ? "null"
        : "{\"tip\": " + Json.quote(inv.mainTip.name()) + ", \"checkpoints\": " + mainCheckpoints + "}")
        .append(",\n");
    b.append("  \"generations\": [");
    for (int i = 0; i < gens.size(); i++) {
      GenInfo gi = gens.get(i);
      Inventory.Generation g = gi.gen();
      b.append(i == 0 ? "\n" : ",\n").append("    {\"ref\": ").append(Json.quote(g.ref()))
          .append(", \"number\": ").append(g.isCurrent() ? "null" : Long.toString(g.number()))
          .append(", \"tip\": ").append(Json.quote(g.tip().name()))
          .append(", \"kind\": ").append(Json.quote(g.kind().id()))
          .append(", \"checkpoints\": ").append(g.count())
          .append(", \"generation_json\": {\"state\": ").append(Json.quote(g.file().id))
          .append(", \"oldest\": ").append(time(g.fileValue() == null ? null : g.fileValue().oldest()))
          .append(", \"newest\": ").append(time(g.fileValue() == null ? null : g.fileValue().newest()))
          .append(", \"expected_oldest\": ").append(time(gi.expected() == null ? null : gi.expected().oldest()))
          .append(", \"expected_newest\": ").append(time(gi.expected() == null ? null : gi.expected().newest()))
          .append(", \"matches\": ").append(gi.matches() == null ? "null" : gi.matches().toString())
          .append(", \"problem\": ").append(g.fileProblem() == null ? "null" : Json.quote(g.fileProblem()))
          .append("}}");
    }
    b.append(gens.isEmpty() ? "],\n" : "\n  ],\n");
    b.append("  \"findings\": [");
    for (int i = 0; i < findings.size(); i++) {
      Finding f = findings.get(i);
      b.append(i == 0 ? "\n" : ",\n").append("    {\"code\": ").append(Json.quote(f.code()))
          .append(", \"severity\": ").append(Json.quote(f.severity().id))
          .append(", \"refs\": ").append(list(f.refs()))
          .append(", \"count\": ").append(f.checkpoints().size())
          .append(", \"checkpoints\": ")
          .append(list(f.checkpoints().subList(0, Math.min(SAMPLE, f.checkpoints().size()))))
          .append(", \"message\": ").append(Json.quote(f.message())).append('}');
    }
    b.append(findings.isEmpty() ? "],\n" : "\n  ],\n");
    b.append("  \"backups\": [");
    int i = 0;
    for (Map.Entry<String, SortedMap<String, ObjectId>> e : inv.backups.entrySet()) {
      b.append(i++ == 0 ? "\n" : ",\n").append("    {\"timestamp\": ").append(Json.quote(e.getKey()))
          .append(", \"refs\": {");
      int j = 0;
      for (Map.Entry<String, ObjectId> r : e.getValue().entrySet()) {
        b.append(j++ == 0 ? "" : ", ").append(Json.quote(r.getKey())).append(": ")
            .append(Json.quote(r.getValue().name()));
      }
      b.append("}}");
    }
    b.append(inv.backups.isEmpty() ? "]\n" : "\n  ]\n");
    b.append("}\n");
    return b.toString();
  }

  private static void field(StringBuilder b, int indent, String name, String value, boolean comma) {
    b.append("  ".repeat(indent)).append(Json.quote(name)).append(": ").append(value)
        .append(comma ? ",\n" : "\n");
  }

  private static String time(Instant t) {
    return t == null ? "null" : Json.quote(GenerationJson.formatTime(t));
  }

  private static String list(List<String> l) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < l.size(); i++) {
      b.append(i == 0 ? "" : ", ").append(Json.quote(l.get(i)));
    }
    return b.append(']').toString();
  }

}
