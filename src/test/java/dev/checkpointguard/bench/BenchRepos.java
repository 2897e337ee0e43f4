package dev.checkpointguard.bench;

import dev.checkpointguard.core.CheckpointIds;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.TestJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.internal.storage.file.ObjectDirectory;
import org.eclipse.jgit.internal.storage.file.PackInserter;
import org.eclipse.jgit.lib.BatchRefUpdate;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.ReceiveCommand;

/**
 * Server repositories for the policy benchmarks, built through JGit's {@link PackInserter} (every
 * object lands in one pack file, refs in {@code packed-refs}) so that reads in the benchmark are
 * pack reads, as on a real server.
 *
 * <p>Layout of {@link #policyServer} with {@code n} archives:
 *
 * <ul>
 *   <li>{@code full/0000000000001 … full/n}: archived generations of 100 random checkpoints each.
 *       The newest {@link #HISTORY_ARCHIVES} are rotation archives ({@code Archive generation} on a
 *       chain of 100 {@code Checkpoint:} commits rooted at {@code Start generation}), so that the
 *       ancestry fast path walks real histories; older ones are single-commit migration archives
 *       (their history is never walked). Archive 1 additionally holds the 100 checkpoints of {@code
 *       /full/current} (a recovery merge, §7.3 A): it covers the current generation by content
 *       only, the worst place for a content scan to find it.
 *   <li>{@code /full/current}: 100 checkpoints on a chain of 100 commits rooted at {@code Start
 *       generation}.
 * </ul>
 *
 * <p>Intermediate commits of a chain carry the final tree: the policy reads commit headers while
 * walking and trees only at tips, so the intermediate trees would cost setup time without changing
 * what is measured.
 *
 * <p>The objects of the benchmarked pushes are in the repository but unreferenced, as in
 * receive-pack after the pack arrived. Their ids are in {@link Server}.
 */
final class BenchRepos {
  static final int PER_ARCHIVE = 100;
  static final int HISTORY_ARCHIVES = 16;
  private static final String LAYOUT_VERSION = "policy-v1";

  private BenchRepos() {}

  /** The ids a policy benchmark needs. */
  record Server(
      Repository repo,
      int archives,
      ObjectId currentTip,
      ObjectId rotationArchive,
      ObjectId orphanArchive,
      ObjectId startGeneration,
      ObjectId strayTip) {
    String nextArchive() {
      return RefNames.archive(archives + 1L);
    }
  }

  /**
   * Opens the policy server with {@code n} archives under {@code cacheDir}, building it first when
   * absent. The build is deterministic, so a cached copy made by an earlier run is the same
   * repository.
   */
  static Server policyServer(Path cacheDir, int n) throws IOException {
    Path dir = cacheDir.resolve(LAYOUT_VERSION + "-" + n + ".git");
    Path done = dir.resolve("bench-ids.properties");
    if (!Files.exists(done)) {
      deleteTree(dir);
      Path tmp =
          cacheDir.resolve(LAYOUT_VERSION + "-" + n + ".tmp-" + ProcessHandle.current().pid());
      deleteTree(tmp);
      Files.createDirectories(tmp);
      Properties ids = build(tmp, n);
      try (var out = Files.newBufferedWriter(tmp.resolve("bench-ids.properties"))) {
        ids.store(out, "ids of the benchmarked pushes");
      }
      Files.move(tmp, dir);
    }
    Properties p = new Properties();
    try (var in = Files.newBufferedReader(done)) {
      p.load(in);
    }
    FileRepository repo = new FileRepository(dir.toFile());
    return new Server(
        repo,
        n,
        ObjectId.fromString(p.getProperty("currentTip")),
        ObjectId.fromString(p.getProperty("rotationArchive")),
        ObjectId.fromString(p.getProperty("orphanArchive")),
        ObjectId.fromString(p.getProperty("startGeneration")),
        ObjectId.fromString(p.getProperty("strayTip")));
  }

