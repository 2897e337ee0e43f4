package dev.checkpointguard.bench;

import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.GitCli;
import dev.checkpointguard.server.GuardedServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.eclipse.jgit.internal.storage.file.FileRepository;

/**
 * Pushes per second through {@code serve} ({@link GuardedServer}), with and without the guard, in
 * one run: a v0.6.2 client writes one checkpoint at a time and pushes {@code /main} and {@code
 * /full/current} with the real {@code git push --no-verify --porcelain} of spec §7.2 Step 2 over
 * smart HTTP on loopback.
 *
 * <p>"Without the guard" is the same server, the same objects, the same push, with destination refs
 * the guard does not judge ({@code refs/bench/main}, {@code refs/bench/current}): its hook returns
 * at its first check, so the difference between the two is what judging costs. No switch to turn
 * the guard off exists in the product, on purpose. The two variants alternate push by push (which
 * goes first alternates too), so load from elsewhere on the machine hits both alike.
 *
 * <p>Usage: {@code ServeThroughput [pushes]} (default 40 per variant, after 5 warm-up pushes each).
 */
public final class ServeThroughput {
  private static final int WARMUP = 5;

  private ServeThroughput() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    int pushes = args.length > 0 ? Integer.parseInt(args[0]) : 40;
    if (pushes < 1 || pushes + WARMUP > 99) {
      // 100 checkpoints would rotate: this measures appends
      throw new IllegalArgumentException("pushes must be 1.." + (99 - WARMUP));
    }
    Path work = Files.createTempDirectory("serve-bench");
    try {
      run(work, pushes);
    } finally {
      BenchRepos.deleteTree(work);
    }
  }

  private static void run(Path work, int pushes) throws Exception {
    Path repos = Files.createDirectories(work.resolve("repos"));
    for (String name : List.of("guarded.git", "plain.git")) {
      try (FileRepository r = new FileRepository(repos.resolve(name).toFile())) {
        r.create(true);
      }
    }
    GitCli git = new GitCli(work.resolve("home"));
    GuardedServer.Config config =
        GuardedServer.Config.builder(repos).port(0).anonymousPush(true).build();
    long[] guarded = new long[pushes];
    long[] plain = new long[pushes];
    try (GuardedServer server = GuardedServer.start(config);
        ClientRepo client =
            ClientRepo.builder(ClientVersion.V0_6_2).buildOnDisk(work.resolve("client.git"))) {
      String base = server.url().toString();
      // warm-up pushes, not counted: JIT, first connections, empty-repository paths
      for (int i = 0; i < WARMUP; i++) {
        client.checkpoint();
        push(git, client, base + "guarded.git", false);
        push(git, client, base + "plain.git", true);
      }
      for (int i = 0; i < pushes; i++) {
        client.checkpoint();
        if (i % 2 == 0) {
          guarded[i] = push(git, client, base + "guarded.git", false);
          plain[i] = push(git, client, base + "plain.git", true);
        } else {
          plain[i] = push(git, client, base + "plain.git", true);
          guarded[i] = push(git, client, base + "guarded.git", false);
        }
      }
    }
    double g = perSecond(guarded);
    double p = perSecond(plain);
    System.out.printf(
        "serve throughput: %d checkpoint-append pushes per variant (main + full/current, one"
            + " git push each, loopback HTTP), alternating%n",
        pushes);
    System.out.printf("%-28s %10s %12s %12s%n", "variant", "pushes/s", "median (ms)", "p90 (ms)");
    System.out.printf(
        "%-28s %10.1f %12.1f %12.1f%n",
        "guard judging v2 refs", g, pct(guarded, 50), pct(guarded, 90));
    System.out.printf(
        "%-28s %10.1f %12.1f %12.1f%n",
        "unguarded refs (baseline)", p, pct(plain, 50), pct(plain, 90));
    System.out.printf("throughput ratio guarded / baseline: %.2f%n", g / p);
  }

  /** One push of /main and /full/current; returns its wall time in nanoseconds. */
  private static long push(GitCli git, ClientRepo client, String url, boolean unguarded) {
    String main = unguarded ? "refs/bench/main" : RefNames.MAIN;
    String current = unguarded ? "refs/bench/current" : RefNames.CURRENT;
    long t0 = System.nanoTime();
    GitCli.Result r =
        git.run(
            client.directory(),
            "push",
            "--no-verify",
            "--porcelain",
            url,
            RefNames.MAIN + ":" + main,
            RefNames.CURRENT + ":" + current);
    long t = System.nanoTime() - t0;
    if (!r.ok() || r.porcelain().stream().anyMatch(x -> !x.accepted())) {
      throw new IllegalStateException("push to " + url + " failed: " + r);
    }
    return t;
  }

  private static double perSecond(long[] nanos) {
    return nanos.length / (Arrays.stream(nanos).sum() / 1e9);
  }

  private static double pct(long[] nanos, int p) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    return s[Math.min(s.length - 1, (s.length * p) / 100)] / 1e6;
  }
}
