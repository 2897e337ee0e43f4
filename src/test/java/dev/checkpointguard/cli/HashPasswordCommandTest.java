package dev.checkpointguard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.command.Io;
import dev.checkpointguard.server.PasswordHash;
import dev.checkpointguard.server.Users;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HashPasswordCommandTest {
  @TempDir Path tmp;

  private record Outcome(int exit, String out, String err) {}

  private static Outcome run(String stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Io io =
        new Io(
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
            Map.of());
    int code = new Main(io, List.of(new HashPasswordCommand())).run(args);
    return new Outcome(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void printsAUsersFileLineForThePasswordOnStdin() {
    Outcome o = run("correct horse\n", "hash-password", "alice");
    assertEquals(0, o.exit(), o.err());
    assertEquals("", o.err());
    assertTrue(
        o.out().matches("alice:pbkdf2-sha256\\$600000\\$[A-Za-z0-9+/]+\\$[A-Za-z0-9+/]+\n"),
        o.out());
    PasswordHash h = PasswordHash.parse(o.out().strip().substring("alice:".length()));
    assertTrue(h.matches("correct horse".toCharArray()));
    assertFalse(o.out().contains("correct horse"));
  }

  @Test
  void writesIntoAUsersFileReplacingTheUsersOldLine() throws Exception {
    Path file = tmp.resolve("users");
    Outcome first =
        run(
            "one\r\n",
            "hash-password",
            "alice",
            "--users",
            file.toString(),
            "--iterations",
            "10000");
    assertEquals(0, first.exit(), first.err());
    assertEquals("checkpoint-guard: added the password of alice in " + file + "\n", first.err());
    assertEquals("", first.out());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(
        0,
        run("two\n", "hash-password", "bob", "--users", file.toString(), "--iterations", "10000")
            .exit());
    Outcome again =
        run("three", "hash-password", "alice", "--users", file.toString(), "--iterations", "10000");
    assertEquals("checkpoint-guard: replaced the password of alice in " + file + "\n", again.err());

    Users users = Users.load(file);
    assertEquals(List.of("alice", "bob"), users.names());
    assertTrue(users.authenticate("alice", "three".toCharArray()));
    assertFalse(users.authenticate("alice", "one".toCharArray()));
    assertTrue(users.authenticate("bob", "two".toCharArray()));
  }

  @Test
  void neverTakesThePasswordFromArgumentsAndRefusesBadInput() {
    Object[][] cases = {
      {
        "pw\n",
        new String[] {"hash-password", "alice", "pw"},
        "checkpoint-guard hash-password: give exactly one USER (the password is read from the terminal or stdin)\n"
      },
      {
        "pw\n",
        new String[] {"hash-password"},
        "checkpoint-guard hash-password: give exactly one USER (the password is read from the terminal or stdin)\n"
      },
      {
        "pw\n",
        new String[] {"hash-password", "al:ice"},
        "checkpoint-guard hash-password: user names are 1-64 characters of A-Z a-z 0-9 . _ @ + - starting with a letter or digit\n"
      },
      {
        "",
        new String[] {"hash-password", "alice"},
        "checkpoint-guard hash-password: no password: type it on a terminal, or give it as the first line of standard input\n"
      },
      {
        "\n",
        new String[] {"hash-password", "alice"},
        "checkpoint-guard hash-password: no password: type it on a terminal, or give it as the first line of standard input\n"
      },
      {
        "x".repeat(1025) + "\n",
        new String[] {"hash-password", "alice"},
        "checkpoint-guard hash-password: the password is longer than 1024 characters\n"
      },
      {
        "pw\n",
        new String[] {"hash-password", "alice", "--iterations", "5"},
        "checkpoint-guard hash-password: --iterations must be from 10000 to 10000000\n"
      },
    };
    for (Object[] c : cases) {
      Outcome o = run((String) c[0], (String[]) c[1]);
      assertEquals(2, o.exit(), String.join(" ", (String[]) c[1]));
      assertEquals(c[2], o.err());
      assertEquals("", o.out());
    }
  }
}
