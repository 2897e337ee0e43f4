package dev.checkpointguard.admin;

import dev.checkpointguard.core.CheckpointIds;
import dev.checkpointguard.core.CheckpointTimes;
import dev.checkpointguard.core.CheckpointTrees;
import dev.checkpointguard.core.GenerationJson;
import dev.checkpointguard.core.RefNames;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.ProgressMonitor;
import org.eclipse.jgit.lib.Repository;

/**
 * The audit of one repository's v2 checkpoint refs, as {@code check} reports it (spec §9): {@code
 * /main}, every generation with its facts, the findings, and the backups of earlier repairs. A
 * value: nothing here reads the repository after {@link #run} returns.
 *
 * <p>{@link TextReport} renders it for people and {@link JsonReport} as the stable JSON schema of
 * docs/admin.md; a fleet audit runs one per repository and renders or sums them.
 *
 * <pre>{@code
 * try (Repository repo = ...) {
 *   Audit a = Audit.run(repo, 100, NullProgressMonitor.INSTANCE);
 *   if (!a.healthy()) { ... a.findings() ... }
 * }
 * }</pre>
 */
public final class Audit {
  /** How much a finding matters. */
  public enum Severity {
    /** Damage {@code repair} fixes; makes {@code check} exit 1. */
    ERROR("error"),
    /** Worth knowing; {@code repair --mode full} fixes it; exit code unaffected. */
    WARNING("warning"),
    /** Legitimate state, reported for completeness. */
    INFO("info");

    private final String id;

    Severity(String id) {
      this.id = id;
    }

    /** The id in reports ({@code error}, {@code warning}, {@code info}). */
    public String id() {
      return id;
    }
  }

  /** Where a generation's {@code generation.json} stands. */
  public enum FileState {
    MISSING("missing"),
    INVALID("invalid"),
    VALID("valid");

    private final String id;

    FileState(String id) {
      this.id = id;
    }

    /** The id in reports. */
    public String id() {
      return id;
    }
  }

  /**
   * One finding.
   *
   * @param code stable id (docs/admin.md lists them)
   * @param severity how much it matters
   * @param refs the refs concerned
   * @param checkpoints affected checkpoint IDs, ascending (all of them; reports show a sample)
   * @param message one line for people
   */
  public record Finding(
      String code, Severity severity, List<String> refs, List<String> checkpoints, String message) {
    public Finding {
      refs = List.copyOf(refs);
      checkpoints = List.copyOf(checkpoints);
    }
  }

  /**
   * The facts of one generation.
   *
   * @param ref full ref name
   * @param number archive number, or -1 for {@code /full/current}
   * @param tip the ref's value
   * @param kind what wrote the tip: the stable id of docs/admin.md ({@code rotation}, {@code
   *     migration}, {@code repair}, …)
   * @param checkpoints the number of checkpoints it holds
   * @param file its {@code generation.json} state
   * @param fileValue the decoded file when {@link FileState#VALID}, else null
   * @param fileProblem why it is invalid when {@link FileState#INVALID}, else null
   * @param expected what the client's rotation would write for these checkpoints (spec §5.2); null
   *     for {@code /full/current} or when some checkpoint has no time
   * @param span the generation's time span: its {@code generation.json} when valid, else the
   *     envelope recomputed from {@code /main} (for {@code /full/current} too); null when neither
   *     is known
   */
  public record Generation(
      String ref,
      long number,
      ObjectId tip,
      String kind,
      int checkpoints,
      FileState file,
      GenerationJson fileValue,
      String fileProblem,
      GenerationJson expected,
      GenerationJson span) {
    /** True for {@code /full/current}. */
    public boolean isCurrent() {
      return number < 0;
    }

    /** The ref name below {@code refs/entire/checkpoints/v2/}, e.g. {@code full/0000000000001}. */
    public String shortName() {
      return RefNames.shortName(ref);
    }

    /** Whether the file matches {@link #expected}; null when either is unknown. */
    public Boolean matches() {
      if (fileValue == null || expected == null) {
        return null;
      }
      return fileValue.equals(expected);
    }
  }

  private final int threshold;
  private final ObjectId mainTip;
  private final int mainCheckpoints;
  private final int checkpoints;
  private final int archives;
  private final List<Generation> generations;
  private final List<Finding> findings;
  private final SortedMap<String, SortedMap<String, ObjectId>> backups;

  private Audit(
      int threshold,
      ObjectId mainTip,
      int mainCheckpoints,
      int checkpoints,
      int archives,
      List<Generation> generations,
      List<Finding> findings,
      SortedMap<String, SortedMap<String, ObjectId>> backups) {
    this.threshold = threshold;
    this.mainTip = mainTip;
    this.mainCheckpoints = mainCheckpoints;
    this.checkpoints = checkpoints;
    this.archives = archives;
    this.generations = List.copyOf(generations);
    this.findings = List.copyOf(findings);
    SortedMap<String, SortedMap<String, ObjectId>> b = new TreeMap<>();
    backups.forEach(
        (ts, refs) -> b.put(ts, Collections.unmodifiableSortedMap(new TreeMap<>(refs))));
    this.backups = Collections.unmodifiableSortedMap(b);
  }

