package dev.checkpointguard.reliability;

import dev.checkpointguard.core.CheckpointSet;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientProtocol;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.FlatTree;
import dev.checkpointguard.fixtures.GitCli;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jgit.lib.ObjectId;

/**
 * One load run: {@code clients} {@code v0.6.2} clients ({@link ClientRepo} + {@link
 * ClientProtocol}, the real git CLI) push concurrently to one repository URL, each writing one
 * checkpoint at a time and running the client's pre-push publication (spec §7.2, with its recovery)
 * after each, until it has rotated its generation {@code rotations} times. Optionally an adversary
 * force-pushes empty {@code /full/current} resets meanwhile, as an old or broken client would.
 *
 * <p>Two documented client limitations (spec §10.5) would wedge clients for good, so the run
 * handles them as a user would, and counts them:
 *
 * <ul>
 *   <li>archive numbers come from local refs only, so two clients would both create {@code full/1};
 *       each client here numbers its generations from its own base ({@code (i+1) * 10^9}, plus
 *       {@code 10^6} per re-clone), as clients that fetched the server's archives before rotating
 *       would;
 *   <li>a rotator whose coverage gate fails (another client advanced {@code /full/current} after
 *       its archive was built) never resets, and every later pre-push stops at the gate; such a
 *       client, or one whose pre-push failed five times in a row, is re-cloned. Its checkpoints
 *       that were never reported pushed are counted as abandoned, not as lost: the client never
 *       told its user they were pushed.
 * </ul>
 *
 * A checkpoint is <em>told pushed</em> once a pre-push that started after it was written ended
 * without an error.
 */
final class LoadRun {
  /** The sizes of a run. */
  record Options(int clients, int rotations, int threshold, boolean adversary) {}

  /** What one client did. */
  static final class ClientResult {
    final int index;
    final Set<String> told = new HashSet<>();
    final Set<String> abandoned = new HashSet<>();
    final List<String> guardRejections = new ArrayList<>();
    int rotations;
    int prePushes;
    int failedPrePushes;
    int reclones;
    int iterations;

    ClientResult(int index) {
      this.index = index;
    }
  }

  /** One forced reset the adversary tried, and what the server said. */
  record Sabotage(ObjectId serverCurrent, boolean accepted, String summary) {}

  /** Everything a run measured. */
  static final class Result {
    final List<ClientResult> clients = new ArrayList<>();
    final List<Sabotage> sabotage = new ArrayList<>();
    final List<Long> pushMillis = new ArrayList<>();
    final List<Long> prePushMillis = new ArrayList<>();
    double seconds;

    Set<String> told() {
      Set<String> all = new HashSet<>();
      clients.forEach(c -> all.addAll(c.told));
      return all;
    }

    int rotations() {
      return clients.stream().mapToInt(c -> c.rotations).sum();
    }

    int reclones() {
      return clients.stream().mapToInt(c -> c.reclones).sum();
    }

    int abandoned() {
      return clients.stream().mapToInt(c -> c.abandoned.size()).sum();
    }

    static long percentile(List<Long> values, double p) {
      if (values.isEmpty()) {
        return 0;
      }
      List<Long> sorted = new ArrayList<>(values);
      Collections.sort(sorted);
      int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
      return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    /** One line of figures for the report. */
    String figures(String label) {
      return String.format(
          Locale.ROOT,
          "%s: %d clients, %d rotations, %d checkpoints told pushed, %d git pushes in %.1f s = %.1f pushes/s;"
              + " git push p50 %d ms, p99 %d ms; pre-push p50 %d ms, p99 %d ms; %d re-clones, %d checkpoints"
              + " abandoned by wedged clients",
          label,
          clients.size(),
          rotations(),
          told().size(),
          pushMillis.size(),
          seconds,
          pushMillis.size() / seconds,
          percentile(pushMillis, 50),
          percentile(pushMillis, 99),
          percentile(prePushMillis, 50),
          percentile(prePushMillis, 99),
          reclones(),
          abandoned());
    }
  }

