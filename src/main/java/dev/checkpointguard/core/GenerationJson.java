package dev.checkpointguard.core;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import org.eclipse.jgit.errors.IncorrectObjectTypeException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.AnyObjectId;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.treewalk.TreeWalk;

/**
 * The timestamp envelope of a generation and its {@code generation.json} file (spec §5.1): the
 * earliest and latest instant found for any checkpoint of the generation.
 *
 * <p>{@link #encode()} produces exactly the client's bytes (Go's {@code json.Encoder}, two-space
 * indent, no HTML escaping, trailing newline, oldest before newest, times in Go's RFC 3339 form
 * with trailing fractional zeros trimmed, UTC {@code Z}). {@link #decode} accepts what the client's
 * reader accepts and ignores other fields (the legacy {@code checkpoints} array of §12).
 *
 * @param oldest {@code oldest_checkpoint_at}
 * @param newest {@code newest_checkpoint_at}, never before {@code oldest}
 */
public record GenerationJson(Instant oldest, Instant newest) {
  /** Root file name in an archived generation's tree. */
  public static final String FILE_NAME = "generation.json";

  /** Go's zero {@code time.Time}, which readers treat as "missing". */
  public static final Instant GO_ZERO = Instant.parse("0001-01-01T00:00:00Z");

  public GenerationJson {
    if (oldest == null || newest == null) {
      throw new IllegalArgumentException("both instants are required");
    }
    if (newest.isBefore(oldest)) {
      throw new IllegalArgumentException("newest " + newest + " is before oldest " + oldest);
    }
  }

  /** The most bytes of a {@code generation.json} that are read (real ones are about 100 bytes). */
  public static final int MAX_BYTES = 1 << 20;

  /** Where a generation's {@code generation.json} stands. */
  public enum State {
    /** No file of that name at the tree root. */
    MISSING,
    /** A regular file that {@link #decode} accepts. */
    VALID,
    /** Anything else: not a regular file, too large, or content the client's reader refuses. */
    INVALID
  }

  /**
   * What the root of a generation tree says.
   *
   * @param state where the file stands
   * @param value the decoded envelope when {@link State#VALID}, else null
   * @param problem for {@link State#INVALID} (and an empty file), one line saying why; else null
   */
  public record Read(State state, GenerationJson value, String problem) {}

  /**
   * Reads {@code generation.json} at the root of {@code tree}, never more than {@link #MAX_BYTES}:
   * a hostile 40 MiB file is neither read nor parsed.
   */
  public static Read read(ObjectReader reader, AnyObjectId tree) throws IOException {
    try (TreeWalk tw = TreeWalk.forPath(reader, FILE_NAME, tree)) {
      if (tw == null) {
        return new Read(State.MISSING, null, null);
      }
      if (!FileMode.REGULAR_FILE.equals(tw.getRawMode(0))
          && !FileMode.EXECUTABLE_FILE.equals(tw.getRawMode(0))) {
        return new Read(State.INVALID, null, "not a regular file");
      }
      // getCachedBytes(limit) enforces its limit only on objects above core.streamFileThreshold, so
      // the
      // size is checked first
      ObjectId blob = tw.getObjectId(0);
      if (reader.getObjectSize(blob, Constants.OBJ_BLOB) > MAX_BYTES) {
        return new Read(State.INVALID, null, "larger than 1 MiB");
      }
      byte[] bytes = reader.open(blob, Constants.OBJ_BLOB).getCachedBytes(MAX_BYTES);
      try {
        return new Read(State.VALID, decode(bytes), null);
      } catch (IllegalArgumentException e) {
        return new Read(State.INVALID, null, bytes.length == 0 ? "empty file" : e.getMessage());
      }
    } catch (MissingObjectException | IncorrectObjectTypeException e) {
      return new Read(State.INVALID, null, "unreadable");
    }
  }

  /** The envelope of one instant. */
  public static GenerationJson at(Instant t) {
    return new GenerationJson(t, t);
  }