  /**
   * Audits a repository (read-only): reads its v2 refs, their trees and {@code /main}'s metadata,
   * never a transcript.
   *
   * @param threshold checkpoints an archive needs (1–100)
   * @param progress where progress of the {@code /main} scan goes
   */
  public static Audit run(Repository repo, int threshold, ProgressMonitor progress)
      throws IOException {
    return run(repo, threshold, progress, new HashMap<>());
  }

  /**
   * {@code timesMemo}: what an earlier pass read from {@code /main} (the repair this audit
   * follows).
   */
  static Audit run(
      Repository repo,
      int threshold,
      ProgressMonitor progress,
      Map<ObjectId, CheckpointTimes.Times> timesMemo)
      throws IOException {
    try (ObjectReader reader = repo.newObjectReader()) {
      Inventory inv = Inventory.read(repo, reader);
      return of(new Analysis(inv, reader, progress, timesMemo), threshold);
    }
  }

  /** The threshold the audit judged archives by. */
  public int threshold() {
    return threshold;
  }

  /** {@code /main}'s value, or null when it does not exist (or is no commit). */
  public ObjectId mainTip() {
    return mainTip;
  }

  /** The checkpoints {@code /main} holds (0 without {@code /main}). */
  public int mainCheckpoints() {
    return mainCheckpoints;
  }

  /** Distinct checkpoints over every generation. */
  public int checkpoints() {
    return checkpoints;
  }

  /** The number of archived generations. */
  public int archives() {
    return archives;
  }

  /** Every generation: archives ascending by number, then {@code /full/current} if present. */
  public List<Generation> generations() {
    return generations;
  }

  /** The findings, in the order reports list them. */
  public List<Finding> findings() {
    return findings;
  }

  /** Backups of earlier repairs: timestamp → (original ref → value), oldest first. */
  public SortedMap<String, SortedMap<String, ObjectId>> backups() {
    return backups;
  }

  /** This audit with {@code more} findings after its own (e.g. a mirror's notes). */
  public Audit plus(List<Finding> more) {
    List<Finding> all = new ArrayList<>(findings);
    all.addAll(more);
    return new Audit(
        threshold, mainTip, mainCheckpoints, checkpoints, archives, generations, all, backups);
  }

  /** True when no finding is an {@link Severity#ERROR}. */
  public boolean healthy() {
    return count(Severity.ERROR) == 0;
  }

  /** The number of findings of one severity. */
  public long count(Severity s) {
    return findings.stream().filter(f -> f.severity() == s).count();
  }

  /** "2 errors, 1 warning". */
  public String tally() {
    long e = count(Severity.ERROR);
    long w = count(Severity.WARNING);
    return e + (e == 1 ? " error, " : " errors, ") + w + (w == 1 ? " warning" : " warnings");
  }

  // --- the audit
  // -------------------------------------------------------------------------------------

  /** Audits an analysed inventory. */
  static Audit of(Analysis a, int threshold) throws IOException {
    Inventory inv = a.inv;
    int onMain =
        inv.mainTree == null ? 0 : new CheckpointTrees(a.reader(), null).count(inv.mainTree);
    List<Generation> gens = new ArrayList<>();
    for (Inventory.Generation g : inv.generations()) {
      GenerationJson expected = g.isCurrent() ? null : a.envelope(g.dirs());
      GenerationJson span =
          g.fileValue() != null
              ? g.fileValue()
              : expected != null || !g.isCurrent() || g.dirs().isEmpty()
                  ? expected
                  : a.envelope(g.dirs());
      gens.add(
          new Generation(
              g.ref(),
              g.number(),
              g.tip(),
              g.kind().id(),
              g.count(),
              g.file(),
              g.fileValue(),
              g.fileProblem(),
              expected,
              span));
    }
    Findings f = new Findings();
    for (Inventory.Odd o : inv.odd) {
      f.add(
          "unknown-ref",
          Severity.ERROR,
          List.of(o.ref()),
          List.of(),
          o.ref() + ": " + o.why() + "; repair leaves it alone, remove it by hand once understood");
    }
    List<Inventory.Generation> all = inv.generations();
    for (int i = 0; i < all.size(); i++) {
      Inventory.Generation g = all.get(i);
      Generation facts = gens.get(i);
      if (g.isCurrent()) {
        if (g.count() >= threshold) {
          f.add(
              "current-at-threshold",
              Severity.ERROR,
              List.of(g.ref()),
              List.of(),
              g.shortName()
                  + " holds "
                  + g.count()
                  + " checkpoints, at or above the threshold of "
                  + threshold
                  + "; it should have been rotated");
        }
        if (g.file() != FileState.MISSING) {
          f.add(
              "current-generation-json",
              Severity.WARNING,
              List.of(g.ref()),
              List.of(),
              g.shortName() + " has a root generation.json (legacy v0.5.2/v0.5.3 layout)");
        }
        continue;
      }
      if (g.count() < threshold) {
        f.add(
            "under-threshold-archive",
            Severity.ERROR,
            List.of(g.ref()),
            ids(g.dirs().keySet()),
            g.shortName()
                + " holds "
                + g.count()
                + " checkpoints, fewer than the threshold of "
                + threshold
                + " (tip: "
                + g.kind().id()
                + ")");
      }
      switch (g.file()) {
        case MISSING ->
            f.add(
                "missing-generation-json",
                Severity.ERROR,
                List.of(g.ref()),
                List.of(),
                g.shortName() + " has no generation.json");
        case INVALID ->
            f.add(
                "invalid-generation-json",
                Severity.ERROR,
                List.of(g.ref()),
                List.of(),
                g.shortName() + " has an invalid generation.json: " + g.fileProblem());
        case VALID -> {
          if (Boolean.FALSE.equals(facts.matches())) {
            f.add(
                "generation-json-mismatch",
                Severity.WARNING,
                List.of(g.ref()),
                List.of(),
                g.shortName()
                    + " generation.json says "
                    + range(g.fileValue())
                    + ", recomputed from /main "
                    + range(facts.expected()));
          }
        }
      }
    }
    f.overlaps(a);
    f.order(a, inv);
    return new Audit(
        threshold,
        inv.mainTip,
        onMain,
        a.where.size(),
        inv.archives.size(),
        gens,
        f.list,
        inv.backups);
  }

