package dev.checkpointguard.convert;

import dev.checkpointguard.command.Invocation;
import dev.checkpointguard.core.GuardSettings;
import dev.checkpointguard.core.JsonFiles;
import dev.checkpointguard.core.RefNames;
import java.util.Map;
import org.eclipse.jgit.lib.ObjectId;

/**
 * What {@code convert --retire} prints: the verification, then what was retired and how to undo it.
 */
final class RetireReport {
  static final String SCHEMA = "checkpoint-guard.convert-retire/1";

  private RetireReport() {}

  static String text(String repository, boolean dryRun, Retirer.Result r, Invocation invocation) {
    StringBuilder b = new StringBuilder();
    if (r.verify() != null) {
      b.append(r.verify().text(repository));
    }
    if (r.stopped() != null) {
      b.append("not retired: ").append(r.stopped()).append('\n');
      return b.toString();
    }
    String key = GuardSettings.SECTION + "." + GuardSettings.V2_KEY;
    if (dryRun) {
      b.append("dry run: would set ")
          .append(key)
          .append(" = retired and delete ")
          .append(r.deleted().size())
          .append(" ref(s):\n");
    } else {
      b.append(r.setRetired() ? "set " + key + " = retired\n" : key + " was retired already\n");
      b.append("deleted ")
          .append(r.deleted().size())
          .append(" ref(s)")
          .append(r.deleted().isEmpty() ? "\n" : ":\n");
    }
    for (Map.Entry<String, ObjectId> e : r.deleted().entrySet()) {
      b.append("  ")
          .append(RefNames.shortName(e.getKey()))
          .append(' ')
          .append(e.getValue().abbreviate(10).name())
          .append('\n');
    }
    if (r.backup() != null) {
      b.append("backup: ")
          .append(r.backup())
          .append(" (undo with: ")
          .append(
              invocation.command(
                  "restore", "--repo", Invocation.absolute(repository), "--backup", r.backup()))
          .append(")\n");
    }
    return b.toString();
  }

  static String json(String repository, boolean dryRun, Retirer.Result r) {
    return JsonFiles.document(
        g -> {
          g.writeStartObject();
          g.writeStringField("schema", SCHEMA);
          g.writeStringField("repository", repository);
          g.writeBooleanField("dry_run", dryRun);
          g.writeBooleanField("retired", r.stopped() == null && !dryRun);
          if (r.stopped() == null) {
            g.writeNullField("stopped");
          } else {
            g.writeStringField("stopped", r.stopped());
          }
          g.writeFieldName("verify");
          if (r.verify() == null) {
            g.writeNull();
          } else {
            r.verify().write(g, repository);
          }
          g.writeObjectFieldStart("deleted");
          for (Map.Entry<String, ObjectId> e : r.deleted().entrySet()) {
            g.writeStringField(e.getKey(), e.getValue().name());
          }
          g.writeEndObject();
          if (r.backup() == null) {
            g.writeNullField("backup");
          } else {
            g.writeStringField("backup", r.backup());
          }
          g.writeEndObject();
        });
  }
}
