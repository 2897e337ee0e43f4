package dev.checkpointguard.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.GitCli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.eclipse.jgit.lib.ObjectId;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shared setup of the end-to-end tests: every path lives below a directory whose name contains a
 * space, the jar is {@link TestJar}, install.sh is the one at the top of the source tree.
 */
abstract class StockHookFixture {
  static final String MAIN = RefNames.MAIN;
  static final String CURRENT = RefNames.CURRENT;
  static final String ZERO = ObjectId.zeroId().name();
  static final String MAIN_HISTORY =
      "checkpoint-guard: non-fast-forward: refs/entire/checkpoints/v2/main can only be fast-forwarded"
          + " (rule main-history); fetch, merge and push again";

  @TempDir Path tmp;
  Path root;
  Path prefix;
  GitCli cli;

  @BeforeEach
  void setUpRoot() throws IOException {
    root = Files.createDirectories(tmp.resolve("with space"));
    prefix = root.resolve("pre fix");
    Path home = Files.createDirectories(root.resolve("home"));
    // install.sh's scratch folders stay in the test's directory; CDS training needs more than 30 s
    // under load
    cli = new GitCli(home, Duration.ofSeconds(90)).with("TMPDIR", home.toString());
  }

  /** A new bare repository {@code root/name}. */
  Path bare(String name, String... initArgs) {
    Path p = root.resolve(name);
    List<String> args = new ArrayList<>(List.of("init", "-q", "--bare"));
    args.addAll(List.of(initArgs));
    args.add(p.toString());
    cli.run(root, args.toArray(String[]::new)).expectOk();
    return p;
  }

  /** A new non-bare client repository {@code root/name}. */
  Path client(String name, String... initArgs) {
    Path p = root.resolve(name);
    List<String> args = new ArrayList<>(List.of("init", "-q"));
    args.addAll(List.of(initArgs));
    args.add(p.toString());
    cli.run(root, args.toArray(String[]::new)).expectOk();
    return p;
  }

  /**
   * A client repository of the fixture library ({@code v0.6.2}, rotation threshold {@code
   * threshold}), a bare repository {@code root/name} that {@code git push} runs in.
   */
  ClientRepo clientRepo(String name, int threshold) {
    return ClientRepo.builder(ClientVersion.V0_6_2)
        .threshold(threshold)
        .buildOnDisk(root.resolve(name));
  }

  /** Points {@code ref} of the repository {@code dir} at {@code id} with {@code git update-ref}. */
  void setRef(Path dir, String ref, ObjectId id) {
    cli.run(dir, "update-ref", ref, id.name()).expectOk();
  }

  /**
   * Runs install.sh with the test jar, the test prefix and no AppCDS archive, plus {@code args}.
   */
  GitCli.Result install(String... args) {
    List<String> cmd = new ArrayList<>(List.of("bash", installScript().toString()));
    cmd.addAll(
        List.of("--jar", TestJar.get().toString(), "--prefix", prefix.toString(), "--no-cds"));
    cmd.addAll(List.of(args));
    return cli.exec(root, null, cmd);
  }

  /** Runs install.sh with exactly {@code args}. */
  GitCli.Result installRaw(String... args) {
    List<String> cmd = new ArrayList<>(List.of("bash", installScript().toString()));
    cmd.addAll(List.of(args));
    return cli.exec(root, null, cmd);
  }

  static Path installScript() {
    return TestJar.sourceRoot().resolve("install.sh");
  }

  /** {@code git push <args>} from {@code client}. */
  GitCli.Result push(Path client, String... args) {
    List<String> a = new ArrayList<>(List.of("push"));
    a.addAll(List.of(args));
    return cli.run(client, a.toArray(String[]::new));
  }

  /** The server's value of {@code ref}, or null. */
  String serverRef(Path bare, String ref) {
    GitCli.Result r = cli.run(bare, "rev-parse", "-q", "--verify", ref);
    return r.exitCode() == 0 ? r.stdout().trim() : null;
  }

  static void writeExecutable(Path file, String content) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, content);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  /**
   * Every file below {@code dir}: relative path → permissions + content, for before/after
   * comparisons.
   */
  static Map<String, String> snapshot(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    if (!Files.exists(dir)) {
      return out;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        String rel = dir.relativize(p).toString();
        if (Files.isDirectory(p)) {
          out.put(rel + "/", "dir");
        } else {
          out.put(
              rel,
              PosixFilePermissions.toString(Files.getPosixFilePermissions(p))
                  + "\n"
                  + Files.readString(p));
        }
      }
    }
    return out;
  }

  static void assertLines(List<String> expected, List<String> actual, GitCli.Result r) {
    assertEquals(expected, actual, r.toString());
  }
}
