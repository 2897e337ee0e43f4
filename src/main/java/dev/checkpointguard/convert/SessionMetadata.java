package dev.checkpointguard.convert;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.checkpointguard.core.GenerationJson;
import dev.checkpointguard.core.JsonFiles;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A session's {@code metadata.json} ({@code CommittedMetadata}, spec §4): the fields a conversion needs,
 * read with the streaming parser, and the rewrite of spec v2-to-v1 §6.6.
 *
 * <p>Every other field is copied as it is, in its order.
 */
final class SessionMetadata {
  static final String CREATED_AT = "created_at";
  static final String TRANSCRIPT_START = "checkpoint_transcript_start";
  static final String LINES_AT_START = "transcript_lines_at_start";

  /** {@code session_id}; null when missing. */
  String sessionId;
  /** {@code created_at} as written; null when missing or not a string. */
  String createdAtText;
  /** {@code created_at} as an instant; null when missing, unparseable or Go's zero time. */
  Instant createdAt;
  /** {@code cli_version} of the client that wrote the file; null when missing. */
  String cliVersion;
  /** {@code checkpoint_transcript_start} and {@code transcript_lines_at_start} (0 when absent). */
  long transcriptStart;
  long linesAtStart;
  boolean hasTranscriptStart;
  boolean hasLinesAtStart;
  /** For the summary (as the client's {@code reaggregateFromEntries}). */
  long checkpointsCount;
  List<String> filesTouched = List.of();
  /** {@code token_usage}: input, cache creation, cache read, output, API calls; null when absent. */
  long[] tokens;

  private SessionMetadata() {}

  /**
   * Parses {@code text}.
   *
   * @throws IllegalArgumentException when it is not a JSON object
   */
  static SessionMetadata parse(String text) {
    SessionMetadata m = new SessionMetadata();
    boolean object = JsonFiles.readObject(text, (name, v) -> {
      switch (name) {
        case "session_id" -> m.sessionId = JsonFiles.stringOrNull(v);
        case CREATED_AT -> m.createdAtText = JsonFiles.stringOrNull(v);
        case "cli_version" -> m.cliVersion = JsonFiles.stringOrNull(v);
        case TRANSCRIPT_START -> {
          m.hasTranscriptStart = true;
          m.transcriptStart = number(v);
        }
        case LINES_AT_START -> {
          m.hasLinesAtStart = true;
          m.linesAtStart = number(v);
        }
        case "checkpoints_count" -> m.checkpointsCount = number(v);
        case "files_touched" -> m.filesTouched = strings(v);
        case "token_usage" -> m.tokens = tokens(v);
        default -> { }
      }
    });
    if (!object) {
      throw new IllegalArgumentException("not a JSON object");
    }
    if (m.createdAtText != null) {
      Instant t = GenerationJson.parseTime(m.createdAtText);
      m.createdAt = t == null || t.equals(GenerationJson.GO_ZERO) ? null : t;
    }
    return m;
  }

  private static long number(JsonParser v) throws IOException {
    if (v.currentToken() == JsonToken.VALUE_NUMBER_INT || v.currentToken() == JsonToken.VALUE_NUMBER_FLOAT) {
      return v.getValueAsLong();
    }
    v.skipChildren();
    return 0;
  }

  private static List<String> strings(JsonParser v) throws IOException {
    if (v.currentToken() != JsonToken.START_ARRAY) {
      v.skipChildren();
      return List.of();
    }
    List<String> out = new ArrayList<>();
    while (v.nextToken() != JsonToken.END_ARRAY) {
      String s = JsonFiles.stringOrNull(v);
      if (s != null) {
        out.add(s);
      }
    }
    return out;
  }

  private static long[] tokens(JsonParser v) throws IOException {
    if (v.currentToken() != JsonToken.START_OBJECT) {
      v.skipChildren();
      return null;
    }
    long[] t = new long[5];
    while (v.nextToken() == JsonToken.FIELD_NAME) {
      String name = v.currentName();
      v.nextToken();
      int i = switch (name) {
        case "input_tokens" -> 0;
        case "cache_creation_tokens" -> 1;
        case "cache_read_tokens" -> 2;
        case "output_tokens" -> 3;
        case "api_call_count" -> 4;
        default -> -1;
      };
      if (i >= 0) {
        t[i] = number(v);
      } else {
        v.skipChildren();
      }
    }
    return t;
  }

