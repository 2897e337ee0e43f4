package dev.checkpointguard.core;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.PrettyPrinter;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;

/**
 * JSON for the few files the guard reads ({@code generation.json}, {@code /main} metadata,
 * transcript lines) and the reports it writes, on jackson-core's streaming API with one shared
 * configuration.
 *
 * <p>Reading is strict RFC 8259, as Go's decoder: no comments, no trailing commas, no single
 * quotes, no unquoted names, no leading zeros, no NaN, no unescaped control characters in strings,
 * exactly one value per text. A repeated member name is not an error and the last one wins, as Go's
 * decoder. Input may be hostile (anyone who can push writes these files), so nesting is limited to
 * {@link #MAX_DEPTH}, the strings a reader asks for to {@link #MAX_STRING_CHARS} and numbers to
 * {@link #MAX_NUMBER_CHARS} digits. Texts are parsed from {@link String}s: callers decode UTF-8
 * first, replacing invalid bytes as Go does.
 *
 * <p>Writing never escapes HTML characters or non-ASCII (as Go's encoder with {@code
 * SetEscapeHTML(false)}) and writes {@code \\u} escapes in lowercase hex, as Go.
 *
 * <p>Only the JSON readers and writers ({@code check}, {@code repair}, {@link GenerationJson},
 * {@link CheckpointTimes}) load this class and jackson; the pre-receive policy path never does.
 */
public final class JsonFiles {
  /** Deepest nesting of arrays and objects accepted; deeper input is refused, not recursed into. */
  public static final int MAX_DEPTH = 64;

  /**
   * Longest string value a reader may ask for, in chars; values that are skipped are not limited.
   */
  public static final int MAX_STRING_CHARS = 1 << 20;

  /** Longest number accepted, in chars (jackson's default). */
  public static final int MAX_NUMBER_CHARS = 1000;

