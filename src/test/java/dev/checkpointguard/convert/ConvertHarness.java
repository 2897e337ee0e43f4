package dev.checkpointguard.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.admin.CheckCommand;
import dev.checkpointguard.admin.RestoreCommand;
import dev.checkpointguard.cli.Main;
import dev.checkpointguard.command.Command;
import dev.checkpointguard.command.Io;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.V1Reader;
import dev.checkpointguard.fixtures.V2Reader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

/**
 * Runs {@code convert} (and {@code restore}, {@code check}) in-process and checks converted
 * repositories.
 */
final class ConvertHarness {
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-06-02T09:00:00Z"), ZoneOffset.UTC);

  record Run(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
    }
  }

  private ConvertHarness() {}

  static Run run(String... args) {
    return run(Map.of(), Converter.Hooks.NONE, Converter.Listener.NONE, args);
  }

  static Run run(
      Map<String, String> env, Converter.Hooks hooks, Converter.Listener listener, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Io io =
        new Io(
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            new ByteArrayInputStream(new byte[0]),
            env);
    List<Command> commands =
        List.of(
            new ConvertCommand(CLOCK, hooks, listener), new RestoreCommand(), new CheckCommand());
    int code = new Main(io, commands).run(args);
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static Repository open(Path dir) throws Exception {
    return new FileRepositoryBuilder().setGitDir(dir.toFile()).setMustExist(true).build();
  }

  static Map<String, ObjectId> allRefs(Path dir) throws Exception {
    try (Repository r = open(dir)) {
      Map<String, ObjectId> m = new TreeMap<>();
      for (Ref ref : r.getRefDatabase().getRefs()) {
        m.put(ref.getName(), ref.getObjectId());
      }
      return m;
    }
  }

  static Map<String, V1Reader.Checkpoint> v1(Path dir) throws Exception {
    try (Repository r = open(dir)) {
      Ref v1 = r.exactRef(RefNames.V1);
      return v1 == null ? new TreeMap<>() : V1Reader.read(r, v1.getObjectId());
    }
  }

  static Map<String, V2Reader.Checkpoint> v2(Path dir) throws Exception {
    try (Repository r = open(dir)) {
      return V2Reader.read(r);
    }
  }

  /**
   * Every v2 checkpoint with a raw transcript reads back from v1, through the independent reader,
   * with each v2 session (matched by session ID) holding the v2 transcript byte for byte and its
   * hash; the summary lists exactly the session directories; the last session is the latest.
   */
  static void assertReadsBack(
      Map<String, V2Reader.Checkpoint> v2, Map<String, V1Reader.Checkpoint> v1) {
    for (V2Reader.Checkpoint c : v2.values()) {
      V1Reader.Checkpoint got = v1.get(c.id());
      assertNotNull(got, c.id() + " missing from v1");
      assertNotNull(got.summary(), c.id() + ": no summary in v1");
      assertNull(got.error(), c.id() + ": " + got.error());
      Object version = got.summary().get("checkpoint_version");
      assertTrue(
          version == null || version.equals("branch-v1"),
          c.id() + ": checkpoint_version " + version);
      assertEquals(c.sessions().size(), got.sessions().size(), c.id() + " session count");
      Map<String, V1Reader.Session> byId = new TreeMap<>();
      got.sessions().forEach(s -> byId.put(s.sessionId(), s));
      for (V2Reader.Session s : c.sessions().values()) {
        V1Reader.Session v = byId.get(s.sessionId());
        assertNotNull(v, c.id() + ": session " + s.sessionId() + " missing");
        if (!s.copies().isEmpty()) {
          byte[] want = s.copies().get(0).transcript();
          for (V2Reader.Copy copy : s.copies()) {
            assertArrayEquals(
                want, copy.transcript(), c.id() + ": copies differ; use a precedence test");
          }
          assertArrayEquals(want, v.transcript(), c.id() + "/" + s.sessionId() + " transcript");
          assertEquals(
              V1Reader.sha256(want), v.contentHash(), c.id() + "/" + s.sessionId() + " hash");
        } else {
          assertNull(v.transcript(), c.id() + "/" + s.sessionId() + " has no v2 transcript");
        }
        assertEquals(s.prompt(), v.prompt(), c.id() + "/" + s.sessionId() + " prompt");
        assertNotNull(v.createdAt(), c.id() + "/" + s.sessionId() + " created_at");
        assertTrue(
            v.createdAt().endsWith("Z") && !v.createdAt().startsWith("0001-"), v.createdAt());
      }
      for (int i = 1; i < got.sessions().size(); i++) {
        assertTrue(
            Instant.parse(got.sessions().get(i - 1).createdAt())
                    .compareTo(Instant.parse(got.sessions().get(i).createdAt()))
                <= 0,
            c.id() + " session order");
      }
    }
  }
}
