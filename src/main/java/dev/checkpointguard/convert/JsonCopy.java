package dev.checkpointguard.convert;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/** Copies JSON values token by token, numbers as written (no float re-formatting). */
final class JsonCopy {
  private JsonCopy() {}

  /** Copies the value the parser is positioned on (its first token) and everything inside it. */
  static void value(JsonParser p, JsonGenerator g) throws IOException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
      int depth = 0;
      do {
        JsonToken cur = p.currentToken();
        g.copyCurrentEventExact(p);
        if (cur == JsonToken.START_OBJECT || cur == JsonToken.START_ARRAY) {
          depth++;
        } else if (cur == JsonToken.END_OBJECT || cur == JsonToken.END_ARRAY) {
          depth--;
        }
        if (depth > 0) {
          p.nextToken();
        }
      } while (depth > 0);
    } else {
      g.copyCurrentEventExact(p);
    }
  }
}
