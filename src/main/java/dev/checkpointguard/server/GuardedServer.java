package dev.checkpointguard.server;

import dev.checkpointguard.core.CheckpointSetCache;
import jakarta.servlet.DispatcherType;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.ForwardedRequestCustomizer;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jgit.http.server.GitServlet;
import org.eclipse.jgit.http.server.resolver.AsIsFileService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guarded git server: Jetty + JGit's {@link GitServlet}, serving every bare repository {@code
 * DIR/<name>.git} at {@code /<name>.git} for smart-HTTP fetch and push, with the checkpoint guard
 * on every push.
 *
 * <pre>{@code
 * try (GuardedServer s = GuardedServer.start(GuardedServer.Config.builder(dir).port(0)
 *     .anonymousPush(true).build())) {
 *   URI remote = s.url().resolve("checkpoints.git");
 * }
 * }</pre>
 *
 * Fetching is open; pushing needs basic credentials from the users file, or anonymous push.
 * Repository names never reach outside DIR: anything else is 404.
 */
public final class GuardedServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GuardedServer.class);

  /**
   * What to serve and how. Make one with {@link #builder(Path)} (or {@link #defaults(Path)});
   * change one with {@link #toBuilder()}.
   *
   * @param reposDir the folder of bare repositories {@code <name>.git}; must exist
   * @param bind the address to listen on (default 127.0.0.1)
   * @param port the port; 0 takes a free one (default 8080)
   * @param usersFile who may push ({@code user:hash} lines), or null when anonymous push is on
   * @param anonymousPush anyone who can reach the port may push
   * @param maxPackSize largest pack one push may send, bytes; 0 for no limit (default 1 GiB)
   * @param maxObjectSize largest single object in a push, bytes; 0 for no limit (default 256 MiB)
   * @param idleTimeout a connection silent this long is closed (default 30 s)
   * @param minDataRate a request body or response slower than this many bytes per second is cut
   *     off; 0 for no minimum (the default: under load Jetty's rate check cut off ordinary small
   *     fetch requests on loopback, see docs/reliability.md; silent clients are bounded by {@code
   *     idleTimeout})
   * @param authBackoff penalty after the first failed login; each further failure doubles it
   *     (default 250 ms)
   * @param authBackoffMax the largest penalty (default 8 s)
   * @param maxThreads request threads (default 64)
   * @param tlsKeystore a PKCS12 (or JKS) keystore with the server's key and certificate: serve
   *     HTTPS instead of HTTP; null for plain HTTP (default)
   * @param tlsKeystorePassword the keystore's password; required with a keystore. Never printed:
   *     {@link #toString()} masks it
   * @param trustForwarded take the client address from {@code Forwarded}/{@code X-Forwarded-For}
   *     headers: only behind a reverse proxy that sets them and when nobody else can reach the
   *     port, because the address keys the login backoff (default false)
   * @param logFormat the push log as text lines on standard error (default) or JSON Lines on {@code
   *     logOut}
   * @param logOut where JSON Lines go (default standard output); unused for text
   * @param clock wall time for the push log, the last-push times and the status pages (default UTC
   *     system clock)
   * @param statusWait how long a status page waits for the audits it needs before answering with
   *     the last known results, marked as updating (default 5 s)
   * @param ssh serve SSH too ({@link Ssh}); null for HTTP only (default)
   */
  public record Config(
      Path reposDir,
      String bind,
      int port,
      Path usersFile,
      boolean anonymousPush,
      long maxPackSize,
      long maxObjectSize,
      Duration idleTimeout,
      long minDataRate,
      Duration authBackoff,
      Duration authBackoffMax,
      int maxThreads,
      Path tlsKeystore,
      String tlsKeystorePassword,
      boolean trustForwarded,
      LogFormat logFormat,
      java.io.PrintStream logOut,
      java.time.Clock clock,
      Duration statusWait,
      Ssh ssh) {
    public static final String DEFAULT_BIND = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;
    public static final long DEFAULT_MAX_PACK_SIZE = 1L << 30;
    public static final long DEFAULT_MAX_OBJECT_SIZE = 256L << 20;
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);
    public static final long DEFAULT_MIN_DATA_RATE = 0;

    public Config {
      Objects.requireNonNull(reposDir, "reposDir");
      Objects.requireNonNull(bind, "bind");
      Objects.requireNonNull(idleTimeout, "idleTimeout");
      Objects.requireNonNull(authBackoff, "authBackoff");
      Objects.requireNonNull(authBackoffMax, "authBackoffMax");
      Objects.requireNonNull(logFormat, "logFormat");
      Objects.requireNonNull(logOut, "logOut");
      Objects.requireNonNull(clock, "clock");
      Objects.requireNonNull(statusWait, "statusWait");
      if (statusWait.isNegative()) {
        throw new IllegalArgumentException("the status wait cannot be negative");
      }
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port " + port + " is outside 0..65535");
      }
      if (maxPackSize < 0 || maxObjectSize < 0 || minDataRate < 0) {
        throw new IllegalArgumentException("size and rate limits cannot be negative");
      }
      if (idleTimeout.isNegative() || idleTimeout.isZero()) {
        throw new IllegalArgumentException("the idle timeout must be positive");
      }
      if (maxThreads < 8) {
        throw new IllegalArgumentException("maxThreads must be at least 8");
      }
      if (tlsKeystore != null && tlsKeystorePassword == null) {
        throw new IllegalArgumentException("a TLS keystore needs its password");
      }
    }

    /**
     * SSH beside HTTP: the same repositories at {@code ssh://ADDR:PORT/<name>.git} for fetch and
     * push, for the keys of an OpenSSH authorized_keys file (see {@code docs/serve.md}).
     *
     * @param bind the address to listen on; null for the HTTP one
     * @param port the port; 0 takes a free one
     * @param authorizedKeys the keys that may fetch and push; read again when it changes
     * @param hostKey the server's host key file, generated there when missing; null for {@code
     *     DIR/}{@value SshHostKey#DEFAULT_FILE}
     */
    public record Ssh(String bind, int port, Path authorizedKeys, Path hostKey) {
      public Ssh {
        Objects.requireNonNull(authorizedKeys, "authorizedKeys");
        if (port < 0 || port > 65535) {
          throw new IllegalArgumentException("SSH port " + port + " is outside 0..65535");
        }
      }
    }

    @Override
    public String toString() {
      return "Config[reposDir="
          + reposDir
          + ", bind="
          + bind
          + ", port="
          + port
          + ", usersFile="
          + usersFile
          + ", anonymousPush="
          + anonymousPush
          + ", maxPackSize="
          + maxPackSize
          + ", maxObjectSize="
          + maxObjectSize
          + ", idleTimeout="
          + idleTimeout
          + ", minDataRate="
          + minDataRate
          + ", authBackoff="
          + authBackoff
          + ", authBackoffMax="
          + authBackoffMax
          + ", maxThreads="
          + maxThreads
          + ", tlsKeystore="
          + tlsKeystore
          + ", tlsKeystorePassword="
          + (tlsKeystorePassword == null ? null : "***")
          + ", trustForwarded="
          + trustForwarded
          + ", logFormat="
          + logFormat
          + ", ssh="
          + ssh
          + "]";
    }

    /**
     * Serve {@code reposDir} on 127.0.0.1:8080 with the default limits, no users, no anonymous
     * push.
     */
    public static Config defaults(Path reposDir) {
      return builder(reposDir).build();
    }

    /** A builder that starts from {@link #defaults(Path)}. */
    public static Builder builder(Path reposDir) {
      return new Builder(reposDir);
    }

    /** A builder that starts from this config. */
    public Builder toBuilder() {
      return new Builder(this);
    }

    /**
     * Builds a {@link Config}: each setter changes one setting, {@link #build()} checks them all.
     * The setters are named after the record's components and mean the same.
     */
    public static final class Builder {
      private Path reposDir;
      private String bind = DEFAULT_BIND;
      private int port = DEFAULT_PORT;
      private Path usersFile;
      private boolean anonymousPush;
      private long maxPackSize = DEFAULT_MAX_PACK_SIZE;
      private long maxObjectSize = DEFAULT_MAX_OBJECT_SIZE;
      private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
      private long minDataRate = DEFAULT_MIN_DATA_RATE;
      private Duration authBackoff = Duration.ofMillis(250);
      private Duration authBackoffMax = Duration.ofSeconds(8);
      private int maxThreads = 64;
      private Path tlsKeystore;
      private String tlsKeystorePassword;
      private boolean trustForwarded;
      private LogFormat logFormat = LogFormat.TEXT;
      private java.io.PrintStream logOut = System.out;
      private java.time.Clock clock = java.time.Clock.systemUTC();
      private Duration statusWait = Duration.ofSeconds(5);
      private Ssh ssh;

      private Builder(Path reposDir) {
        this.reposDir = reposDir;
      }

      private Builder(Config c) {
        this(c.reposDir);
        bind = c.bind;
        port = c.port;
        usersFile = c.usersFile;
        anonymousPush = c.anonymousPush;
        maxPackSize = c.maxPackSize;
        maxObjectSize = c.maxObjectSize;
        idleTimeout = c.idleTimeout;
        minDataRate = c.minDataRate;
        authBackoff = c.authBackoff;
        authBackoffMax = c.authBackoffMax;
        maxThreads = c.maxThreads;
        tlsKeystore = c.tlsKeystore;
        tlsKeystorePassword = c.tlsKeystorePassword;
        trustForwarded = c.trustForwarded;
        logFormat = c.logFormat;
        logOut = c.logOut;
        clock = c.clock;
        statusWait = c.statusWait;
        ssh = c.ssh;
      }

      public Builder reposDir(Path v) {
        reposDir = v;
        return this;
      }

      public Builder bind(String v) {
        bind = v;
        return this;
      }

      public Builder port(int v) {
        port = v;
        return this;
      }

      public Builder usersFile(Path v) {
        usersFile = v;
        return this;
      }

      public Builder anonymousPush(boolean v) {
        anonymousPush = v;
        return this;
      }

      public Builder maxPackSize(long v) {
        maxPackSize = v;
        return this;
      }

      public Builder maxObjectSize(long v) {
        maxObjectSize = v;
        return this;
      }

      public Builder idleTimeout(Duration v) {
        idleTimeout = v;
        return this;
      }

      public Builder minDataRate(long v) {
        minDataRate = v;
        return this;
      }

      /** The penalty after the first failed login, and the largest one. */
      public Builder authBackoff(Duration first, Duration max) {
        authBackoff = first;
        authBackoffMax = max;
        return this;
      }

      public Builder maxThreads(int v) {
        maxThreads = v;
        return this;
      }

      /** Serve HTTPS with the key and certificate of this keystore (PKCS12 or JKS). */
      public Builder tls(Path keystore, String password) {
        tlsKeystore = keystore;
        tlsKeystorePassword = password;
        return this;
      }

      /**
       * Trust {@code Forwarded}/{@code X-Forwarded-For} for the client address (behind a reverse
       * proxy).
       */
      public Builder trustForwarded(boolean v) {
        trustForwarded = v;
        return this;
      }

      /** The push log's format, and where JSON Lines go. */
      public Builder logFormat(LogFormat format, java.io.PrintStream out) {
        logFormat = format;
        logOut = out;
        return this;
      }

      public Builder clock(java.time.Clock v) {
        clock = v;
        return this;
      }

      public Builder statusWait(Duration v) {
        statusWait = v;
        return this;
      }

      /** Serve SSH too; null for HTTP only. */
      public Builder ssh(Ssh v) {
        ssh = v;
        return this;
      }

      /**
       * The config.
       *
       * @throws IllegalArgumentException if a setting is out of range (see {@link Config})
       * @throws NullPointerException if a required setting is null
       */
      public Config build() {
        return new Config(
            reposDir,
            bind,
            port,
            usersFile,
            anonymousPush,
            maxPackSize,
            maxObjectSize,
            idleTimeout,
            minDataRate,
            authBackoff,
            authBackoffMax,
            maxThreads,
            tlsKeystore,
            tlsKeystorePassword,
            trustForwarded,
            logFormat,
            logOut,
            clock,
            statusWait,
            ssh);
      }
    }
  }

  private final Server jetty;
  private final ServerConnector connector;
  private final ScheduledExecutorService scheduler;
  private final URI url;
  private final Path reposDir;
  private final ServerMetrics metrics;
  private final StatusCache status;
  private volatile GitSshServer ssh;

  private GuardedServer(
      Server jetty,
      ServerConnector connector,
      ScheduledExecutorService scheduler,
      Path reposDir,
      boolean tls,
      ServerMetrics metrics,
      StatusCache status) {
    this.jetty = jetty;
    this.metrics = metrics;
    this.status = status;
    this.connector = connector;
    this.scheduler = scheduler;
    this.reposDir = reposDir;
    this.url =
        URI.create(
            (tls ? "https://" : "http://")
                + hostForUrl(connector.getHost())
                + ":"
                + connector.getLocalPort()
                + "/");
  }

  /**
   * Starts a server and returns once it accepts connections.
   *
   * @throws IllegalArgumentException if the repos folder is missing, or pushing would be open to no
   *     one (no users file, no anonymous push and no SSH), or the users file, the authorized_keys
   *     file or the SSH host key is invalid
   * @throws IOException if the users file cannot be read or the port cannot be bound ({@link
   *     SshListenException} for the SSH port)
   */
  public static GuardedServer start(Config config) throws IOException {
    return start(config, null);
  }

  /**
   * {@link #start(Config)} with the login throttle's time from {@code timer} (tests drive it); null
   * for the system's clock and a scheduler thread of the server's own.
   */
  static GuardedServer start(Config config, AuthTimer timer) throws IOException {
    if (!Files.isDirectory(config.reposDir())) {
      throw new IllegalArgumentException(config.reposDir() + " is not a directory");
    }
    if (config.usersFile() == null && !config.anonymousPush() && config.ssh() == null) {
      throw new IllegalArgumentException("pushing needs a users file, anonymous push or SSH keys");
    }
    Users users = config.usersFile() == null ? null : Users.load(config.usersFile());
    Path reposDir = config.reposDir().toRealPath();

    QueuedThreadPool pool = new QueuedThreadPool(config.maxThreads(), 2);
    pool.setName("checkpoint-guard-http");
    Server jetty = new Server(pool);
    jetty.setStopTimeout(5_000);
    jetty.setStopAtShutdown(false);

    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    // Let ambiguous paths (encoded '/', '.', '..') reach PathGuardHandler, which answers 404 to all
    // of
    // them, instead of Jetty's 400: a prober learns nothing from the difference, and one rule
    // decides.
    http.setUriCompliance(UriCompliance.UNSAFE);
    http.setMinRequestDataRate(config.minDataRate());
    http.setMinResponseDataRate(config.minDataRate());
    http.setIdleTimeout(config.idleTimeout().toMillis());
    if (config.trustForwarded()) {
      http.addCustomizer(new ForwardedRequestCustomizer());
    }
    ServerConnector connector;
    if (config.tlsKeystore() == null) {
      connector = new ServerConnector(jetty, new HttpConnectionFactory(http));
    } else {
      if (!Files.isRegularFile(config.tlsKeystore())) {
        throw new IllegalArgumentException(
            "TLS keystore " + config.tlsKeystore() + " does not exist");
      }
      SslContextFactory.Server tls = new SslContextFactory.Server();
      tls.setKeyStorePath(config.tlsKeystore().toString());
      tls.setKeyStorePassword(config.tlsKeystorePassword());
      HttpConfiguration https = new HttpConfiguration(http);
      https.addCustomizer(new SecureRequestCustomizer());
      connector =
          new ServerConnector(
              jetty,
              new SslConnectionFactory(tls, HttpVersion.HTTP_1_1.asString()),
              new HttpConnectionFactory(https));
    }
    connector.setHost(config.bind());
    connector.setPort(config.port());
    connector.setIdleTimeout(config.idleTimeout().toMillis());
    jetty.addConnector(connector);

    ServerMetrics metrics = new ServerMetrics();
    PushEvents events =
        PushEvents.of(
            config.logFormat(), config.logOut(), config.clock(), System::nanoTime, metrics);
    ReposResolver resolver = new ReposResolver(reposDir);
    StatusCache status = new StatusCache(1, config.clock(), metrics);
    GitServlet git = new GitServlet();
    GuardedReceivePackFactory receivePacks =
        new GuardedReceivePackFactory(
            config.maxPackSize(),
            config.maxObjectSize(),
            CheckpointSetCache.lru(1_000_000),
            events,
            Instant.now(),
            Clock.systemUTC());
    git.setRepositoryResolver(resolver);
    git.setReceivePackFactory(receivePacks);
    // Smart HTTP only: the dumb protocol would serve repository files by path for no client we
    // need.
    git.setAsIsFileService(AsIsFileService.DISABLED);

    ScheduledExecutorService scheduler =
        timer != null
            ? null
            : Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread t = new Thread(r, "checkpoint-guard-auth-delay");
                  t.setDaemon(true);
                  return t;
                });
    AuthTimer time = timer != null ? timer : AuthTimer.of(scheduler);
    AuthThrottle throttle =
        new AuthThrottle(config.authBackoff(), config.authBackoffMax(), time::nanoTime);

    ServletContextHandler context = new ServletContextHandler(ServletContextHandler.NO_SESSIONS);
    context.setContextPath("/");
    FilterHolder auth =
        new FilterHolder(
            new PushAuthFilter(
                users, config.anonymousPush(), throttle, time, metrics::onAuthFailure));
    auth.setAsyncSupported(true);
    context.addFilter(auth, "/*", EnumSet.of(DispatcherType.REQUEST));
    context.addServlet(new ServletHolder("git", git), "/*");
    // Beside git's URLs: repository names end in .git, so these never hide a repository.
    context.addServlet(
        new ServletHolder(
            "metrics",
            new io.prometheus.metrics.exporter.servlet.jakarta.PrometheusMetricsServlet(
                metrics.registry())),
        "/metrics");
    context.addServlet(new ServletHolder("healthz", new HealthServlet(reposDir)), "/healthz");
    ServletHolder pages =
        new ServletHolder(
            "status", new StatusServlet(reposDir, resolver, status, events, config.statusWait()));
    context.addServlet(pages, ""); // exactly "/"
    context.addServlet(pages, "/-/*"); // a repository name never starts with '-'
    context.setErrorHandler(new QuietErrorHandler());
    context.setLogger(new OneLineLog());

    jetty.setErrorHandler(new QuietErrorHandler());
    jetty.setHandler(new PathGuardHandler(context));
    GitSshServer ssh = null;
    if (config.ssh() != null) {
      Config.Ssh c = config.ssh();
      String sshBind = c.bind() != null ? c.bind() : config.bind();
      Path hostKey = c.hostKey() != null ? c.hostKey() : reposDir.resolve(SshHostKey.DEFAULT_FILE);
      try {
        // Same resolver and the same receive-pack factory as HTTP: one guard, one set of limits,
        // one push log.
        ssh =
            GitSshServer.start(
                sshBind,
                c.port(),
                c.authorizedKeys(),
                hostKey,
                config.idleTimeout(),
                config.maxThreads(),
                resolver,
                receivePacks,
                metrics::onAuthFailure);
      } catch (java.net.BindException e) {
        if (scheduler != null) {
          scheduler.shutdownNow();
        }
        status.close();
        throw new SshListenException(sshBind, c.port(), e);
      } catch (IOException | RuntimeException e) {
        if (scheduler != null) {
          scheduler.shutdownNow();
        }
        status.close();
        throw e;
      }
    }
    try {
      jetty.start();
    } catch (Exception e) {
      if (ssh != null) {
        ssh.close();
      }
      if (scheduler != null) {
        scheduler.shutdownNow();
      }
      status.close();
      try {
        jetty.stop();
      } catch (Exception suppressed) {
        e.addSuppressed(suppressed);
      }
      if (e instanceof IOException io) {
        throw io;
      }
      throw new IOException(
          "cannot start the server on "
              + config.bind()
              + ":"
              + config.port()
              + ": "
              + e.getMessage(),
          e);
    }
    GuardedServer s =
        new GuardedServer(
            jetty, connector, scheduler, reposDir, config.tlsKeystore() != null, metrics, status);
    s.ssh = ssh;
    LOG.info(
        "serving {} at {} (push: {})",
        reposDir,
        s.url,
        config.anonymousPush()
            ? "anyone"
            : users != null
                ? users.names().size() + " users from " + config.usersFile()
                : "over SSH only");
    return s;
  }

  /**
   * The base URL, e.g. {@code http://127.0.0.1:43121/} ({@code https} with TLS); a repository is at
   * {@code url().resolve("x.git")}.
   */
  public URI url() {
    return url;
  }

  /** The port the server listens on (the chosen one when the config said 0). */
  public int port() {
    return connector.getLocalPort();
  }

  /**
   * What this server counts ({@code GET /metrics}); mirror syncs report through {@link
   * ServerMetrics#syncListener()}.
   */
  public ServerMetrics metrics() {
    return metrics;
  }

  /**
   * The SSH base URL, e.g. {@code ssh://127.0.0.1:2222/} (a repository is at {@code
   * sshUrl().resolve("x.git")}); null without SSH.
   */
  public URI sshUrl() {
    return ssh == null ? null : ssh.url();
  }

  /** The SSH port (the chosen one when the config said 0); -1 without SSH. */
  public int sshPort() {
    return ssh == null ? -1 : ssh.port();
  }

  /** The SSH host key (its file, type and fingerprint); null without SSH. */
  public SshHostKey sshHostKey() {
    return ssh == null ? null : ssh.hostKey();
  }

  /** The SSH port could not be bound. */
  public static final class SshListenException extends IOException {
    private static final long serialVersionUID = 1L;

    SshListenException(String bind, int port, IOException cause) {
      super("cannot listen for SSH on " + bind + ":" + port + ": " + cause.getMessage(), cause);
    }
  }

  /** The repositories folder, with symbolic links resolved. */
  public Path reposDir() {
    return reposDir;
  }

  /** Stops accepting on both transports, lets running requests finish for up to 5 s, then stops. */
  @Override
  public void close() {
    // Both transports stop at once, each letting its running requests finish for up to 5 s.
    Thread sshStop = ssh == null ? null : new Thread(ssh::close, "checkpoint-guard-ssh-stop");
    if (sshStop != null) {
      sshStop.start();
    }
    try {
      jetty.stop();
    } catch (Exception e) {
      LOG.warn("error while stopping: {}", e.toString());
    } finally {
      if (scheduler != null) {
        scheduler.shutdownNow();
      }
      status.close();
      if (sshStop != null) {
        try {
          sshStop.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  static String hostForUrl(String host) {
    if (host == null || host.isEmpty()) {
      return "0.0.0.0";
    }
    try {
      if (InetAddress.getByName(host) instanceof Inet6Address && !host.startsWith("[")) {
        return "[" + host + "]";
      }
    } catch (IOException e) {
      // A host name that does not resolve here was still good enough to bind; print it as given.
    }
    return host;
  }
}
