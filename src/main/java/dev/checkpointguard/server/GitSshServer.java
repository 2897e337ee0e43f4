package dev.checkpointguard.server;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.channel.Channel;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.file.FileSystemFactory;
import org.apache.sshd.common.global.KeepAliveHandler;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionContext;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.ServerBuilder;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.channel.ChannelSessionFactory;
import org.apache.sshd.server.forward.RejectAllForwardingFilter;
import org.apache.sshd.server.global.NoMoreSessionsHandler;
import org.apache.sshd.server.session.ServerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code serve}'s SSH transport (Apache MINA SSHD): public-key logins from an authorized_keys file
 * ({@link AuthorizedKeys}), and exactly two commands, {@code git-upload-pack} and {@code
 * git-receive-pack} for a repository of the served folder ({@link GitSshCommand}). Pushes get their
 * {@code ReceivePack} from the same {@link GuardedReceivePackFactory} as over HTTP, so the guard,
 * the limits, the reflog identity and the push log are the same; repository names are checked by
 * the same {@link ReposResolver}.
 *
 * <p>What it refuses: passwords, keyboard-interactive and every other login method; shells (a
 * one-line answer); every other command (a one-line answer); subsystems such as sftp; port, agent
 * and X11 forwarding; every channel but sessions. It announces itself as {@code
 * SSH-2.0-checkpoint-guard}, without a version.
 *
 * <p>Threads: the library's I/O threads only move bytes; each command runs on a pool of at most
 * {@code maxThreads} threads (more wait their turn). {@link #close()} stops accepting connections,
 * lets running commands finish for up to 5 s, then closes every session.
 */
final class GitSshServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GitSshServer.class);

  /** The authorized key a session logged in with. */
  static final AttributeKey<AuthorizedKeys.Key> KEY = new AttributeKey<>();

  /** The fingerprint of the last key a session offered that is not authorized. */
  private static final AttributeKey<String> REFUSED = new AttributeKey<>();

  /** What every command of this server needs. */
  record Context(
      AuthorizedKeys keys,
      ReposResolver resolver,
      GuardedReceivePackFactory receivePacks,
      ExecutorService executor) {}

  /** Exposes the acceptor, to stop taking connections before the sessions are closed. */
  private static final class Sshd extends SshServer {
    void stopAccepting() {
      if (acceptor != null) {
        acceptor.unbind();
      }
    }
  }

  private final Sshd sshd;
  private final ExecutorService executor;
  private final URI url;
  private final SshHostKey hostKey;

  private GitSshServer(Sshd sshd, ExecutorService executor, URI url, SshHostKey hostKey) {
    this.sshd = sshd;
    this.executor = executor;
    this.url = url;
    this.hostKey = hostKey;
  }

  /**
   * Starts the SSH server and returns once it accepts connections.
   *
   * @param bind the address to listen on
   * @param port the port; 0 takes a free one
   * @param hostKeyFile the host key, generated there when missing ({@link SshHostKey})
   * @param idleTimeout a session silent this long is closed; also the time a client has to log in
   * @param loginFailures told about every connection that offered keys and logged in with none
   *     (metrics)
   * @throws IllegalArgumentException if the authorized_keys file or the host key is invalid
   * @throws IOException if a file cannot be read or written, or the port cannot be bound
   */
  static GitSshServer start(
      String bind,
      int port,
      Path authorizedKeys,
      Path hostKeyFile,
      Duration idleTimeout,
      int maxThreads,
      ReposResolver resolver,
      GuardedReceivePackFactory receivePacks,
      Consumer<ServerMetrics.AuthFailure> loginFailures)
      throws IOException {
    AuthorizedKeys keys = AuthorizedKeys.load(authorizedKeys);
    SshHostKey.Loaded host = SshHostKey.loadOrGenerate(hostKeyFile);

    AtomicInteger threads = new AtomicInteger();
    ThreadPoolExecutor executor =
        new ThreadPoolExecutor(
            maxThreads,
            maxThreads,
            60,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, "checkpoint-guard-ssh-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    executor.allowCoreThreadTimeOut(true);
    Context context = new Context(keys, resolver, receivePacks, executor);

    Sshd sshd = (Sshd) ServerBuilder.builder().factory(Sshd::new).build();
    sshd.setHost(bind);
    sshd.setPort(port);
    sshd.setKeyPairProvider(KeyPairProvider.wrap(host.pair()));
    // Public keys only: no password, keyboard-interactive, GSS-API or host-based login.
    sshd.setUserAuthFactories(List.of(UserAuthPublicKeyFactory.INSTANCE));
    sshd.setPasswordAuthenticator(null);
    sshd.setKeyboardInteractiveAuthenticator(null);
    sshd.setGSSAuthenticator(null);
    sshd.setHostBasedAuthenticator(null);
    sshd.setPublickeyAuthenticator(
        (user, key, session) -> {
          AuthorizedKeys.Key k = keys.find(key);
          if (k == null) {
            session.setAttribute(REFUSED, KeyUtils.getFingerPrint(key));
            return false;
          }
          session.setAttribute(KEY, k);
          return true;
        });
    // Session channels only (no direct-tcpip), no forwarding of any kind, no agent, no subsystems
    // (sftp).
    sshd.setChannelFactories(List.of(new ExitStatusFirst.Factory()));
    sshd.setForwardingFilter(RejectAllForwardingFilter.INSTANCE);
    sshd.setGlobalRequestHandlers(
        List.of(KeepAliveHandler.INSTANCE, NoMoreSessionsHandler.INSTANCE));
    sshd.setAgentFactory(null);
    sshd.setSubsystemFactories(List.of());
    sshd.setFileSystemFactory(NO_FILE_SYSTEM);
    sshd.setShellFactory(channel -> new GitSshCommand(context, null));
    sshd.setCommandFactory((channel, command) -> new GitSshCommand(context, command));
    CoreModuleProperties.SERVER_IDENTIFICATION.set(sshd, "checkpoint-guard");
    // Git's protocol is request and answer in small packets: without TCP_NODELAY, Nagle's algorithm
    // and the
    // client's delayed ACK held each exchange for ~40 ms (measured: 53 ms per command on an open
    // connection).
    CoreModuleProperties.TCP_NODELAY.set(sshd, true);
    CoreModuleProperties.IDLE_TIMEOUT.set(sshd, idleTimeout);
    CoreModuleProperties.AUTH_TIMEOUT.set(sshd, idleTimeout);
    sshd.addSessionListener(
        new SessionListener() {
          @Override
          public void sessionClosed(Session session) {
            String refused = session.getAttribute(REFUSED);
            if (!session.isAuthenticated() && refused != null) {
              String problem = keys.problem();
              LOG.warn(
                  "SSH login refused from {}: {}",
                  address(session),
                  problem != null
                      ? "the authorized keys file is invalid"
                      : "no authorized key offered (last: " + refused + ")");
              loginFailures.accept(
                  problem != null
                      ? ServerMetrics.AuthFailure.AUTHORIZED_KEYS_INVALID
                      : ServerMetrics.AuthFailure.SSH_KEY_REFUSED);
            }
          }
        });
    try {
      sshd.start();
    } catch (IOException | RuntimeException e) {
      executor.shutdownNow();
      try {
        sshd.stop(true);
      } catch (IOException | RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    URI url = URI.create("ssh://" + GuardedServer.hostForUrl(bind) + ":" + sshd.getPort() + "/");
    LOG.info(
        "SSH at {}: {} authorized keys from {}, host key {} {}",
        url,
        keys.keys().size(),
        authorizedKeys,
        host.key().type(),
        host.key().fingerprint());
    return new GitSshServer(sshd, executor, url, host.key());
  }

  /**
   * The base URL, e.g. {@code ssh://127.0.0.1:2222/}; a repository is at {@code
   * url().resolve("x.git")}.
   */
  URI url() {
    return url;
  }

  /** The port (the chosen one when the config said 0). */
  int port() {
    return sshd.getPort();
  }

  SshHostKey hostKey() {
    return hostKey;
  }

  /** The client's address (without port), as the push log and the reflog name it. */
  static String address(Session session) {
    SocketAddress a =
        session instanceof ServerSession s ? s.getClientAddress() : session.getRemoteAddress();
    if (a instanceof InetSocketAddress i) {
      return i.getAddress() != null ? i.getAddress().getHostAddress() : i.getHostString();
    }
    return String.valueOf(a);
  }

  /** Stops accepting, lets running commands finish for up to 5 s, then closes every session. */
  @Override
  public void close() {
    try {
      sshd.stopAccepting();
      executor.shutdown();
      if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
        LOG.warn("SSH commands still running after 5 s: closing their sessions");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      try {
        sshd.stop(true);
      } catch (IOException | RuntimeException e) {
        LOG.warn("error while stopping SSH: {}", e.toString());
      }
      executor.shutdownNow();
    }
  }

  /**
   * A session channel that sends a command's {@code exit-status} before its EOF, as OpenSSH's sshd
   * does. The library sends EOF first; a client whose input has ended already (git, after reading
   * the push's report) may answer that EOF with CLOSE at once, and then the exit status is dropped:
   * measured, about one push in ten through an OpenSSH {@code ControlMaster} connection ended with
   * "failed to push some refs" although every ref was updated.
   */
  static final class ExitStatusFirst extends ChannelSession {
    @Override
    protected void closeShell(int exitValue, boolean closeImmediately) throws IOException {
      if (!isClosing()) {
        if (out != null) {
          out.flush(); // what the command wrote goes before its exit status
        }
        sendExitStatus(exitValue);
      }
      super.closeShell(
          exitValue, closeImmediately); // EOF, CLOSE (the exit status is not sent twice)
    }

    /** Makes {@link ExitStatusFirst} channels for "session" channel requests. */
    static final class Factory extends ChannelSessionFactory {
      @Override
      public Channel createChannel(Session session) {
        return new ExitStatusFirst();
      }
    }
  }

  /** No file system for anyone: nothing here serves files (no sftp, no scp). */
  private static final FileSystemFactory NO_FILE_SYSTEM =
      new FileSystemFactory() {
        @Override
        public Path getUserHomeDir(SessionContext session) throws IOException {
          throw new IOException("no file system");
        }

        @Override
        public FileSystem createFileSystem(SessionContext session) throws IOException {
          throw new IOException("no file system");
        }
      };
}
