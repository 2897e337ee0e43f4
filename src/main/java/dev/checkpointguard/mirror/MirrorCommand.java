package dev.checkpointguard.mirror;

import dev.checkpointguard.command.Command;
import dev.checkpointguard.command.Io;
import dev.checkpointguard.command.UsageException;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.RepositoryCache;
import org.eclipse.jgit.lib.TextProgressMonitor;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.util.FS;

/**
 * {@code mirror --repo DIR --from URL}: one guarded sync of a bare repository from its upstream
 * (docs/mirror.md). Exit 0 when the mirror equals upstream afterwards, 1 when something is held
 * back (each listed), 2 on usage or setup errors and when upstream cannot be read (the mirror is
 * then unchanged).
 */
public final class MirrorCommand implements Command {
  private final Clock clock;
  private final MirrorSync.Listener listener;

  public MirrorCommand() {
    this(Clock.systemUTC(), MirrorSync.Listener.NONE);
  }

  /** For tests: the clock of merges and kept refs, and a listener of the sync's steps. */
  public MirrorCommand(Clock clock, MirrorSync.Listener listener) {
    this.clock = clock;
    this.listener = listener;
  }

  @Override
  public String name() {
    return "mirror";
  }

  @Override
  public String summary() {
    return "sync a bare mirror from its upstream, never losing a checkpoint upstream dropped";
  }

  @Override
  public String details() {
    return "Every ref outside refs/entire/checkpoints/v2/ follows upstream exactly (as git fetch --prune\n"
        + "+refs/*:refs/*); each v2 change is judged by the guard as if upstream had pushed it, and a change\n"
        + "that would drop checkpoint files the mirror holds nowhere else is held back (docs/mirror.md).\n"
        + "All ref changes are one atomic compare-and-set batch. DIR is created (bare) if missing.\n"
        + "Credentials come from git's credential helpers or ~/.netrc, never from the URL. An ssh://\n"
        + "upstream uses the ~/.ssh keys and known hosts (or --ssh-known-hosts FILE); host keys are always\n"
        + "checked, never trusted on first use.\n"
        + "Exit 0: the mirror equals upstream; 1: synced, something held back (listed); 2: usage or setup\n"
        + "error, or upstream unreachable (the mirror is unchanged). --json: docs/mirror.md, \"JSON\".\n";
  }

  @Override
  public Options options() {
    Options o = new Options();
    o.addOption(
        Option.builder()
            .longOpt("repo")
            .hasArg()
            .argName("DIR")
            .required()
            .desc("the bare mirror repository (created if missing)")
            .get());
    o.addOption(
        Option.builder()
            .longOpt("from")
            .hasArg()
            .argName("URL")
            .required()
            .desc(
                "the upstream: a path, file://, http://, https:// or ssh:// URL (no password in it)")
            .get());
    o.addOption(
        Option.builder()
            .longOpt("ssh-known-hosts")
            .hasArg()
            .argName("FILE")
            .desc(
                "for an ssh:// upstream: trust only the host keys in FILE (default: ~/.ssh/known_hosts)")
            .get());
    o.addOption(
        Option.builder()
            .longOpt("dry-run")
            .desc("fetch and judge, print what would change, move no ref")
            .get());
    o.addOption(Option.builder().longOpt("json").desc("print the report as JSON").get());
    o.addOption(
        Option.builder()
            .longOpt("timeout")
            .hasArg()
            .argName("SECONDS")
            .desc("network timeout (default " + MirrorSync.DEFAULT_TIMEOUT_SECONDS + ")")
            .get());
    return o;
  }

