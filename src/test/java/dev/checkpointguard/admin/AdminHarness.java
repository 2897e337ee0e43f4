package dev.checkpointguard.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.cli.Main;
import dev.checkpointguard.command.Command;
import dev.checkpointguard.command.Io;
import dev.checkpointguard.core.CheckpointIds;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.FlatTree;
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
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

/** Runs the admin commands in-process and inspects repositories for the admin tests. */
final class AdminHarness {
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-06-01T12:00:00Z"), ZoneOffset.UTC);

  record Run(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
    }
  }

  private AdminHarness() {}

  static Run run(Map<String, String> env, Repair.Listener listener, String... args) {
    return run(env, listener, Repair.BATCH, args);
  }

  /**
   * Runs with a listener (crash points: {@link Crash}) and at most {@code batchSize} refs per
   * batch.
   */
  static Run run(int batchSize, Repair.Listener listener, String... args) {
    return run(Map.of(), listener, batchSize, args);
  }

  static Run run(Map<String, String> env, Repair.Listener listener, int batchSize, String... args) {
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
            new CheckCommand(),
            new RepairCommand(listener, CLOCK, batchSize),
            new RestoreCommand());
    int code = new Main(io, commands).run(args);
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static Run run(String... args) {
    return run(Map.of(), Repair.Listener.NONE, args);
  }

  static Repository open(Path dir) throws Exception {
    return new FileRepositoryBuilder().setGitDir(dir.toFile()).setMustExist(true).build();
  }

  /** Every ref of the repository (v2, backups, results), read fresh from disk. */
  static Map<String, ObjectId> allRefs(Path dir) throws Exception {
    try (Repository r = open(dir)) {
      Map<String, ObjectId> m = new TreeMap<>();
      for (Ref ref : r.getRefDatabase().getRefs()) {
        m.put(ref.getName(), ref.getObjectId());
      }
      return m;
    }
  }

  /** {@link #v2Refs}, for listeners that cannot throw checked exceptions. */
  static Map<String, ObjectId> v2RefsUnchecked(Path dir) {
    try {
      return v2Refs(dir);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static Map<String, ObjectId> v2Refs(Path dir) throws Exception {
    Map<String, ObjectId> m = new TreeMap<>();
    allRefs(dir)
        .forEach(
            (k, v) -> {
              if (RefNames.isV2(k)) {
                m.put(k, v);
              }
            });
    return m;
  }

  /**
   * Checkpoint ID → (path below its directory → blob id) over every generation, the copies merged
   * as the repair documents: union of files, a path held twice keeps the later generation's copy
   * (archives by number, /full/current last).
   */
  static Map<String, Map<String, ObjectId>> contentMap(Path dir) throws Exception {
    Map<String, Map<String, ObjectId>> out = new TreeMap<>();
    try (Repository r = open(dir);
        ObjectReader reader = r.newObjectReader()) {
      Inventory inv = Inventory.read(r, reader);
      for (Inventory.Generation g : inv.generations()) {
        FlatTree t = FlatTree.read(reader, g.tree());
        for (Map.Entry<Long, ObjectId> d : g.dirs().entrySet()) {
          String prefix = CheckpointIds.path(d.getKey()) + "/";
          Map<String, ObjectId> files =
              out.computeIfAbsent(CheckpointIds.format(d.getKey()), k -> new TreeMap<>());
          for (String p : t.pathsUnder(CheckpointIds.path(d.getKey()))) {
            files.put(p.substring(prefix.length()), t.get(p).id());
          }
        }
      }
    }
    return out;
  }

  /** Generation short name → checkpoint count. */
  static Map<String, Integer> counts(Path dir) throws Exception {
    Map<String, Integer> out = new TreeMap<>();
    try (Repository r = open(dir);
        ObjectReader reader = r.newObjectReader()) {
      for (Inventory.Generation g : Inventory.read(r, reader).generations()) {
        out.put(g.shortName(), g.count());
      }
    }
    return out;
  }

  /**
   * Asserts the repaired shape: archives at or above the threshold, current below it, healthy
   * check.
   */
  static void assertRepaired(Path dir, int threshold) throws Exception {
    Map<String, Integer> counts = counts(dir);
    counts.forEach(
        (name, n) -> {
          if (name.equals("full/current")) {
            assertTrue(n < threshold, "current holds " + n + ": " + counts);
          } else {
            assertTrue(n >= threshold, name + " holds " + n + ": " + counts);
          }
        });
    Run check = run("check", "--repo", dir.toString(), "--threshold", Integer.toString(threshold));
    assertEquals(0, check.exit(), check.toString());
  }

  /**
   * Asserts archive numbers ascend with the §8.1 order of their checkpoints (full mode's promise).
   */
  static void assertChronological(Path dir) throws Exception {
    try (Repository r = open(dir);
        ObjectReader reader = r.newObjectReader()) {
      Inventory inv = Inventory.read(r, reader);
      Analysis a = new Analysis(inv, reader, org.eclipse.jgit.lib.NullProgressMonitor.INSTANCE);
      long prevMax = -1;
      String prev = null;
      for (Inventory.Generation g : inv.archives) {
        long min = -1;
        long max = -1;
        for (long id : g.dirs().keySet()) {
          if (min < 0 || CheckpointOrder.compare(id, a.createdAt(id), min, a.createdAt(min)) < 0) {
            min = id;
          }
          if (max < 0 || CheckpointOrder.compare(id, a.createdAt(id), max, a.createdAt(max)) > 0) {
            max = id;
          }
        }
        if (prevMax >= 0) {
          assertTrue(
              CheckpointOrder.compare(prevMax, a.createdAt(prevMax), min, a.createdAt(min)) < 0,
              prev + " ends after " + g.shortName() + " starts");
        }
        prevMax = max;
        prev = g.shortName();
      }
    }
  }
}
