package dev.checkpointguard.convert;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/** Copies JSON values token by token, numbers exactly as written (no re-formatting). */
final class JsonCopy {
  private JsonCopy() {}

  /** Copies the value the parser is positioned on (its first token) and everything inside it. */
  static void value(JsonParser p, JsonGenerator g) throws IOException {
    int depth = 0;
    do {
      JsonToken t = p.currentToken();
      if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
        g.writeNumber(
            p.getText()); // the number's own text (strict RFC 8259 input, so valid output)
      } else {
        g.copyCurrentEvent(p);
      }
      if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
        depth++;
      } else if (t == JsonToken.END_OBJECT || t == JsonToken.END_ARRAY) {
        depth--;
      }
      if (depth > 0) {
        p.nextToken();
      }
    } while (depth > 0);
  }
}
