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
 * A session's {@code metadata.json} ({@code CommittedMetadata}, spec §4): the fields a conversion
 * needs, read with the streaming parser, and the rewrite of spec v2-to-v1 §6.6.
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

  /** {@code created_at} is written exactly as Go writes a UTC time. */
  private boolean canonicalTime;

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

  /**
   * {@code token_usage}: input, cache creation, cache read, output, API calls; null when absent.
   */
  long[] tokens;

  private SessionMetadata() {}

  /**
   * Parses {@code text}.
   *
   * @throws IllegalArgumentException when it is not a JSON object
   */
  static SessionMetadata parse(String text) {
    SessionMetadata m = new SessionMetadata();
    boolean object =
        JsonFiles.readObject(
            text,
            (name, v) -> {
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
                default -> {}
              }
            });
    if (!object) {
      throw new IllegalArgumentException("not a JSON object");
    }
    if (m.createdAtText != null) {
      Instant t = goUtc(m.createdAtText);
      m.canonicalTime = t != null;
      if (t == null) {
        t = GenerationJson.parseTime(m.createdAtText);
      }
      m.createdAt = t == null || t.equals(GenerationJson.GO_ZERO) ? null : t;
    }
    return m;
  }

  private static long number(JsonParser v) throws IOException {
    if (v.currentToken() == JsonToken.VALUE_NUMBER_INT
        || v.currentToken() == JsonToken.VALUE_NUMBER_FLOAT) {
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
      int i =
          switch (name) {
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
   * {@code cliVersion} counts lines of the <em>compact</em> {@code transcript.jsonl} (spec v2-to-v1
   * §5), which a v1 reader would misread as a line of {@code full.jsonl}. Clients up to {@code
   * 0.5.4} and the first {@code 0.5.5} nightly wrote the raw offset into v2 ({@code
   * v2_committed.go} {@code CheckpointTranscriptStart: opts.CheckpointTranscriptStart}); commit
   * {@code 66ffad0de} (first in {@code 0.5.5-nightly.202604110629}) switched to {@code
   * opts.CompactTranscriptStart}. An unknown or unparseable version counts as compact: dropping an
   * offset is always safe (the whole transcript is then this checkpoint's), keeping a wrong one
   * mis-scopes {@code entire explain}.
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
    int cmp =
        major != 0
            ? Integer.compare(major, 0)
            : minor != 5 ? Integer.compare(minor, 5) : Integer.compare(patch, 5);
    if (cmp != 0) {
      return cmp > 0;
    }
    // 0.5.5 itself and its nightlies from 2026-04-11 on are compact; earlier 0.5.5 nightlies are
    // raw
    String nightly = m.group(4);
    return nightly == null || nightly.compareTo(FIRST_COMPACT_NIGHTLY) >= 0;
  }

  private static final Pattern VERSION =
      Pattern.compile(
          "v?(\\d{1,4})\\.(\\d{1,4})\\.(\\d{1,4})(?:-nightly\\.(\\d{12})\\.[0-9a-f]+)?(?:[-+].*)?");

  /**
   * The build time of {@code 0.5.5-nightly.202604110629.ceb09882}, the first with compact offsets.
   */
  private static final String FIRST_COMPACT_NIGHTLY = "202604110629";

  /** Whether this session's offsets must go (compact offsets that are present). */
  boolean dropsOffsets() {
    return (hasTranscriptStart || hasLinesAtStart) && compactOffsets(cliVersion);
  }

  /**
   * Whether {@code created_at} must be written: missing, zero, unparseable, or not Go's UTC form.
   */
  boolean needsCreatedAt() {
    return createdAt == null || !canonicalTime;
  }

  /**
   * The instant of a time written exactly as Go writes a UTC {@code time.Time} ({@code
   * 2026-05-01T10:00:00Z}, or with a fraction of 1 to 9 digits without trailing zeros), read
   * without the general parser (it is on every session's path); null for any other form.
   */
  static Instant goUtc(String s) {
    int n = s.length();
    if (n < 20
        || s.charAt(n - 1) != 'Z'
        || s.charAt(4) != '-'
        || s.charAt(7) != '-'
        || s.charAt(10) != 'T'
        || s.charAt(13) != ':'
        || s.charAt(16) != ':') {
      return null;
    }
    int year = digits(s, 0, 4);
    int month = digits(s, 5, 2);
    int day = digits(s, 8, 2);
    int hour = digits(s, 11, 2);
    int minute = digits(s, 14, 2);
    int second = digits(s, 17, 2);
    if (year < 0
        || month < 1
        || month > 12
        || day < 1
        || day > 31
        || hour < 0
        || hour > 23
        || minute < 0
        || minute > 59
        || second < 0
        || second > 59) {
      return null;
    }
    int nanos = 0;
    if (n > 20) {
      int frac = n - 21;
      if (s.charAt(19) != '.' || frac < 1 || frac > 9 || s.charAt(n - 2) == '0') {
        return null;
      }
      int f = digits(s, 20, frac);
      if (f < 0) {
        return null;
      }
      nanos = f;
      for (int i = frac; i < 9; i++) {
        nanos *= 10;
      }
    }
    try {
      return java.time.LocalDateTime.of(year, month, day, hour, minute, second, nanos)
          .toInstant(java.time.ZoneOffset.UTC);
    } catch (java.time.DateTimeException e) {
      return null; // 2026-02-30
    }
  }

  private static int digits(String s, int from, int count) {
    int v = 0;
    for (int i = from; i < from + count; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  /**
   * The file with {@code created_at} set to {@code created} (Go's UTC form) and, when {@link
   * #dropsOffsets()}, without the compact offsets; every other member copied in order, in the
   * client's layout (two-space indent, trailing newline). A missing {@code created_at} is inserted
   * after {@code strategy} (its place in the client's struct), else after {@code session_id}, else
   * last.
   */
  static String rewrite(String text, Instant created, boolean dropOffsets) {
    StringWriter out = new StringWriter();
    boolean[] written = {false};
    String value = GenerationJson.formatTime(created);
    List<String> names = memberNames(text);
    String anchor =
        names.contains("strategy")
            ? "strategy"
            : names.contains("session_id") ? "session_id" : null;
    boolean present = names.contains(CREATED_AT);
    try (JsonGenerator g = JsonFiles.generator(out, JsonFiles.goIndent())) {
      g.writeStartObject();
      JsonFiles.readObject(
          text,
          (name, v) -> {
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
