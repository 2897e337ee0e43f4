package dev.checkpointguard.cli;

import dev.checkpointguard.command.Command;
import dev.checkpointguard.command.Errors;
import dev.checkpointguard.command.Invocation;
import dev.checkpointguard.command.Io;
import dev.checkpointguard.command.UsageException;
import dev.checkpointguard.mirror.MirrorService;
import dev.checkpointguard.mirror.MirrorsFile;
import dev.checkpointguard.server.GuardedServer;
import dev.checkpointguard.server.LogFormat;
import dev.checkpointguard.server.ServerMetrics;
import dev.checkpointguard.server.SshHostKey;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.RepositoryCache;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.util.FS;

/**
 * {@code serve}: the guarded git server. Prints one line with the URL when ready, serves until
 * SIGTERM or SIGINT, then stops cleanly with exit code 0.
 *
 * <p>Who may push: with {@code --users FILE}, the users in it; with {@code --anonymous-push},
 * anyone who can reach the port. With an explicit {@code --repos} and neither option it refuses to
 * start (exit 2) rather than guess. Without {@code --repos} it serves the local default {@code
 * ./repos} (created, with an empty bare {@code checkpoints.git}), with anonymous push when bound to
 * a loopback address.
 */
public final class ServeCommand implements Command {
  /** The repository the local default creates, ready to push to. */
  static final String DEFAULT_REPO = "checkpoints.git";

  /**
   * The environment variable that holds the TLS keystore password (never an argument: ps shows
   * those).
   */
  static final String TLS_PASSWORD_ENV = "CHECKPOINT_GUARD_TLS_PASSWORD";

  private final Path workDir;
  private final Supplier<StopSignal> stopSignal;
  private final MirrorService.Starter mirrorStarter;

  public ServeCommand() {
    this(Path.of("").toAbsolutePath(), StopSignal::onTermination);
  }

  /** For tests: the folder the local default is made in, and how the command learns to stop. */
  ServeCommand(Path workDir, Supplier<StopSignal> stopSignal) {
    this(workDir, stopSignal, MirrorService::start);
  }

  /** For tests: also how the periodic syncs of {@code --mirrors} start (on virtual time). */
  ServeCommand(Path workDir, Supplier<StopSignal> stopSignal, MirrorService.Starter mirrorStarter) {
    this.workDir = workDir;
    this.stopSignal = stopSignal;
    this.mirrorStarter = mirrorStarter;
  }

  @Override
  public String name() {
    return "serve";
  }

  @Override
  public String summary() {
    return "serve bare repositories over HTTP (and SSH) with the checkpoint guard on every push";
  }

  @Override
  public String details() {
    return "Every bare repository DIR/<name>.git is served at http://ADDR:PORT/<name>.git for fetch and\n"
        + "push. Fetching is open; pushing needs a user from --users (lines made by the hash-password\n"
        + "command), or --anonymous-push. Without --repos, serves ./repos\n"
        + "(created, with an empty checkpoints.git) and, on a loopback address, lets anyone push.\n"
        + "SIZE is bytes with an optional k, m or g suffix; 0 means no limit. Stops on SIGTERM/SIGINT.\n"
        + "In production, terminate TLS in a reverse proxy or give --tls-keystore (see docs/serve.md).\n"
        + "With --ssh-port, the same repositories are at ssh://ADDR:PORT/<name>.git for the keys in\n"
        + "--authorized-keys (OpenSSH format; read again when it changes); HTTP push then needs --users or\n"
        + "--anonymous-push, or is off.\n";
  }