  private final Options options;
  private final Path workDir;
  private final GitCli git;
  private final String target;
  private final ConcurrentLinkedQueue<Long> pushMillis = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Long> prePushMillis = new ConcurrentLinkedQueue<>();

  LoadRun(Options options, Path workDir, GitCli git, String target) {
    this.options = options;
    this.workDir = workDir;
    this.git = git;
    this.target = target;
    git.observe(
        (command, d) -> {
          if (command.size() > 1 && command.get(1).equals("push")) {
            pushMillis.add(d.toMillis());
          }
        });
  }

  Result run() throws Exception {
    Result result = new Result();
    ExecutorService pool = Executors.newFixedThreadPool(options.clients() + 1);
    AtomicBoolean running = new AtomicBoolean(true);
    try {
      long start = System.nanoTime();
      List<Future<ClientResult>> futures = new ArrayList<>();
      for (int i = 0; i < options.clients(); i++) {
        int index = i;
        futures.add(pool.submit(() -> client(index)));
      }
      Future<List<Sabotage>> adversary =
          options.adversary() ? pool.submit(() -> adversary(running)) : null;
      for (Future<ClientResult> f : futures) {
        result.clients.add(f.get(30, TimeUnit.MINUTES));
      }
      result.seconds = (System.nanoTime() - start) / 1e9;
      running.set(false);
      if (adversary != null) {
        result.sabotage.addAll(adversary.get(2, TimeUnit.MINUTES));
      }
    } finally {
      running.set(false);
      pool.shutdownNow();
      pool.awaitTermination(1, TimeUnit.MINUTES);
      git.observe(null);
    }
    result.pushMillis.addAll(pushMillis);
    result.prePushMillis.addAll(prePushMillis);
    return result;
  }

  // ---------------------------------------------------------------- one client

  private ClientResult client(int index) {
    ClientResult r = new ClientResult(index);
    Set<String> written = new HashSet<>();
    ClientRepo client = open(index, 0);
    ClientProtocol protocol = new ClientProtocol(client, git, target);
    int consecutiveFailures = 0;
    int maxIterations = options.rotations() * options.threshold() * 8 + 40;
    try {
      while (r.rotations < options.rotations() && r.iterations < maxIterations) {
        r.iterations++;
        int before = client.archives().size();
        written.add(client.checkpoint());
        if (client.archives().size() > before) {
          r.rotations++;
        }
        ClientProtocol.Run run = prePush(protocol, r);
        if (run.ok()) {
          r.told.addAll(written);
          consecutiveFailures = 0;
          continue;
        }
        consecutiveFailures++;
        if (consecutiveFailures >= 5 || wedged(run)) {
          for (String id : written) {
            if (!r.told.contains(id)) {
              r.abandoned.add(id);
            }
          }
          written.clear();
          r.reclones++;
          ClientRepo old = client;
          client = null;
          old.close();
          client = open(index, r.reclones);
          protocol = new ClientProtocol(client, git, target);
          consecutiveFailures = 0;
        }
      }
      // publish what is left, as the next push of the user would
      for (int i = 0; i < 3 && !written.isEmpty() && !r.told.containsAll(written); i++) {
        if (prePush(protocol, r).ok()) {
          r.told.addAll(written);
        }
      }
      for (String id : written) {
        if (!r.told.contains(id)) {
          r.abandoned.add(id);
        }
      }
      return r;
    } finally {
      if (client != null) {
        client.close();
      }
    }
  }

  private ClientProtocol.Run prePush(ClientProtocol protocol, ClientResult r) {
    long t = System.nanoTime();
    ClientProtocol.Run run = protocol.prePush();
    prePushMillis.add((System.nanoTime() - t) / 1_000_000);
    r.prePushes++;
    if (!run.ok()) {
      r.failedPrePushes++;
    }
    for (GitCli.Result p : run.pushes()) {
      for (GitCli.RefResult rr : p.porcelain()) {
        if (!rr.accepted() && rr.summary().contains("checkpoint-guard")) {
          r.guardRejections.add(rr.to() + " " + rr.summary());
        }
      }
    }
    return run;
  }

