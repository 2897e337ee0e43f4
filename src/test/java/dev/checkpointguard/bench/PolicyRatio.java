package dev.checkpointguard.bench;

import dev.checkpointguard.core.ArchiveIndex;
import dev.checkpointguard.core.CheckpointPolicy;
import dev.checkpointguard.core.CheckpointSetCache;
import dev.checkpointguard.core.GuardSettings;
import dev.checkpointguard.core.RefChange;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.core.ServerRefs;
import dev.checkpointguard.core.Verdict;
import dev.checkpointguard.jgit.RepositoryRefs;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.revwalk.RevWalk;

/**
 * The 10,000-archive ÷ 1-archive ratio of {@link PolicyBench}'s push verdicts, measured side by
 * side: the two servers are loaded in one JVM and measured in alternating short blocks (the order
 * alternating too), so that load from elsewhere on a shared machine hits both alike. JMH runs its
 * parameters one after the other, and a load change between them moves the ratio; this does not.
 *
 * <p>Usage: {@code PolicyRatio [rounds]} (default 60 rounds of 100 verdicts per server and case).
 */
public final class PolicyRatio {
  private static final int BLOCK = 100;

  private PolicyRatio() {}

  /** One server with its warm index and shared tree cache, as in {@link PolicyBench}. */
  private static final class Side {
    final BenchRepos.Server server;
    final ObjectReader reader;
    final ServerRefs refs;
    final ArchiveIndex index = new ArchiveIndex(new ArchiveIndex.Budget(2_000_000));
    final CheckpointSetCache shared = CheckpointSetCache.lru(1_000_000);
    final Set<ObjectId> pushed;
    final List<List<RefChange>> cases;

    Side(Path cache, int archives) throws IOException {
      server = BenchRepos.policyServer(cache, archives);
      reader = server.repo().newObjectReader();
      refs = RepositoryRefs.of(server.repo());
      try (RevWalk rw = new RevWalk(reader)) {
        pushed =
            Set.of(
                rw.parseCommit(server.rotationArchive()).getTree().copy(),
                rw.parseCommit(server.currentTip()).getTree().copy());
      }
      String next = server.nextArchive();
      RefChange reset =
          RefChange.update(RefNames.CURRENT, server.currentTip(), server.startGeneration());
      cases =
          List.of(
              List.of(RefChange.create(next, server.rotationArchive()), reset),
              List.of(RefChange.create(next, server.orphanArchive()), reset),
              List.of(reset));
    }

    long block(int c) {
      long t0 = System.nanoTime();
      for (int i = 0; i < BLOCK; i++) {
        List<Verdict> v =
            new CheckpointPolicy(
                    GuardSettings.defaults(), new PolicyBench.FreshTrees(shared, pushed))
                .evaluate(cases.get(c), refs, reader, index);
        if (!v.get(v.size() - 1).accepted()) {
          throw new IllegalStateException("unexpected " + v);
        }
      }
      return System.nanoTime() - t0;
    }
  }

  public static void main(String[] args) throws IOException {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 60;
    Path cache = Path.of(System.getProperty("bench.data", "target/bench-data"));
    Side one = new Side(cache, 1);
    Side many = new Side(cache, 10_000);
    String[] names = {
      "rotation push",
      "reset covered by this push's orphan archive",
      "reset covered by the oldest server archive"
    };
    System.out.printf(
        "policy ratio 10,000 / 1 archive: %d alternating rounds of %d verdicts, medians%n",
        rounds, BLOCK);
    System.out.printf(
        "%-46s %12s %12s %8s %15s%n", "push", "1 (us)", "10,000 (us)", "ratio", "ratio IQR");
    for (int c = 0; c < names.length; c++) {
      for (int w = 0; w < 30; w++) { // warm-up: JIT and the archive index
        one.block(c);
        many.block(c);
      }
      double[] a = new double[rounds];
      double[] b = new double[rounds];
      double[] r = new double[rounds];
      for (int i = 0; i < rounds; i++) {
        if (i % 2 == 0) {
          a[i] = one.block(c);
          b[i] = many.block(c);
        } else {
          b[i] = many.block(c);
          a[i] = one.block(c);
        }
        r[i] = b[i] / a[i];
      }
      System.out.printf(
          "%-46s %12.1f %12.1f %8.2f %7.2f-%-7.2f%n",
          names[c],
          median(a) / BLOCK / 1000,
          median(b) / BLOCK / 1000,
          median(r),
          pct(r, 25),
          pct(r, 75));
    }
    one.reader.close();
    many.reader.close();
    one.server.repo().close();
    many.server.repo().close();
  }

  private static double median(double[] v) {
    return pct(v, 50);
  }

  private static double pct(double[] v, int p) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[Math.min(s.length - 1, s.length * p / 100)];
  }
}
