package dev.checkpointguard.admin;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.PrettyPrinter;
import dev.checkpointguard.core.CheckpointIds;
import dev.checkpointguard.core.GenerationJson;
import dev.checkpointguard.core.JsonFiles;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
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

  /** The stable JSON form (docs/admin.md), laid out by {@link ReportLayout}. */
  String json(String repoPath) {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = JsonFiles.generator(out, new ReportLayout())) {
      g.writeStartObject();
      g.writeStringField("schema", SCHEMA);
      g.writeStringField("repository", repoPath);
      g.writeNumberField("threshold", threshold);
      g.writeBooleanField("healthy", healthy());
      g.writeObjectFieldStart("summary");
      g.writeNumberField("generations", gens.size());
      g.writeNumberField("archives", inv.archives.size());
      g.writeNumberField("checkpoints", distinct);
      g.writeNumberField("errors", count(Severity.ERROR));
      g.writeNumberField("warnings", count(Severity.WARNING));
      g.writeNumberField("infos", count(Severity.INFO));
      g.writeEndObject();
      g.writeFieldName("main");
      if (inv.mainTip == null) {
        g.writeNull();
      } else {
        g.writeStartObject();
        g.writeStringField("tip", inv.mainTip.name());
        g.writeNumberField("checkpoints", mainCheckpoints);
        g.writeEndObject();
      }
      g.writeArrayFieldStart("generations");
      for (GenInfo gi : gens) {
        Inventory.Generation g0 = gi.gen();
        GenerationJson file = g0.fileValue();
        GenerationJson expected = gi.expected();
        g.writeStartObject();
        g.writeStringField("ref", g0.ref());
        g.writeFieldName("number");
        if (g0.isCurrent()) {
          g.writeNull();
        } else {
          g.writeNumber(g0.number());
        }
        g.writeStringField("tip", g0.tip().name());
        g.writeStringField("kind", g0.kind().id());
        g.writeNumberField("checkpoints", g0.count());
        g.writeObjectFieldStart("generation_json");
        g.writeStringField("state", g0.file().id);
        g.writeStringField("oldest", time(file == null ? null : file.oldest()));
        g.writeStringField("newest", time(file == null ? null : file.newest()));
        g.writeStringField("expected_oldest", time(expected == null ? null : expected.oldest()));
        g.writeStringField("expected_newest", time(expected == null ? null : expected.newest()));
        g.writeFieldName("matches");
        if (gi.matches() == null) {
          g.writeNull();
        } else {
          g.writeBoolean(gi.matches());
        }
        g.writeStringField("problem", g0.fileProblem()); // null writes JSON null
        g.writeEndObject();
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeArrayFieldStart("findings");
      for (Finding f : findings) {
        g.writeStartObject();
        g.writeStringField("code", f.code());
        g.writeStringField("severity", f.severity().id);
        g.writeArrayFieldStart("refs");
        for (String ref : f.refs()) {
          g.writeString(ref);
        }
        g.writeEndArray();
        g.writeNumberField("count", f.checkpoints().size());
        g.writeArrayFieldStart("checkpoints");
        for (String id : f.checkpoints().subList(0, Math.min(SAMPLE, f.checkpoints().size()))) {
          g.writeString(id);
        }
        g.writeEndArray();
        g.writeStringField("message", f.message());
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeArrayFieldStart("backups");
      for (Map.Entry<String, SortedMap<String, ObjectId>> e : inv.backups.entrySet()) {
        g.writeStartObject();
        g.writeStringField("timestamp", e.getKey());
        g.writeObjectFieldStart("refs");
        for (Map.Entry<String, ObjectId> r : e.getValue().entrySet()) {
          g.writeStringField(r.getKey(), r.getValue().name());
        }
        g.writeEndObject();
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // not reachable: a StringWriter does no I/O
    }
    return out.append('\n').toString();
  }

  private static String time(Instant t) {
    return t == null ? null : GenerationJson.formatTime(t);
  }

  /**
   * The report's layout (docs/admin.md): the root object one member per line, each element of a top-level
   * array on its own line, everything deeper on that line ({@code {"a": 1, "b": [2, 3]}}); empty arrays
   * and objects as {@code []} and {@code {}}. Keeps a report readable and one generation or finding per
   * line for grep. Holds the nesting level, so one instance serves one generator.
   */
  private static final class ReportLayout implements PrettyPrinter {
    private int depth; // open containers, the root object being 1

    @Override
    public void writeRootValueSeparator(JsonGenerator g) throws IOException {
      g.writeRaw('\n');
    }

    @Override
    public void writeStartObject(JsonGenerator g) throws IOException {
      g.writeRaw('{');
      depth++;
    }

    @Override
    public void beforeObjectEntries(JsonGenerator g) throws IOException {
      if (depth == 1) {
        g.writeRaw("\n  ");
      }
    }

    @Override
    public void writeObjectFieldValueSeparator(JsonGenerator g) throws IOException {
      g.writeRaw(": ");
    }

    @Override
    public void writeObjectEntrySeparator(JsonGenerator g) throws IOException {
      g.writeRaw(depth == 1 ? ",\n  " : ", ");
    }

    @Override
    public void writeEndObject(JsonGenerator g, int entries) throws IOException {
      if (depth == 1 && entries > 0) {
        g.writeRaw('\n');
      }
      depth--;
      g.writeRaw('}');
    }

    @Override
    public void writeStartArray(JsonGenerator g) throws IOException {
      g.writeRaw('[');
      depth++;
    }

    @Override
    public void beforeArrayValues(JsonGenerator g) throws IOException {
      if (depth == 2) {
        g.writeRaw("\n    ");
      }
    }

    @Override
    public void writeArrayValueSeparator(JsonGenerator g) throws IOException {
      g.writeRaw(depth == 2 ? ",\n    " : ", ");
    }

    @Override
    public void writeEndArray(JsonGenerator g, int values) throws IOException {
      if (depth == 2 && values > 0) {
        g.writeRaw("\n  ");
      }
      depth--;
      g.writeRaw(']');
    }
  }
}
