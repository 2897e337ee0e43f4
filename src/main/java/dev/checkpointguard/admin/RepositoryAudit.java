package dev.checkpointguard.admin;

import dev.checkpointguard.core.GenerationJson;
import dev.checkpointguard.core.GuardSettings;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.lib.ProgressMonitor;
import org.eclipse.jgit.lib.Repository;

/**
 * The result of {@code check} on one repository as plain public data, for the readers outside
 * {@code check} itself: the fleet audit ({@link Fleet}) and {@code serve}'s status pages. It is
 * read-only and holds no JGit objects, so it can be cached and shared between threads.
 *
 * @param threshold the threshold the archives were audited against
 * @param mainTip {@code /main}'s commit id, or null when there is no {@code /main}
 * @param mainCheckpoints checkpoints on {@code /main}
 * @param checkpoints distinct checkpoints in all generations
 * @param generations archives ascending by number, then {@code /full/current}
 * @param findings what {@code check} reports, errors first as {@code check} orders them
 * @param backups repair's backups, oldest first
 */
public record RepositoryAudit(
    int threshold,
    String mainTip,
    int mainCheckpoints,
    int checkpoints,
    List<Generation> generations,
    List<Finding> findings,
    List<Backup> backups) {

  /**
   * One generation.
   *
   * @param ref full ref name (attacker-controlled text: escape it)
   * @param number the archive number, or -1 for {@code /full/current}
   * @param tip the ref's commit id
   * @param kind what wrote the tip ({@code rotation}, {@code migration}, …: the ids of
   *     docs/admin.md)
   * @param checkpoints checkpoints it holds
   * @param generationJson {@code missing}, {@code invalid} or {@code valid}
   * @param oldest start of its time span: {@code generation.json}'s, else recomputed from {@code
   *     /main}; null when neither is known
   * @param newest end of its time span, likewise
   * @param problem why {@code generation.json} is invalid (may quote attacker-controlled text), or
   *     null
   */
  public record Generation(
      String ref,
      long number,
      String tip,
      String kind,
      int checkpoints,
      String generationJson,
      Instant oldest,
      Instant newest,
      String problem) {
    public boolean isCurrent() {
      return number < 0;
    }
  }

  /**
   * One finding of {@code check}.
   *
   * @param code stable id (docs/admin.md)
   * @param severity {@code error}, {@code warning} or {@code info}
   * @param refs the refs concerned
   * @param count checkpoints affected
   * @param sample up to {@link JsonReport#SAMPLE} of their ids
   * @param message one line for people (contains ref names: escape it)
   */
  public record Finding(
      String code,
      String severity,
      List<String> refs,
      int count,
      List<String> sample,
      String message) {
    public boolean isError() {
      return severity.equals("error");
    }
  }

  /**
   * One backup of {@code repair}: its timestamp (the {@code restore --backup} argument) and refs
   * saved.
   */
  public record Backup(String timestamp, int refs) {}

  public RepositoryAudit {
    generations = List.copyOf(generations);
    findings = List.copyOf(findings);
    backups = List.copyOf(backups);
  }

  /** No errors (warnings and infos allowed): {@code check} would exit 0. */
  public boolean healthy() {
    return errors() == 0;
  }

  public long errors() {
    return findings.stream().filter(Finding::isError).count();
  }

  public long warnings() {
    return findings.stream().filter(f -> f.severity().equals("warning")).count();
  }

  /** Archived generations (all but {@code /full/current}). */
  public long archives() {
    return generations.stream().filter(g -> !g.isCurrent()).count();
  }

  /** True when the repository holds no v2 ref and no backup: nothing to audit. */
  public boolean empty() {
    return mainTip == null && generations.isEmpty() && findings.isEmpty() && backups.isEmpty();
  }

  /** The repository's {@code checkpointGuard.threshold}, as {@code check} uses it. */
  public static int threshold(Repository repo) throws GuardSettings.InvalidSettingsException {
    return GuardSettings.from(repo.getConfig()).threshold();
  }

  /**
   * Audits a repository as {@code check} does (read-only).
   *
   * @param progress told about the slow part (reading {@code /main}); {@link ProgressMonitor}s of
   *     JGit
   */
  public static RepositoryAudit of(Repository repo, int threshold, ProgressMonitor progress)
      throws IOException {
    return of(Audit.run(repo, threshold, progress));
  }

  /** The plain-data view of an {@link Audit}. */
  public static RepositoryAudit of(Audit a) {
    List<Generation> gens = new ArrayList<>();
    for (Audit.Generation g : a.generations()) {
      GenerationJson span = g.span();
      gens.add(
          new Generation(
              g.ref(),
              g.isCurrent() ? -1 : g.number(),
              g.tip().name(),
              g.kind(),
              g.checkpoints(),
              g.file().id(),
              span == null || GenerationJson.GO_ZERO.equals(span.oldest()) ? null : span.oldest(),
              span == null || GenerationJson.GO_ZERO.equals(span.newest()) ? null : span.newest(),
              g.fileProblem()));
    }
    List<Finding> findings = new ArrayList<>();
    for (Audit.Finding f : a.findings()) {
      findings.add(
          new Finding(
              f.code(),
              f.severity().id(),
              f.refs(),
              f.checkpoints().size(),
              f.checkpoints().subList(0, Math.min(JsonReport.SAMPLE, f.checkpoints().size())),
              f.message()));
    }
    List<Backup> backups = new ArrayList<>();
    a.backups().forEach((ts, refs) -> backups.add(new Backup(ts, refs.size())));
    return new RepositoryAudit(
        a.threshold(),
        a.mainTip() == null ? null : a.mainTip().name(),
        a.mainCheckpoints(),
        a.checkpoints(),
        gens,
        findings,
        backups);
  }

  /** Finding code → number of findings with it, in report order. */
  public Map<String, Integer> damageKinds() {
    Map<String, Integer> kinds = new java.util.LinkedHashMap<>();
    for (Finding f : findings) {
      if (!f.severity().equals("info")) {
        kinds.merge(f.code(), 1, Integer::sum);
      }
    }
    return kinds;
  }
}