  private static Properties build(Path dir, int n) throws IOException {
    FileRepository repo = new FileRepository(dir.toFile());
    repo.create(true);
    SplittableRandom rnd = new SplittableRandom(42L + n);
    Properties ids = new Properties();
    List<ReceiveCommand> refs = new ArrayList<>();
    try (PackInserter ins = ((ObjectDirectory) repo.getObjectDatabase()).newPackInserter()) {
      ins.checkExisting(false);
      TreeWriter w = new TreeWriter(ins);
      ObjectId session =
          w.fullSession(
              w.blob(
                  TestJson.compact(
                      g -> {
                        g.writeStartObject();
                        g.writeStringField("timestamp", "2026-05-01T00:00:00Z");
                        g.writeEndObject();
                      })),
              w.blob("sha256:" + "0".repeat(64)));
      ObjectId cpDir = w.oneSession(session);
      ObjectId start = w.commit(w.emptyTree(), "Start generation", 1_700_000_000L);
      long when = 1_700_000_000L;

      long[] currentIds = randomIds(rnd, PER_ARCHIVE);
      ObjectId currentTree = w.shardedTree(currentIds, id -> cpDir, null);
      ObjectId currentTip = chain(w, start, currentTree, currentIds, when + 10_000_000L);

      for (int a = 1; a <= n; a++) {
        long[] cps = randomIds(rnd, PER_ARCHIVE);
        if (a == 1) {
          cps = union(cps, currentIds);
        }
        ObjectId gen =
            w.blob(
                TreeWriter.generationJson(
                    Instant.ofEpochSecond(when + a * 1000L),
                    Instant.ofEpochSecond(when + a * 1000L + 999)));
        ObjectId tree = w.shardedTree(cps, id -> cpDir, gen);
        ObjectId tip;
        if (a > n - HISTORY_ARCHIVES) {
          ObjectId genStart = w.commit(w.emptyTree(), "Start generation", when + a * 1000L);
          ObjectId last = chain(w, genStart, tree, cps, when + a * 1000L);
          tip = w.commit(tree, "Archive generation", when + a * 1000L + 999, last);
        } else {
          tip =
              w.commit(
                  tree,
                  "Archive migrated generation: " + RefNames.archive(a) + "\n",
                  when + a * 1000L);
        }
        refs.add(new ReceiveCommand(ObjectId.zeroId(), tip, RefNames.archive(a)));
      }
      refs.add(new ReceiveCommand(ObjectId.zeroId(), currentTip, RefNames.CURRENT));

      // The pushes: a rotation (archive on the current tip + reset), the same archive as an orphan,
      // and a
      // stray generation that no archive covers.
      ObjectId gen =
          w.blob(
              TreeWriter.generationJson(
                  Instant.ofEpochSecond(when + 10_000_000L),
                  Instant.ofEpochSecond(when + 10_000_999L)));
      ObjectId archiveTree = w.shardedTree(currentIds, id -> cpDir, gen);
      ids.setProperty(
          "rotationArchive",
          w.commit(archiveTree, "Archive generation", when + 10_001_000L, currentTip).name());
      ids.setProperty(
          "orphanArchive",
          w.commit(
                  archiveTree,
                  "Archive migrated generation: " + RefNames.archive(n + 1L) + "\n",
                  when + 10_001_000L)
              .name());
      ids.setProperty(
          "startGeneration",
          w.commit(w.emptyTree(), "Start generation", when + 10_001_001L).name());
      long[] strayIds = randomIds(rnd, PER_ARCHIVE);
      ids.setProperty(
          "strayTip",
          chain(w, start, w.shardedTree(strayIds, id -> cpDir, null), strayIds, when).name());
      ids.setProperty("currentTip", currentTip.name());
      ins.flush();
    }
    createRefs(repo, refs);
    repo.close();
    return ids;
  }

  /**
   * A chain of one {@code Checkpoint:} commit per id on {@code root}, every commit with {@code
   * tree}.
   */
  private static ObjectId chain(TreeWriter w, ObjectId root, ObjectId tree, long[] ids, long when)
      throws IOException {
    ObjectId tip = root;
    for (int i = 0; i < ids.length; i++) {
      tip = w.commit(tree, "Checkpoint: " + CheckpointIds.format(ids[i]) + "\n", when + i, tip);
    }
    return tip;
  }

  static long[] randomIds(SplittableRandom rnd, int count) {
    long[] out = new long[count];
    for (int i = 0; i < count; i++) {
      out[i] = rnd.nextLong() & 0xffff_ffff_ffffL;
    }
    Arrays.sort(out);
    return out;
  }

  private static long[] union(long[] a, long[] b) {
    long[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    Arrays.sort(out);
    return Arrays.stream(out).distinct().toArray();
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.delete(p);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    }
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Creates {@code refs} in one atomic batch; fails naming the first ref that was not created. */
  static void createRefs(Repository repo, List<ReceiveCommand> refs) throws IOException {
    BatchRefUpdate batch = repo.getRefDatabase().newBatchUpdate();
    batch.setAtomic(true);
    batch.addCommand(refs);
    try (RevWalk rw = new RevWalk(repo)) {
      batch.execute(rw, NullProgressMonitor.INSTANCE);
    }
    for (ReceiveCommand c : refs) {
      if (c.getResult() != ReceiveCommand.Result.OK) {
        throw new IOException("could not create " + c.getRefName() + ": " + c.getResult());
      }
    }
  }
}
