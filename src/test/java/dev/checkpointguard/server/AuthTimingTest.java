package dev.checkpointguard.server;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Login timing does not tell which user names exist: a wrong password for a known user and any password
 * for an unknown user both cost one PBKDF2 derivation (medians of interleaved runs within a factor 3).
 */
class AuthTimingTest {
  @TempDir Path tmp;

  @Test
  void anUnknownUserCostsAsMuchAsAWrongPassword() throws Exception {
    Users users = Users.load(ServerTestSupport.writeUsers(tmp.resolve("users"), "alice", "s3cret", "bob", "pw"));
    int n = 15;
    long[] wrong = new long[n];
    long[] unknown = new long[n];
    for (int i = 0; i < n; i++) {
      long t = System.nanoTime();
      assertFalse(users.authenticate("alice", ("guess" + i).toCharArray()));
      wrong[i] = System.nanoTime() - t;
      t = System.nanoTime();
      assertFalse(users.authenticate("mallory" + i, ("guess" + i).toCharArray()));
      unknown[i] = System.nanoTime() - t;
    }
    Arrays.sort(wrong);
    Arrays.sort(unknown);
    double ratio = (double) unknown[n / 2] / wrong[n / 2];
    assertTrue(ratio > 1 / 3.0 && ratio < 3.0,
        "median unknown " + unknown[n / 2] / 1000 + " us vs wrong " + wrong[n / 2] / 1000 + " us");
    System.out.println("[reliability] login: median wrong password " + wrong[n / 2] / 1000 + " us, unknown user "
        + unknown[n / 2] / 1000 + " us");
  }
}
