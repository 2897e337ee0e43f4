package dev.checkpointguard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.transport.ReceiveCommand;
import org.junit.jupiter.api.Test;

class PushLogTest {
  private static final ObjectId A = ObjectId.fromString("1111111111111111111111111111111111111111");

  @Test
  void escapesControlCharactersSoOnePushStaysOneLine() {
    ReceiveCommand evil =
        new ReceiveCommand(ObjectId.zeroId(), A, "refs/heads/x\nINFO push - forged");
    evil.setResult(ReceiveCommand.Result.REJECTED_OTHER_REASON, "bad\rname");
    String line = PushLog.line("r.git", "bob\u001b[31m", "127.0.0.1", List.of(evil), List.of());
    assertEquals(
        "push r.git user=bob?[31m from=127.0.0.1: refs/heads/x?INFO push - forged CREATE REJECTED_OTHER_REASON \"bad?name\"",
        line);
  }

  @Test
  void marksAPushWhosePackWasRefused() {
    ReceiveCommand c = new ReceiveCommand(ObjectId.zeroId(), A, "refs/heads/main");
    assertEquals(
        "push r.git user=alice from=::1: refs/heads/main CREATE NOT_ATTEMPTED (pack refused, nothing updated)",
        PushLog.line("r.git", "alice", "::1", List.of(c), List.of()));
    assertEquals(
        "push r.git user=alice from=::1: no ref updates",
        PushLog.line("r.git", "alice", "::1", List.of(), List.of()));
  }
}