  private static final JsonFactory FACTORY =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(MAX_DEPTH)
                  .maxStringLength(MAX_STRING_CHARS)
                  .maxNumberLength(MAX_NUMBER_CHARS)
                  .build())
          // strict RFC 8259; these are jackson's defaults, spelled out so that no upgrade relaxes
          // them
          .disable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
          .disable(JsonReadFeature.ALLOW_YAML_COMMENTS)
          .disable(JsonReadFeature.ALLOW_TRAILING_COMMA)
          .disable(JsonReadFeature.ALLOW_MISSING_VALUES)
          .disable(JsonReadFeature.ALLOW_SINGLE_QUOTES)
          .disable(JsonReadFeature.ALLOW_UNQUOTED_FIELD_NAMES)
          .disable(JsonReadFeature.ALLOW_UNESCAPED_CONTROL_CHARS)
          .disable(JsonReadFeature.ALLOW_BACKSLASH_ESCAPING_ANY_CHARACTER)
          .disable(JsonReadFeature.ALLOW_LEADING_ZEROS_FOR_NUMBERS)
          .disable(JsonReadFeature.ALLOW_LEADING_PLUS_SIGN_FOR_NUMBERS)
          .disable(JsonReadFeature.ALLOW_LEADING_DECIMAL_POINT_FOR_NUMBERS)
          .disable(JsonReadFeature.ALLOW_TRAILING_DECIMAL_POINT_FOR_NUMBERS)
          .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .disable(JsonReadFeature.ALLOW_RS_CONTROL_CHAR)
          // last duplicate wins, as Go's decoder
          .disable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          // error messages name an offset, never the input
          .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
          .disable(JsonWriteFeature.ESCAPE_NON_ASCII)
          .disable(JsonWriteFeature.ESCAPE_FORWARD_SLASHES)
          .disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE)
          .build();

  private JsonFiles() {}

  /** Receives the members of a JSON object one by one; see {@link #readObject}. */
  @FunctionalInterface
  public interface Members {
    /**
     * @param name the member name
     * @param value positioned on the first token of the member's value. Read it to its last token,
     *     or leave it untouched and it is skipped.
     */
    void member(String name, JsonParser value) throws IOException;
  }

  /**
   * Parses {@code text}: exactly one JSON value, surrounding whitespace allowed. When that value is
   * an object, hands each top-level member to {@code members} in document order (repeated names
   * included, so that a reader keeping the last one gets Go's "last wins"). The whole text is
   * checked, so a syntax error after a member has been handed over still fails the parse.
   *
   * @return whether the value is an object
   * @throws IllegalArgumentException {@code invalid JSON at offset N: <what>}, in one line
   */
  public static boolean readObject(String text, Members members) {
    try (JsonParser p = FACTORY.createParser(text)) {
      try {
        JsonToken root = p.nextToken();
        if (root == null) {
          throw invalid(0, "expected a value, found end of input");
        }
        boolean object = root == JsonToken.START_OBJECT;
        if (object) {
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            members.member(name, p);
            p.skipChildren(); // no-op unless the value is a container left unread
          }
        } else {
          p.skipChildren();
        }
        if (p.nextToken() != null) {
          throw invalid(p.currentTokenLocation().getCharOffset(), "expected end of input");
        }
        return object;
      } catch (JsonProcessingException e) {
        // limit violations carry no location of their own: the parser's is where it stopped
        throw invalid(
            e.getLocation() != null ? e.getLocation() : p.currentLocation(),
            e.getOriginalMessage());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // not reachable: a String source does no I/O
    }
  }

  /**
   * The current value when it is a string, else null (a JSON null or any other type, which is
   * skipped).
   */
  public static String stringOrNull(JsonParser p) throws IOException {
    if (p.currentToken() == JsonToken.VALUE_STRING) {
      return p.getText();
    }
    p.skipChildren();
    return null;
  }

  /**
   * A generator writing to {@code out} with the shared settings and {@code layout} (null: compact).
   * The caller closes it, which flushes but does not close {@code out}.
   */
  public static JsonGenerator generator(Writer out, PrettyPrinter layout) {
    try {
      JsonGenerator g = FACTORY.createGenerator(out);
      g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
      if (layout != null) {
        g.setPrettyPrinter(layout);
      }
      return g;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes one JSON value to a generator. */
  @FunctionalInterface
  public interface Body {
    void write(JsonGenerator g) throws IOException;
  }

  /**
   * One JSON document in {@link #goIndent()} layout, ending with a newline (as Go's encoder ends
   * it): the form of every {@code --json} report.
   */
  public static String document(Body body) {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = generator(out, goIndent())) {
      body.write(g);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // not reachable: a StringWriter does no I/O
    }
    return out + "\n";
  }

  /**
   * The layout of Go's {@code json.Encoder} with {@code SetIndent("", " ")} (and of {@code
   * json.MarshalIndent}): one member or element per line, two spaces per level, {@code "name":
   * value}, empty objects and arrays as {@code {}} and {@code []}. The encoder's trailing newline
   * is the caller's.
   */
  public static PrettyPrinter goIndent() {
    DefaultIndenter twoSpaces = new DefaultIndenter("  ", "\n");
    return new DefaultPrettyPrinter(
            Separators.createDefaultInstance()
                .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                .withObjectEntrySpacing(Separators.Spacing.NONE)
                .withArrayValueSpacing(Separators.Spacing.NONE)
                .withObjectEmptySeparator("")
                .withArrayEmptySeparator(""))
        .withObjectIndenter(twoSpaces)
        .withArrayIndenter(twoSpaces);
  }

  private static IllegalArgumentException invalid(JsonLocation at, String message) {
    String what = message == null ? "malformed" : message;
    // "[Source: REDACTED (...); line: 1, column: 2]" inside some messages: keep line and column
    // only
    what = what.replaceAll("\\[Source: [^;\\]]*; ", "[");
    return invalid(at.getCharOffset(), what);
  }

  private static IllegalArgumentException invalid(long offset, String what) {
    return new IllegalArgumentException(
        "invalid JSON at offset " + offset + ": " + Messages.printable(what, 200));
  }
}
