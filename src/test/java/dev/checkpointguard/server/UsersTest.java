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
    Path file =
        ServerTestSupport.writeUsers(tmp.resolve("users"), "alice", "s3cret", "bob", "hunter2");
    Users users = Users.load(file);
    assertEquals(List.of("alice", "bob"), users.names());
    assertTrue(users.authenticate("alice", "s3cret".toCharArray()));
    assertTrue(users.authenticate("alice", "s3cret".toCharArray()), "remembered success");
    assertFalse(users.authenticate("alice", "hunter2".toCharArray()));
    assertFalse(users.authenticate("carol", "s3cret".toCharArray()));

    String carol = "carol:" + PasswordHash.hash("pw".toCharArray(), PasswordHash.MIN_ITERATIONS);
    Files.writeString(
        file, Files.readString(file).replaceAll("(?m)^alice:.*\n", "") + carol + "\n");
    Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 5_000));
    assertFalse(
        users.authenticate("alice", "s3cret".toCharArray()), "a removed user cannot log in");
    assertTrue(users.authenticate("carol", "pw".toCharArray()));
    assertEquals(List.of("bob", "carol"), users.names());
  }

  @Test
  void anInvalidFileAfterAReloadFailsClosedUntilItIsFixed() throws Exception {
    Path file =
        ServerTestSupport.writeUsers(tmp.resolve("users"), "alice", "s3cret", "bob", "hunter2");
    String good = Files.readString(file);
    Users users = Users.load(file);
    assertEquals(Users.Outcome.OK, users.check("bob", "hunter2".toCharArray()));
    assertEquals(null, users.problem());

    // An edit that revokes bob but breaks another line: nobody gets in, bob included.
    Files.writeString(file, good.replaceAll("(?m)^bob:.*\n", "") + "broken line\n");
    Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 10_000));
    assertEquals(Users.Outcome.UNAVAILABLE, users.check("bob", "hunter2".toCharArray()));
    assertEquals(Users.Outcome.UNAVAILABLE, users.check("alice", "s3cret".toCharArray()));
    assertFalse(users.authenticate("alice", "s3cret".toCharArray()));
    assertEquals(file + " line 3: expected user:hash", users.problem());
    assertEquals(List.of(), users.names());

    Files.delete(file);
    assertEquals(Users.Outcome.UNAVAILABLE, users.check("alice", "s3cret".toCharArray()));
    assertEquals(file + " does not exist", users.problem());

    Files.writeString(file, good.replaceAll("(?m)^bob:.*\n", ""));
    Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 20_000));
    assertEquals(Users.Outcome.OK, users.check("alice", "s3cret".toCharArray()));
    assertEquals(
        Users.Outcome.WRONG, users.check("bob", "hunter2".toCharArray()), "revoked for good");
    assertEquals(null, users.problem());
  }

  @Test
  void passwordChecksWaitForAFreeDerivationSlotAndRememberedLoginsNeedNone() throws Exception {
    Path file =
        ServerTestSupport.writeUsers(tmp.resolve("users"), "alice", "s3cret", "bob", "hunter2");
    RecordingSemaphore slots = new RecordingSemaphore(1);
    Users users = Users.load(file, slots, 50);
    assertEquals(Users.Outcome.OK, users.check("alice", "s3cret".toCharArray()));
    assertEquals(1, slots.availablePermits(), "the slot is given back");

    slots.acquire(); // another PBKDF2 derivation is running
    try {
      int asked = slots.waits.size();
      assertEquals(Users.Outcome.BUSY, users.check("bob", "hunter2".toCharArray()));
      // it waited for a slot as long as configured (asserted as the wait asked for, not as time
      // spent)
      assertEquals(
          List.of(50L), slots.waits.subList(asked, slots.waits.size()), "waited for a slot");
      assertEquals(Users.Outcome.BUSY, users.check("bob", "wrong".toCharArray()));
      assertEquals(
          Users.Outcome.BUSY,
          users.check("nobody", "x".toCharArray()),
          "the decoy needs a slot too");
      assertEquals(
          Users.Outcome.OK, users.check("alice", "s3cret".toCharArray()), "remembered: no PBKDF2");
      assertEquals(Users.Outcome.WRONG, users.check("alice", "nope".toCharArray()));
    } finally {
      slots.release();
    }
    assertEquals(Users.Outcome.OK, users.check("bob", "hunter2".toCharArray()));
    assertEquals(Users.Outcome.WRONG, users.check("nobody", "x".toCharArray()));
  }

  /**
   * A semaphore that records how long each {@code tryAcquire} was willing to wait, in milliseconds.
   */
  static final class RecordingSemaphore extends java.util.concurrent.Semaphore {
    private static final long serialVersionUID = 1L;
    final List<Long> waits = new java.util.concurrent.CopyOnWriteArrayList<>();

    RecordingSemaphore(int permits) {
      super(permits, true);
    }

    @Override
    public boolean tryAcquire(long timeout, java.util.concurrent.TimeUnit unit)
        throws InterruptedException {
      waits.add(unit.toMillis(timeout));
      return super.tryAcquire(timeout, unit);
    }
  }

  @Test
  void badLinesNameTheirNumberButNotTheirContent() throws Exception {
    String hash = PasswordHash.hash("pw".toCharArray(), PasswordHash.MIN_ITERATIONS);
    Object[][] cases = {
      {"# comment\n\nno-colon-here\n", "line 3: expected user:hash"},
      {"bad name:" + hash + "\n", "line 1: user names are"},
      {"alice:" + hash + "\nalice:" + hash + "\n", "line 2: user alice appears twice"},
      {
        "alice:" + hash.replace("pbkdf2-sha256", "md5") + "\n",
        "line 1: user alice: not a pbkdf2-sha256"
      },
    };
    for (Object[] c : cases) {
      Path f = tmp.resolve("u" + c.hashCode());
      Files.writeString(f, (String) c[0]);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Users.load(f));
      assertTrue(e.getMessage().startsWith(f + " " + c[1]), e.getMessage());
      assertFalse(e.getMessage().contains(hash.substring(30)), e.getMessage());
    }
  }
}