  /** The permanent failures of spec §10.5 (the client would repeat them on every later push). */
  private static boolean wedged(ClientProtocol.Run run) {
    for (String e : run.errors()) {
      if (e.contains("is not covered by pending archives") || e.contains("shares history")) {
        return true;
      }
    }
    return false;
  }

  /**
   * A fresh clone of the server's {@code /main} and {@code /full/current} for client {@code index},
   * with a local placeholder archive that makes its generation numbers its own.
   */
  private ClientRepo open(int index, int incarnation) {
    Path dir = workDir.resolve("client-" + index + "-" + incarnation + ".git");
    ClientRepo c =
        ClientRepo.builder(ClientVersion.V0_6_2)
            .threshold(options.threshold())
            .seed(1_000L * (index + 1) + incarnation)
            .user("Client " + index, "client" + index + "@example.com")
            .buildOnDisk(dir);
    long base = (index + 1) * 1_000_000_000L + incarnation * 1_000_000L;
    ObjectId placeholder =
        c.insertCommit(new FlatTree(), "local placeholder for generation numbering");
    c.updateRef(RefNames.archive(base), ObjectId.zeroId(), placeholder);
    ClientProtocol p = new ClientProtocol(c, git, target);
    Map<String, ObjectId> remote = p.lsRemote(new ClientProtocol.Run(), RefNames.V2_PREFIX + "*");
    List<String> args =
        new ArrayList<>(List.of("fetch", "--no-tags", "--no-write-fetch-head", target));
    for (String ref : List.of(RefNames.MAIN, RefNames.CURRENT)) {
      if (remote.containsKey(ref)) {
        args.add("+" + ref + ":" + ref);
      }
    }
    if (args.size() > 4) {
      // a ref can move between the advertisement and the fetch (an accepted forced reset leaves the
      // advertised tip unreachable: "want ... not valid"); a user would simply run it again
      GitCli.Result f = null;
      for (int attempt = 0; attempt < 5 && (f == null || !f.ok()); attempt++) {
        f = git.run(dir, args);
      }
      if (!f.ok()) {
        c.close();
        throw new IllegalStateException("clone failed: " + f);
      }
    }
    return c;
  }

  // ---------------------------------------------------------------- adversary

  /**
   * Every second: read the server's {@code /full/current} and force-push an orphan empty commit
   * over it, as a pre-{@code v0.6.2} or broken client resetting without publishing its archive
   * would.
   */
  private List<Sabotage> adversary(AtomicBoolean running) throws Exception {
    List<Sabotage> out = new ArrayList<>();
    Path dir = workDir.resolve("adversary.git");
    try (ClientRepo c = ClientRepo.builder(ClientVersion.V0_6_2).seed(99).buildOnDisk(dir)) {
      ClientProtocol p = new ClientProtocol(c, git, target);
      int n = 0;
      while (running.get()) {
        Thread.sleep(1000);
        ObjectId current =
            p.lsRemote(new ClientProtocol.Run(), RefNames.CURRENT).get(RefNames.CURRENT);
        if (current == null) {
          continue;
        }
        ObjectId reset = c.insertCommit(new FlatTree(), "Start generation " + (n++));
        c.updateRef("refs/heads/reset", null, reset);
        GitCli.Result r =
            git.run(
                dir,
                "push",
                "--porcelain",
                "--force",
                target,
                "refs/heads/reset:" + RefNames.CURRENT);
        GitCli.RefResult rr = r.refResult(RefNames.CURRENT).orElse(null);
        if (rr == null) {
          throw new IllegalStateException("no porcelain line: " + r);
        }
        out.add(new Sabotage(current, rr.accepted(), rr.summary()));
      }
    }
    return out;
  }

  static CheckpointSet ids(Set<String> ids) {
    return CheckpointSet.ofIds(ids);
  }
}