  @Override
  public Options options() {
    Options o = new Options();
    o.addOption(
        opt("repos", "DIR", "folder of bare repositories <name>.git (default: ./repos, created)"));
    o.addOption(opt("port", "N", "port to listen on; 0 takes a free one (default 8080)"));
    o.addOption(opt("bind", "ADDR", "address to listen on (default 127.0.0.1)"));
    o.addOption(opt("users", "FILE", "users allowed to push: user:hash lines from hash-password"));
    o.addOption(
        Option.builder()
            .longOpt("anonymous-push")
            .desc("let anyone who can reach the port push")
            .get());
    o.addOption(opt("max-pack-size", "SIZE", "largest pack one push may send (default 1g)"));
    o.addOption(opt("max-object-size", "SIZE", "largest single object in a push (default 256m)"));
    o.addOption(opt("idle-timeout", "SECONDS", "close connections silent this long (default 30)"));
    o.addOption(
        opt(
            "min-data-rate",
            "BYTES",
            "cut off transfers slower than this per second; 0 for none (default 0)"));
    o.addOption(opt("max-threads", "N", "request threads (default 64)"));
    o.addOption(
        opt(
            "tls-keystore",
            "FILE",
            "serve HTTPS with this PKCS12/JKS keystore; its password comes from $"
                + TLS_PASSWORD_ENV
                + " or --tls-password-file"));
    o.addOption(opt("tls-password-file", "FILE", "file whose first line is the keystore password"));
    o.addOption(
        Option.builder()
            .longOpt("trust-proxy-headers")
            .desc(
                "take client addresses from Forwarded/X-Forwarded-For (only behind a reverse proxy)")
            .get());
    o.addOption(
        opt(
            "log-format",
            "FORMAT",
            "push log: text (lines on standard error, the default) or json (JSON Lines on standard output)"));
    o.addOption(
        opt(
            "mirrors",
            "FILE",
            "keep repositories synced from their upstreams, guarded: lines '<name>.git <upstream> <interval>'"
                + " (docs/mirror.md)"));
    o.addOption(
        opt(
            "ssh-port",
            "N",
            "serve SSH on this port too; 0 takes a free one (needs --authorized-keys)"));
    o.addOption(opt("ssh-bind", "ADDR", "address for SSH (default: the --bind address)"));
    o.addOption(
        opt(
            "authorized-keys",
            "FILE",
            "OpenSSH authorized_keys: the keys that may fetch and push over SSH"));
    o.addOption(
        opt(
            "ssh-host-key",
            "FILE",
            "SSH host key, generated there if missing (default: DIR/"
                + SshHostKey.DEFAULT_FILE
                + ")"));
    return o;
  }

  private static Option opt(String name, String arg, String desc) {
    return Option.builder().longOpt(name).hasArg().argName(arg).desc(desc).get();
  }

