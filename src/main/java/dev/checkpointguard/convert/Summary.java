package dev.checkpointguard.convert;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.checkpointguard.core.JsonFiles;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The checkpoint summary ({@code <cp>/metadata.json}, {@code CheckpointSummary}) rebuilt for v1
 * (spec v2-to-v1 §6.7): {@code sessions[]} with v1 paths, {@code checkpoints_count}, {@code
 * files_touched} and {@code token_usage} recomputed as the client's {@code reaggregateFromEntries}
 * does, every other member kept in its order with its value.
 */
final class Summary {
  /** What one v1 session directory holds, for its {@code sessions[]} entry. */
  record Entry(boolean transcript, boolean compact, boolean prompt) {}

  /** The value today's client writes and requires ({@code CheckpointVersionBranchV1}). */
  static final String BRANCH_V1 = "branch-v1";

  /**
   * The members of today's {@code CheckpointSummary}, in its struct's order: where a member the
   * rebuild needs goes when the v2 summary lacks it.
   */
  private static final List<String> ORDER =
      List.of(
          "cli_version",
          "checkpoint_version",
          "checkpoint_id",
          "strategy",
          "branch",
          "checkpoints_count",
          "files_touched",
          "sessions",
          "token_usage",
          "combined_attribution",
          "has_review",
          "has_investigation",
          "imported");

  private Summary() {}

  /**
   * The v1 summary of checkpoint {@code cpPath} ({@code xx/yyyyyyyyyy}) from its v2 summary {@code
   * text}.
   *
   * @param sessions the v1 session directories {@code 0..k-1}
   * @param metadata their parsed {@code metadata.json}, same order
   * @throws IllegalArgumentException when {@code text} is not a JSON object
   */
  static String rebuild(
      String text, String cpPath, List<Entry> sessions, List<SessionMetadata> metadata) {
    long count = 0;
    Set<String> files = new LinkedHashSet<>();
    long[] tokens = null;
    for (SessionMetadata m : metadata) {
      count += m.checkpointsCount;
      files.addAll(m.filesTouched);
      if (m.tokens != null) {
        tokens = tokens == null ? new long[5] : tokens;
        for (int i = 0; i < 5; i++) {
          tokens[i] += m.tokens[i];
        }
      }
    }
    List<String> sortedFiles = new ArrayList<>(files);
    sortedFiles.sort(Summary::compareUtf8); // Go's sort.Strings
    long total = count;
    long[] sum = tokens;
    List<String> pending =
        new ArrayList<>(List.of("checkpoints_count", "files_touched", "sessions"));
    if (sum != null) {
      pending.add("token_usage");
    }
    StringWriter out = new StringWriter();
    try (JsonGenerator g = JsonFiles.generator(out, JsonFiles.goIndent())) {
      g.writeStartObject();
      boolean object =
          JsonFiles.readObject(
              text,
              (name, v) -> {
                int at = ORDER.indexOf(name);
                if (at >= 0) {
                  for (String p : new ArrayList<>(pending)) {
                    if (ORDER.indexOf(p) < at) {
                      write(g, p, total, sortedFiles, sessions, cpPath, sum);
                      pending.remove(p);
                    }
                  }
                }
                switch (name) {
                  case "checkpoints_count", "files_touched", "sessions", "token_usage" -> {
                    v.skipChildren();
                    if (pending.remove(name)) {
                      write(g, name, total, sortedFiles, sessions, cpPath, sum);
                    }
                  }
                  case "checkpoint_version" -> {
                    v.skipChildren();
                    g.writeStringField(name, BRANCH_V1);
                  }
                  default -> {
                    g.writeFieldName(name);
                    JsonCopy.value(v, g);
                  }
                }
              });
      if (!object) {
        throw new IllegalArgumentException("not a JSON object");
      }
      for (String p : pending) {
        write(g, p, total, sortedFiles, sessions, cpPath, sum);
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out + "\n";
  }

  private static void write(
      JsonGenerator g,
      String name,
      long count,
      List<String> files,
      List<Entry> sessions,
      String cpPath,
      long[] tokens)
      throws IOException {
    switch (name) {
      case "checkpoints_count" -> g.writeNumberField(name, count);
      case "files_touched" -> {
        if (files.isEmpty()) {
          g.writeNullField(name); // a nil slice in Go
        } else {
          g.writeArrayFieldStart(name);
          for (String f : files) {
            g.writeString(f);
          }
          g.writeEndArray();
        }
      }
      case "sessions" -> {
        g.writeArrayFieldStart(name);
        for (int i = 0; i < sessions.size(); i++) {
          Entry e = sessions.get(i);
          String dir = "/" + cpPath + "/" + i + "/";
          g.writeStartObject();
          g.writeStringField("metadata", dir + "metadata.json");
          if (e.transcript()) {
            g.writeStringField("transcript", dir + "full.jsonl");
            if (e.compact()) {
              g.writeStringField("compact_transcript", dir + "transcript.jsonl");
            }
            g.writeStringField("content_hash", dir + "content_hash.txt");
          }
          g.writeStringField("prompt", e.prompt() ? dir + "prompt.txt" : "");
          g.writeEndObject();
        }
        g.writeEndArray();
      }
      case "token_usage" -> {
        g.writeObjectFieldStart(name);
        g.writeNumberField("input_tokens", tokens[0]);
        g.writeNumberField("cache_creation_tokens", tokens[1]);
        g.writeNumberField("cache_read_tokens", tokens[2]);
        g.writeNumberField("output_tokens", tokens[3]);
        g.writeNumberField("api_call_count", tokens[4]);
        g.writeEndObject();
      }
      default -> throw new IllegalStateException(name);
    }
  }

  /** Byte order of the UTF-8 forms, as Go compares strings. */
  static int compareUtf8(String a, String b) {
    return Arrays.compareUnsigned(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