  /**
   * Whether {@code checkpoint_transcript_start} of a v2 {@code /main} session written by client
   * {@code cliVersion} counts lines of the <em>compact</em> {@code transcript.jsonl} (spec v2-to-v1 §5),
   * which a v1 reader would misread as a line of {@code full.jsonl}. Clients up to {@code 0.5.4} and the
   * first {@code 0.5.5} nightly wrote the raw offset into v2 ({@code v2_committed.go}
   * {@code CheckpointTranscriptStart: opts.CheckpointTranscriptStart}); commit {@code 66ffad0de} (first in
   * {@code 0.5.5-nightly.202604110629}) switched to {@code opts.CompactTranscriptStart}. An unknown or
   * unparseable version counts as compact: dropping an offset is always safe (the whole transcript is then
   * this checkpoint's), keeping a wrong one mis-scopes {@code entire explain}.
   */
  static boolean compactOffsets(String cliVersion) {
    if (cliVersion == null) {
      return true;
    }
    Matcher m = VERSION.matcher(cliVersion.trim());
    if (!m.matches()) {
      return true;
    }
    int major = Integer.parseInt(m.group(1));
    int minor = Integer.parseInt(m.group(2));
    int patch = Integer.parseInt(m.group(3));
    int cmp = major != 0 ? Integer.compare(major, 0)
        : minor != 5 ? Integer.compare(minor, 5) : Integer.compare(patch, 5);
    if (cmp != 0) {
      return cmp > 0;
    }
    // 0.5.5 itself and its nightlies from 2026-04-11 on are compact; earlier 0.5.5 nightlies are raw
    String nightly = m.group(4);
    return nightly == null || nightly.compareTo(FIRST_COMPACT_NIGHTLY) >= 0;
  }

  private static final Pattern VERSION =
      Pattern.compile("v?(\\d{1,4})\\.(\\d{1,4})\\.(\\d{1,4})(?:-nightly\\.(\\d{12})\\.[0-9a-f]+)?(?:[-+].*)?");
  /** The build time of {@code 0.5.5-nightly.202604110629.ceb09882}, the first with compact offsets. */
  private static final String FIRST_COMPACT_NIGHTLY = "202604110629";

  /** Whether this session's offsets must go (compact offsets that are present). */
  boolean dropsOffsets() {
    return (hasTranscriptStart || hasLinesAtStart) && compactOffsets(cliVersion);
  }

  /** Whether {@code created_at} must be written: missing, zero, unparseable, or not Go's UTC form. */
  boolean needsCreatedAt() {
    return createdAt == null || !GenerationJson.formatTime(createdAt).equals(createdAtText);
  }

  /**
   * The file with {@code created_at} set to {@code created} (Go's UTC form) and, when
   * {@link #dropsOffsets()}, without the compact offsets; every other member copied in order, in the
   * client's layout (two-space indent, trailing newline). A missing {@code created_at} is inserted after
   * {@code strategy} (its place in the client's struct), else after {@code session_id}, else last.
   */
  static String rewrite(String text, Instant created, boolean dropOffsets) {
    StringWriter out = new StringWriter();
    boolean[] written = {false};
    String value = GenerationJson.formatTime(created);
    List<String> names = memberNames(text);
    String anchor = names.contains("strategy") ? "strategy" : names.contains("session_id") ? "session_id" : null;
    boolean present = names.contains(CREATED_AT);
    try (JsonGenerator g = JsonFiles.generator(out, JsonFiles.goIndent())) {
      g.writeStartObject();
      JsonFiles.readObject(text, (name, v) -> {
        if (name.equals(CREATED_AT)) {
          if (!written[0]) {
            g.writeStringField(CREATED_AT, value);
            written[0] = true;
          }
          v.skipChildren();
          return;
        }
        if (dropOffsets && (name.equals(TRANSCRIPT_START) || name.equals(LINES_AT_START))) {
          v.skipChildren();
          return;
        }
        g.writeFieldName(name);
        JsonCopy.value(v, g);
        if (!present && !written[0] && name.equals(anchor)) {
          g.writeStringField(CREATED_AT, value);
          written[0] = true;
        }
      });
      if (!written[0]) {
        g.writeStringField(CREATED_AT, value);
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out + "\n";
  }

  private static List<String> memberNames(String text) {
    List<String> names = new ArrayList<>();
    JsonFiles.readObject(text, (name, v) -> names.add(name));
    return names;
  }
}
