package dev.checkpointguard.convert;

import dev.checkpointguard.admin.Fleet;
import dev.checkpointguard.core.JsonFiles;
import java.util.List;

/**
 * What {@code convert --repos DIR} prints: one line per repository, then totals; or the JSON of
 * each.
 */
final class FleetReport {
  static final String SCHEMA = "checkpoint-guard.convert-fleet/1";

  private final String root;
  private final boolean verify;
  private final boolean dryRun;
  private final Fleet.Discovery found;
  private final List<Fleet.Outcome<Object>> outcomes;

  FleetReport(
      String root,
      boolean verify,
      boolean dryRun,
      Fleet.Discovery found,
      List<Fleet.Outcome<Object>> outcomes) {
    this.root = root;
    this.verify = verify;
    this.dryRun = dryRun;
    this.found = found;
    this.outcomes = outcomes;
  }

  /** 0 when every repository is done (verified) and every folder was listed; else 1. */
  int exitCode() {
    if (!found.unlisted().isEmpty()) {
      return 1;
    }
    for (Fleet.Outcome<Object> o : outcomes) {
      if (!o.ok() || exit(o.result()) != 0) {
        return 1;
      }
    }
    return 0;
  }

  private static int exit(Object r) {
    if (r instanceof Verifier v) {
      return v.ok() ? 0 : 1;
    }
    return ((ConvertReport) r).exitCode();
  }

  String text() {
    StringBuilder b = new StringBuilder();
    b.append(verify ? "verify" : "convert")
        .append(" --repos ")
        .append(root)
        .append(dryRun ? " (dry run)" : "")
        .append(": ")
        .append(outcomes.size())
        .append(" repositories\n");
    int ok = 0;
    for (Fleet.Outcome<Object> o : outcomes) {
      b.append("  ").append(o.repo().name()).append(": ");
      if (!o.ok()) {
        b.append("failed: ").append(o.problem()).append('\n');
        continue;
      }
      if (o.result() instanceof Verifier v) {
        b.append(v.ok() ? "ok" : "not ok: " + v.failures.size() + " problem(s)")
            .append(" (")
            .append(v.checkpoints)
            .append(" checkpoint(s))\n");
      } else {
        b.append(((ConvertReport) o.result()).oneLine()).append('\n');
      }
      ok += exit(o.result()) == 0 ? 1 : 0;
    }
    for (Fleet.Unlisted u : found.unlisted()) {
      b.append("  ").append(u.name()).append(": ").append(u.problem()).append('\n');
    }
    b.append(ok)
        .append(" of ")
        .append(outcomes.size())
        .append(verify ? " verified" : dryRun ? " with nothing to do" : " fully converted")
        .append("; run it with --repo on a repository for its details\n");
    return b.toString();
  }

  String json() {
    return JsonFiles.document(
        g -> {
          g.writeStartObject();
          g.writeStringField("schema", SCHEMA);
          g.writeStringField("root", root);
          g.writeStringField("mode", verify ? "verify" : dryRun ? "dry-run" : "convert");
          g.writeArrayFieldStart("repositories");
          for (Fleet.Outcome<Object> o : outcomes) {
            g.writeStartObject();
            g.writeStringField("name", o.repo().name());
            if (!o.ok()) {
              g.writeStringField("problem", o.problem());
              g.writeNullField("report");
            } else {
              g.writeNullField("problem");
              g.writeFieldName("report");
              if (o.result() instanceof Verifier v) {
                v.write(g, o.repo().gitDir().toString());
              } else {
                ((ConvertReport) o.result()).write(g, o.repo().gitDir().toString());
              }
            }
            g.writeEndObject();
          }
          g.writeEndArray();
          g.writeArrayFieldStart("unlisted");
          for (Fleet.Unlisted u : found.unlisted()) {
            g.writeStartObject();
            g.writeStringField("name", u.name());
            g.writeStringField("problem", u.problem());
            g.writeEndObject();
          }
          g.writeEndArray();
          g.writeEndObject();
        });
  }
}
