package dev.checkpointguard.convert;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.checkpointguard.command.Invocation;
import dev.checkpointguard.core.CheckpointIds;
import dev.checkpointguard.core.JsonFiles;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.lib.ObjectId;

/**
 * What one {@code convert} run found and did: per checkpoint of the v2 scope, converted (with
 * notes), already in v1, or not convertible (with the reason). Printed as text or as JSON ({@code
 * checkpoint-guard.convert/1}, documented in docs/convert.md).
 */
final class ConvertReport {
  static final String SCHEMA = "checkpoint-guard.convert/1";

  /** Converted checkpoints without notes listed by ID in the text report; --json lists all. */
  static final int TEXT_IDS = 10;

  record Converted(long id, int sessions, boolean authored, List<String> notes) {}

  record Refused(long id, String reason) {}

  final boolean dryRun;
  int scope;
  final List<Converted> converted = new ArrayList<>();
  final List<Long> already = new ArrayList<>();
  final List<Refused> refused = new ArrayList<>();
  final List<String> ignoredRefs = new ArrayList<>();
  ObjectId v1Before;
  ObjectId v1After;
  int commits;
  String backup;
  int attempts;

  /**
   * Why the run stopped without writing (refs kept moving, a leftover lock); null when it did not.
   */
  String gaveUp;

  int offsetsDropped;
  int createdAtSet;
  int metadataRewritten;

  ConvertReport(boolean dryRun) {
    this.dryRun = dryRun;
  }

  /** Work a real run would do or did: checkpoints converted (or to convert in a dry run). */
  boolean hasWork() {
    return !converted.isEmpty();
  }

  /** Exit code: 0 all done; 1 work left (dry run), something not convertible, or stopped. */
  int exitCode() {
    if (gaveUp != null || !refused.isEmpty()) {
      return 1;
    }
    return dryRun && hasWork() ? 1 : 0;
  }

  String text(String repository, Invocation invocation) {
    StringBuilder b = new StringBuilder();
    b.append("convert ")
        .append(repository)
        .append(dryRun ? " (dry run: nothing written)" : "")
        .append('\n');
    b.append("v2 scope: ").append(scope).append(" checkpoint(s) in /main and /full/*\n");
    for (String i : ignoredRefs) {
      b.append("  not read: ").append(i).append('\n');
    }
    b.append(dryRun ? "to convert: " : "converted: ").append(converted.size()).append('\n');
    int plain = 0;
    for (Converted c : converted) {
      if (c.notes().isEmpty()) {
        if (plain++ < TEXT_IDS) {
          b.append("  ")
              .append(CheckpointIds.format(c.id()))
              .append(" (")
              .append(c.sessions())
              .append(c.sessions() == 1 ? " session)" : " sessions)")
              .append('\n');
        }
        continue;
      }
      b.append("  ")
          .append(CheckpointIds.format(c.id()))
          .append(" (")
          .append(c.sessions())
          .append(c.sessions() == 1 ? " session)" : " sessions)")
          .append('\n');
      for (String n : c.notes()) {
        b.append("    ").append(n).append('\n');
      }
    }
    if (plain > TEXT_IDS) {
      b.append("  ... and ").append(plain - TEXT_IDS).append(" more (--json lists all)\n");
    }
    b.append("already in v1: ").append(already.size());
    if (!already.isEmpty()) {
      b.append(" (");
      for (int i = 0; i < Math.min(TEXT_IDS, already.size()); i++) {
        b.append(i > 0 ? ", " : "").append(CheckpointIds.format(already.get(i)));
      }
      b.append(already.size() > TEXT_IDS ? ", ...; --json lists all)" : ")");
    }
    b.append('\n');
    b.append("not convertible: ").append(refused.size()).append('\n');
    for (Refused r : refused) {
      b.append("  ")
          .append(CheckpointIds.format(r.id()))
          .append(": ")
          .append(r.reason())
          .append('\n');
    }
    if (metadataRewritten > 0) {
      b.append("session metadata.json rewritten: ")
          .append(metadataRewritten)
          .append(" (created_at set: ")
          .append(createdAtSet)
          .append(", compact checkpoint_transcript_start dropped: ")
          .append(offsetsDropped)
          .append(")\n");
    }
    if (gaveUp != null) {
      b.append("stopped: ").append(gaveUp).append('\n');
    } else if (!dryRun && commits > 0) {
      b.append("v1: ")
          .append(v1Before == null ? "(none)" : v1Before.abbreviate(10).name())
          .append(" -> ")
          .append(v1After.abbreviate(10).name())
          .append(" (")
          .append(commits)
          .append(" commit(s)")
          .append(attempts > 1 ? ", attempt " + attempts : "")
          .append(")\n");
      b.append("backup: ")
          .append(backup)
          .append(" (undo with: ")
          .append(
              invocation.command(
                  "restore", "--repo", Invocation.absolute(repository), "--backup", backup))
          .append(")\n");
    } else if (!dryRun) {
      b.append("v1: unchanged, nothing written\n");
    }
    return b.toString();
  }