  /** The findings as they are collected. */
  private static final class Findings {
    final List<Finding> list = new ArrayList<>();

    void add(String code, Severity s, List<String> refs, List<String> cps, String message) {
      list.add(new Finding(code, s, refs, cps, message));
    }

    void overlaps(Analysis a) throws IOException {
      Map<String, List<Long>> byKey = new LinkedHashMap<>();
      Map<String, Pair> meta = new LinkedHashMap<>();
      for (long id : a.shared()) {
        List<Inventory.Generation> gs = a.where.get(id);
        for (int i = 0; i < gs.size(); i++) {
          for (int j = i + 1; j < gs.size(); j++) {
            Inventory.Generation x = gs.get(i);
            Inventory.Generation y = gs.get(j);
            Analysis.Overlap o = a.overlap(x.dirs().get(id), y.dirs().get(id));
            String key = o + " " + x.ref() + " " + y.ref();
            byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(id);
            meta.putIfAbsent(key, new Pair(o, x, y));
          }
        }
      }
      for (Map.Entry<String, List<Long>> e : byKey.entrySet()) {
        Pair m = meta.get(e.getKey());
        Inventory.Generation x = m.x();
        Inventory.Generation y = m.y();
        int n = e.getValue().size();
        String both = x.shortName() + " and " + y.shortName();
        List<String> refs = List.of(x.ref(), y.ref());
        List<String> sample = ids(e.getValue());
        switch (m.overlap()) {
          case SPLIT ->
              add(
                  "split-checkpoints",
                  Severity.INFO,
                  refs,
                  sample,
                  plural(n)
                      + " with sessions split between "
                      + both
                      + " (legitimate, spec §10.4.6)");
          case DIVERGED ->
              add(
                  "diverged-checkpoints",
                  Severity.WARNING,
                  refs,
                  sample,
                  plural(n) + " in " + both + " with the same file holding different content");
          case DUPLICATE -> {
            if (y.isCurrent()) {
              add(
                  "current-archived-duplicates",
                  Severity.ERROR,
                  refs,
                  sample,
                  y.shortName()
                      + " holds copies of "
                      + plural(n)
                      + " archived in "
                      + x.shortName()
                      + " (rehydration)");
            } else {
              add(
                  "duplicate-checkpoints",
                  Severity.WARNING,
                  refs,
                  sample,
                  plural(n) + " copied in both " + both);
            }
          }
        }
      }
    }

    /** Archive numbers must ascend with the §8.1 order of their (unshared) checkpoints. */
    void order(Analysis a, Inventory inv) {
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
          add(
              "archive-order",
              Severity.WARNING,
              List.of(prev.ref(), g.ref()),
              List.of(CheckpointIds.format(prevMax[1]), CheckpointIds.format(minMax[0])),
              prev.shortName()
                  + " holds checkpoint "
                  + CheckpointIds.format(prevMax[1])
                  + " newer than "
                  + CheckpointIds.format(minMax[0])
                  + " in "
                  + g.shortName()
                  + ": archive numbers are not in chronological order");
        }
        prevMax = minMax;
        prev = g;
      }
    }
  }

  private record Pair(Analysis.Overlap overlap, Inventory.Generation x, Inventory.Generation y) {}

  private static int cmp(Analysis a, long x, long y) {
    return CheckpointOrder.compare(x, a.createdAt(x), y, a.createdAt(y));
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
}
