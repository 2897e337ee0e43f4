package dev.checkpointguard.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.bench.ScaleRepo;
import dev.checkpointguard.cli.Main;
import dev.checkpointguard.command.Io;
import dev.checkpointguard.core.CheckpointSet;
import dev.checkpointguard.core.CheckpointTrees;
import dev.checkpointguard.core.RefNames;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.revwalk.RevWalk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scale generator writes what the benchmarks claim: the shape (scaled down), {@code
 * /main} with {@code created_at}, and every transcript blob in a pack of its own, without which
 * {@code check} and {@code repair} still work.
 */
class ScaleRepoTest {
  private static final ScaleRepo.Shape SMALL = new ScaleRepo.Shape(3, 100, 4, 10, 5);

  @TempDir Path tmp;

  @Test
  void writesTheShapeWithTranscriptsInAPackOfTheirOwn() throws Exception {
    Path dir = tmp.resolve("scale.git");
    ScaleRepo.Result r = ScaleRepo.generate(dir, SMALL);
    try (FileRepository repo = new FileRepository(dir.toFile());
        ObjectReader reader = repo.newObjectReader();
        RevWalk rw = new RevWalk(reader)) {
      CheckpointTrees trees = new CheckpointTrees(reader, null);
      List<Integer> counts = new ArrayList<>();
      CheckpointSet all = CheckpointSet.empty();
      for (Ref ref : repo.getRefDatabase().getRefsByPrefix(RefNames.FULL_PREFIX)) {
        CheckpointSet cps = trees.checkpoints(rw.parseCommit(ref.getObjectId()).getTree());
        if (RefNames.isArchive(ref.getName())) {
          counts.add(cps.size());
        } else {
          assertEquals(RefNames.CURRENT, ref.getName());
          assertEquals(5, cps.size());
        }
        all = all.union(cps);
      }
      // migration runs: healthy batches, then the run's remainder under the threshold
      assertEquals(List.of(100, 10, 100, 10, 100, 10, 10), counts);
      assertEquals(345, all.size());
      Ref main = repo.exactRef(RefNames.MAIN);
      assertEquals(all, trees.checkpoints(rw.parseCommit(main.getObjectId()).getTree()));
    }
    // the transcript pack holds one raw transcript and one compact transcript per checkpoint
    Path pack = dir.resolve("objects/pack").resolve(r.transcriptPack());
    assertTrue(Files.isRegularFile(pack));
    assertEquals(2 * 345, objectsIn(dir, r.transcriptPack()));
  }

  @Test
  void checkAndRepairNeedNoTranscriptBlob() throws Exception {
    Path dir = tmp.resolve("scale.git");
    ScaleRepo.Result r = ScaleRepo.generate(dir, SMALL);
    String base = r.transcriptPack().replace(".pack", "");
    try (Stream<Path> s = Files.list(dir.resolve("objects/pack"))) {
      for (Path p : s.filter(p -> p.getFileName().toString().startsWith(base)).toList()) {
        Files.delete(p);
      }
    }
    Run check = run("check", "--repo", dir.toString());
    assertEquals(1, check.code, check.out);
    assertTrue(check.out.contains("full/0000000000002"), check.out);
    Run repair = run("repair", "--repo", dir.toString(), "--mode", "full");
    assertEquals(0, repair.code, repair.out + repair.err);
    assertTrue(repair.out.contains("check: healthy"), repair.out);
    assertEquals(0, run("check", "--repo", dir.toString()).code);
  }

  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Io io =
        new Io(
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            new ByteArrayInputStream(new byte[0]),
            Map.of());
    int code = new Main(io).run(args);
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static long objectsIn(Path dir, String packName) throws Exception {
    Path idx = dir.resolve("objects/pack").resolve(packName.replace(".pack", ".idx"));
    try (var in = Files.newInputStream(idx)) {
      return org.eclipse.jgit.internal.storage.file.PackIndex.read(in).getObjectCount();
    }
  }
}
