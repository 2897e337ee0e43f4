package dev.checkpointguard.admin;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.PrettyPrinter;
import dev.checkpointguard.core.GenerationJson;
import dev.checkpointguard.core.JsonFiles;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Map;
import java.util.SortedMap;
import org.eclipse.jgit.lib.ObjectId;

/**
 * {@code check --json}: the stable JSON schema of docs/admin.md ({@value #SCHEMA}), one document
 * per audit. {@link #write} puts the same object into a larger document (a fleet report).
 */
public final class JsonReport {
  /** JSON schema id; bumped only on incompatible change. */
  public static final String SCHEMA = "checkpoint-guard.check/1";

  /** Sample checkpoint IDs listed per finding (its {@code count} says how many there are). */
  public static final int SAMPLE = 10;

  private JsonReport() {}

  /**
   * The document, laid out as docs/admin.md shows (one generation or finding per line), with a
   * newline.
   */
  public static String render(Audit a, String repoPath) {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = JsonFiles.generator(out, new ReportLayout())) {
      write(g, a, repoPath);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // not reachable: a StringWriter does no I/O
    }
    return out.append('\n').toString();
  }

  /**
   * Writes the report object of one audit (with its {@code schema} member) at the generator's
   * position.
   */
  public static void write(JsonGenerator g, Audit a, String repoPath) throws IOException {
    g.writeStartObject();
    g.writeStringField("schema", SCHEMA);
    g.writeStringField("repository", repoPath);
    g.writeNumberField("threshold", a.threshold());
    g.writeBooleanField("healthy", a.healthy());
    g.writeObjectFieldStart("summary");
    g.writeNumberField("generations", a.generations().size());
    g.writeNumberField("archives", a.archives());
    g.writeNumberField("checkpoints", a.checkpoints());
    g.writeNumberField("errors", a.count(Audit.Severity.ERROR));
    g.writeNumberField("warnings", a.count(Audit.Severity.WARNING));
    g.writeNumberField("infos", a.count(Audit.Severity.INFO));
    g.writeEndObject();
    g.writeFieldName("main");
    if (a.mainTip() == null) {
      g.writeNull();
    } else {
      g.writeStartObject();
      g.writeStringField("tip", a.mainTip().name());
      g.writeNumberField("checkpoints", a.mainCheckpoints());
      g.writeEndObject();
    }
    g.writeArrayFieldStart("generations");
    for (Audit.Generation gen : a.generations()) {
      GenerationJson file = gen.fileValue();
      GenerationJson expected = gen.expected();
      g.writeStartObject();
      g.writeStringField("ref", gen.ref());
      g.writeFieldName("number");
      if (gen.isCurrent()) {
        g.writeNull();
      } else {
        g.writeNumber(gen.number());
      }
      g.writeStringField("tip", gen.tip().name());
      g.writeStringField("kind", gen.kind());
      g.writeNumberField("checkpoints", gen.checkpoints());
      g.writeObjectFieldStart("generation_json");
      g.writeStringField("state", gen.file().id());
      g.writeStringField("oldest", time(file == null ? null : file.oldest()));
      g.writeStringField("newest", time(file == null ? null : file.newest()));
      g.writeStringField("expected_oldest", time(expected == null ? null : expected.oldest()));
      g.writeStringField("expected_newest", time(expected == null ? null : expected.newest()));
      g.writeFieldName("matches");
      if (gen.matches() == null) {
        g.writeNull();
      } else {
        g.writeBoolean(gen.matches());
      }
      g.writeStringField("problem", gen.fileProblem()); // null writes JSON null
      g.writeEndObject();
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeArrayFieldStart("findings");
    for (Audit.Finding f : a.findings()) {
      g.writeStartObject();
      g.writeStringField("code", f.code());
      g.writeStringField("severity", f.severity().id());
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
    for (Map.Entry<String, SortedMap<String, ObjectId>> e : a.backups().entrySet()) {
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
  }

  private static String time(Instant t) {
    return t == null ? null : GenerationJson.formatTime(t);
  }

  /**
   * The report's layout (docs/admin.md): the root object one member per line, each element of a
   * top-level array on its own line, everything deeper on that line ({@code {"a": 1, "b": [2,
   * 3]}}); empty arrays and objects as {@code []} and {@code {}}. Keeps a report readable and one
   * generation or finding per line for grep. Holds the nesting level, so one instance serves one
   * generator.
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