  String json(String repository) {
    return JsonFiles.document(g -> write(g, repository));
  }

  /** The {@code checkpoint-guard.convert/1} object. */
  void write(JsonGenerator g, String repository) throws IOException {
    {
      g.writeStartObject();
      g.writeStringField("schema", SCHEMA);
      g.writeStringField("repository", repository);
      g.writeBooleanField("dry_run", dryRun);
      g.writeObjectFieldStart("summary");
      g.writeNumberField("scope", scope);
      g.writeNumberField("converted", converted.size());
      g.writeNumberField("already_in_v1", already.size());
      g.writeNumberField("not_convertible", refused.size());
      g.writeNumberField("metadata_rewritten", metadataRewritten);
      g.writeNumberField("created_at_set", createdAtSet);
      g.writeNumberField("offsets_dropped", offsetsDropped);
      g.writeEndObject();
      g.writeObjectFieldStart("v1");
      writeId(g, "before", v1Before);
      writeId(g, "after", dryRun ? null : v1After);
      g.writeNumberField("commits", dryRun ? 0 : commits);
      g.writeEndObject();
      if (backup == null || dryRun) {
        g.writeNullField("backup");
      } else {
        g.writeStringField("backup", backup);
      }
      if (gaveUp == null) {
        g.writeNullField("stopped");
      } else {
        g.writeStringField("stopped", gaveUp);
      }
      g.writeArrayFieldStart("converted");
      for (Converted c : converted) {
        g.writeStartObject();
        g.writeStringField("id", CheckpointIds.format(c.id()));
        g.writeNumberField("sessions", c.sessions());
        g.writeBooleanField("author_commit", c.authored());
        g.writeArrayFieldStart("notes");
        for (String n : c.notes()) {
          g.writeString(n);
        }
        g.writeEndArray();
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeArrayFieldStart("already_in_v1");
      for (long id : already) {
        g.writeString(CheckpointIds.format(id));
      }
      g.writeEndArray();
      g.writeArrayFieldStart("not_convertible");
      for (Refused r : refused) {
        g.writeStartObject();
        g.writeStringField("id", CheckpointIds.format(r.id()));
        g.writeStringField("reason", r.reason());
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeArrayFieldStart("not_read");
      for (String i : ignoredRefs) {
        g.writeString(i);
      }
      g.writeEndArray();
      g.writeEndObject();
    }
  }

  /** One line for a fleet run. */
  String oneLine() {
    return (dryRun ? "to convert " : "converted ")
        + converted.size()
        + ", already in v1 "
        + already.size()
        + ", not convertible "
        + refused.size()
        + (gaveUp != null ? "; stopped: " + gaveUp : "")
        + (backup != null && !dryRun ? "; backup " + backup : "");
  }

  private static void writeId(JsonGenerator g, String name, ObjectId id) throws IOException {
    if (id == null) {
      g.writeNullField(name);
    } else {
      g.writeStringField(name, id.name());
    }
  }
}
