package dev.checkpointguard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UsersTest {
  @TempDir Path tmp;

  @Test
  void checksPasswordsAndReloadsTheFileWhenItChanges() throws Exception {
    Path file = ServerTestSupport.writeUsers(tmp.resolve("users"), "alice", "s3cret", "bob", "hunter2");
    Users users = Users.load(file);
    assertEquals(List.of("alice", "bob"), users.names());
    assertTrue(users.authenticate("alice", "s3cret".toCharArray()));
    assertTrue(users.authenticate("alice", "s3cret".toCharArray()), "remembered success");
    assertFalse(users.authenticate("alice", "hunter2".toCharArray()));
    assertFalse(users.authenticate("carol", "s3cret".toCharArray()));

    String carol = "carol:" + PasswordHash.hash("pw".toCharArray(), PasswordHash.MIN_ITERATIONS);
    Files.writeString(file, Files.readString(file).replaceAll("(?m)^alice:.*\n", "") + carol + "\n");
    Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 5_000));
    assertFalse(users.authenticate("alice", "s3cret".toCharArray()), "a removed user cannot log in");
    assertTrue(users.authenticate("carol", "pw".toCharArray()));
    assertEquals(List.of("bob", "carol"), users.names());

    Files.writeString(file, "broken line\n");
    Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 10_000));
    assertTrue(users.authenticate("carol", "pw".toCharArray()), "a broken file keeps the last good list");
  }

  @Test
  void badLinesNameTheirNumberButNotTheirContent() throws Exception {
    String hash = PasswordHash.hash("pw".toCharArray(), PasswordHash.MIN_ITERATIONS);
    Object[][] cases = {
      {"# comment\n\nno-colon-here\n", "line 3: expected user:hash"},
      {"bad name:" + hash + "\n", "line 1: user names are"},
      {"alice:" + hash + "\nalice:" + hash + "\n", "line 2: user alice appears twice"},
      {"alice:" + hash.replace("pbkdf2-sha256", "md5") + "\n", "line 1: user alice: not a pbkdf2-sha256"},
    };
    for (Object[] c : cases) {
      Path f = tmp.resolve("u" + c.hashCode());
      Files.writeString(f, (String) c[0]);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Users.load(f));
      assertTrue(e.getMessage().startsWith(f + " " + c[1]), e.getMessage());
      assertFalse(e.getMessage().contains(hash.substring(30)), e.getMessage());
    }
  }
}
