package dev.checkpointguard.bench;

import dev.checkpointguard.server.PasswordHash;
import dev.checkpointguard.server.Users;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of one failed push login ({@link Users#check}) with the default PBKDF2 iterations: a wrong
 * password for a user that exists, and any password for a user that does not. Equal costs mean
 * timing does not tell which user names exist; the unit test (AuthTimingTest) proves both take one
 * derivation, this measures it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class LoginBench {
  private Path dir;
  private Users users;

  @Setup
  public void setUp() throws IOException {
    dir = Files.createTempDirectory("login-bench");
    Path file = dir.resolve("users");
    Files.writeString(
        file,
        "alice:"
            + PasswordHash.hash("s3cret".toCharArray(), PasswordHash.DEFAULT_ITERATIONS)
            + "\nbob:"
            + PasswordHash.hash("hunter2".toCharArray(), PasswordHash.DEFAULT_ITERATIONS)
            + "\n");
    users = Users.load(file);
  }

  @TearDown
  public void tearDown() throws IOException {
    Files.deleteIfExists(dir.resolve("users"));
    Files.deleteIfExists(dir);
  }

  @Benchmark
  public Users.Outcome wrongPassword() {
    return users.check("alice", "guess".toCharArray());
  }

  @Benchmark
  public Users.Outcome unknownUser() {
    return users.check("mallory", "guess".toCharArray());
  }
}
