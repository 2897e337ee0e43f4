package dev.checkpointguard.bench;

import java.nio.file.Path;

/**
 * Builds (once) the policy benchmark's server repository with N archives and prints its folder, for
 * scripts that measure it from outside a JVM (bench/stock-index-bench.sh).
 *
 * <p>Usage: {@code java -cp <test class path> dev.checkpointguard.bench.BenchData CACHE_DIR N}
 */
public final class BenchData {
  private BenchData() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: BenchData CACHE_DIR ARCHIVES");
      System.exit(2);
    }
    Path cache = Path.of(args[0]).toAbsolutePath();
    int n = Integer.parseInt(args[1]);
    BenchRepos.Server s = BenchRepos.policyServer(cache, n);
    System.out.println(s.repo().getDirectory().getAbsolutePath());
    s.repo().close();
  }
}
