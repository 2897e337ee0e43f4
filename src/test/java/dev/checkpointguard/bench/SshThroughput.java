package dev.checkpointguard.bench;

import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.GitCli;
import dev.checkpointguard.fixtures.OpenSsh;
import dev.checkpointguard.server.GuardedServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.jgit.internal.storage.file.FileRepository;

/**
 * Pushes per second through {@code serve} over SSH against HTTP, on the same server and the same
 * repository, in one run: a v0.6.2 client writes one checkpoint at a time and pushes {@code /main}
 * and {@code /full/current} with the real {@code git push --no-verify --porcelain} of spec §7.2
 * Step 2, through the guard, over
 *
 * <ul>
 *   <li>smart HTTP on loopback (anonymous push, as {@link ServeThroughput});
 *   <li>SSH with the real OpenSSH client, a new connection for each push (key exchange and
 *       public-key login every time, as a plain {@code git push} does), with the client's default
 *       key exchange (OpenSSH 9.x: the post-quantum {@code sntrup761x25519-sha512}) and with {@code
 *       curve25519-sha256};
 *   <li>SSH through an OpenSSH {@code ControlMaster} connection that stays open, as a client
 *       configured with {@code ControlMaster auto} / {@code ControlPersist} pushes.
 * </ul>
 *
 * The variants take turns push by push (which goes first rotates), each push appending one
 * checkpoint to the same repository, so load from elsewhere on the machine hits all of them alike.
 *
 * <p>Usage: {@code SshThroughput [pushes]} (default 19 per variant, after 5 warm-up pushes each; at
 * most 19, so that the 100th checkpoint, which would rotate, is never reached). JGit's gc after a
 * push ({@code receive.autogc}) is off for the repository, so that no push pays for a gc that other
 * variants' pushes made due.
 */
public final class SshThroughput {
  private static final int WARMUP = 5;
  private static final int VARIANTS = 4;

  private SshThroughput() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    int pushes = args.length > 0 ? Integer.parseInt(args[0]) : 19;
    if (pushes < 1 || VARIANTS * (pushes + WARMUP) > 99) {
      throw new IllegalArgumentException("pushes must be 1.." + (99 / VARIANTS - WARMUP));
    }
    Path work = Files.createTempDirectory("ssh-bench");
    try {
      run(work, pushes);
    } finally {
      BenchRepos.deleteTree(work);
    }
  }

  private static void run(Path work, int pushes) throws Exception {
    Path repos = Files.createDirectories(work.resolve("repos"));
    try (FileRepository r = new FileRepository(repos.resolve("guarded.git").toFile())) {
      r.create(true);
      r.getConfig().setBoolean("receive", null, "autogc", false);
      r.getConfig().save();
    }
    OpenSsh.Key key = OpenSsh.keygen(work.resolve("keys"), "pusher", "pusher");
    Path authorizedKeys =
        Files.writeString(work.resolve("authorized_keys"), key.publicLine() + "\n");
    GuardedServer.Config config =
        GuardedServer.Config.builder(repos)
            .port(0)
            .anonymousPush(true)
            .ssh(new GuardedServer.Config.Ssh(null, 0, authorizedKeys, null))
            .build();
    String[] names = {
      "HTTP",
      "SSH, new connection per push",
      "  same, KEX curve25519-sha256",
      "SSH, ControlMaster connection"
    };
    long[][] nanos = new long[VARIANTS][pushes];
    Process master = null;
    try (GuardedServer server = GuardedServer.start(config);
        ClientRepo client =
            ClientRepo.builder(ClientVersion.V0_6_2).buildOnDisk(work.resolve("client.git"))) {
      Path knownHosts =
          OpenSsh.knownHosts(
              work.resolve("known_hosts"),
              "127.0.0.1",
              server.sshPort(),
              server.sshHostKey().publicKey());
      Path socket = work.resolve("cm");
      List<String> masterCommand = new ArrayList<>(OpenSsh.ssh(key, knownHosts));
      masterCommand.addAll(
          List.of(
              "-p",
              Integer.toString(server.sshPort()),
              "-o",
              "ControlMaster=yes",
              "-o",
              "ControlPath=" + socket,
              "-N",
              "git@127.0.0.1"));
      master =
          new ProcessBuilder(masterCommand)
              .redirectErrorStream(true)
              .redirectOutput(work.resolve("master.log").toFile())
              .start();
      for (int i = 0; i < 300 && !Files.exists(socket); i++) {
        Thread.sleep(100);
      }
      if (!Files.exists(socket)) {
        throw new IllegalStateException(
            "no ssh control master: " + Files.readString(work.resolve("master.log")));
      }
      GitCli home = new GitCli(work.resolve("home"));
      GitCli[] git = {
        home,
        OpenSsh.git(home, key, knownHosts),
        home.with(
            "GIT_SSH_COMMAND",
            OpenSsh.command(key, knownHosts) + " -o KexAlgorithms=curve25519-sha256"),
        home.with(
            "GIT_SSH_COMMAND",
            OpenSsh.command(key, knownHosts)
                + " -o ControlMaster=no -o ControlPath='"
                + socket
                + "'")
      };
      String repo = "guarded.git";
      String ssh = server.sshUrl().resolve(repo).toString();
      String[] url = {server.url().resolve(repo).toString(), ssh, ssh, ssh};
      // warm-up pushes, not counted: JIT, first connections, empty-repository paths
      for (int i = 0; i < WARMUP; i++) {
        for (int v = 0; v < VARIANTS; v++) {
          client.checkpoint();
          push(git[v], client, url[v]);
        }
      }
      for (int i = 0; i < pushes; i++) {
        for (int k = 0; k < VARIANTS; k++) {
          int v = (i + k) % VARIANTS;
          client.checkpoint();
          nanos[v][i] = push(git[v], client, url[v]);
        }
      }
    } finally {
      if (master != null) {
        master.destroy();
        if (!master.waitFor(10, TimeUnit.SECONDS)) {
          master.destroyForcibly();
        }
      }
    }
    System.out.printf(
        "ssh throughput: %d checkpoint-append pushes per variant (main + full/current, one git push"
            + " each, loopback, the same repository), taking turns%n",
        pushes);
    System.out.printf(
        "%-32s %10s %12s %12s %10s%n", "variant", "pushes/s", "median (ms)", "p90 (ms)", "vs HTTP");
    double http = perSecond(nanos[0]);
    for (int v = 0; v < VARIANTS; v++) {
      double ps = perSecond(nanos[v]);
      System.out.printf(
          "%-32s %10.1f %12.1f %12.1f %10.2f%n",
          names[v], ps, pct(nanos[v], 50), pct(nanos[v], 90), ps / http);
    }
  }

  /** One push of /main and /full/current; returns its wall time in nanoseconds. */
  private static long push(GitCli git, ClientRepo client, String url) {
    long t0 = System.nanoTime();
    GitCli.Result r =
        git.run(
            client.directory(),
            "push",
            "--no-verify",
            "--porcelain",
            url,
            RefNames.MAIN + ":" + RefNames.MAIN,
            RefNames.CURRENT + ":" + RefNames.CURRENT);
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
