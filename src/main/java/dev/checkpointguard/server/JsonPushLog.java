package dev.checkpointguard.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.checkpointguard.core.Verdict;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.eclipse.jgit.transport.ReceiveCommand;

/**
 * The push log as JSON Lines ({@code serve --log-format json}): one object per ref command of a
 * push, each on one line, with the fields of docs/serve.md ("Push log"). A push without commands,
 * or whose pack was refused before any command, still gives one object ({@code ref} null or {@code
 * pack_refused} true). Strings are JSON-escaped by Jackson, so a hostile ref name or message cannot
 * break a line or forge a field.
 */
final class JsonPushLog {
  /** The {@code event} of a push record. */
  static final String EVENT = "push";

  private static final JsonFactory JSON = new JsonFactory();

  private JsonPushLog() {}

  static List<String> lines(
      String pushId,
      String time,
      String repo,
      String user,
      String address,
      List<ReceiveCommand> commands,
      List<Verdict> verdicts,
      long nanos) {
    Map<String, Verdict> byRef = new HashMap<>();
    for (Verdict v : verdicts) {
      byRef.put(v.ref(), v);
    }
    boolean packRefused =
        commands != null
            && !commands.isEmpty()
            && commands.stream()
                .allMatch(c -> c.getResult() == ReceiveCommand.Result.NOT_ATTEMPTED);
    double durationMs = Math.round(nanos / 1e4) / 100.0;
    List<String> out = new ArrayList<>();
    if (commands == null || commands.isEmpty()) {
      out.add(line(pushId, time, repo, user, address, null, null, false, durationMs));
      return out;
    }
    for (ReceiveCommand c : commands) {
      out.add(
          line(
              pushId,
              time,
              repo,
              user,
              address,
              c,
              byRef.get(c.getRefName()),
              packRefused,
              durationMs));
    }
    return out;
  }

  private static String line(
      String pushId,
      String time,
      String repo,
      String user,
      String address,
      ReceiveCommand c,
      Verdict v,
      boolean packRefused,
      double durationMs) {
    StringWriter w = new StringWriter();
    try (JsonGenerator g = JSON.createGenerator(w)) {
      g.writeStartObject();
      g.writeStringField("time", time);
      g.writeStringField("event", EVENT);
      g.writeStringField("push", pushId);
      g.writeStringField("repository", repo);
      g.writeStringField("user", user);
      g.writeStringField("from", address);
      g.writeStringField("ref", c == null ? null : c.getRefName());
      g.writeStringField("type", c == null ? null : c.getType().name().toLowerCase(Locale.ROOT));
      g.writeStringField(
          "result", c == null ? null : c.getResult().name().toLowerCase(Locale.ROOT));
      boolean judged = v != null && v.outcome() != Verdict.Outcome.NOT_GUARDED;
      g.writeStringField("verdict", judged ? v.outcome().name().toLowerCase(Locale.ROOT) : null);
      g.writeStringField("rule", judged ? v.rule().id() : null);
      String message = c == null ? null : c.getMessage();
      g.writeStringField("message", message == null || message.isEmpty() ? null : message);
      g.writeBooleanField("pack_refused", packRefused);
      g.writeNumberField("duration_ms", durationMs);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does no I/O
    }
    return w.toString();
  }
}
