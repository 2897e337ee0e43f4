package dev.checkpointguard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.checkpointguard.fixtures.TestJson;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.transport.ReceiveCommand;
import org.junit.jupiter.api.Test;

class JsonPushLogTest {
  private static final ObjectId A = ObjectId.fromString("1111111111111111111111111111111111111111");

  @Test
  void hostileNamesAndMessagesStayInsideTheirFieldsOnOneLine() {
    String ref = "refs/heads/x\n{\"event\":\"push\",\"forged\":true}";
    ReceiveCommand c = new ReceiveCommand(ObjectId.zeroId(), A, ref);
    c.setResult(ReceiveCommand.Result.REJECTED_OTHER_REASON, "bad \"quoted\"\r\u001b[31m");
    List<String> lines =
        JsonPushLog.lines(
            "p-1",
            "2026-01-01T00:00:00Z",
            "r.git",
            "bob\u2028",
            "::1",
            List.of(c),
            List.of(),
            1_234_567);
    assertEquals(1, lines.size());
    assertEquals(1, lines.get(0).lines().count(), lines.get(0));
    Map<?, ?> rec = (Map<?, ?>) TestJson.parse(lines.get(0));
    assertEquals(ref, rec.get("ref"));
    assertEquals("bad \"quoted\"\r\u001b[31m", rec.get("message"));
    assertEquals("bob\u2028", rec.get("user"));
    assertEquals(null, rec.get("verdict"));
    assertEquals(1.23, rec.get("duration_ms"));
  }

  @Test
  void aRefusedPackAndAPushWithoutCommandsStillGiveOneRecord() {
    ReceiveCommand c = new ReceiveCommand(ObjectId.zeroId(), A, "refs/heads/main");
    Map<?, ?> refused =
        (Map<?, ?>)
            TestJson.parse(
                JsonPushLog.lines("p-2", "t", "r.git", "alice", "::1", List.of(c), List.of(), 0)
                    .get(0));
    assertEquals(true, refused.get("pack_refused"));
    assertEquals("not_attempted", refused.get("result"));
    List<String> none =
        JsonPushLog.lines("p-3", "t", "r.git", "alice", "::1", List.of(), List.of(), 0);
    assertEquals(1, none.size());
    assertEquals(null, ((Map<?, ?>) TestJson.parse(none.get(0))).get("ref"));
  }
}
