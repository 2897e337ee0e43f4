package dev.checkpointguard.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonFilesTest {
  @Test
  void handsOverTopLevelMembersInOrderWithRepeatsAndSkipsWhatIsNotRead() {
    List<String> seen = new ArrayList<>();
    boolean object =
        JsonFiles.readObject(
            "{\"a\": {\"x\": [1, {\"y\": 2}]}, \"b\": \"one\", \"a\": [true], \"c\": null, \"b\": 2.5e3}",
            (name, value) -> {
              if (name.equals("b")) {
                seen.add("b=" + JsonFiles.stringOrNull(value));
              } else {
                seen.add(name + ":" + value.currentToken()); // left unread: skipped
              }
            });
    assertTrue(object);
    assertEquals(
        List.of("a:START_OBJECT", "b=one", "a:START_ARRAY", "c:VALUE_NULL", "b=null"), seen);
  }

  @Test
  void otherValuesAreCheckedButHandNothingOver() {
    List<String> seen = new ArrayList<>();
    assertFalse(JsonFiles.readObject(" [{\"a\": 1}, \"x\"]\n", (name, value) -> seen.add(name)));
    assertFalse(JsonFiles.readObject("\"text\"", (name, value) -> seen.add(name)));
    assertEquals(List.of(), seen);
    assertTrue(
        message("[{\"a\": 1}, ]")
            .startsWith("invalid JSON at offset 11: Unexpected character (']'"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"a\": 1,}",
        "[1,]",
        "{'a': 1}",
        "{a: 1}",
        "{\"a\": 1} /* c */",
        "# c\n{}",
        "{\"a\": NaN}",
        "{\"a\": +1}",
        "{\"a\": .5}",
        "{\"a\": 1.}",
        "{\"a\": 007}",
        "{\"a\": \"\\x\"}",
        "{\"a\": \"\u0000\"}",
        "{\"a\" 1}",
        "{\"a\": 1}}",
        "{} {}",
        "{\"a\": tru}",
        "\u001e{}",
        ""
      })
  void refusesEverythingOutsideRfc8259InOneLine(String text) {
    String m = message(text);
    assertTrue(m.matches("invalid JSON at offset \\d+: [^\\n\\r]+"), m);
  }

  @Test
  void limitsNestingNumbersAndTheStringsItReads() {
    String deepest = "[".repeat(JsonFiles.MAX_DEPTH) + "]".repeat(JsonFiles.MAX_DEPTH);
    assertFalse(JsonFiles.readObject(deepest, (n, v) -> {}));
    assertTrue(
        message("[" + deepest + "]")
            .contains("nesting depth (65) exceeds the maximum allowed (64"));

    String digits = "1".repeat(JsonFiles.MAX_NUMBER_CHARS);
    assertTrue(JsonFiles.readObject("{\"n\": " + digits + "}", (n, v) -> {}));
    assertTrue(
        message("{\"n\": " + digits + "1}")
            .contains("Number value length (1001) exceeds the maximum"));

    // a long string that is not read is only scanned; one that is read is refused above the limit
    String big =
        "{\"skip\": \"" + "x".repeat(JsonFiles.MAX_STRING_CHARS + 1) + "\", \"keep\": \"k\"}";
    String[] kept = {null};
    assertTrue(
        JsonFiles.readObject(
            big,
            (n, v) -> {
              if (n.equals("keep")) {
                kept[0] = JsonFiles.stringOrNull(v);
              }
            }));
    assertEquals("k", kept[0]);
    String m =
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    JsonFiles.readObject(
                        big,
                        (n, v) -> {
                          if (n.equals("skip")) {
                            JsonFiles.stringOrNull(v);
                          }
                        }))
            .getMessage();
    assertTrue(m.contains("String value length (1048577) exceeds the maximum allowed (1048576"), m);
  }

  @Test
  void goIndentIsGosMarshalIndentWithoutHtmlEscaping() throws IOException {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = JsonFiles.generator(out, JsonFiles.goIndent())) {
      g.writeStartObject();
      g.writeArrayFieldStart("a");
      g.writeEndArray();
      g.writeObjectFieldStart("b");
      g.writeEndObject();
      g.writeArrayFieldStart("c");
      g.writeNumber(1);
      g.writeStartObject();
      g.writeStringField("d", "<&>/");
      g.writeEndObject();
      g.writeEndArray();
      g.writeStringField("e", "\u0001\u001bé\t\"\\");
      g.writeNullField("f");
      g.writeEndObject();
    }
    // json.MarshalIndent(v, "", "  ") of the same value, with SetEscapeHTML(false)
    assertEquals(
        "{\n"
            + "  \"a\": [],\n"
            + "  \"b\": {},\n"
            + "  \"c\": [\n"
            + "    1,\n"
            + "    {\n"
            + "      \"d\": \"<&>/\"\n"
            + "    }\n"
            + "  ],\n"
            + "  \"e\": \"\\u0001\\u001bé\\t\\\"\\\\\",\n"
            + "  \"f\": null\n"
            + "}",
        out.toString());
  }

  private static String message(String text) {
    return assertThrows(
            IllegalArgumentException.class, () -> JsonFiles.readObject(text, (n, v) -> {}))
        .getMessage();
  }
}