  /** The smallest envelope holding both ({@code other} may be null). */
  public GenerationJson merge(GenerationJson other) {
    if (other == null) {
      return this;
    }
    return new GenerationJson(
        oldest.isBefore(other.oldest) ? oldest : other.oldest,
        newest.isAfter(other.newest) ? newest : other.newest);
  }

  /** The file content, byte for byte as the client writes it. */
  public String encode() {
    StringWriter out = new StringWriter(96);
    try (JsonGenerator g = JsonFiles.generator(out, JsonFiles.goIndent())) {
      g.writeStartObject();
      g.writeStringField(OLDEST, formatTime(oldest));
      g.writeStringField(NEWEST, formatTime(newest));
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // not reachable: a StringWriter does no I/O
    }
    return out.append('\n').toString(); // json.Encoder ends every value with a newline
  }

  /** {@link #encode()} as UTF-8 bytes. */
  public byte[] bytes() {
    return encode().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Reads a {@code generation.json}. Valid means: one JSON object whose {@code
   * oldest_checkpoint_at} and {@code newest_checkpoint_at} are RFC 3339 strings, neither missing
   * nor Go's zero time, oldest not after newest. Other fields are ignored.
   *
   * @throws IllegalArgumentException naming what is wrong, in one line
   */
  public static GenerationJson decode(byte[] content) {
    // Go decodes invalid UTF-8 inside strings to U+FFFD rather than failing; so does this String
    // decoding.
    Object[] seen =
        new Object[2]; // per field: null = absent or JSON null, else the string or NOT_STRING
    boolean object =
        JsonFiles.readObject(
            new String(content, StandardCharsets.UTF_8),
            (name, value) -> {
              int i = name.equals(OLDEST) ? 0 : name.equals(NEWEST) ? 1 : -1;
              if (i >= 0) { // a repeated field overwrites: the last one wins, as Go's decoder
                JsonToken t = value.currentToken();
                seen[i] =
                    t == JsonToken.VALUE_NULL
                        ? null
                        : t == JsonToken.VALUE_STRING ? value.getText() : NOT_STRING;
              }
            });
    if (!object) {
      throw new IllegalArgumentException("not a JSON object");
    }
    Instant oldest = field(OLDEST, seen[0]);
    Instant newest = field(NEWEST, seen[1]);
    if (newest.isBefore(oldest)) {
      throw new IllegalArgumentException("newest_checkpoint_at is before oldest_checkpoint_at");
    }
    return new GenerationJson(oldest, newest);
  }

  private static final String OLDEST = "oldest_checkpoint_at";
  private static final String NEWEST = "newest_checkpoint_at";
  private static final Object NOT_STRING = new Object();

  private static Instant field(String name, Object f) {
    if (f == null) {
      throw new IllegalArgumentException(name + " is missing");
    }
    if (!(f instanceof String text)) {
      throw new IllegalArgumentException(name + " is not a string");
    }
    Instant t = parseTime(text);
    if (t == null) {
      throw new IllegalArgumentException(
          name + " is not an RFC 3339 time: " + Messages.printable(text, 40));
    }
    if (t.equals(GO_ZERO)) {
      throw new IllegalArgumentException(name + " is the zero time");
    }
    return t;
  }

  private static final DateTimeFormatter SECONDS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC);

  /**
   * Go's {@code time.RFC3339Nano} form of a UTC instant: seconds, then a fraction with trailing
   * zeros trimmed (none when zero), then {@code Z}.
   */
  public static String formatTime(Instant t) {
    StringBuilder b = new StringBuilder(SECONDS.format(t));
    int nanos = t.getNano();
    if (nanos != 0) {
      String frac = String.format(Locale.ROOT, "%09d", nanos);
      int end = frac.length();
      while (frac.charAt(end - 1) == '0') {
        end--;
      }
      b.append('.').append(frac, 0, end);
    }
    return b.append('Z').toString();
  }

  /**
   * Parses an RFC 3339 time with any offset (as Go's {@code time.Time} JSON decoding does) into an
   * instant; null when it does not parse.
   */
  public static Instant parseTime(String text) {
    try {
      return OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