  @Override
  public int run(CommandLine cl, Io io) throws Exception {
    if (cl.getArgs().length > 0) {
      throw new UsageException("unexpected argument '" + cl.getArgs()[0] + "'");
    }
    String bind = cl.getOptionValue("bind", GuardedServer.Config.DEFAULT_BIND);
    Path users = cl.hasOption("users") ? Path.of(cl.getOptionValue("users")) : null;
    boolean anonymous = cl.hasOption("anonymous-push");
    if (users != null && anonymous) {
      throw new UsageException("--users and --anonymous-push exclude each other");
    }
    if (users != null && !Files.isRegularFile(users)) {
      throw new UsageException("users file " + users + " does not exist");
    }
    GuardedServer.Config.Ssh ssh = sshOption(cl);
    Path repos;
    if (cl.hasOption("repos")) {
      repos = Path.of(cl.getOptionValue("repos"));
      if (!Files.isDirectory(repos)) {
        throw new UsageException("--repos " + repos + " is not a directory");
      }
      if (users == null && !anonymous && ssh == null) {
        throw new UsageException(
            "who may push? give --users FILE (its lines: "
                + Invocation.of(io.env()).command("hash-password", "--help")
                + ") or --anonymous-push");
      }
    } else {
      boolean localAnonymous = users == null && !anonymous && ssh == null;
      if (localAnonymous && !isLoopback(bind)) {
        throw new UsageException(
            "--bind " + bind + " is not a loopback address: give --users FILE or --anonymous-push");
      }
      repos = localDefault(io);
      if (localAnonymous) {
        anonymous = true;
        io.err()
            .println(
                "checkpoint-guard: serving the local default "
                    + repos
                    + " with anonymous push (loopback only)");
      }
    }
    GuardedServer.Config.Builder builder =
        GuardedServer.Config.builder(repos)
            .bind(bind)
            .port(intOption(cl, "port", GuardedServer.Config.DEFAULT_PORT, 0, 65535))
            .usersFile(users)
            .anonymousPush(anonymous)
            .maxPackSize(
                sizeOption(cl, "max-pack-size", GuardedServer.Config.DEFAULT_MAX_PACK_SIZE))
            .maxObjectSize(
                sizeOption(cl, "max-object-size", GuardedServer.Config.DEFAULT_MAX_OBJECT_SIZE))
            .idleTimeout(
                Duration.ofSeconds(
                    intOption(
                        cl,
                        "idle-timeout",
                        (int) GuardedServer.Config.DEFAULT_IDLE_TIMEOUT.toSeconds(),
                        1,
                        86_400)))
            .minDataRate(
                intOption(
                    cl,
                    "min-data-rate",
                    (int) GuardedServer.Config.DEFAULT_MIN_DATA_RATE,
                    0,
                    Integer.MAX_VALUE))
            .maxThreads(intOption(cl, "max-threads", 64, 8, 10_000))
            .trustForwarded(cl.hasOption("trust-proxy-headers"))
            .ssh(ssh);
    if (cl.hasOption("tls-keystore")) {
      builder.tls(Path.of(cl.getOptionValue("tls-keystore")), tlsPassword(cl, io));
    } else if (cl.hasOption("tls-password-file")) {
      throw new UsageException("--tls-password-file needs --tls-keystore");
    }
    LogFormat logFormat = logFormat(cl);
    builder.logFormat(logFormat, io.out());
    GuardedServer.Config config = builder.build();
    java.util.List<MirrorsFile.Entry> mirrors =
        cl.hasOption("mirrors")
            ? MirrorsFile.read(Path.of(cl.getOptionValue("mirrors")))
            : java.util.List.of();

    StopSignal stop = stopSignal.get();
    GuardedServer server;
    try {
      server = GuardedServer.start(config);
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    } catch (GuardedServer.SshListenException e) {
      throw new UsageException(e.getMessage());
    } catch (IOException e) {
      throw new UsageException(
          "cannot serve on " + bind + ":" + config.port() + ": " + Errors.describe(e));
    }
    try (server) {
      // each sync's outcome is counted in GET /metrics
      // (checkpoint_guard_mirror_syncs_total{outcome})
      ServerMetrics.SyncListener counted = server.metrics().syncListener();
      MirrorService mirrorService =
          mirrors.isEmpty()
              ? null
              : mirrorStarter.start(
                  server.reposDir(),
                  mirrors,
                  io.env(),
                  outcome -> counted.onSync(outcome.result().label()));
      SshHostKey hostKey = server.sshHostKey();
      if (hostKey != null) {
        io.err()
            .println(
                "checkpoint-guard: SSH host key "
                    + hostKey.type()
                    + " "
                    + hostKey.fingerprint()
                    + " ("
                    + (hostKey.generated() ? "generated into " : "")
                    + hostKey.file()
                    + ")");
      }
      if (logFormat == LogFormat.JSON) {
        io.out().println(readyJson(server, config.clock().instant()));
      } else {
        String urls = server.url() + (server.sshUrl() == null ? "" : " and " + server.sshUrl());
        io.out().println("checkpoint-guard serving " + server.reposDir() + " at " + urls);
      }
      io.out().flush();
      stop.await();
      io.err().println("checkpoint-guard: stopping");
      if (mirrorService != null) {
        mirrorService.close(); // a running sync ends before the server does
      }
    }
    io.err().println("checkpoint-guard: stopped");
    return OK;
  }

  private static LogFormat logFormat(CommandLine cl) throws UsageException {
    String v = cl.getOptionValue("log-format", "text");
    return switch (v) {
      case "text" -> LogFormat.TEXT;
      case "json" -> LogFormat.JSON;
      default -> throw new UsageException("--log-format must be text or json, not '" + v + "'");
    };
  }

