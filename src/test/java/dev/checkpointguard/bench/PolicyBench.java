package dev.checkpointguard.bench;

import dev.checkpointguard.core.ArchiveIndex;
import dev.checkpointguard.core.CheckpointPolicy;
import dev.checkpointguard.core.CheckpointSet;
import dev.checkpointguard.core.CheckpointSetCache;
import dev.checkpointguard.core.GuardSettings;
import dev.checkpointguard.core.RefChange;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.core.ServerRefs;
import dev.checkpointguard.core.Verdict;
import dev.checkpointguard.jgit.RepositoryRefs;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.revwalk.RevWalk;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of one push verdict ({@link CheckpointPolicy#evaluate} for all commands of a push) against a
 * server with 1, 100 or 10,000 archived generations (see {@link BenchRepos} for the repository).
 *
 * <p>Conditions, as the JGit server runs the core: refs read through {@link RepositoryRefs} (only
 * when the policy asks), objects through a pack reader, the process-wide tree cache warm for what
 * is already on the server, but never for the pushed trees (a push brings new trees; {@link
 * FreshTrees} keeps them out of the shared cache). The repositories are built once into {@code
 * target/bench-data} and reused by later runs.
 *
 * <ul>
 *   <li>{@link #rotationPush}: create {@code full/n+1} ({@code Archive generation} on the current
 *       tip, 100 checkpoints) and reset {@code /full/current} to {@code Start generation}: the
 *       ancestor fast path.
 *   <li>{@link #contentRuleOwnArchive}: the same, with the archive an orphan (a migration archive):
 *       the reset is covered by content only, by an archive of the same push.
 *   <li>{@link #contentRuleServerArchive}: the reset alone, covered by content only, by the oldest
 *       archive on the server (a recovery merge): the case a scan of every archive pays most for.
 *   <li>{@link #rejectUncovered}: the reset of a generation that no archive covers; rejected.
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class PolicyBench {
  @Param({"1", "100", "10000"})
  public int archives;

  private BenchRepos.Server server;
  private ObjectReader reader;
  private ServerRefs refs;
  private CheckpointSetCache shared;
  private ArchiveIndex index;
  private Set<ObjectId> pushedTrees;
  private List<RefChange> rotation;
  private List<RefChange> ownArchive;
  private List<RefChange> serverArchive;
  private List<RefChange> uncovered;
  private final GuardSettings settings = GuardSettings.defaults();

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    Path cache = Path.of(System.getProperty("bench.data", "target/bench-data"));
    server = BenchRepos.policyServer(cache, archives);
    reader = server.repo().newObjectReader();
    index = new ArchiveIndex(new ArchiveIndex.Budget(2_000_000));
    refs = RepositoryRefs.of(server.repo());
    shared = CheckpointSetCache.lru(1_000_000);
    try (RevWalk rw = new RevWalk(reader)) {
      pushedTrees =
          Set.of(
              rw.parseCommit(server.rotationArchive()).getTree().copy(),
              rw.parseCommit(server.currentTip()).getTree().copy(),
              rw.parseCommit(server.strayTip()).getTree().copy());
    }
    String next = server.nextArchive();
    rotation =
        List.of(
            RefChange.create(next, server.rotationArchive()),
            RefChange.update(RefNames.CURRENT, server.currentTip(), server.startGeneration()));
    ownArchive =
        List.of(
            RefChange.create(next, server.orphanArchive()),
            RefChange.update(RefNames.CURRENT, server.currentTip(), server.startGeneration()));
    serverArchive =
        List.of(RefChange.update(RefNames.CURRENT, server.currentTip(), server.startGeneration()));
    uncovered =
        List.of(RefChange.update(RefNames.CURRENT, server.strayTip(), server.startGeneration()));
    // Fail fast if a case does not decide as it claims to. This also warms the archive index, as
    // the first
    // reset that needs the content rule does on a server (see coldContentRuleServerArchive for that
    // cost).
    expect(rotation, true);
    expect(ownArchive, true);
    expect(serverArchive, true);
    expect(uncovered, false);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    reader.close();
    server.repo().close();
  }

  private void expect(List<RefChange> push, boolean accepted) {
    for (Verdict v : verdicts(push)) {
      if (v.accepted() != accepted) {
        throw new IllegalStateException("unexpected verdict " + v + " for " + push);
      }
    }
  }

  private List<Verdict> verdicts(List<RefChange> push) {
    return verdicts(push, index, shared);
  }

  private List<Verdict> verdicts(
      List<RefChange> push, ArchiveIndex memo, CheckpointSetCache cache) {
    CheckpointPolicy policy = new CheckpointPolicy(settings, new FreshTrees(cache, pushedTrees));
    return policy.evaluate(push, refs, reader, memo);
  }

  @Benchmark
  public List<Verdict> rotationPush() {
    return verdicts(rotation);
  }

  @Benchmark
  public List<Verdict> contentRuleOwnArchive() {
    return verdicts(ownArchive);
  }

  @Benchmark
  public List<Verdict> contentRuleServerArchive() {
    return verdicts(serverArchive);
  }

  @Benchmark
  public List<Verdict> rejectUncovered() {
    return verdicts(uncovered);
  }

  /**
   * The first reset needing the content rule after the server process started: empty tree cache and
   * archive index, so every archive is read (highest number first) until the cover, archive 1, is
   * found.
   */
  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  @Warmup(iterations = 1)
  @Measurement(iterations = 3)
  public List<Verdict> coldContentRuleServerArchive() {
    ArchiveIndex fresh = new ArchiveIndex(new ArchiveIndex.Budget(2_000_000));
    return verdicts(serverArchive, fresh, CheckpointSetCache.lru(1_000_000));
  }

  /**
   * The shared cache for trees already on the server; a per-push memo for the pushed trees, so that
   * each invocation reads them as a new push would.
   */
  static final class FreshTrees implements CheckpointSetCache {
    private final CheckpointSetCache shared;
    private final Set<ObjectId> pushed;
    private final Map<ObjectId, CheckpointSet> local = new HashMap<>();

    FreshTrees(CheckpointSetCache shared, Set<ObjectId> pushed) {
      this.shared = shared;
      this.pushed = pushed;
    }

    @Override
    public CheckpointSet get(ObjectId tree) {
      return pushed.contains(tree) ? local.get(tree) : shared.get(tree);
    }

    @Override
    public void put(ObjectId tree, CheckpointSet set) {
      if (pushed.contains(tree)) {
        local.put(tree.copy(), set);
      } else {
        shared.put(tree, set);
      }
    }
  }
}
