package dev.checkpointguard.admin;

import dev.checkpointguard.command.Invocation;
import dev.checkpointguard.core.GuardSettings;
import dev.checkpointguard.core.JsonFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.lib.NullProgressMonitor;

/**
 * {@code check --repos DIR}: {@code check} on every repository {@link Fleet} finds under DIR, in
 * parallel, as one line per repository and a summary, or as one JSON document (schema {@link
 * #SCHEMA}, docs/operations.md).
 */
final class FleetCheck {
  /** JSON schema id; bumped only on incompatible change. */
  static final String SCHEMA = "checkpoint-guard.check-fleet/1";

  /** How one repository came out. */
  enum Health {
    HEALTHY("healthy"),
    PROBLEMS("problems"),
    NO_V2("no-v2"),
    UNREADABLE("unreadable");

    final String id;

    Health(String id) {
      this.id = id;
    }
  }

  /** One repository's line: its audit, or the problem that kept it from being audited. */
  record Entry(Fleet.Repo repo, RepositoryAudit audit, String problem) {
    Health health() {
      if (audit == null) {
        return Health.UNREADABLE;
      }
      if (!audit.healthy()) {
        return Health.PROBLEMS;
      }
      return audit.empty() ? Health.NO_V2 : Health.HEALTHY;
    }
  }

  final Path root;
  final Integer threshold; // --threshold, or null for each repository's own
  final List<Entry> entries;
  final List<Fleet.Unlisted> unlisted;

  private FleetCheck(
      Path root, Integer threshold, List<Entry> entries, List<Fleet.Unlisted> unlisted) {
    this.root = root;
    this.threshold = threshold;
    this.entries = entries;
    this.unlisted = unlisted;
  }

  /** Audits every repository under {@code root}; progress goes to {@code progress}. */
  static FleetCheck run(Path root, Integer threshold, int jobs, java.io.PrintStream progress)
      throws IOException, InterruptedException {
    Fleet.Discovery found = Fleet.discover(root);
    if (progress != null) {
      progress.println(
          "checkpoint-guard check: "
              + found.repositories().size()
              + " repositories under "
              + root
              + ", "
              + jobs
              + (jobs == 1 ? " job" : " jobs"));
    }
    List<Fleet.Outcome<RepositoryAudit>> outcomes =
        Fleet.run(
            found.repositories(),
            jobs,
            (repo, git) -> {
              int t;
              if (threshold != null) {
                t = threshold;
              } else {
                try {
                  t = RepositoryAudit.threshold(git);
                } catch (GuardSettings.InvalidSettingsException e) {
                  throw new IllegalArgumentException(e.getMessage(), e);
                }
              }
              return RepositoryAudit.of(git, t, NullProgressMonitor.INSTANCE);
            },
            progress);
    List<Entry> entries =
        outcomes.stream().map(o -> new Entry(o.repo(), o.result(), o.problem())).toList();
    return new FleetCheck(root, threshold, entries, found.unlisted());
  }

  long count(Health h) {
    return entries.stream().filter(e -> e.health() == h).count();
  }

  /**
   * Exit 0 only when every repository was audited and none has errors, and every folder could be
   * listed.
   */
  boolean healthy() {
    return count(Health.PROBLEMS) == 0 && count(Health.UNREADABLE) == 0 && unlisted.isEmpty();
  }

