package dev.checkpointguard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Login timing does not tell which user names exist: a wrong password for a known user and any
 * password for an unknown user both cost exactly one PBKDF2 derivation, with the parameters of a
 * real user's hash (the unknown name is checked against a decoy, the first user's hash). Asserted
 * by counting derivations, not by timing them (issue 9, defect 7); the measured times are in
 * BENCHMARKS.md ({@code LoginBench}).
 */
class AuthTimingTest {
  @TempDir Path tmp;

  @Test
  void anUnknownUserCostsOneDerivationLikeAWrongPassword() throws Exception {
    UsersTest.RecordingSemaphore slots = new UsersTest.RecordingSemaphore(1);
    Users users =
        Users.load(
            ServerTestSupport.writeUsers(tmp.resolve("users"), "alice", "s3cret", "bob", "pw"),
            slots,
            5_000);
    for (int i = 0; i < 3; i++) {
      int before = slots.waits.size();
      assertEquals(Users.Outcome.WRONG, users.check("alice", ("guess" + i).toCharArray()));
      assertEquals(1, slots.waits.size() - before, "a wrong password: one derivation");
      before = slots.waits.size();
      assertEquals(Users.Outcome.WRONG, users.check("mallory" + i, ("guess" + i).toCharArray()));
      assertEquals(1, slots.waits.size() - before, "an unknown user: one derivation");
      before = slots.waits.size();
      assertEquals(Users.Outcome.WRONG, users.check("bad name!", "x".toCharArray()));
      assertEquals(1, slots.waits.size() - before, "a name that cannot exist: one derivation too");
    }
  }
}