  /** The ready line in JSON mode: the first JSON Lines record of standard output. */
  static String readyJson(GuardedServer server, java.time.Instant now) {
    java.io.StringWriter w = new java.io.StringWriter();
    try (com.fasterxml.jackson.core.JsonGenerator g =
        new com.fasterxml.jackson.core.JsonFactory().createGenerator(w)) {
      g.writeStartObject();
      g.writeStringField("time", now.toString());
      g.writeStringField("event", "serving");
      g.writeStringField("repositories", server.reposDir().toString());
      g.writeStringField("url", server.url().toString());
      if (server.sshUrl() != null) {
        g.writeStringField("ssh_url", server.sshUrl().toString());
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return w.toString();
  }

  /** The SSH settings, or null without {@code --ssh-port}. */
  private static GuardedServer.Config.Ssh sshOption(CommandLine cl) throws UsageException {
    if (!cl.hasOption("ssh-port")) {
      for (String o : new String[] {"authorized-keys", "ssh-bind", "ssh-host-key"}) {
        if (cl.hasOption(o)) {
          throw new UsageException("--" + o + " needs --ssh-port");
        }
      }
      return null;
    }
    if (!cl.hasOption("authorized-keys")) {
      throw new UsageException(
          "--ssh-port needs --authorized-keys FILE (the keys that may fetch and push, in "
              + "OpenSSH's authorized_keys format)");
    }
    Path keys = Path.of(cl.getOptionValue("authorized-keys"));
    if (!Files.isRegularFile(keys)) {
      throw new UsageException("authorized keys file " + keys + " does not exist");
    }
    String bind = cl.getOptionValue("ssh-bind");
    Path hostKey = cl.hasOption("ssh-host-key") ? Path.of(cl.getOptionValue("ssh-host-key")) : null;
    return new GuardedServer.Config.Ssh(
        bind, intOption(cl, "ssh-port", 2222, 0, 65535), keys, hostKey);
  }

  private static String tlsPassword(CommandLine cl, Io io) throws UsageException, IOException {
    if (cl.hasOption("tls-password-file")) {
      Path f = Path.of(cl.getOptionValue("tls-password-file"));
      if (!Files.isRegularFile(f)) {
        throw new UsageException("--tls-password-file " + f + " does not exist");
      }
      String first = Files.readAllLines(f).stream().findFirst().orElse("");
      if (first.isEmpty()) {
        throw new UsageException("--tls-password-file " + f + " is empty");
      }
      return first;
    }
    String env = io.env().get(TLS_PASSWORD_ENV);
    if (env == null || env.isEmpty()) {
      throw new UsageException(
          "--tls-keystore needs its password in $" + TLS_PASSWORD_ENV + " or --tls-password-file");
    }
    return env;
  }

  /** {@code ./repos} with an empty bare {@code checkpoints.git}, made if missing. */
  private Path localDefault(Io io) throws IOException, UsageException {
    Path repos = workDir.resolve("repos");
    Files.createDirectories(repos);
    Path repo = repos.resolve(DEFAULT_REPO);
    if (Files.exists(repo)) {
      if (!RepositoryCache.FileKey.isGitRepository(repo.toFile(), FS.DETECTED)) {
        throw new UsageException(repo + " exists but is not a bare git repository");
      }
      return repos;
    }
    try (Repository r = new FileRepositoryBuilder().setGitDir(repo.toFile()).setBare().build()) {
      r.create(true);
    }
    io.err().println("checkpoint-guard: created the empty bare repository " + repo);
    return repos;
  }

  private static boolean isLoopback(String bind) throws UsageException {
    try {
      return InetAddress.getByName(bind).isLoopbackAddress();
    } catch (UnknownHostException e) {
      throw new UsageException("--bind " + bind + ": unknown host");
    }
  }

  private static int intOption(CommandLine cl, String name, int dflt, int min, int max)
      throws UsageException {
    if (!cl.hasOption(name)) {
      return dflt;
    }
    String v = cl.getOptionValue(name);
    try {
      int n = Integer.parseInt(v);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below with the allowed range
    }
    throw new UsageException(
        "--" + name + " must be a whole number from " + min + " to " + max + ", not '" + v + "'");
  }

  private static final Pattern SIZE = Pattern.compile("([0-9]{1,15})([kmg]?)");

  /** Parses {@code 123}, {@code 64k}, {@code 500m}, {@code 2g}. */
  static long parseSize(String v) {
    Matcher m = SIZE.matcher(v.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException(v);
    }
    long n = Long.parseLong(m.group(1));
    int shift =
        switch (m.group(2)) {
          case "k" -> 10;
          case "m" -> 20;
          case "g" -> 30;
          default -> 0;
        };
    if (n > (Long.MAX_VALUE >> shift)) {
      throw new IllegalArgumentException(v);
    }
    return n << shift;
  }

  private static long sizeOption(CommandLine cl, String name, long dflt) throws UsageException {
    if (!cl.hasOption(name)) {
      return dflt;
    }
    String v = cl.getOptionValue(name);
    try {
      return parseSize(v);
    } catch (IllegalArgumentException e) {
      throw new UsageException(
          "--" + name + " must be a size like 500m, 2g or 0 (no limit), not '" + v + "'");
    }
  }
}