  /** The report for people: one line per repository, then a summary. */
  String text(Invocation invocation) {
    StringBuilder b = new StringBuilder();
    b.append("checkpoint-guard check: ")
        .append(root)
        .append(" (")
        .append(threshold == null ? "each repository's threshold" : "threshold " + threshold)
        .append(")\n");
    int width = 10;
    for (Entry e : entries) {
      width = Math.max(width, e.repo().name().length());
    }
    b.append(
        String.format(
            "  %-" + width + "s  %-10s %11s %12s  %s%n",
            "repository",
            "health",
            "generations",
            "checkpoints",
            "damage"));
    for (Entry e : entries) {
      if (e.audit() == null) {
        b.append(
            String.format(
                "  %-" + width + "s  %-10s %s%n", e.repo().name(), e.health().id, e.problem()));
        continue;
      }
      RepositoryAudit a = e.audit();
      StringBuilder kinds = new StringBuilder();
      for (Map.Entry<String, Integer> k : a.damageKinds().entrySet()) {
        kinds.append(kinds.length() == 0 ? "" : " ").append(k.getKey());
        if (k.getValue() > 1) {
          kinds.append(" x").append(k.getValue());
        }
      }
      b.append(
              String.format(
                      "  %-" + width + "s  %-10s %11d %12d  %s",
                      e.repo().name(),
                      e.health().id,
                      a.generations().size(),
                      a.checkpoints(),
                      kinds)
                  .stripTrailing())
          .append('\n');
    }
    for (Fleet.Unlisted u : unlisted) {
      b.append("  ")
          .append(u.name())
          .append(": ")
          .append(u.problem())
          .append(" (repositories below it were not checked)\n");
    }
    b.append("summary: ")
        .append(entries.size())
        .append(entries.size() == 1 ? " repository: " : " repositories: ")
        .append(count(Health.HEALTHY))
        .append(" healthy, ")
        .append(count(Health.PROBLEMS))
        .append(" with problems, ")
        .append(count(Health.NO_V2))
        .append(" without v2 checkpoints, ")
        .append(count(Health.UNREADABLE))
        .append(" unreadable");
    if (!unlisted.isEmpty()) {
      b.append(", ")
          .append(unlisted.size())
          .append(unlisted.size() == 1 ? " folder" : " folders")
          .append(" not listed");
    }
    b.append('\n');
    if (healthy()) {
      b.append("result: healthy\n");
    } else {
      // A hint that runs as printed: the first repository that needs a look, by its real path.
      Entry first =
          entries.stream()
              .filter(e -> e.health() == Health.PROBLEMS || e.health() == Health.UNREADABLE)
              .findFirst()
              .orElse(null);
      b.append("result: problems found");
      if (first != null) {
        b.append("; details of one repository: ")
            .append(invocation.command("check", "--repo", first.repo().gitDir().toString()));
      }
      b.append('\n');
    }
    return b.toString();
  }

  /** The JSON document (docs/operations.md). */
  String json() {
    return JsonFiles.document(
        g -> {
          g.writeStartObject();
          g.writeStringField("schema", SCHEMA);
          g.writeStringField("root", root.toString());
          g.writeFieldName("threshold");
          if (threshold == null) {
            g.writeNull();
          } else {
            g.writeNumber(threshold);
          }
          g.writeBooleanField("healthy", healthy());
          g.writeObjectFieldStart("summary");
          g.writeNumberField("repositories", entries.size());
          for (Health h : Health.values()) {
            g.writeNumberField(h.id.replace('-', '_'), count(h));
          }
          g.writeNumberField("unlisted_folders", unlisted.size());
          g.writeEndObject();
          g.writeArrayFieldStart("repositories");
          for (Entry e : entries) {
            g.writeStartObject();
            g.writeStringField("path", e.repo().name());
            g.writeStringField("health", e.health().id);
            g.writeStringField("problem", e.problem());
            RepositoryAudit a = e.audit();
            if (a != null) {
              g.writeNumberField("threshold", a.threshold());
              g.writeNumberField("generations", a.generations().size());
              g.writeNumberField("archives", a.archives());
              g.writeNumberField("checkpoints", a.checkpoints());
              g.writeNumberField("errors", a.errors());
              g.writeNumberField("warnings", a.warnings());
              g.writeObjectFieldStart("damage");
              for (Map.Entry<String, Integer> k : a.damageKinds().entrySet()) {
                g.writeNumberField(k.getKey(), k.getValue());
              }
              g.writeEndObject();
              g.writeArrayFieldStart("findings");
              for (RepositoryAudit.Finding f : a.findings()) {
                g.writeStartObject();
                g.writeStringField("code", f.code());
                g.writeStringField("severity", f.severity());
                g.writeArrayFieldStart("refs");
                for (String ref : f.refs()) {
                  g.writeString(ref);
                }
                g.writeEndArray();
                g.writeNumberField("count", f.count());
                g.writeStringField("message", f.message());
                g.writeEndObject();
              }
              g.writeEndArray();
              g.writeNumberField("backups", a.backups().size());
            }
            g.writeEndObject();
          }
          g.writeEndArray();
          g.writeArrayFieldStart("unlisted_folders");
          for (Fleet.Unlisted u : unlisted) {
            g.writeStartObject();
            g.writeStringField("path", u.name());
            g.writeStringField("problem", u.problem());
            g.writeEndObject();
          }
          g.writeEndArray();
          g.writeEndObject();
        });
  }
}
