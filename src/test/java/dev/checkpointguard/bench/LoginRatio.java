package dev.checkpointguard.bench;

import dev.checkpointguard.server.PasswordHash;
import dev.checkpointguard.server.Users;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The unknown-user ÷ wrong-password ratio of {@link LoginBench}, measured side by side: the two
 * kinds of failed login alternate (the order alternating too), so that load from elsewhere on a
 * shared machine hits both alike; medians are compared. This was a unit test's assertion once; a
 * timing claim belongs here.
 *
 * <p>Usage: {@code LoginRatio [rounds]} (default 21 rounds of one login of each kind, default
 * iterations).
 */
public final class LoginRatio {
  private LoginRatio() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 21;
    Path dir = Files.createTempDirectory("login-ratio");
    Path file = dir.resolve("users");
    try {
      Files.writeString(
          file,
          "alice:"
              + PasswordHash.hash("s3cret".toCharArray())
              + "\nbob:"
              + PasswordHash.hash("hunter2".toCharArray())
              + "\n");
      Users users = Users.load(file);
      users.check("alice", "warm-up".toCharArray());
      users.check("nobody", "warm-up".toCharArray());
      long[] wrong = new long[rounds];
      long[] unknown = new long[rounds];
      for (int i = 0; i < rounds; i++) {
        if (i % 2 == 0) {
          wrong[i] = time(users, "alice", i);
          unknown[i] = time(users, "mallory" + i, i);
        } else {
          unknown[i] = time(users, "mallory" + i, i);
          wrong[i] = time(users, "alice", i);
        }
      }
      Arrays.sort(wrong);
      Arrays.sort(unknown);
      double w = wrong[rounds / 2] / 1e6;
      double u = unknown[rounds / 2] / 1e6;
      System.out.printf(
          "login, %d rounds, %d PBKDF2 iterations: median wrong password %.1f ms, unknown user"
              + " %.1f ms, ratio unknown/wrong %.2f%n",
          rounds, PasswordHash.DEFAULT_ITERATIONS, w, u, u / w);
    } finally {
      Files.deleteIfExists(file);
      Files.deleteIfExists(dir);
    }
  }

  private static long time(Users users, String user, int i) {
    long t = System.nanoTime();
    users.check(user, ("guess" + i).toCharArray());
    return System.nanoTime() - t;
  }
}