  @Override
  public int run(CommandLine cl, Io io) throws Exception {
    if (cl.getArgs().length > 0) {
      throw new UsageException("unexpected argument '" + cl.getArgs()[0] + "'");
    }
    Upstream upstream = upstream(cl);
    int timeout = timeout(cl);
    String path = cl.getOptionValue("repo");
    boolean json = cl.hasOption("json");
    try (Repository repo = openOrCreate(Path.of(path), io)) {
      PrintWriter progress = new PrintWriter(io.err(), true, StandardCharsets.UTF_8);
      MirrorSync.Options o =
          MirrorSync.Options.defaults(io.env())
              .withDryRun(cl.hasOption("dry-run"))
              .withTimeout(timeout)
              .withClock(clock)
              .withListener(listener)
              .withMonitor(new TextProgressMonitor(progress));
      MirrorReport r;
      try {
        r = MirrorSync.run(repo, upstream, o).withRepository(path);
      } catch (MirrorSync.FailedException | MirrorSync.BusyException e) {
        if (json) {
          io.out()
              .print(
                  MirrorReport.failureJson(
                      path, upstream.display(), clock.instant(), e.getMessage()));
        }
        throw new UsageException(e.getMessage());
      }
      io.out().print(json ? r.json() : r.text());
      io.out().flush();
      return r.exitCode();
    }
  }

  /** {@code --from}, with {@code --ssh-known-hosts} for an SSH upstream. */
  private static Upstream upstream(CommandLine cl) throws UsageException {
    if (!cl.hasOption("ssh-known-hosts")) {
      return Upstream.parse(cl.getOptionValue("from"));
    }
    Path knownHosts = Path.of(cl.getOptionValue("ssh-known-hosts"));
    if (!Files.isRegularFile(knownHosts)) {
      throw new UsageException("--ssh-known-hosts " + knownHosts + " does not exist");
    }
    SshUpstreamTransport ssh = new SshUpstreamTransport(knownHosts.toAbsolutePath());
    Upstream u =
        Upstream.parse(
            cl.getOptionValue("from"),
            "--from",
            List.of(UpstreamTransport.LOCAL, UpstreamTransport.HTTP, ssh));
    if (!u.isOver(ssh)) {
      throw new UsageException("--ssh-known-hosts is for ssh:// upstreams only");
    }
    return u;
  }

  private static int timeout(CommandLine cl) throws UsageException {
    if (!cl.hasOption("timeout")) {
      return MirrorSync.DEFAULT_TIMEOUT_SECONDS;
    }
    String v = cl.getOptionValue("timeout");
    try {
      int n = Integer.parseInt(v);
      if (n >= 1 && n <= 86_400) {
        return n;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new UsageException(
        "--timeout must be a whole number of seconds from 1 to 86400, not '" + v + "'");
  }

  /**
   * The bare repository at {@code dir}; a missing or empty folder becomes a new bare repository (as
   * {@code git clone --mirror} makes one). Anything else that is not a bare repository is a usage
   * error.
   */
  static Repository openOrCreate(Path dir, Io io) throws UsageException, IOException {
    boolean missing = !Files.exists(dir);
    boolean empty = !missing && Files.isDirectory(dir) && isEmpty(dir);
    if (missing || empty) {
      Path parent = dir.toAbsolutePath().getParent();
      if (parent == null || !Files.isDirectory(parent)) {
        throw new UsageException("--repo " + dir + ": its parent folder does not exist");
      }
      Repository r = new FileRepositoryBuilder().setGitDir(dir.toFile()).setBare().build();
      r.create(true);
      io.err().println("checkpoint-guard mirror: created the empty bare repository " + dir);
      return r;
    }
    if (!Files.isDirectory(dir)) {
      throw new UsageException("--repo " + dir + ": not a directory");
    }
    File gitDir = RepositoryCache.FileKey.resolve(dir.toFile(), FS.DETECTED);
    if (gitDir == null) {
      throw new UsageException(
          "--repo "
              + dir
              + ": not a git repository (an empty folder or a new path"
              + " becomes one)");
    }
    Repository r = new FileRepositoryBuilder().setGitDir(gitDir).setMustExist(true).build();
    if (!r.isBare()) {
      r.close();
      throw new UsageException(
          "--repo "
              + dir
              + ": a mirror is a bare repository (git init --bare), not a"
              + " work tree");
    }
    return r;
  }

  private static boolean isEmpty(Path dir) throws IOException {
    try (var s = Files.list(dir)) {
      return s.findAny().isEmpty();
    }
  }
}
